/**
 * The built-in backends and their priorities. backend.ts registers them at load time, so
 * `selectBackend('auto')` tries the native oneDNN kernels first, then the WebAssembly kernels, then the js reference.
 */
import type { Backend } from '../kernels.js';
import { jsRefBackend } from './js-ref.js';
import { onednnBackend } from './onednn.js';
import { wasmBackend } from './wasm.js';

export const builtinBackends: readonly { backend: Backend; priority: number }[] = [
  { backend: onednnBackend, priority: 100 },
  { backend: wasmBackend, priority: 50 },
  { backend: jsRefBackend, priority: 0 },
];

export { jsRefBackend, jsRefKernels, roundHalfEven } from './js-ref.js';
export { onednnBackend, onednnVersion, nativeAddonPath } from './onednn.js';
export { wasmBackend, createWasmBackend } from './wasm.js';
