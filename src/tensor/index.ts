export { Tensor, numel } from './tensor.js';
export type { Kernels, AllKernels, Backend, PackedF32, PackedS8 } from './kernels.js';
export { registerBackend, selectBackend, kernels, activeBackend, backendLine, registeredBackends } from './backend.js';
