/** The bundled trained fixture model (fixtures/multi30k-gnmt256), loaded once per test process. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import type { GnmtCheckpoint } from '../../src/io/checkpoint.js';
import { buildGnmt } from '../../src/model/build.js';
import type { Gnmt } from '../../src/model/gnmt.js';
import { selectBackend } from '../../src/tensor/backend.js';
import { splitLines } from '../../src/text/text-lines.js';
import { fixtureDir } from '../paths.js';

let cached: Promise<{ ckpt: GnmtCheckpoint; model: Gnmt }> | undefined;

/** Checkpoint and model; also activates the best available kernels (oneDNN when built). */
export function fixtureModel(): Promise<{ ckpt: GnmtCheckpoint; model: Gnmt }> {
  cached ??= (async () => {
    await selectBackend();
    const ckpt = await loadCheckpoint(join(fixtureDir, 'model_best.pth'));
    return { ckpt, model: buildGnmt(ckpt) };
  })();
  return cached;
}

export function fixtureLines(rel: string): string[] {
  return splitLines(readFileSync(join(fixtureDir, rel), 'utf8'));
}

export interface ParitySentence {
  index: number;
  bpe: string;
  src_ids: number[];
  src_len: number;
  batch_row: number;
}

export interface ParityFile {
  sentences: ParitySentence[];
  batch_order: number[];
  encoder_output_sentence0: { shape: [number, number]; data: number[] };
  encoder_output_checksums: Array<{ index: number; src_len: number; sum: number; abs_sum: number; first4: number[]; last4: number[] }>;
  greedy_steps_sentence0: { steps: Array<{ step: number; chosen_id: number; top5_ids: number[]; top5_logprobs: number[]; logits: number[] }> };
  greedy_outputs: Array<{ index: number; ids: number[]; bpe: string }>;
}

export function parityFile(): ParityFile {
  return JSON.parse(readFileSync(join(fixtureDir, 'parity/first8.json'), 'utf8')) as ParityFile;
}
