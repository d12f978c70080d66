/**
 * Parameterless containers that only exist to reproduce PyTorch's dotted names: `nn.ModuleList`
 * (children named `0`, `1`, …) and a plain named container.
 */
import { Module } from './module.js';

/** nn.ModuleList: children registered under their index. */
export class ModuleList<M extends Module = Module> extends Module {
  private count = 0;

  constructor(items: readonly M[] = []) {
    super();
    for (const m of items) this.append(m);
  }

  append(module: M): this {
    this.register(String(this.count++), module);
    return this;
  }

  get length(): number {
    return this.count;
  }

  /** The current module at index i (looked up each time: quantization may have replaced it). */
  at(i: number): M {
    return this.child<M>(String(i));
  }
}
