/**
 * The allow-table of Python globals a GNMT checkpoint may reference, each mapped to plain data.
 * Anything else makes the unpickler fail with a QnmtError listing these names.
 */
import { QnmtError } from '../errors.js';
import { PyObject, pyAttributes, type PyGlobal, type PyKey, type PyValue } from './pickle.js';
import { checkTensorGeometry } from './tensor-geometry.js';
import type { TorchDtype, TorchStorage, TorchStorageType, TorchStorageView, TorchTensor } from './torch-tensor.js';

const storageClasses: ReadonlyArray<[string, TorchDtype]> = [
  ['FloatStorage', 'float32'], ['HalfStorage', 'float16'], ['BFloat16Storage', 'bfloat16'], ['DoubleStorage', 'float64'],
  ['LongStorage', 'int64'], ['IntStorage', 'int32'], ['ShortStorage', 'int16'], ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'], ['BoolStorage', 'bool'],
];

export function isStorageType(v: unknown): v is TorchStorageType {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'torch-storage-type';
}

function asInt(v: PyValue, what: string, source: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new QnmtError('checkpoint/bad-pickle', `${source}: ${what} is not an integer (found ${describe(v)}).`);
}

function asIntTuple(v: PyValue, what: string, source: string): number[] {
  if (!Array.isArray(v)) throw new QnmtError('checkpoint/bad-pickle', `${source}: ${what} is not a tuple (found ${describe(v)}).`);
  return (v as PyValue[]).map((x, i) => asInt(x, `${what}[${i}]`, source));
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `a sequence of ${v.length}`;
  if (v instanceof Map) return 'a dict';
  if (v instanceof PyObject) return `a ${v.className}`;
  if (typeof v === 'object') return `a ${(v as { kind?: string }).kind ?? 'object'}`;
  if (typeof v === 'string') return `str ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Build the allow-table for one file (`source` names it in messages). */
export function torchGlobals(source: string): Map<string, PyGlobal> {
  const table = new Map<string, PyGlobal>();
  const add = (module: string, name: string, g: Omit<PyGlobal, 'module' | 'name'>): void => {
    table.set(`${module}.${name}`, { module, name, ...g });
  };

  const rebuildTensor = (args: readonly PyValue[]): TorchTensor => {
    if (args.length < 4) throw new QnmtError('checkpoint/bad-pickle', `${source}: _rebuild_tensor_v2 called with ${args.length} arguments, expected at least 4.`);
    const st = args[0] as TorchStorage | TorchStorageView | null;
    let storage: TorchStorage;
    let base = 0;
    let available: number;
    if (st !== null && typeof st === 'object' && (st as { kind?: unknown }).kind === 'torch-storage') {
      storage = st as TorchStorage;
      available = storage.numel;
    } else if (st !== null && typeof st === 'object' && (st as { kind?: unknown }).kind === 'torch-storage-view') {
      storage = (st as TorchStorageView).root;
      base = (st as TorchStorageView).offset;
      available = (st as TorchStorageView).numel;
    } else throw new QnmtError('checkpoint/bad-pickle', `${source}: _rebuild_tensor_v2 got ${describe(st)} instead of a storage.`);
    const offset = asInt(args[1]!, 'tensor storage offset', source);
    const shape = asIntTuple(args[2]!, 'tensor size', source);
    const stride = asIntTuple(args[3]!, 'tensor stride', source);
    // Checked here, before anything is allocated for it: the view stays inside its storage (view).
    checkTensorGeometry({ shape, stride, offset }, available, `${source}: tensor on storage ${storage.key}`);
    return { kind: 'torch-tensor', storage, storageOffset: base + offset, shape, stride, requiresGrad: args[4] === true };
  };
  add('torch._utils', '_rebuild_tensor_v2', { call: rebuildTensor });
  // Parameters pickle as _rebuild_parameter(tensor, requires_grad, backward_hooks): the tensor is the data.
  add('torch._utils', '_rebuild_parameter', { call: (args) => args[0]! });
  add('torch._utils', '_rebuild_parameter_with_state', { call: (args) => args[0]! });

  for (const [name, dtype] of storageClasses) {
    for (const module of ['torch', 'torch.cuda']) {
      const value: TorchStorageType = { kind: 'torch-storage-type', module, name, dtype };
      add(module, name, {
        call: () => {
          throw new QnmtError('checkpoint/bad-pickle', `${source}: ${module}.${name} is called directly; storages must come from persistent ids.`);
        },
      });
      // The persistent id holds the class itself; return the descriptor when the table entry is used as a value.
      Object.assign(table.get(`${module}.${name}`)!, value);
    }
  }

  const newMap = (): Map<PyKey, PyValue> => new Map();
  add('collections', 'OrderedDict', { call: newMap });
  add('collections', 'defaultdict', {
    call: (args) => {
      const m = newMap();
      // Keep the factory (e.g. seq2seq.data.tokenizer.default → UNK) for callers that care.
      pyAttributes.set(m, new Map([['default_factory', args[0] ?? null]]));
      return m;
    },
  });
  const plainObject = (className: string): Omit<PyGlobal, 'module' | 'name'> => ({
    call: (args) => new PyObject(className, args),
    newObject: (args) => new PyObject(className, args),
  });
  add('argparse', 'Namespace', plainObject('argparse.Namespace'));
  add('seq2seq.data.tokenizer', 'Tokenizer', plainObject('seq2seq.data.tokenizer.Tokenizer'));
  // The defaultdict factory of Tokenizer.tok2idx (returns UNK); only referenced, never called.
  add('seq2seq.data.tokenizer', 'default', {});
  return table;
}
