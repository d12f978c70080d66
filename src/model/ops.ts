/**
 * The leaf operations of GNMT, one class per Distiller module type (gnmt-model.md §4, §5.1).
 * Every quantizable operation is its own object so that quantization can replace it by dotted name
 * (src/quant wraps these; it never re-implements the FP32 model).
 */
import { Tensor } from '../tensor/tensor.js';
import type { Kernels, PackedF32 } from '../tensor/kernels.js';
import { kernels } from '../tensor/backend.js';
import { add, bmm, concat, matvecLastDim, mul, sigmoid, softmaxLastDim, tanh } from '../tensor/ops.js';
import { Op } from './module.js';

/** nn.Linear: y = x Wᵀ + b over the last dimension. W is (out, in) as stored in the checkpoint. */
export class Linear extends Op {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;
  private packed?: { kernels: Kernels; handle: PackedF32 };

  constructor(inFeatures: number, outFeatures: number, hasBias = true) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = Tensor.zeros([outFeatures, inFeatures]);
    this.bias = hasBias ? Tensor.zeros([outFeatures]) : null;
  }

  /** Replace the parameters (checkpoint loading); the packed copy is rebuilt on next use. */
  setParameters(weight: Tensor, bias: Tensor | null): void {
    this.weight = weight;
    this.bias = bias;
    this.packed = undefined;
  }

  forward(x: Tensor): Tensor {
    if (x.lastDim !== this.inFeatures) {
      throw new RangeError(`Linear: input last dimension ${x.lastDim} != in_features ${this.inFeatures}`);
    }
    const k = kernels();
    if (this.packed?.kernels !== k) {
      this.packed = { kernels: k, handle: k.packF32(this.weight.data, this.outFeatures, this.inFeatures) };
    }
    const rows = x.rows;
    const out = new Float32Array(rows * this.outFeatures);
    k.gemmF32(x.data, rows, this.packed.handle, out, this.bias?.data);
    return new Tensor(out, [...x.shape.slice(0, -1), this.outFeatures]);
  }
}

/** nn.Embedding: ids (any shape, float32 holding integers) → (..., dim). */
export class Embedding extends Op {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = Tensor.zeros([numEmbeddings, embeddingDim]);
  }

  forward(ids: Tensor): Tensor {
    return gatherRows(this.weight.data, this.embeddingDim, this.numEmbeddings, ids);
  }
}

/** Rows of a (num, dim) table selected by ids; shared by the FP32 and the quantized embedding. */
export function gatherRows<T extends Float32Array>(table: T, dim: number, num: number, ids: Tensor): Tensor {
  const out = new Float32Array(ids.numel * dim);
  for (let i = 0; i < ids.numel; i++) {
    const id = ids.data[i]!;
    if (!(id >= 0 && id < num)) throw new RangeError(`Embedding: index ${id} out of range [0, ${num})`);
    out.set(table.subarray(id * dim, id * dim + dim), i * dim);
  }
  return new Tensor(out, [...ids.shape, dim]);
}

/** Distiller EltwiseAdd: running sum of the inputs, left to right, with broadcasting. */
export class EltwiseAdd extends Op {
  forward(...inputs: Tensor[]): Tensor {
    return inputs.slice(1).reduce((acc, t) => add(acc, t), inputs[0]!);
  }
}

/** Distiller EltwiseMult: running product of the inputs, left to right, with broadcasting. */
export class EltwiseMult extends Op {
  forward(...inputs: Tensor[]): Tensor {
    return inputs.slice(1).reduce((acc, t) => mul(acc, t), inputs[0]!);
  }
}

/** Distiller Matmul; GNMT uses it only as (…, K) · (K) → (…) (attention scores). */
export class Matmul extends Op {
  forward(a: Tensor, b: Tensor): Tensor {
    return matvecLastDim(a, b);
  }
}

/** Distiller BatchMatmul: (B, M, K) · (B, K, N) → (B, M, N). */
export class BatchMatmul extends Op {
  forward(a: Tensor, b: Tensor): Tensor {
    return bmm(a, b);
  }
}

/** Distiller Concat(dim). */
export class Concat extends Op {
  readonly dim: number;

  constructor(dim: number) {
    super();
    this.dim = dim;
  }

  forward(...inputs: Tensor[]): Tensor {
    return concat(inputs, this.dim);
  }
}

export class Sigmoid extends Op {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Op {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** nn.Softmax(dim=-1), the only softmax GNMT has. */
export class Softmax extends Op {
  forward(x: Tensor): Tensor {
    return softmaxLastDim(x);
  }
}

/** Dropout at inference: the identity (returns its input object, as PyTorch does in eval mode). */
export class Dropout extends Op {
  readonly p: number;

  constructor(p: number) {
    super();
    this.p = p;
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}
