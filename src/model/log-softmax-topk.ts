/**
 * log_softmax over the vocabulary followed by topk (GNMT `generate`), for each row of (R, V) logits.
 * Float32 semantics as PyTorch: lp = (x − max) − log(Σ exp(x − max)), each step rounded to float32.
 * Ties in the top-k are broken by the lower token id (PyTorch leaves this unspecified). The top-k is
 * selected on the logits (same order as the log-probabilities, which are computed for the k winners
 * only). The work is kernels().logSoftmaxTopKF32 (native when available; js reference otherwise).
 */
import { kernels } from '../tensor/backend.js';

export function logSoftmaxTopK(
  logits: Float32Array,
  rows: number,
  vocab: number,
  k: number,
): { ids: Int32Array; logprobs: Float32Array } {
  const ids = new Int32Array(rows * k);
  const logprobs = new Float32Array(rows * k);
  kernels().logSoftmaxTopKF32(logits, rows, vocab, k, ids, logprobs);
  return { ids, logprobs };
}
