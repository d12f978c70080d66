/**
 * Time one decoder step of beam search on the fixture (first test2016 batch: 128 sentences × beam
 * 10 = 1280 rows, T = 36) and split its CPU time (process.cpuUsage; run with --threads 1 for a
 * clean split, wall clock is shown too) into GEMM (all Linear products through the kernel seam),
 * log-softmax + top-k, and the rest (attention, LSTM element-wise, embedding, bookkeeping).
 *
 * With --full, a random-weight model of the WMT16 size (hidden 1024, vocabulary 32317) on random
 * source ids of length --src-len (default 30) instead of the fixture.
 *
 *   node dist/bench/decoder-step.js [--steps 10] [--backend NAME] [--threads N] [--full] [--src-len 30]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { buildGnmt } from '../src/model/build.js';
import { makeBatch, segment, tokenIds } from '../src/eval/dataset.js';
import { logSoftmaxTopK } from '../src/model/log-softmax-topk.js';
import { selectStateRows } from '../src/model/decoder.js';
import { Gnmt } from '../src/model/gnmt.js';
import { Embedding, Linear } from '../src/model/ops.js';
import { BahdanauAttention } from '../src/model/attention.js';
import { Tensor } from '../src/tensor/tensor.js';
import { kernels, selectBackend } from '../src/tensor/backend.js';
import { readLines } from '../src/text/text-lines.js';
import { fixtureDir } from '../test/paths.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '10' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    full: { type: 'boolean', default: false },
    'src-len': { type: 'string', default: '30' },
  },
});
const backend = await selectBackend(values.backend, values.threads ? Number(values.threads) : undefined);
let model: Gnmt;
let seqs: Int32Array[];
if (values.full) {
  const V = 32317;
  const H = 1024;
  model = new Gnmt({ vocabSize: V, hiddenSize: H, numLayers: 4, dropout: 0.2, shareEmbedding: true, math: 'fp32' });
  let seed = 1;
  const rand = (n: number, scale: number): Float32Array => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      x[i] = (seed / 2 ** 32 - 0.5) * 2 * scale;
    }
    return x;
  };
  for (const [, m] of model.namedModules()) {
    if (m instanceof Linear) {
      const w = new Tensor(rand(m.outFeatures * m.inFeatures, 1 / Math.sqrt(m.inFeatures)), [m.outFeatures, m.inFeatures]);
      m.setParameters(w, m.bias ? new Tensor(rand(m.outFeatures, 0.1), [m.outFeatures]) : null);
    } else if (m instanceof Embedding) {
      m.weight = new Tensor(rand(V * H, 0.1), [V, H]);
    } else if (m instanceof BahdanauAttention) {
      m.linearAtt = new Tensor(rand(H, 0.1), [H]);
      m.normalizeScalar = new Tensor(Float32Array.of(1 / Math.sqrt(H)), [1]);
      m.normalizeBias = new Tensor(rand(H, 0.1), [H]);
    }
  }
  const L = Number(values['src-len']);
  seqs = Array.from({ length: 128 }, (_, i) => {
    const len = Math.max(3, L - (i % 10));
    const ids = Int32Array.from(rand(len, 0.5), (v) => 4 + Math.floor((v + 0.5) * (V - 5)));
    ids[0] = 2;
    ids[len - 1] = 3;
    return ids;
  });
} else {
  const ckpt = await loadCheckpoint(join(fixtureDir, 'model_best.pth'));
  model = buildGnmt(ckpt);
  const tok2idx = tokenIds(ckpt.vocab);
  seqs = readLines(join(fixtureDir, 'data/test2016.tok.bpe.en')).slice(0, 128).map((l) => segment(l, tok2idx));
}
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
