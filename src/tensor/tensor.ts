/**
 * A dense, row-major float32 tensor: a typed array plus its shape (transformers.js style).
 *
 * qnmt keeps activations in float32 everywhere, like the PyTorch reference; integer operands of the
 * quantized path live in plain typed arrays owned by the quantized wrappers (src/quant), not here.
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];

  constructor(data: Float32Array, shape: readonly number[]) {
    const n = numel(shape);
    if (data.length !== n) {
      throw new RangeError(`Tensor: size(${n}) of shape [${shape.join(', ')}] does not match data length(${data.length}).`);
    }
    this.data = data;
    this.shape = shape;
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(numel(shape)), shape);
  }

  get numel(): number {
    return this.data.length;
  }

  /** Size of the last dimension (the feature axis for (rows, features) views). */
  get lastDim(): number {
    return this.shape.length === 0 ? 1 : this.shape[this.shape.length - 1]!;
  }

  /** Number of rows when viewed as a 2-D (rows, lastDim) matrix. */
  get rows(): number {
    return this.lastDim === 0 ? 0 : this.data.length / this.lastDim;
  }

  /** Same data, new shape (no copy). */
  view(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  clone(): Tensor {
    return new Tensor(new Float32Array(this.data), [...this.shape]);
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
