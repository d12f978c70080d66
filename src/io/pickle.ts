/**
 * A safe Python unpickler (protocols 2–5, plus the few protocol-0/1 opcodes torch files use).
 *
 * Nothing is ever executed: every GLOBAL / STACK_GLOBAL is looked up in an explicit allow-table supplied by
 * the caller, and an unknown global is a QnmtError naming it and listing the allowed ones. The allow-table
 * entries turn the Python calls (REDUCE / NEWOBJ / BUILD) into plain data.
 *
 * Python values map to JS values as follows:
 *   None → null, bool → boolean, int → number (bigint when beyond ±2^53), float → number, str → string,
 *   bytes/bytearray → Uint8Array, list → mutable array, tuple → frozen array, dict → Map, set/frozenset → Set,
 *   instances of allowed classes → whatever the allow-table builds (usually a PyObject).
 *
 * Bounded (src/limits.ts): opcode count, stack and memo size, nesting depth, integer literal length; every
 * opcode costs time linear in its own bytes. A container cannot change once it is inside another one, so
 * the result is acyclic and its recorded depth is exact (torch.save never writes recursive structures).
 */
import { QnmtError } from '../errors.js';
import { limitError, limits } from '../limits.js';

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | readonly PyValue[]
  | Map<PyKey, PyValue>
  | Set<PyKey>
  | PyObject
  | PyGlobal
  | object;

/** Dict keys: Python hashables (tuples become frozen arrays, compared by identity like any JS object). */
export type PyKey = PyValue;

/** An instance of an allowed class, reduced to data: its class name, its __dict__ and any non-dict state. */
export class PyObject {
  readonly dict = new Map<string, PyValue>();
  /** State passed to BUILD that is not a dict (or the slot-state part of a (dict, slots) pair). */
  state: PyValue = null;

  constructor(
    /** "module.qualname", e.g. "argparse.Namespace". */
    readonly className: string,
    /** Constructor arguments (NEWOBJ / REDUCE), kept for callers that need them. */
    readonly args: readonly PyValue[] = [],
  ) {}

  get(name: string): PyValue | undefined {
    return this.dict.get(name);
  }
}

