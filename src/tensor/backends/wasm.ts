/**
 * The `wasm` backend: WebAssembly SIMD128 kernels (wasm/assembly/, compiled with AssemblyScript at
 * install time; no system compiler) on worker threads that share one WebAssembly.Memory. It runs
 * wherever Node does, so it is what `auto` picks when the native oneDNN addon is not built.
 *
 * Where the engine accepts relaxed SIMD (WebAssembly.validate on the relaxed build; on by default in
 * Node ≥ 22 and Chromium, behind a V8 flag in Node 20, which is switched on here) the relaxed build
 * runs (fused multiply-add for float32); otherwise the plain SIMD128 build. Integer results are the
 * same in both. QNMT_WASM_SIMD=plain forces the plain build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Backend, Kernels } from '../kernels.js';
import { SharedHeap } from './wasm-heap.js';
import { makeWasmKernels } from './wasm-kernels.js';
import { CONTROL_BYTES, instantiateKernels, ThreadPool, type WorkerInit } from './wasm-pool.js';

const buildDir = join('wasm', 'build');
const MAX_PAGES = 65536;

/** wasm/build/ in the first folder above this module that has one (the package root). */
export function wasmBuildPath(file: string): string {
  const override = process.env['QNMT_WASM_DIR'];
  if (override) return resolve(override, file);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, buildDir, file))) return join(dir, buildDir, file);
    if (dirname(dir) === dir) break;
  }
  return resolve(buildDir, file);
}

function readBuild(file: string): Uint8Array<ArrayBuffer> {
  const path = wasmBuildPath(file);
  if (!existsSync(path)) throw new Error(`wasm kernels not built: ${path} does not exist (build them with: node wasm/build.mjs)`);
  return new Uint8Array(readFileSync(path));
}

/** Whether this engine validates the relaxed build, enabling Node 20's flag first if needed. */
function relaxedSupported(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(bytes);
}

interface Loaded {
  module: WebAssembly.Module;
  relaxed: boolean;
  memory: WebAssembly.Memory;
  heap: SharedHeap;
  exports: ReturnType<typeof instantiateKernels>;
  running?: { pool: { current: ThreadPool }; workers: Worker[]; kernels: Kernels };
}

/** 'auto': relaxed where supported; 'plain': the SIMD128 build. One memory and pool per build. */
type Build = 'auto' | 'plain';
const loaded = new Map<Build, Loaded>();

function load(build: Build): Loaded {
  const cached = loaded.get(build);
  if (cached) return cached;
  const relaxedBytes = readBuild('qnmt-relaxed.wasm');
  const relaxed = build === 'auto' && process.env['QNMT_WASM_SIMD'] !== 'plain' && relaxedSupported(relaxedBytes);
  const bytes = relaxed ? relaxedBytes : readBuild('qnmt-simd.wasm');
  if (!WebAssembly.validate(bytes)) throw new Error('this JavaScript engine lacks WebAssembly SIMD128 or threads');
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  const exports = instantiateKernels(module, memory);
  const l: Loaded = { module, relaxed, memory, heap: new SharedHeap(memory, exports['heapBase']!() as number), exports };
  loaded.set(build, l);
  return l;
}

async function startWorkers(l: Loaded, threads: number): Promise<{ pool: ThreadPool; workers: Worker[] }> {
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let tid = 1; tid < threads; tid++) {
    const init: WorkerInit = { module: l.module, memory: l.memory, control, tid, threads };
    const worker = new Worker(new URL('./wasm-worker.js', import.meta.url), { workerData: init });
    workers.push(worker);
    ready.push(
      new Promise((res, rej) => {
        worker.once('message', () => res());
        worker.once('error', rej);
        worker.once('exit', (code) => rej(new Error(`wasm worker exited with code ${code} before starting`)));
      }),
    );
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw new Error(`wasm worker threads failed to start: ${(e as Error).message}`);
  }
  // Idle workers block in Atomics.wait; they must not keep the process alive.
  for (const w of workers) w.unref();
  return { pool: new ThreadPool(l.exports, control, threads), workers };
}

/** The backend over one build ('plain' exists for tests and comparisons; selection uses `wasmBackend`). */
export function createWasmBackend(build: Build = 'auto'): Backend {
  return {
    name: build === 'auto' ? 'wasm' : 'wasm-simd128',
    async init({ threads }) {
      const l = load(build);
      if (!l.running) {
        const started = await startWorkers(l, threads);
        const pool = { current: started.pool };
        l.running = { pool, workers: started.workers, kernels: makeWasmKernels(l.exports, l.heap, pool) };
      } else if (l.running.pool.current.threads !== threads) {
        const started = await startWorkers(l, threads);
        l.running.pool.current.stop();
        for (const w of l.running.workers) void w.terminate();
        l.running.pool.current = started.pool;
        l.running.workers = started.workers;
      }
      return l.running.kernels;
    },
    describe() {
      const l = loaded.get(build);
      return l ? (l.relaxed ? 'relaxed SIMD' : 'SIMD128') : undefined;
    },
  };
}

export const wasmBackend: Backend = createWasmBackend('auto');
