/**
 * Models for an evaluation: the checkpoint is read once, and every configuration gets a fresh module
 * tree over the same weight tensors (building a tree copies no weights). Quantization then wraps that
 * tree's ops in place (`prepareModel`), as Distiller does on a deep copy of the FP32 model.
 */
import { loadCheckpoint, type GnmtCheckpoint } from '../io/checkpoint.js';
import { buildGnmt } from '../model/build.js';
import type { Gnmt } from '../model/gnmt.js';
import { prepareModel, type PrepareResult } from '../quant/prepare.js';
import type { QuantConfig } from '../quant/config.js';
import type { Stats } from '../quant/stats.js';

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
