/** Flags shared by `qnmt sensitivity` and `qnmt tune`: model, tuning set, statistics, base config. */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { loadQuantConfig, type QuantConfig } from '../quant/config.js';
import { defaultSearchBase } from '../quant/config-edit.js';
import { warn } from './log.js';

export interface SearchFlags {
  model: string;
  input: string;
  ref: string;
  stats?: string;
  base?: string;
  out: string;
}

export function addSearchOptions(command: Command): Command {
  return command
    .requiredOption('-m, --model <file>', 'checkpoint (model_best.pth)')
    .requiredOption('-i, --input <file>', "tuning set: BPE'd source, one sentence per line (held out from the test set)")
    .requiredOption('-r, --ref <file>', 'tuning set: raw reference translations')
    .option('-s, --stats <file>', 'activation statistics YAML (default: calibrate on --input first)')
    .option('--base <config>', 'fully quantized starting config, Distiller YAML (default: asymmetric, per-channel, clip AVG)')
    .requiredOption('-o, --out <dir>', 'results folder (written as it goes; rerun to resume)');
}

/** The base config, from --base or the default. */
export function searchBase(flags: SearchFlags): QuantConfig {
  return flags.base ? loadQuantConfig(flags.base) : defaultSearchBase();
}

/**
 * Held-out evaluation is the default: tuning on the test set overstates the result. A file that looks
 * like a test set gets a warning (it stays possible, as the notebook calibrates on its test set).
 */
export function warnIfTestSet(flags: SearchFlags, command: string): void {
  if (/test|newstest/i.test(basename(flags.input))) {
    warn(`${flags.input} looks like a test set: ${command} results measured on it are optimistic for that set. ` +
      'Tune on a held-out set (e.g. a validation set) and evaluate the result on the test set with qnmt sweep.');
  }
}
