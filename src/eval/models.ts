/**
 * Models for an evaluation: the checkpoint is read once, and every configuration gets a fresh module
 * tree over the same weight tensors (building a tree copies no weights). Quantization then wraps that
 * tree's ops in place (`prepareModel`), as Distiller does on a deep copy of the FP32 model.
 */
import { loadCheckpoint, type GnmtCheckpoint } from '../io/checkpoint.js';
import { buildGnmt } from '../model/build.js';
import type { Gnmt } from '../model/gnmt.js';
import { prepareModel, type PrepareResult } from '../quant/prepare.js';
import { loadQuantConfig, type QuantConfig } from '../quant/config.js';
import { loadStats, type Stats } from '../quant/stats.js';
import { QnmtError } from '../errors.js';

export async function openCheckpoint(path: string): Promise<GnmtCheckpoint> {
  return loadCheckpoint(path);
}

/** A fresh FP32 model over the checkpoint's weights. */
export function fp32Model(ckpt: GnmtCheckpoint): Gnmt {
  return buildGnmt(ckpt);
}

/** A fresh model quantized with `config`, using `stats` for the activation ranges. */
export function quantizedModel(ckpt: GnmtCheckpoint, config: QuantConfig, stats: Stats): { model: Gnmt; prepared: PrepareResult } {
  const model = buildGnmt(ckpt);
  const prepared = prepareModel(model, config, stats);
  return { model, prepared };
}

/** What to run: a checkpoint, optionally quantized with a Distiller config and activation statistics. */
export interface ModelSpec {
  /** Checkpoint path (model_best.pth) or an already opened checkpoint. */
  model: string | GnmtCheckpoint;
  /** Distiller quantization config: a schedule YAML path or a parsed config. FP32 when absent. */
  quant?: string | QuantConfig;
  /** Activation statistics: a stats YAML path or parsed stats (default: the config's model_activation_stats). */
  stats?: string | Stats;
}

export interface OpenedModel {
  model: Gnmt;
  vocab: string[];
  /** 'fp32', or the quantization in words ('ASYMMETRIC_UNSIGNED per-channel clip AVG'). */
  precision: string;
  /** Config problems worth a warning (e.g. an override pattern matching no module). */
  warnings: string[];
}

/** Checkpoint → model, quantized when `spec.quant` is given. Shared by the CLI and the library. */
export async function openModel(spec: ModelSpec): Promise<OpenedModel> {
  if (spec.stats !== undefined && spec.quant === undefined) {
    throw new QnmtError('model/stats-without-quant', 'activation statistics are only used with a quantization config (quant).');
  }
  const ckpt = typeof spec.model === 'string' ? await openCheckpoint(spec.model) : spec.model;
  if (spec.quant === undefined) return { model: fp32Model(ckpt), vocab: ckpt.vocab, precision: 'fp32', warnings: [] };
  const config = typeof spec.quant === 'string' ? loadQuantConfig(spec.quant) : spec.quant;
  const configName = config.file ?? 'the quantization config';
  const stats = spec.stats ?? config.modelActivationStats;
  if (stats === null) {
    throw new QnmtError(
      'model/missing-stats',
      `${configName} has no model_activation_stats; give activation statistics (a stats YAML, made with 'qnmt calibrate').`,
    );
  }
  const { model, prepared } = quantizedModel(ckpt, config, typeof stats === 'string' ? loadStats(stats) : stats);
  return {
    model,
    vocab: ckpt.vocab,
    precision: `${config.mode}${config.perChannelWts ? ' per-channel' : ''} clip ${config.clipActs}`,
    warnings: prepared.warnings.map((w) => `${configName}: ${w}`),
  };
}
