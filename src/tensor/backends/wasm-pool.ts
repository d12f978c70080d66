/**
 * Synchronous fork-join over worker threads for the wasm backend. The model calls kernels inline, so a
 * call cannot await: the calling thread publishes a job in a small shared control block, wakes the
 * workers with Atomics.notify, runs its own share (tid 0) and then blocks in Atomics.wait until every
 * worker has finished its share. Workers run the same wasm module on the same shared memory; every
 * exported kernel takes (…, tid, nt) and computes its own part, so a job is just an export name and
 * numbers. Atomics.wait is not allowed on a browser page's main thread: there qnmt runs in a worker.
 */

/** Exports that can run as parallel jobs, by index (the control block carries the index). */
export const PARALLEL_OPS = [
  'gemmF32',
  'gemmU8S8S32',
  'lstmCellF32',
  'attentionF32',
  'logSoftmaxTopKF32',
  'quantizeU8',
  'requantizeF32',
  'pairLookupF32',
  'attentionScoresU8',
  'lstmTailU8',
] as const;
export type ParallelOp = (typeof PARALLEL_OPS)[number];

/** The module's exported functions (kernels return nothing; heapBase returns a number). */
export type KernelExports = Record<string, (...args: number[]) => number | void>;

// Control block: int32 slots, then float64 arguments from byte ARGS_BYTE.
const GENERATION = 0;
const FINISHED = 1;
const OP = 2;
const ARG_COUNT = 3;
const ARGS_BYTE = 64;
const MAX_ARGS = 32;
export const CONTROL_BYTES = ARGS_BYTE + 8 * MAX_ARGS;
const EXIT = -1;

/** What a worker needs to join: the compiled module, the memory, the control block and its index. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  tid: number;
  threads: number;
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel aborted');
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}

/**
 * A worker's life: instantiate, report ready (the caller publishes no job before every worker is
 * ready, so none is missed), then run its share of every published job until told to exit.
 */
export function serveJobs(init: WorkerInit, ready: () => void): void {
  const exports = instantiateKernels(init.module, init.memory);
  const ctl = new Int32Array(init.control);
  const args = new Float64Array(init.control, ARGS_BYTE, MAX_ARGS);
  let seen = Atomics.load(ctl, GENERATION);
  ready();
  for (;;) {
    Atomics.wait(ctl, GENERATION, seen);
    const generation = Atomics.load(ctl, GENERATION);
    if (generation === seen) continue;
    seen = generation;
    const op = Atomics.load(ctl, OP);
    if (op === EXIT) return;
    const n = Atomics.load(ctl, ARG_COUNT);
    const call = exports[PARALLEL_OPS[op]!]!;
    try {
      call(...Array.from(args.subarray(0, n)), init.tid, init.threads);
    } finally {
      if (Atomics.add(ctl, FINISHED, 1) === init.threads - 2) Atomics.notify(ctl, FINISHED);
    }
  }
}

/** The calling thread's side of the pool. */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;

  constructor(
    private readonly exports: KernelExports,
    readonly control: SharedArrayBuffer,
    readonly threads: number,
  ) {
    this.ctl = new Int32Array(control);
    this.args = new Float64Array(control, ARGS_BYTE, MAX_ARGS);
  }

  /** Run `op(...args, tid, threads)` for every tid, this thread taking tid 0; returns when all are done. */
  run(op: ParallelOp, args: readonly number[], parallel = true): void {
    const call = this.exports[op]!;
    if (!parallel || this.threads === 1) {
      call(...args, 0, 1);
      return;
    }
    const ctl = this.ctl;
    this.args.set(args);
    Atomics.store(ctl, OP, PARALLEL_OPS.indexOf(op));
    Atomics.store(ctl, ARG_COUNT, args.length);
    Atomics.store(ctl, FINISHED, 0);
    Atomics.add(ctl, GENERATION, 1);
    Atomics.notify(ctl, GENERATION);
    call(...args, 0, this.threads);
    const workers = this.threads - 1;
    for (let done = Atomics.load(ctl, FINISHED); done < workers; done = Atomics.load(ctl, FINISHED)) {
      Atomics.wait(ctl, FINISHED, done);
    }
  }

  /** Tell every worker to return (they exit once their loop ends). */
  stop(): void {
    Atomics.store(this.ctl, OP, EXIT);
    Atomics.add(this.ctl, GENERATION, 1);
    Atomics.notify(this.ctl, GENERATION);
  }
}
