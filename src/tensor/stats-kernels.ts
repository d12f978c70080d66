/**
 * Kernels for statistics collection at batch speed (quantization.md §3): per-sample reductions of
 * tensors that the batched model computes, or recomputes, without materialising Distiller's per-call
 * tensors. Part of the kernel seam (kernels.ts): optional for a backend, the js reference fills gaps.
 *
 * A quad is [min, max, Σx, Σx²] of one sample (one row), sums in float64.
 */
export const QUAD = 4;

/** The tensors of the LSTM cell tail that `lstmTailStatsF32` reduces, in its output order. */
export const LSTM_TAIL_TENSORS = ['zi', 'zf', 'zg', 'zo', 'i', 'f', 'g', 'o', 'cf', 'ci', 'c', 'tc', 'h'] as const;

export interface StatsKernels {
  /** Quad of each row of x (rows, cols) into out (rows·4). */
  rowStatsF32?(x: Float32Array, rows: number, cols: number, out: Float64Array): void;
  /**
   * The LSTM cell tail of lstmCellF32 (same inputs, same float32 arithmetic as the backend's
   * lstmCellF32, so the values are those the cell propagates) reduced per row instead of written:
   * out (m, 13, 4) holds the quads of z_i, z_f, z_g, z_o (the gate pre-activations z = gatesX +
   * gatesH), their activations i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o), cf = f·cPrev,
   * ci = i·g, c = cf + ci, tc = tanh(c) and h = o·tc, each over `hidden` values (LSTM_TAIL_TENSORS).
   */
  lstmTailStatsF32?(
    m: number,
    hidden: number,
    gatesX: Float32Array,
    gatesH: Float32Array | null,
    cPrev: Float32Array | null,
    out: Float64Array,
  ): void;
  /**
   * The attention score chain of attentionF32 over every position j < T (padded ones included, as
   * Distiller's ops see them), reduced per row: for row r of sentence s = rowSentence[r],
   * x = f32(query[r,h] + keys[s,j,h]), b = f32(x + bias[h]), t = tanh(b) (the backend's attentionF32
   * tanh); out (rows, 3, 4) holds the quads of x, b and t over the T·units values of the row, and
   * scores (rows, T) the unmasked scores f32(Σ_h t·att[h]) (as attentionF32 computes them for j < n).
   * keys (S, T, units) with S = ⌊keys.length / (T·units)⌋.
   */
  attentionScoreStatsF32?(
    rows: number,
    T: number,
    units: number,
    query: Float32Array,
    keys: Float32Array,
    rowSentence: Int32Array,
    bias: Float32Array,
    att: Float32Array,
    scores: Float32Array,
    out: Float64Array,
  ): void;
}
