/**
 * Build a Gnmt from a loaded checkpoint (gnmt-model.md §2, §5.2): nn.LSTM keys are mapped onto the
 * DistillerLSTM cells, every parameter is checked by key and shape (strict, like PyTorch's
 * load_state_dict), and the vocabulary must match the embedding.
 */
import { QnmtError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Gnmt } from './gnmt.js';
import { Embedding, Linear } from './ops.js';
import { BahdanauAttention } from './attention.js';

/** What buildGnmt needs from a checkpoint (structurally the io loader's GnmtCheckpoint). */
export interface GnmtWeights {
  stateDict: ReadonlyMap<string, Tensor>;
  vocab: readonly string[];
  modelConfig: { hidden_size: number; num_layers: number; dropout: number; share_embedding: boolean };
  math?: string;
  meta?: { path?: string };
}

/**
 * nn.LSTM state_dict key → DistillerLSTM key (`P.weight_ih_l0` → `P.cells.0.fc_gate_x.weight`,
 * `_reverse` → `cells_reverse`); other keys unchanged.
 */
export function distillerKey(key: string): string {
  const m = /^(.*)\.(weight|bias)_(ih|hh)_l(\d+)(_reverse)?$/.exec(key);
  if (!m) return key;
  const [, prefix, kind, gate, layer, reverse] = m;
  return `${prefix}.${reverse ? 'cells_reverse' : 'cells'}.${layer}.${gate === 'ih' ? 'fc_gate_x' : 'fc_gate_h'}.${kind}`;
}

interface Slot {
  shape: readonly number[];
  set(t: Tensor): void;
}

/** Every parameter of the model by Distiller key (shared embedding under both of its names). */
function parameterSlots(model: Gnmt): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  for (const [name, m] of model.allNamedModules()) {
    if (m instanceof Linear) {
      const lin = m;
      slots.set(`${name}.weight`, { shape: [lin.outFeatures, lin.inFeatures], set: (t) => lin.setParameters(t, lin.bias) });
      if (lin.bias) slots.set(`${name}.bias`, { shape: [lin.outFeatures], set: (t) => lin.setParameters(lin.weight, t) });
    } else if (m instanceof Embedding) {
      const emb = m;
      slots.set(`${name}.weight`, { shape: [emb.numEmbeddings, emb.embeddingDim], set: (t) => (emb.weight = t) });
    } else if (m instanceof BahdanauAttention) {
      const att = m;
      slots.set(`${name}.linear_att`, { shape: [att.numUnits], set: (t) => (att.linearAtt = t) });
      slots.set(`${name}.normalize_scalar`, { shape: [1], set: (t) => (att.normalizeScalar = t) });
      slots.set(`${name}.normalize_bias`, { shape: [att.numUnits], set: (t) => (att.normalizeBias = t) });
    }
  }
  return slots;
}

export function buildGnmt(ckpt: GnmtWeights): Gnmt {
  const where = ckpt.meta?.path ? `${ckpt.meta.path}: ` : '';
  const cfg = ckpt.modelConfig;
  const math = ckpt.math ?? 'fp32';
  if (!(Number.isInteger(cfg.hidden_size) && cfg.hidden_size > 0 && Number.isInteger(cfg.num_layers) && cfg.num_layers >= 2)) {
    throw new QnmtError(
      'model/bad-config',
      `${where}model_config has hidden_size ${cfg.hidden_size} and num_layers ${cfg.num_layers}; expected a positive hidden size and at least 2 layers.`,
    );
  }
  const emb = ckpt.stateDict.get('encoder.embedder.weight');
  if (emb && emb.shape[0] !== ckpt.vocab.length) {
    throw new QnmtError(
      'model/vocab-mismatch',
      `${where}the vocabulary has ${ckpt.vocab.length} entries but encoder.embedder.weight has ${emb.shape[0]} rows; the vocabulary and the weights do not belong together.`,
    );
  }
  const model = new Gnmt({
    vocabSize: ckpt.vocab.length,
    hiddenSize: cfg.hidden_size,
    numLayers: cfg.num_layers,
    dropout: cfg.dropout,
    shareEmbedding: cfg.share_embedding,
    math,
  });
  const slots = parameterSlots(model);
  const seen = new Set<string>();
  const unexpected: string[] = [];
  for (const [key, t] of ckpt.stateDict) {
    const dk = distillerKey(key);
    const slot = slots.get(dk);
    if (!slot) {
      unexpected.push(key);
      continue;
    }
    if (t.shape.length !== slot.shape.length || t.shape.some((d, i) => d !== slot.shape[i])) {
      throw new QnmtError(
        'model/shape-mismatch',
        `${where}size mismatch for ${key}: the checkpoint has shape [${t.shape.join(', ')}], the model (hidden_size ${cfg.hidden_size}, vocab ${ckpt.vocab.length}) expects [${slot.shape.join(', ')}].`,
      );
    }
    slot.set(t);
    seen.add(dk);
  }
  if (unexpected.length > 0) {
    throw new QnmtError('model/unexpected-keys', `${where}unexpected key(s) in state_dict: ${unexpected.join(', ')}.`);
  }
  const missing = [...slots.keys()].filter((k) => !seen.has(k));
  if (missing.length > 0) {
    throw new QnmtError('model/missing-keys', `${where}missing key(s) in state_dict: ${missing.join(', ')}.`);
  }
  return model;
}
