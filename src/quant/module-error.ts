/**
 * Per-module quantization error: for every quantized wrapper, how far its output is from its own FP32
 * op on the same inputs, as the relative L2 error ‖y_q − y_fp32‖ / ‖y_fp32‖ summed over the calls of a
 * run. Measuring each module on the inputs it really receives isolates its own error from what the
 * modules before it did, which is what one needs to decide where a config should clip less or stay FP32.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { QuantWrapper } from './wrappers/index.js';

/** Relative L2 error per module name (null when the module never ran or its FP32 output was all zeros). */
export type ModuleErrors = Record<string, number | null>;

export async function measureModuleErrors(modules: ReadonlyMap<string, QuantWrapper>, run: () => Promise<void> | void): Promise<ModuleErrors> {
  const sums = new Map<string, { err: number; ref: number }>();
  const disposers: (() => void)[] = [];
  for (const [name, wrapper] of modules) {
    const acc = { err: 0, ref: 0 };
    sums.set(name, acc);
    disposers.push(
      wrapper.addForwardHook((_op, inputs: readonly Tensor[], output: Tensor) => {
        const reference = wrapper.wrapped.forward(...inputs).data;
        const q = output.data;
        for (let i = 0; i < q.length; i++) {
          const d = q[i]! - reference[i]!;
          acc.err += d * d;
          acc.ref += reference[i]! * reference[i]!;
        }
      }),
    );
  }
  try {
    await run();
  } finally {
    for (const dispose of disposers) dispose();
  }
  const out: ModuleErrors = {};
  for (const [name, { err, ref }] of sums) out[name] = ref > 0 ? Math.sqrt(err / ref) : null;
  return out;
}
