/**
 * Time one decoder step of beam search on the fixture (first test2016 batch: 128 sentences × beam
 * 10 = 1280 rows, T = 36) and split its CPU time (process.cpuUsage; run with --threads 1 for a
 * clean split, wall clock is shown too) into GEMM (all Linear products through the kernel seam),
 * log-softmax + top-k, and the rest (attention, LSTM element-wise, embedding, bookkeeping).
 *
 *   node dist/bench/decoder-step.js [--steps 10] [--backend NAME] [--threads N]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { buildGnmt } from '../src/model/build.js';
import { makeBatch, segment, tokenIds } from '../src/eval/dataset.js';
import { logSoftmaxTopK } from '../src/model/log-softmax-topk.js';
import { selectStateRows } from '../src/model/decoder.js';
import { kernels, selectBackend } from '../src/tensor/backend.js';
import { readLines } from '../src/text/text-lines.js';
import { fixtureDir } from '../test/paths.js';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '10' }, backend: { type: 'string' }, threads: { type: 'string' } } });
const backend = await selectBackend(values.backend, values.threads ? Number(values.threads) : undefined);
const ckpt = await loadCheckpoint(join(fixtureDir, 'model_best.pth'));
const model = buildGnmt(ckpt);
const tok2idx = tokenIds(ckpt.vocab);
const seqs = readLines(join(fixtureDir, 'data/test2016.tok.bpe.en')).slice(0, 128).map((l) => segment(l, tok2idx));
const batch = makeBatch(seqs, 0, 128);
let t = performance.now();
let cpu = process.cpuUsage();
const keys = model.encode(batch.src, batch.lengths, batch.T);
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
console.log(`backend ${backend}; encoder (128 × ${batch.T}): ${(performance.now() - t).toFixed(1)} ms wall, ${cpuMs(process.cpuUsage(cpu)).toFixed(1)} ms CPU`);
t = performance.now();
model.encode(batch.src, batch.lengths, batch.T);
console.log(`encoder again (warm): ${(performance.now() - t).toFixed(1)} ms`);
cpu = process.cpuUsage();

// CPU milliseconds of this process (with one kernel thread, that is the compute time even on a busy machine).
const now = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// Time every Linear's GEMM by wrapping the kernel call.
const k = kernels();
const gemm = k.gemmF32.bind(k);
let gemmMs = 0;
k.gemmF32 = (a, m, w, c, bias) => {
  const t0 = now();
  gemm(a, m, w, c, bias);
  gemmMs += now() - t0;
};

const R = 1280;
const K = 10;
const rowSentence = Int32Array.from({ length: R }, (_, i) => Math.floor(i / K));
let words = new Int32Array(R).fill(2);
let state = null;
const steps = Number(values.steps);
let stepMs = 0;
let topkMs = 0;
let reorderMs = 0;
const wall0 = performance.now();
for (let s = 0; s < steps; s++) {
  const t0 = now();
  const out = model.decoder.step(words, keys, rowSentence, state);
  const t1 = now();
  const { ids } = logSoftmaxTopK(out.logits.data, R, out.logits.lastDim, K);
  const t2 = now();
  const perm = Int32Array.from({ length: R }, (_, i) => (i * 7) % R);
  state = selectStateRows(out.state, perm);
  const t3 = now();
  words = Int32Array.from({ length: R }, (_, i) => ids[i * K]!);
  stepMs += t1 - t0;
  topkMs += t2 - t1;
  reorderMs += t3 - t2;
}
const wall = performance.now() - wall0;
const per = (x: number): string => `${(x / steps).toFixed(1)} ms`;
console.log(
  `per step (${R} rows), CPU: decoder ${per(stepMs)} (GEMM ${per(gemmMs)}, other ${per(stepMs - gemmMs)}), ` +
    `log-softmax+top-k ${per(topkMs)}, state reorder ${per(reorderMs)}; wall ${per(wall)}`,
);
