/**
 * log_softmax over the vocabulary followed by topk (GNMT `generate`), for each row of (R, V) logits.
 * Float32 semantics as PyTorch: lp = (x − max) − log(Σ exp(x − max)), each step rounded to float32.
 * Ties in the top-k are broken by the lower token id (PyTorch leaves this unspecified).
 */
export function logSoftmaxTopK(
  logits: Float32Array,
  rows: number,
  vocab: number,
  k: number,
): { ids: Int32Array; logprobs: Float32Array } {
  const ids = new Int32Array(rows * k);
  const logprobs = new Float32Array(rows * k);
  const fr = Math.fround;
  const topV = new Float64Array(k);
  const topI = new Int32Array(k);
  for (let r = 0; r < rows; r++) {
    const off = r * vocab;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) {
      const x = logits[off + j]!;
      if (x > max) max = x;
    }
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[off + j]! - max);
    const lse = fr(Math.log(sum));
    // Top-k on the float32 log-probabilities themselves (rounding can create ties the logits lack).
    let filled = 0;
    for (let j = 0; j < vocab; j++) {
      const lp = fr(fr(logits[off + j]! - max) - lse);
      if (filled === k && !(lp > topV[k - 1]!)) continue;
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && lp > topV[p - 1]!) {
        topV[p] = topV[p - 1]!;
        topI[p] = topI[p - 1]!;
        p--;
      }
      topV[p] = lp;
      topI[p] = j;
    }
    for (let i = 0; i < k; i++) {
      ids[r * k + i] = topI[i]!;
      logprobs[r * k + i] = topV[i]!;
    }
  }
  return { ids, logprobs };
}
