export { QuantWrapper, activationParams, type ModuleQuantSettings, type QTensor, type QParamsJson, type WrapperDescription } from './common.js';
export { QuantLinear } from './quant-linear.js';
export { QuantEmbedding } from './quant-embedding.js';
export { QuantEltwiseAdd } from './quant-eltwise-add.js';
export { QuantEltwiseMult } from './quant-eltwise-mult.js';
export { QuantMatmul } from './quant-matmul.js';
export { QuantBatchMatmul } from './quant-batch-matmul.js';
export { QuantConcat } from './quant-concat.js';
export { FusedQuantScores } from './quant-attention.js';
