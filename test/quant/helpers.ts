/** Test helpers: hand-built Module trees with Distiller names, seeded random data. */
import { Module, Op } from '../../src/model/module.js';
import { BatchMatmul, Concat, Dropout, EltwiseAdd, EltwiseMult, Embedding, Linear, Matmul } from '../../src/model/ops.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { selectBackend } from '../../src/tensor/backend.js';
import type { WrapperDescription } from '../../src/quant/wrappers/index.js';

/** A plain container whose children are added by name. */
export class Container extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.register(name, m);
  }
}

/** Insert `m` at a dotted path, creating containers on the way. */
export function place(root: Container, path: string, m: Module): void {
  const parts = path.split('.');
  let c: Container = root;
  for (const p of parts.slice(0, -1)) {
    const existing = [...c.children()].find(([k]) => k === p)?.[1];
    c = (existing as Container | undefined) ?? c.add(p, new Container());
  }
  c.add(parts[parts.length - 1]!, m);
}

/** An op of the given wrapper type (small shapes; only the class matters for qparams). */
export function opOfType(type: string): Op {
  switch (type) {
    case 'Linear': return new Linear(4, 3);
    case 'Embedding': return new Embedding(5, 4);
    case 'EltwiseAdd': return new EltwiseAdd();
    case 'EltwiseMult': return new EltwiseMult();
    case 'Matmul': return new Matmul();
    case 'BatchMatmul': return new BatchMatmul();
    case 'Concat': return new Concat(2);
    default: return new Dropout(0);
  }
}

/** Mulberry32: small deterministic PRNG for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(shape: number[], rand: () => number, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * rand();
  return new Tensor(d, shape);
}

/** Compare a description with an expected entry; returns the mismatching field paths. */
export function diffDescription(got: WrapperDescription, want: WrapperDescription): string[] {
  const bad: string[] = [];
  const walk = (g: unknown, w: unknown, path: string): void => {
    if (w !== null && typeof w === 'object') {
      if (g === null || typeof g !== 'object') return void bad.push(path);
      for (const k of Object.keys(w)) walk((g as Record<string, unknown>)[k], (w as Record<string, unknown>)[k], `${path}.${k}`);
    } else if (!Object.is(g, w) && !(g === 0 && w === 0)) bad.push(`${path}: got ${String(g)}, want ${String(w)}`);
  };
  walk(got, want, '');
  return bad;
}

/** 'js' plus every fast backend that initialises here (onednn when built, wasm): each is checked the same way. */
export async function backendsHere(): Promise<string[]> {
  const names = ['js'];
  for (const name of ['onednn', 'wasm']) {
    try {
      await selectBackend(name, 1, () => {});
      names.push(name);
    } catch {
      // not available here (the native addon is optional): the others are still checked
    }
  }
  return names;
}
