// The wasm backend's exports (one module, imported shared memory, no runtime allocations).
export { gemmF32, packF32, gemmU8S8S32, widenU8, packS8 } from './gemm';
export {
  lstmCellF32, attentionF32, logSoftmaxTopKF32, quantizeU8, requantizeF32, pairLookupF32, attentionScoresU8, lstmTailU8,
} from './elementwise';

/** First byte after the module's static data (Math's exp/log tables): the host allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}
