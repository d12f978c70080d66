// The wasm backend's exports (one module, imported shared memory, no runtime allocations).
export { gemmF32, packF32, gemmU8S8S32, widenU8, packS8 } from './gemm';
