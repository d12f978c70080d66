/**
 * One fuzz case, run in-process: a mutated checkpoint goes through everything a user or the library
 * would do with it (loadCheckpoint + a one-line translation; openTorchFile + loadStorages + tensorData of
 * every tensor), a mutated config or stats file through parse + prepareModel + a one-line quantized
 * translation. The outcome says whether it worked, failed cleanly (a one-line QnmtError) or failed
 * with anything else (an internal error: what the CLI would print with a stack trace, exit 2).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QnmtError } from '../../src/errors.js';
import { loadCheckpoint, type GnmtCheckpoint } from '../../src/io/checkpoint.js';
import { openTorchFile } from '../../src/io/torch-file.js';
import { isTorchTensor, tensorData } from '../../src/io/torch-tensor.js';
import { fp32Model, quantizedModel } from '../../src/eval/models.js';
import { translateLines } from '../../src/eval/translate.js';
import { parseQuantConfig, type QuantConfig } from '../../src/quant/config.js';
import { parseStats, type Stats } from '../../src/quant/stats.js';
import { fixtureDir, repoRoot, testFixtures } from '../paths.js';
import { mutateCheckpoint, mutateYaml, rng } from './mutate.js';

export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'clean'; readonly code: string; readonly message: string }
  | { readonly kind: 'internal'; readonly error: string };

export type CaseKind = 'checkpoint' | 'config' | 'stats';

/** The fuzzed originals: small random-weight checkpoints (both formats), the example configs, a real stats file. */
export const checkpointSeeds = ['tiny.legacy.pth', 'tiny.zip.pth', 'small.noncontig.pth', 'small.float16.pth', 'small.module.pth'].map((f) => join(testFixtures, 'gnmt-tiny', f));
export const configSeeds = ['int8-sym.yaml', 'int8-asym.yaml', 'int8-asym-pc-avg.yaml', 'int8-asym-pc-avg-noattn.yaml', 'int8-asym-pc-avg-noattn-nocls.yaml'].map((f) => join(repoRoot, 'examples', f));
export const statsSeed = join(fixtureDir, 'calibration', 'model_stats.yaml');

const SENTENCE = ['a man runs'];
const SEARCH = { beam: 2, maxLen: 6, batch: 4 } as const;

/** A one-line message of reasonable length: what the CLI prints after `qnmt: error: `. */
export function isCleanMessage(m: string): boolean {
  return !m.includes('\n') && m.length > 0 && m.length <= 4000;
}

function classify(e: unknown): Outcome {
  if (e instanceof QnmtError) {
    return isCleanMessage(e.message) ? { kind: 'clean', code: e.code, message: e.message } : { kind: 'internal', error: `QnmtError with a multi-line or huge message: ${e.message.slice(0, 300)}` };
  }
  return { kind: 'internal', error: (e as Error)?.stack ?? String(e) };
}

/** Shared state for YAML cases: the tiny model, and a valid config and stats to pair a mutated file with. */
export interface YamlContext {
  readonly ckpt: GnmtCheckpoint;
  readonly stats: Stats;
  readonly configs: readonly QuantConfig[];
}

export async function yamlContext(): Promise<YamlContext> {
  return {
    ckpt: await loadCheckpoint(checkpointSeeds[0]!),
    stats: parseStats(readFileSync(statsSeed, 'utf8'), statsSeed),
    configs: configSeeds.map((p) => parseQuantConfig(readFileSync(p, 'utf8'), p)),
  };
}

/** Case `index` of `kind` under `seed`: always the same input for the same numbers. */
export function caseInput(kind: CaseKind, seed: number, index: number): { bytes: Uint8Array; seedFile: string; applied: string[] } {
  const r = rng((seed * 1_000_003 + index * 7919 + (kind === 'checkpoint' ? 1 : kind === 'config' ? 2 : 3)) >>> 0);
  if (kind === 'checkpoint') {
    const seedFile = checkpointSeeds[index % checkpointSeeds.length]!;
    const { bytes, applied } = mutateCheckpoint(new Uint8Array(readFileSync(seedFile)), r);
    return { bytes, seedFile, applied };
  }
  const seedFile = kind === 'config' ? configSeeds[index % configSeeds.length]! : statsSeed;
  const { text, applied } = mutateYaml(readFileSync(seedFile, 'utf8'), r);
  return { bytes: Buffer.from(text, 'utf8'), seedFile, applied };
}

/** Run one case; `dir` is a scratch folder for the checkpoint file. */
export async function runCase(kind: CaseKind, bytes: Uint8Array, dir: string, ctx: YamlContext | undefined, index: number): Promise<Outcome> {
  try {
    if (kind === 'checkpoint') {
      const path = join(dir, `case-${process.pid}.pth`);
      writeFileSync(path, bytes);
      await exerciseTorchFile(path);
      const ckpt = await loadCheckpoint(path);
      await translateLines(fp32Model(ckpt), ckpt.vocab, SENTENCE, SEARCH);
      return { kind: 'ok' };
    }
    if (!ctx) throw new Error('YAML cases need a YamlContext');
    const text = Buffer.from(bytes).toString('utf8');
    const config = kind === 'config' ? parseQuantConfig(text, 'fuzz.yaml') : ctx.configs[index % ctx.configs.length]!;
    const stats = kind === 'stats' ? parseStats(text, 'fuzz-stats.yaml') : ctx.stats;
    const { model } = quantizedModel(ctx.ckpt, config, stats);
    await translateLines(model, ctx.ckpt.vocab, SENTENCE, SEARCH);
    return { kind: 'ok' };
  } catch (e) {
    return classify(e);
  }
}

/** The library path: open, load every storage the root references, copy out every tensor. */
async function exerciseTorchFile(path: string): Promise<void> {
  const file = await openTorchFile(path);
  try {
    await file.loadStorages(file.storages.values());
    const root = file.root;
    const sd = root instanceof Map ? root.get('state_dict') : undefined;
    if (sd instanceof Map) for (const v of sd.values()) if (isTorchTensor(v)) tensorData(v);
  } finally {
    await file.close();
  }
}