/** One allowed global: how REDUCE (call), NEWOBJ (cls.__new__) and BUILD (setstate) act on it. */
export interface PyGlobal {
  readonly module: string;
  readonly name: string;
  /** REDUCE: `global(*args)`. */
  call?(args: readonly PyValue[]): PyValue;
  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args)`; defaults to `call`. */
  newObject?(args: readonly PyValue[], kwargs: Map<PyKey, PyValue> | null): PyValue;
}

export interface UnpickleOptions {
  /** The allow-table, keyed "module.name". */
  readonly globals: ReadonlyMap<string, PyGlobal>;
  /** BINPERSID / PERSID handler; without it persistent ids are an error. */
  readonly persistentLoad?: (pid: PyValue) => PyValue;
  /** File name for messages. */
  readonly source: string;
  /** What is being read, for messages ("main pickle", "data.pkl"). */
  readonly what?: string;
}

/** Thrown when the pickle runs past the end of the given bytes; callers may retry with more bytes. */
export class PickleEOFError extends QnmtError {
  constructor(source: string, what: string, at: number) {
    super('checkpoint/truncated', `${source}: truncated file: the ${what} ends unexpectedly at byte ${at}; the file is incomplete, download or copy it again.`);
  }
}

/**
 * A dict key as text for names and messages: str, int and bool as Python prints them, anything else
 * (a tuple, an object) as a short description — never a recursive String() of a nested value.
 */
export function keyText(k: PyKey): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (k === null) return 'None';
  if (Array.isArray(k)) return `<tuple of ${k.length}>`;
  return `<${k instanceof PyObject ? k.className : 'object'}>`;
}

/** Attributes set by BUILD on containers (e.g. the `_metadata` of a torch state_dict OrderedDict). */
export const pyAttributes = new WeakMap<object, Map<string, PyValue>>();

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

const decoderUtf8 = new TextDecoder('utf-8', { fatal: false });
const decoderLatin1 = new TextDecoder('latin1');

/**
 * Unpickle one pickle starting at `start` in `bytes`. Returns the value and the offset just after its STOP.
 */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): { value: PyValue; end: number } {
  const what = options.what ?? 'pickle';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let pos = start;
  let stack: StackItem[] = [];
  const markStack: StackItem[][] = [];
  const memo = new Map<number, PyValue>();
  const limit = limits();
  let opcodes = 0;
  /** Nesting depth of every container or object built here (1 = holds no containers). */
  const depthOf = new WeakMap<object, number>();
  /** Containers already placed inside another container: they may not change any more. */
  const sealed = new WeakSet<object>();

  const fail = (message: string): never => {
    throw new QnmtError('checkpoint/bad-pickle', `${options.source}: corrupt ${what} at byte ${pos}: ${message}.`);
  };
  const need = (n: number): void => {
    if (pos + n > end) throw new PickleEOFError(options.source, what, end);
  };
  const u8 = (): number => { need(1); return bytes[pos++]!; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleEOFError(options.source, what, end);
    const s = decoderUtf8.decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) fail('stack underflow');
    if (v === MARK) fail('unexpected MARK');
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined) fail('stack underflow');
    if (v === MARK) fail('unexpected MARK');
    return v as PyValue;
  };
  // Callers must not write `stack.push(popMark())`: the receiver would be evaluated before popMark swaps stacks.
  const popMark = (): PyValue[] => {
    const items = stack as PyValue[];
    const prev = markStack.pop();
    if (prev === undefined) fail('no MARK on the stack');
    stack = prev!;
    return items;
  };
  const isRef = (v: unknown): v is object => v !== null && typeof v === 'object';
  const depth = (v: PyValue): number => (isRef(v) ? depthOf.get(v) ?? 1 : 0);
  const tooDeep = (d: number): void => {
    if (d > limit.pickleDepth) throw limitError('checkpoint/limit', `${options.source}: ${what} at byte ${pos}`, 'pickleDepth', 'nesting depth', d, false);
  };
  /** `container` takes `items`: its depth grows past theirs, and they are sealed. */
  const contain = <T extends object>(container: T, items: readonly PyValue[]): T => {
    if (sealed.has(container)) fail('a container is changed after it was placed inside another one (a recursive structure, which torch.save does not write)');
    let d = depthOf.get(container) ?? 1;
    for (const it of items) {
      if (!isRef(it)) continue;
      if (it === container) fail('a container holds itself');
      d = Math.max(d, depth(it) + 1);
      sealed.add(it);
    }
    tooDeep(d);
    depthOf.set(container, d);
    return container;
  };
  /** A value an allow-table function returned for `args`: new objects are one level above their arguments. */
  const result = (v: PyValue, args: PyValue): PyValue => {
    const d = depth(args) + 1;
    tooDeep(d);
    if (isRef(v) && !depthOf.has(v)) depthOf.set(v, d);
    if (isRef(args)) sealed.add(args);
    return v;
  };
  const tuple = (items: PyValue[]): readonly PyValue[] => contain(Object.freeze(items), items);
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail(`memo key ${i} is not defined`);
    return memo.get(i)!;
  };
  const findGlobal = (module: string, name: string): PyGlobal => {
    const g = options.globals.get(`${module}.${name}`);
    if (g === undefined) {
      const allowed = [...options.globals.keys()].join(', ');
      throw new QnmtError(
        'checkpoint/unknown-global',
        `${options.source}: the ${what} references the Python global ${module}.${name}, which qnmt does not load (nothing in a checkpoint is executed); allowed globals: ${allowed}.`,
      );
    }
    return g;
  };
  const asGlobal = (v: PyValue, op: string): PyGlobal => {
    if (v === null || typeof v !== 'object' || !('module' in v) || !('name' in v) || (v instanceof PyObject)) {
      fail(`${op} applied to something that is not an allowed class or function`);
    }
    return v as PyGlobal;
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof Map)) fail('SETITEM(S) on a value that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    const m = contain(target as Map<PyKey, PyValue>, items);
    for (let i = 0; i < items.length; i += 2) m.set(items[i]!, items[i + 1]!);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail('APPEND(S) on a value that is not a list');
    const list = contain(target as PyValue[], items);
    // One at a time: push(...items) overflows the call stack for ~100k items.
    for (const it of items) list.push(it);
  };
  const build = (obj: PyValue, state: PyValue): void => {
    if (isRef(obj)) contain(obj, [state]);
    let dictState: PyValue = state;
    let slotState: PyValue = null;
    if (Array.isArray(state) && Object.isFrozen(state) && state.length === 2) {
      dictState = state[0] as PyValue;
      slotState = state[1] as PyValue;
    }
    if (obj instanceof PyObject) {
      if (dictState instanceof Map) {
        for (const [k, v] of dictState) obj.dict.set(keyText(k), v);
      } else if (dictState !== null) {
        obj.state = dictState;
      }
      if (slotState instanceof Map) for (const [k, v] of slotState) obj.dict.set(keyText(k), v);
      return;
    }
    if (obj !== null && typeof obj === 'object') {
      // Containers with attributes (OrderedDict._metadata): keep them aside, the value stays a plain Map.
      const attrs = pyAttributes.get(obj) ?? new Map<string, PyValue>();
      for (const part of [dictState, slotState]) if (part instanceof Map) for (const [k, v] of part) attrs.set(keyText(k), v);
      pyAttributes.set(obj, attrs);
      return;
    }
    fail('BUILD on a value that cannot take state');
  };
  const int = (v: bigint): number | bigint =>
    v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  /** Little-endian two's complement, in linear time (one hex string, one BigInt parse). */
  const longLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    if (b.length > limit.pickleIntBytes) throw limitError('checkpoint/limit', `${options.source}: ${what} at byte ${pos}`, 'pickleIntBytes', 'integer literal length in bytes', b.length, false);
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return int(v);
  };
  /** A protocol-0 decimal integer; the digit limit keeps BigInt parsing fast. */
  const decimal = (s: string, op: string): number | bigint => {
    if (s.length > limit.pickleIntDigits + 1) throw limitError('checkpoint/limit', `${options.source}: ${what} at byte ${pos}`, 'pickleIntDigits', `${op} literal length in digits`, s.length, false);
    if (!/^[+-]?\d+$/.test(s)) fail(`bad ${op} ${JSON.stringify(s.slice(0, 40))}`);
    return int(BigInt(s));
  };
  const memoPut = (key: number): void => {
    if (memo.size >= limit.pickleMemo && !memo.has(key)) throw limitError('checkpoint/limit', `${options.source}: ${what} at byte ${pos}`, 'pickleMemo', 'memo entries', memo.size + 1, false);
    memo.set(key, top());
  };

  for (;;) {
    const opPos = pos;
    if (++opcodes > limit.pickleOpcodes) throw limitError('checkpoint/limit', `${options.source}: ${what} at byte ${pos}`, 'pickleOpcodes', 'pickle opcodes', opcodes, false);
    if (stack.length > limit.pickleStack || markStack.length > limit.pickleStack) {
      throw limitError('checkpoint/limit', `${options.source}: ${what} at byte ${pos}`, 'pickleStack', 'values on the pickle stack', Math.max(stack.length, markStack.length), false);
    }
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: u64(); break; // FRAME: framing is only a read-ahead hint; the opcodes follow inline.
      case 0x2e: { // STOP
        const value = pop();
        return { value, end: pos };
      }
      case 0x28: markStack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      // --- constants
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { const n = u8(); stack.push(longLE(take(n))); break; } // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('negative LONG4 length'); stack.push(longLE(take(n))); break; } // LONG4
      case 0x49: { // INT (protocol 0)
        const s = line();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else stack.push(decimal(s, 'INT'));
        break;
      }
      case 0x4c: { // LONG (protocol 0)
        const s = line();
        stack.push(decimal(s.endsWith('L') ? s.slice(0, -1) : s, 'LONG'));
        break;
      }
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x46: { const s = line(); const v = Number(s); if (Number.isNaN(v) && !/^\s*[+-]?nan\s*$/i.test(s)) fail(`bad FLOAT ${JSON.stringify(s.slice(0, 40))}`); stack.push(v); break; } // FLOAT
      // --- strings and bytes
      case 0x58: { const n = u32(); stack.push(decoderUtf8.decode(take(n))); break; } // BINUNICODE
      case 0x8c: { const n = u8(); stack.push(decoderUtf8.decode(take(n))); break; } // SHORT_BINUNICODE
      case 0x8d: { const n = u64(); stack.push(decoderUtf8.decode(take(n))); break; } // BINUNICODE8
      case 0x54: { const n = i32(); if (n < 0) fail('negative BINSTRING length'); stack.push(decoderLatin1.decode(take(n))); break; } // BINSTRING
      case 0x55: { const n = u8(); stack.push(decoderLatin1.decode(take(n))); break; } // SHORT_BINSTRING
      case 0x42: { const n = u32(); stack.push(take(n).slice()); break; } // BINBYTES
      case 0x43: { const n = u8(); stack.push(take(n).slice()); break; } // SHORT_BINBYTES
      case 0x8e: { const n = u64(); stack.push(take(n).slice()); break; } // BINBYTES8
      case 0x96: { const n = u64(); stack.push(take(n).slice()); break; } // BYTEARRAY8
      case 0x97: case 0x98: fail('out-of-band buffers (pickle protocol 5 NEXT_BUFFER/READONLY_BUFFER) are not supported'); break;
      // --- containers
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const m = new Map<PyKey, PyValue>(); setItems(m, items); stack.push(m); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(contain(items, items)); break; } // LIST
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); stack.push(tuple(items)); break; } // TUPLE
      case 0x85: { const a = pop(); stack.push(tuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(tuple([a, b, c])); break; } // TUPLE3
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail('ADDITEMS on a value that is not a set');
        contain(s as Set<PyKey>, items);
        for (const it of items) (s as Set<PyKey>).add(it);
        break;
      }
      case 0x91: { const items = popMark(); stack.push(contain(new Set(items), items)); break; } // FROZENSET
      // --- memo
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x70: { const s = line(); memoPut(Number(s)); break; } // PUT
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x67: stack.push(memoGet(Number(line()))); break; // GET
      // --- globals and object construction (data only, via the allow-table)
      case 0x63: { const module = line(); const name = line(); stack.push(findGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL with non-string names');
        stack.push(findGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = asGlobal(pop(), 'REDUCE');
        if (!Array.isArray(args)) fail(`REDUCE arguments for ${fn.module}.${fn.name} are not a tuple`);
        if (fn.call === undefined) fail(`${fn.module}.${fn.name} cannot be called`);
        stack.push(result(fn.call!(args as PyValue[]), args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = asGlobal(pop(), 'NEWOBJ');
        if (!Array.isArray(args)) fail(`NEWOBJ arguments for ${cls.module}.${cls.name} are not a tuple`);
        stack.push(result(construct(cls, args as PyValue[], null), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = asGlobal(pop(), 'NEWOBJ_EX');
        if (!Array.isArray(args) || !(kwargs instanceof Map)) fail('NEWOBJ_EX with bad arguments');
        stack.push(result(construct(cls, args as PyValue[], kwargs as Map<PyKey, PyValue>), args));
        break;
      }
      case 0x62: { const state = pop(); build(top(), state); break; } // BUILD
      case 0x51: { // BINPERSID
        const pid = pop();
        if (options.persistentLoad === undefined) fail('persistent id in a pickle that should have none');
        stack.push(result(options.persistentLoad!(pid), pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (options.persistentLoad === undefined) fail('persistent id in a pickle that should have none');
        stack.push(options.persistentLoad!(pid));
        break;
      }
      default:
        pos = opPos;
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  function construct(cls: PyGlobal, args: PyValue[], kwargs: Map<PyKey, PyValue> | null): PyValue {
    if (cls.newObject !== undefined) return cls.newObject(args, kwargs);
    if (cls.call !== undefined) return cls.call(args);
    return fail(`${cls.module}.${cls.name} cannot be instantiated`);
  }
}

/**
 * Allow-table entries for the plain-data builtins CPython itself emits at protocols 2–4 (sets, frozensets,
 * bytes via `_codecs.encode(str, 'latin1')`, bytearray). Pure data constructors; torch checkpoints do not need them.
 */
export function dataGlobals(): Map<string, PyGlobal> {
  const table = new Map<string, PyGlobal>();
  const latin1 = (s: PyValue): Uint8Array => {
    if (typeof s !== 'string') throw new TypeError('expected a str');
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) throw new RangeError('character outside latin-1');
      out[i] = c;
    }
    return out;
  };
  const toBytes = (args: readonly PyValue[]): Uint8Array => {
    const [a] = args;
    if (a === undefined) return new Uint8Array(0);
    if (a instanceof Uint8Array) return a.slice();
    return latin1(a);
  };
  const iterable = (args: readonly PyValue[]): PyValue[] => {
    const [a] = args;
    if (a === undefined) return [];
    if (Array.isArray(a)) return [...a];
    if (a instanceof Set) return [...a];
    throw new TypeError('expected a list');
  };
  for (const module of ['builtins', '__builtin__']) {
    table.set(`${module}.set`, { module, name: 'set', call: (args) => new Set(iterable(args)) });
    table.set(`${module}.frozenset`, { module, name: 'frozenset', call: (args) => new Set(iterable(args)) });
    table.set(`${module}.bytes`, { module, name: 'bytes', call: toBytes });
    table.set(`${module}.bytearray`, { module, name: 'bytearray', call: toBytes });
  }
  table.set('_codecs.encode', { module: '_codecs', name: 'encode', call: (args) => latin1(args[0] ?? '') });
  return table;
}
