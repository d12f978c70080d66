/**
 * Backend registration and selection (onnxruntime-js style): backends register with a priority;
 * `selectBackend` initialises the requested one, or the best available one, once. Failed backends are
 * skipped and, if none works, one error lists every reason. The chosen kernels are then process-wide.
 */
import type { AllKernels, Backend, Kernels } from './kernels.js';
import { maxThreads } from '../limits.js';
import { jsRefKernels } from './backends/js-ref.js';
import { builtinBackends } from './backends/index.js';

interface Registered {
  backend: Backend;
  priority: number;
}

const registry = new Map<string, Registered>();
let active: { name: string; kernels: AllKernels; threads: number; detail?: string } = { name: 'js', kernels: jsRefKernels, threads: 1 };

export function registerBackend(backend: Backend, priority: number): void {
  const existing = registry.get(backend.name);
  if (existing && existing.backend !== backend) throw new Error(`backend "${backend.name}" is already registered`);
  registry.set(backend.name, { backend, priority });
}

for (const { backend, priority } of builtinBackends) registerBackend(backend, priority);

export function registeredBackends(): string[] {
  return [...registry.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
}

/**
 * Initialise and activate a backend. `hint` is a backend name, or 'auto' (default: the environment's
 * QNMT_BACKEND, else 'auto') for the highest-priority backend that initialises. `log` receives the
 * line saying which backend runs (default: stderr, `qnmt: backend wasm × 2 threads (relaxed SIMD)`;
 * pass `() => {}` for silence).
 */
export async function selectBackend(hint?: string, threads?: number, log: (line: string) => void = logToStderr): Promise<string> {
  const want = hint ?? process.env['QNMT_BACKEND'] ?? 'auto';
  const nThreads = threads ?? (Number(process.env['QNMT_THREADS']) || defaultThreads());
  // Far more threads than cores only slows down, and oneDNN crashes on absurd counts (100000).
  if (!Number.isSafeInteger(nThreads) || nThreads < 1 || nThreads > maxThreads()) {
    throw new RangeError(`${threads === undefined ? `QNMT_THREADS=${process.env['QNMT_THREADS']}` : `${nThreads} threads`}: use 1 to ${maxThreads()} threads on this machine`);
  }
  const candidates = want === 'auto' ? registeredBackends() : [want];
  const reasons: string[] = [];
  for (const name of candidates) {
    const entry = registry.get(name);
    if (!entry) {
      throw new RangeError(`Unsupported backend: "${name}". Should be one of: ${registeredBackends().join(', ')}, auto.`);
    }
    try {
      const kernels = await entry.backend.init({ threads: nThreads });
      const detail = entry.backend.describe?.();
      active = { name, kernels: withFallbacks(kernels), threads: nThreads, ...(detail ? { detail } : {}) };
      log(backendLine());
      return name;
    } catch (e) {
      reasons.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend could be initialised:\n  ${reasons.join('\n  ')}`);
}

/**
 * The active kernels (the js reference until `selectBackend` picks another), with every optional
 * elementwise kernel present (the js reference fills the gaps).
 */
export function kernels(): AllKernels {
  return active.kernels;
}

function withFallbacks(k: Kernels): AllKernels {
  return { ...jsRefKernels, ...k };
}

export function activeBackend(): { name: string; threads: number; detail?: string } {
  return { name: active.name, threads: active.threads, ...(active.detail ? { detail: active.detail } : {}) };
}

/** 'backend wasm × 2 threads (relaxed SIMD)': which kernels run. */
export function backendLine(): string {
  return `backend ${active.name} × ${active.threads} thread${active.threads === 1 ? '' : 's'}${active.detail ? ` (${active.detail})` : ''}`;
}

function logToStderr(line: string): void {
  process.stderr.write(`qnmt: ${line}\n`);
}

function defaultThreads(): number {
  return 2;
}
