/**
 * Load an MLPerf GNMT checkpoint (`model_best.pth`, spec gnmt-model.md §1–§2) into float32 tensors.
 *
 * Memory: only the storages the state_dict uses are read (never the optimizer state), all into one
 * ArrayBuffer, and each contiguous tensor is a Float32Array view into it (shared storages and storage
 * offsets are honoured, so the shared embedding is stored once). Non-contiguous tensors are copied.
 */
import { QnmtError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { keyText, PyObject, type PyValue } from './pickle.js';
import { parsePyLiteral, PyLiteralError, type PyLiteral } from './py-literal.js';
import { openTorchFile } from './torch-file.js';
import { describe } from './torch-globals.js';
import { isFloatDtype, isTorchTensor, toFloat32Tensor, type TorchTensor } from './torch-tensor.js';

export interface GnmtModelConfig {
  hidden_size: number;
  num_layers: number;
  dropout: number;
  share_embedding: boolean;
}

export interface GnmtCheckpoint {
  /** state_dict with `module.` removed (spec §1.3), in stored order. */
  stateDict: Map<string, Tensor>;
  /** idx2tok: exactly vocab_size entries, in id order. */
  vocab: string[];
  modelConfig: GnmtModelConfig;
  /** config.math ('fp32' for the reference checkpoint). */
  math: string;
  meta: { epoch?: number; loss?: number; iteration?: number; config: Record<string, unknown>; format: 'legacy' | 'zip'; path: string };
}

/** The state_dict keys a GNMT with `numLayers` layers has (spec §2.2 order). */
export function gnmtStateDictKeys(numLayers: number): string[] {
  const lstm = (prefix: string, suffix = ''): string[] =>
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'].map((p) => `${prefix}.${p}${suffix}`);
  const keys = [...lstm('encoder.rnn_layers.0'), ...lstm('encoder.rnn_layers.0', '_reverse')];
  for (let l = 1; l < numLayers; l++) keys.push(...lstm(`encoder.rnn_layers.${l}`));
  keys.push('encoder.embedder.weight', ...lstm('decoder.att_rnn.rnn'));
  keys.push(...['linear_att', 'normalize_scalar', 'normalize_bias', 'linear_q.weight', 'linear_k.weight'].map((k) => `decoder.att_rnn.attn.${k}`));
  for (let l = 0; l < numLayers - 1; l++) keys.push(...lstm(`decoder.rnn_layers.${l}`));
  keys.push('decoder.embedder.weight', 'decoder.classifier.classifier.weight', 'decoder.classifier.classifier.bias');
  return keys;
}

/** spec §1.3: if any key contains `module.`, remove every occurrence of it from every key. */
export function stripModulePrefix<T>(entries: Iterable<[string, T]>): Array<[string, T]> {
  const list = [...entries];
  if (!list.some(([k]) => k.includes('module.'))) return list;
  return list.map(([k, v]) => [k.split('module.').join(''), v]);
}

export async function loadCheckpoint(path: string): Promise<GnmtCheckpoint> {
  const file = await openTorchFile(path);
  try {
    const bad = (code: string, msg: string): QnmtError => new QnmtError(code, `${path}: ${msg}`);
    const root = file.root;
    if (!(root instanceof Map)) throw bad('checkpoint/not-gnmt', `the checkpoint holds ${describe(root)}, expected a dict with state_dict, config and tokenizer.`);
    const top = (key: string): PyValue => {
      if (!root.has(key)) throw bad('checkpoint/not-gnmt', `the checkpoint has no '${key}' entry (found: ${listed([...root.keys()].map(keyText))}); is this an MLPerf GNMT model_best.pth?`);
      return root.get(key)!;
    };

    // --- config
    const configObj = top('config');
    const config: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    if (configObj instanceof PyObject) for (const [k, v] of configObj.dict) config[k] = v;
    else if (configObj instanceof Map) for (const [k, v] of configObj) config[keyText(k)] = v;
    else throw bad('checkpoint/not-gnmt', `'config' is ${describe(configObj)}, expected an argparse.Namespace.`);
    const math = config['math'];
    if (typeof math !== 'string') throw bad('checkpoint/not-gnmt', `config.math is ${describe(math)}, expected a string such as 'fp32'.`);
    const modelConfig = parseModelConfig(config['model_config'], path);

    // --- vocabulary
    const vocab = readVocab(top('tokenizer'), path);

    // --- state_dict
    const sd = top('state_dict');
    if (!(sd instanceof Map)) throw bad('checkpoint/not-gnmt', `'state_dict' is ${describe(sd)}, expected an OrderedDict of tensors.`);
    const entries = stripModulePrefix([...sd].map(([k, v]) => [keyText(k), v] as [string, PyValue]));
    const tensors: Array<[string, TorchTensor]> = [];
    for (const [k, v] of entries) {
      if (!isTorchTensor(v)) throw bad('checkpoint/not-gnmt', `state_dict['${k}'] is ${describe(v)}, expected a tensor.`);
      if (!isFloatDtype(v.storage.dtype)) throw bad('checkpoint/not-gnmt', `state_dict['${k}'] has dtype ${v.storage.dtype}, expected a floating-point tensor.`);
      tensors.push([k, v]);
    }
    const expected = gnmtStateDictKeys(modelConfig.num_layers);
    const have = new Set(tensors.map(([k]) => k));
    const missing = expected.filter((k) => !have.has(k));
    if (missing.length > 0) {
      throw bad('checkpoint/missing-keys', `state_dict is missing ${missing.length} key(s) a GNMT with num_layers=${modelConfig.num_layers} needs: ${listed(missing)}.`);
    }
    const expectedSet = new Set(expected);
    const unexpected = tensors.map(([k]) => k).filter((k) => !expectedSet.has(k));
    if (unexpected.length > 0) {
      throw bad('checkpoint/unexpected-keys', `state_dict has ${unexpected.length} key(s) a GNMT with num_layers=${modelConfig.num_layers} does not have: ${listed(unexpected)}.`);
    }
    const emb = tensors.find(([k]) => k === 'encoder.embedder.weight')![1];
    if (emb.shape[0] !== vocab.length) {
      throw bad('checkpoint/vocab-mismatch', `the tokenizer has vocab_size ${vocab.length} but encoder.embedder.weight has ${emb.shape[0]} rows; the vocabulary and the weights do not belong together.`);
    }

    await file.loadStorages(tensors.map(([, t]) => t.storage));
    const stateDict = new Map<string, Tensor>();
    for (const [k, t] of tensors) stateDict.set(k, toFloat32Tensor(t));

    const num = (key: string): number | undefined => {
      const v = root.get(key);
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
    };
    const meta: GnmtCheckpoint['meta'] = { config, format: file.format, path };
    const epoch = num('epoch');
    const loss = num('loss');
    const iteration = num('iteration');
    if (epoch !== undefined) meta.epoch = epoch;
    if (loss !== undefined) meta.loss = loss;
    if (iteration !== undefined) meta.iteration = iteration;
    return { stateDict, vocab, modelConfig, math, meta };
  } finally {
    await file.close();
  }
}

/** More layers than any GNMT has; the bound keeps a corrupt config from listing millions of keys. */
const MAX_LAYERS = 64;

function parseModelConfig(v: unknown, path: string): GnmtModelConfig {
  if (typeof v !== 'string') throw new QnmtError('checkpoint/not-gnmt', `${path}: config.model_config is ${describe(v)}, expected a string holding a Python dict.`);
  let lit: PyLiteral;
  try {
    lit = parsePyLiteral(v);
  } catch (e) {
    if (!(e instanceof PyLiteralError)) throw e;
    throw new QnmtError('checkpoint/bad-config', `${path}: config.model_config ${clip(v)} is not a Python dict literal (${e.message}).`);
  }
  if (lit === null || typeof lit !== 'object' || Array.isArray(lit)) {
    throw new QnmtError('checkpoint/bad-config', `${path}: config.model_config ${clip(v)} is not a dict.`);
  }
  const get = <T>(key: keyof GnmtModelConfig, check: (x: PyLiteral | undefined) => x is T & PyLiteral, expect: string): T => {
    const x = lit[key];
    if (!check(x)) throw new QnmtError('checkpoint/bad-config', `${path}: config.model_config ${clip(v)}: '${key}' should be ${expect}, found ${x === undefined ? 'nothing' : clip(JSON.stringify(x) ?? String(x))}.`);
    return x;
  };
  const isPosInt = (x: PyLiteral | undefined): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;
  const isNum = (x: PyLiteral | undefined): x is number => typeof x === 'number';
  const isBool = (x: PyLiteral | undefined): x is boolean => typeof x === 'boolean';
  const cfg: GnmtModelConfig = {
    hidden_size: get('hidden_size', isPosInt, 'a positive integer'),
    num_layers: get('num_layers', isPosInt, 'a positive integer'),
    dropout: get('dropout', isNum, 'a number'),
    share_embedding: get('share_embedding', isBool, 'True or False'),
  };
  if (cfg.num_layers > MAX_LAYERS) throw new QnmtError('checkpoint/bad-config', `${path}: config.model_config num_layers is ${cfg.num_layers}; GNMT has 4 (qnmt reads up to ${MAX_LAYERS}).`);
  if (cfg.num_layers < 2) throw new QnmtError('checkpoint/bad-config', `${path}: config.model_config num_layers is ${cfg.num_layers}; GNMT needs at least 2.`);
  return cfg;
}

/** The first few names of a list for a message. */
function listed(names: string[]): string {
  const shown = names.slice(0, 12).map((n) => (n.length > 60 ? `${n.slice(0, 57)}…` : n));
  return names.length > shown.length ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ');
}

/** A value quoted for a one-line message, cut to a readable length. */
function clip(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 120 ? `${q.slice(0, 117)}…"` : q;
}

function readVocab(tok: PyValue, path: string): string[] {
  const bad = (msg: string): QnmtError => new QnmtError('checkpoint/bad-tokenizer', `${path}: tokenizer ${msg}`);
  const attrs = tok instanceof PyObject ? tok.dict : tok instanceof Map ? tok : undefined;
  if (attrs === undefined) throw bad(`is ${describe(tok)}, expected a seq2seq.data.tokenizer.Tokenizer.`);
  const size = attrs.get('vocab_size');
  const idx2tok = attrs.get('idx2tok');
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) throw bad(`vocab_size is ${describe(size)}, expected a positive integer.`);
  let vocab: string[];
  if (idx2tok instanceof Map) {
    if (idx2tok.size !== size) throw bad(`idx2tok has ${idx2tok.size} entries but vocab_size is ${size}.`);
    vocab = new Array<string>(size);
    for (let i = 0; i < size; i++) {
      const t = idx2tok.get(i);
      if (typeof t !== 'string') throw bad(`idx2tok has no token for id ${i} (ids must be 0..${size - 1}).`);
      vocab[i] = t;
    }
  } else if (Array.isArray(idx2tok)) {
    if (idx2tok.length !== size) throw bad(`idx2tok has ${idx2tok.length} entries but vocab_size is ${size}.`);
    vocab = idx2tok.map((t, i) => {
      if (typeof t !== 'string') throw bad(`idx2tok[${i}] is ${describe(t)}, expected a string.`);
      return t;
    });
  } else {
    throw bad(`idx2tok is ${describe(idx2tok)}, expected a dict from id to token.`);
  }
  return vocab;
}
