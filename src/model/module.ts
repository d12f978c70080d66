/**
 * Module tree with Distiller's dotted names (PyTorch `named_modules()` semantics).
 *
 * - Children are registered in order under their upstream attribute names (`fc_gate_x`,
 *   `rnn_layers`, `0`, …), so a dotted path such as `decoder.att_rnn.rnn.cells.0.fc_gate_x`
 *   addresses a module exactly as in Distiller: stats YAML files and override regexes apply unchanged.
 * - Parents always reach a child through `child()`, never through a cached field, so
 *   `setModule(name, wrapper)` really replaces the operation (this is how quantization wraps the
 *   FP32 model instead of forking it).
 * - `Op` is a leaf operation whose calls can be watched in two ways. Forward hooks see the real
 *   tensors of every call, so the model then calls the op exactly as Distiller does (slow, the
 *   reference). Call recorders accept calls described by per-sample reductions (SampleStats): the
 *   model keeps its batched, fused computation and reports with `recordCall` the calls Distiller
 *   would have made (statistics collection at batch speed).
 */
import type { Tensor } from '../tensor/tensor.js';
import type { SampleStats } from '../tensor/sample-stats.js';

export abstract class Module {
  private readonly childMap = new Map<string, Module>();

  /** Register (or replace) a direct child under its upstream attribute name. */
  protected register<M extends Module>(name: string, module: M): M {
    this.childMap.set(name, module);
    return module;
  }

  /** Direct child by attribute name; throws if absent (a programming error, not a user error). */
  child<M extends Module = Module>(name: string): M {
    const m = this.childMap.get(name);
    if (!m) throw new TypeError(`${this.constructor.name}: no child module '${name}'.`);
    return m as M;
  }

  /** Direct children in registration order. */
  children(): IterableIterator<[string, Module]> {
    return this.childMap.entries();
  }

  /**
   * Every module below (and including) this one with its dotted name, depth first, parents before
   * children, each module object once (a shared module keeps its first name, as in PyTorch).
   */
  *namedModules(prefix = '', seen: Set<Module> = new Set()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    if (prefix !== '') yield [prefix, this];
    for (const [name, m] of this.childMap) {
      yield* m.namedModules(prefix === '' ? name : `${prefix}.${name}`, seen);
    }
  }

  /** Every name under which each module is reachable, shared modules included (`decoder.embedder`). */
  *allNamedModules(prefix = ''): Generator<[string, Module]> {
    if (prefix !== '') yield [prefix, this];
    for (const [name, m] of this.childMap) yield* m.allNamedModules(prefix === '' ? name : `${prefix}.${name}`);
  }

  /** The module at a dotted path, or undefined. */
  getModule(path: string): Module | undefined {
    let m: Module | undefined = this;
    for (const part of path.split('.')) {
      m = m.childMap.get(part);
      if (!m) return undefined;
    }
    return m;
  }

  /** Replace the module at a dotted path. Returns the module that was there. */
  setModule(path: string, replacement: Module): Module {
    const cut = path.lastIndexOf('.');
    const parent = cut < 0 ? this : this.getModule(path.slice(0, cut));
    const name = path.slice(cut + 1);
    const old = parent?.childMap.get(name);
    if (!parent || !old) throw new RangeError(`setModule: no module named '${path}'.`);
    parent.childMap.set(name, replacement);
    return old;
  }

  /** True for modules without children (Distiller's stats collector observes these). */
  get isLeaf(): boolean {
    return this.childMap.size === 0;
  }
}

/** Called after an Op ran, with its positional inputs and its output. */
export type ForwardHook = (op: Op, inputs: readonly Tensor[], output: Tensor) => void;

/** A tensor of a call as a recorder sees it: the tensor, or the per-sample reductions of one never built. */
export type RecordedTensor = Tensor | SampleStats;

/** Receives the calls of an op (real ones from `call`, reported ones from `recordCall`). */
export type CallRecorder = (op: Op, inputs: readonly RecordedTensor[], output: RecordedTensor) => void;

/** A leaf operation: positional tensor inputs, one tensor output, observable. */
export abstract class Op extends Module {
  private readonly hooks: ForwardHook[] = [];
  private readonly recorders: CallRecorder[] = [];

  /** The computation. Callers use `call`, which also runs the hooks and recorders. */
  abstract forward(...inputs: Tensor[]): Tensor;

  call(...inputs: Tensor[]): Tensor {
    const output = this.forward(...inputs);
    for (const hook of this.hooks) hook(this, inputs, output);
    for (const recorder of this.recorders) recorder(this, inputs, output);
    return output;
  }

  /**
   * Report a call that Distiller's model makes but the batched model computed otherwise (part of a
   * larger product, inside a fused kernel): its inputs and output as tensors or per-sample reductions.
   */
  recordCall(inputs: readonly RecordedTensor[], output: RecordedTensor): void {
    for (const recorder of this.recorders) recorder(this, inputs, output);
  }

  /** Attach a call recorder; returns its disposer. */
  addCallRecorder(recorder: CallRecorder): () => void {
    this.recorders.push(recorder);
    return () => {
      const i = this.recorders.indexOf(recorder);
      if (i >= 0) this.recorders.splice(i, 1);
    };
  }

  /** Whether calls are recorded: the model must then report, with `recordCall`, the calls it batches. */
  get recorded(): boolean {
    return this.recorders.length > 0;
  }

  /** Attach a hook; returns its disposer. */
  addForwardHook(hook: ForwardHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** Whether anything observes this op (callers may then have to call it at Distiller's granularity). */
  get observed(): boolean {
    return this.hooks.length > 0;
  }
}
