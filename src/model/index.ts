export { Module, Op } from './module.js';
export type { ForwardHook } from './module.js';
export * from './ops.js';
export { ModuleList } from './containers.js';
export { DistillerLSTM, DistillerLSTMCell } from './lstm.js';
export type { LstmState } from './lstm.js';
export type {
  AttentionScoresFusion, AttentionScoresKernel, LstmTailFusion, LstmTailKernel, LstmTailOps, RowsBatchMatmul,
} from './fused-capabilities.js';
export { BahdanauAttention } from './attention.js';
export type { AttentionKeys } from './attention.js';
export { ResidualRecurrentEncoder } from './encoder.js';
export { ResidualRecurrentDecoder, RecurrentAttention, Classifier } from './decoder.js';
export type { DecoderState } from './decoder.js';
export { Gnmt } from './gnmt.js';
export type { GnmtConfig, GenerateResult } from './gnmt.js';
export { buildGnmt } from './build.js';
export type { GnmtWeights } from './build.js';
