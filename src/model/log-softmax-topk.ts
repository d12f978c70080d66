/**
 * log_softmax over the vocabulary followed by topk (GNMT `generate`), for each row of (R, V) logits.
 * Float32 semantics as PyTorch: lp = (x − max) − log(Σ exp(x − max)), each step rounded to float32.
 * Ties in the top-k are broken by the lower token id (PyTorch leaves this unspecified). The top-k is
 * selected on the logits (same order as the log-probabilities, which are computed for the k winners only).
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
    // Pass 1: top-k of the logits (log_softmax is monotone), ties → lower id; topV[0] is the max.
    let filled = 0;
    for (let j = 0; j < vocab; j++) {
      const x = logits[off + j]!;
      if (filled === k && !(x > topV[k - 1]!)) continue;
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && x > topV[p - 1]!) {
        topV[p] = topV[p - 1]!;
        topI[p] = topI[p - 1]!;
        p--;
      }
      topV[p] = x;
      topI[p] = j;
    }
    const max = topV[0]!;
    // Pass 2: the normaliser.
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[off + j]! - max);
    const lse = fr(Math.log(sum));
    for (let i = 0; i < k; i++) {
      // Float32 rounding can make neighbours equal; equal log-probabilities keep the lower id first.
      const lp = fr(fr(topV[i]! - max) - lse);
      let p = i;
      while (p > 0 && lp === logprobs[r * k + p - 1]! && topI[i]! < ids[r * k + p - 1]!) {
        logprobs[r * k + p] = logprobs[r * k + p - 1]!;
        ids[r * k + p] = ids[r * k + p - 1]!;
        p--;
      }
      logprobs[r * k + p] = lp;
      ids[r * k + p] = topI[i]!;
    }
  }
  return { ids, logprobs };
}

