/**
 * How far a model's output distribution is from FP32's: the mean KL divergence KL(P_fp32 ‖ P_model)
 * of the next-token distributions along FP32's own greedy translations (teacher forcing, so both
 * models see the same prefixes and every position is compared). One forward pass per sentence, no
 * search: cheap enough to run once per module, and it sees what a per-module L2 error misses — e.g.
 * clipping the classifier's largest logits changes which token wins.
 */
import type { Gnmt } from '../model/gnmt.js';
import type { AttentionKeys } from '../model/attention.js';
import { QuantWrapper } from '../quant/wrappers/index.js';
import type { DecoderState } from '../model/decoder.js';
import { greedySearch } from '../decode/greedy.js';
import { batchRanges, makeBatch, segment, tokenIds, type SourceBatch } from './dataset.js';

interface ReferenceBatch {
  readonly batch: SourceBatch;
  /** FP32 greedy output per row (BOS first), and its length including BOS and EOS. */
  readonly targets: readonly Int32Array[];
  readonly lengths: Int32Array;
  /** FP32's encoder output (reused for models whose encoder is FP32). */
  readonly keys: AttentionKeys;
  /** FP32 log-probabilities per decoder step t (predicting token t+1): rows × vocabulary. */
  readonly logprobs: Float32Array[];
}

/** FP32's greedy paths and log-probabilities on a slice: what `outputDivergence` compares against. */
export interface ReferencePaths {
  readonly batches: readonly ReferenceBatch[];
  /** Positions compared (tokens predicted, EOS included). */
  readonly positions: number;
}

export function referencePaths(fp32: Gnmt, vocab: readonly string[], lines: readonly string[], maxLen: number, batchSize = 64): ReferencePaths {
  const tok2idx = tokenIds(vocab);
  const seqs = lines.map((l) => segment(l, tok2idx));
  const batches: ReferenceBatch[] = [];
  let positions = 0;
  for (const [start, end] of batchRanges(lines.length, batchSize)) {
    const batch = makeBatch(seqs, start, end);
    const keys = fp32.encode(batch.src, batch.lengths, batch.T);
    const path = greedySearch(fp32, keys, maxLen);
    const logprobs: Float32Array[] = [];
    forcedSteps(fp32, path.translations, path.lengths, (_t, lp) => logprobs.push(lp), keys);
    for (const len of path.lengths) positions += len - 1;
    batches.push({ batch, targets: path.translations, lengths: path.lengths, keys, logprobs });
  }
  return { batches, positions };
}

/** Mean KL(P_fp32 ‖ P_model) per compared position, in nats. */
export function outputDivergence(model: Gnmt, ref: ReferencePaths): number {
  let sum = 0;
  const fp32Encoder = ![...model.encoder.namedModules()].some(([, m]) => m instanceof QuantWrapper);
  for (const rb of ref.batches) {
    const keys = fp32Encoder ? rb.keys : model.encode(rb.batch.src, rb.batch.lengths, rb.batch.T);
    forcedSteps(model, rb.targets, rb.lengths, (t, lp, V) => {
      const p = rb.logprobs[t]!;
      for (let r = 0; r < rb.targets.length; r++) {
        if (t + 1 >= rb.lengths[r]!) continue; // this row's path ended
        let kl = 0;
        for (let v = r * V; v < (r + 1) * V; v++) kl += Math.exp(p[v]!) * (p[v]! - lp[v]!);
        sum += kl;
      }
    }, keys);
  }
  return ref.positions > 0 ? sum / ref.positions : 0;
}

/**
 * Run the decoder along given paths (all rows, as many steps as the longest path) and hand each step's
 * log-softmax (rows × V) to `onStep`.
 */
function forcedSteps(
  model: Gnmt,
  targets: readonly Int32Array[],
  lengths: Int32Array,
  onStep: (t: number, logprobs: Float32Array, V: number) => void,
  encoded: AttentionKeys,
): void {
  const R = targets.length;
  const rows = Int32Array.from({ length: R }, (_, i) => i);
  const steps = Math.max(...lengths) - 1;
  let state: DecoderState | null = null;
  for (let t = 0; t < steps; t++) {
    const words = Int32Array.from(targets, (row) => row[t]!);
    const { logits, state: next } = model.decoder.step(words, encoded, rows, state);
    state = next;
    onStep(t, logSoftmax(logits.data, R, logits.lastDim), logits.lastDim);
  }
}

function logSoftmax(x: Float32Array, rows: number, V: number): Float32Array {
  const out = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let v = r * V; v < (r + 1) * V; v++) if (x[v]! > max) max = x[v]!;
    let s = 0;
    for (let v = r * V; v < (r + 1) * V; v++) s += Math.exp(x[v]! - max);
    const lse = max + Math.log(s);
    for (let v = r * V; v < (r + 1) * V; v++) out[v] = x[v]! - lse;
  }
  return out;
}
