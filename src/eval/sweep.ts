/**
 * The study in one call (Distiller's notebook, results-table.md): FP32, then — with statistics
 * given, or collected by a calibration pass over the evaluated set as the notebook does — every
 * quantization config, each on a fresh model over the same weights.
 *
 * Nothing is lost on interruption: every finished configuration is written at once (atomic row file
 * plus its hypotheses), the calibration statistics too, and a resumed sweep skips every row whose
 * settings hash (model, input, reference, search settings, config text, stats) is unchanged.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { GnmtCheckpoint } from '../io/checkpoint.js';
import type { Gnmt } from '../model/gnmt.js';
import { hashFile } from '../data/hash-file.js';
import { loadQuantConfig, type QuantConfig } from '../quant/config.js';
import { OVERRIDE_KEYS, type OverrideEntry } from '../quant/overrides.js';
import { formatStats, loadStats, parseStats, type Stats } from '../quant/stats.js';
import { collectStats } from '../quant/collector.js';
import { measureModuleErrors } from '../quant/module-error.js';
import type { QuantWrapper } from '../quant/wrappers/index.js';
import { readLines, joinLines } from '../text/text-lines.js';
import { QnmtError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { loadRows, settingsHash, writeRow, type ResultRow } from './results-store.js';
import { scoreJoined } from './score.js';
import { translateLines, type TranslateOptions } from './translate.js';
import { fp32Model, openCheckpoint, quantizedModel } from './models.js';

export interface SweepOptions {
  model: string;
  input: string;
  ref: string;
  /** Activation statistics (Distiller YAML); collected on `input` when absent. */
  stats?: string;
  configs: readonly string[];
  out: string;
  beam: number;
  batch: number;
  maxLen: number;
  /** Include the FP32 row (default true). */
  fp32?: boolean;
  /** Called as the sweep progresses (progress bars, logs). */
  onEvent?: (event: SweepEvent) => void;
}

export type SweepEvent =
  | { kind: 'start'; config: string; sentences: number; task: 'translate' | 'calibrate' }
  | { kind: 'progress'; config: string; done: number; total: number }
  | { kind: 'done'; config: string; row?: ResultRow; seconds: number }
  | { kind: 'skip'; config: string; row?: ResultRow; reason: string }
  | { kind: 'warning'; message: string };

/** Name used for the FP32 row and for configurations (the config file's name without .yaml). */
export const FP32_CONFIG = 'fp32';
export const STATS_FILE = 'stats.yaml';
/** Sentences on which each quantized row also measures its per-module error. */
export const MODULE_ERROR_LINES = 16;

interface BuiltModel {
  model: Gnmt;
  /** The quantized wrappers by module name (absent for FP32). */
  wrappers?: ReadonlyMap<string, QuantWrapper>;
}

export function configName(path: string): string {
  return basename(path).replace(/\.ya?ml$/i, '');
}

export async function runSweep(options: SweepOptions): Promise<ResultRow[]> {
  const emit = options.onEvent ?? (() => undefined);
  const lines = readLines(options.input);
  const refs = readLines(options.ref);
  if (lines.length !== refs.length) {
    throw new QnmtError(
      'sweep/line-count',
      `${options.ref} has ${refs.length} lines but ${options.input} has ${lines.length}; they must be line-aligned.`,
    );
  }
  const names = options.configs.map(configName);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i || n === FP32_CONFIG);
  if (duplicate) throw new QnmtError('sweep/duplicate-config', `two configurations are named '${duplicate}' (the file name without .yaml must be unique and not 'fp32').`);
  // Parse every config before any long computation, so a typo fails in the first second.
  const configs = options.configs.map((path) => ({ path, name: configName(path), config: loadQuantConfig(path), text: readFileSync(path, 'utf8') }));

  const search = { beam: options.beam, batch: options.batch, maxLen: options.maxLen };
  const common = {
    model_sha256: (await hashFile(options.model)).sha256,
    input_sha256: sha256(joinLines(lines)),
    ref_sha256: sha256(joinLines(refs)),
    beam_size: search.beam,
    batch_size: search.batch,
    max_seq_len: search.maxLen,
  };
  const finished = new Map((await loadRows(options.out)).rows.map((r) => [r.config, r]));
  const ckpt = await openCheckpoint(options.model);
  const rows: ResultRow[] = [];

  // Rows of one sweep share the settings hash (model, data, search); a config's own inputs go into config_hash.
  const hash = settingsHash(common);
  const evaluate = async (
    name: string,
    order: number,
    configHash: string,
    build: () => BuiltModel,
    describe: Pick<ResultRow, 'precision' | 'mode' | 'per_channel' | 'clip_acts' | 'overrides'>,
  ) => {
    const old = finished.get(name);
    if (old && old.settings_hash === hash && old.config_hash === configHash) {
      emit({ kind: 'skip', config: name, row: old, reason: 'already finished with the same settings' });
      rows.push(old);
      return;
    }
    const { model, wrappers } = build();
    emit({ kind: 'start', config: name, sentences: lines.length, task: 'translate' });
    const t0 = performance.now();
    const result = await translateLines(model, ckpt.vocab, lines, progressOptions(name, search, emit));
    const seconds = (performance.now() - t0) / 1000;
    const scored = scoreJoined(result.joined, refs, options.ref);
    // Outside the timed part: each quantized module's own error on a few sentences (for the report).
    const moduleErrors = wrappers
      ? await measureModuleErrors(wrappers, async () => {
          await translateLines(model, ckpt.vocab, lines.slice(0, MODULE_ERROR_LINES), search);
        })
      : undefined;
    const hypPath = join(options.out, 'hyp', `${name}.detok.de`);
    await writeFileAtomic(hypPath, joinLines(scored.detok));
    const row: ResultRow = {
      config: name,
      ...describe,
      bleu: scored.bleu.score,
      bleu_line: scored.bleu.formatted,
      seconds,
      hyp_path: hypPath,
      finished_at: new Date().toISOString(),
      settings_hash: hash,
      config_hash: configHash,
      order,
      ...(moduleErrors ? { module_errors: moduleErrors } : {}),
    };
    await writeRow(options.out, row);
    emit({ kind: 'done', config: name, row, seconds });
    rows.push(row);
  };

  if (options.fp32 !== false) {
    await evaluate(FP32_CONFIG, 0, settingsHash({ config: FP32_CONFIG }), () => ({ model: fp32Model(ckpt) }), {
      precision: 'FP32', mode: null, per_channel: null, clip_acts: null, overrides: null,
    });
  }
  if (configs.length === 0) return rows;

  const { stats, statsSha } = await obtainStats(options, ckpt, lines, common, search, emit);
  for (const [i, c] of configs.entries()) {
    const configHash = settingsHash({ config_sha256: sha256(c.text), stats_sha256: statsSha });
    await evaluate(c.name, i + 1, configHash, () => {
      const { model, prepared } = quantizedModel(ckpt, c.config, stats);
      for (const w of prepared.warnings) emit({ kind: 'warning', message: `${c.path}: ${w}` });
      return { model, wrappers: prepared.modules };
    }, describeConfig(c.config));
  }
  return rows;
}

/**
 * The statistics for the quantized rows: the given file, or DIR/stats.yaml from an earlier run with
 * the same model/input/search settings, or a calibration pass now (saved before it is used).
 */
async function obtainStats(
  options: SweepOptions,
  ckpt: GnmtCheckpoint,
  lines: readonly string[],
  common: Record<string, unknown>,
  search: { beam: number; batch: number; maxLen: number },
  emit: (e: SweepEvent) => void,
): Promise<{ stats: Stats; statsSha: string }> {
  if (options.stats) {
    const text = readFileSync(options.stats, 'utf8');
    return { stats: loadStats(options.stats), statsSha: sha256(text) };
  }
  const statsPath = join(options.out, STATS_FILE);
  const metaPath = `${statsPath}.json`;
  const calibrationHash = settingsHash({ ...common, calibration: 'distiller-r-collector' });
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { settings_hash?: string };
    if (meta.settings_hash === calibrationHash) {
      const text = readFileSync(statsPath, 'utf8');
      emit({ kind: 'skip', config: 'calibration', reason: `statistics already collected (${statsPath})` });
      return { stats: parseStats(text, statsPath), statsSha: sha256(text) };
    }
  } catch {
    /* no earlier calibration: collect now */
  }
  emit({ kind: 'start', config: 'calibration', sentences: lines.length, task: 'calibrate' });
  const t0 = performance.now();
  const stats = await calibrate(fp32Model(ckpt), ckpt.vocab, lines, progressOptions('calibration', search, emit));
  const seconds = (performance.now() - t0) / 1000;
  const text = formatStats(stats);
  await writeFileAtomic(statsPath, text);
  await writeFileAtomic(metaPath, JSON.stringify({ settings_hash: calibrationHash, seconds, ...common }, null, 2) + '\n');
  emit({ kind: 'done', config: 'calibration', seconds });
  return { stats, statsSha: sha256(text) };
}

/**
 * Distiller's calibration (quantization.md §1.3, §3): a full FP32 evaluation of `lines` with the
 * statistics collector on every leaf op.
 */
export async function calibrate(model: Gnmt, vocab: readonly string[], lines: readonly string[], options: TranslateOptions): Promise<Stats> {
  return collectStats(model, async () => {
    await translateLines(model, vocab, lines, options);
  });
}

function progressOptions(config: string, search: TranslateOptions, emit: (e: SweepEvent) => void): TranslateOptions {
  return {
    ...search,
    onProgress: (done, total) => emit({ kind: 'progress', config, done, total }),
    onWarning: (message) => emit({ kind: 'warning', message }),
  };
}

/** The table columns of a quantization config (overrides back in their file form). */
function describeConfig(config: QuantConfig): Pick<ResultRow, 'precision' | 'mode' | 'per_channel' | 'clip_acts' | 'overrides'> {
  return {
    precision: `INT${config.bitsActivations}`,
    mode: config.mode,
    per_channel: config.perChannelWts,
    clip_acts: config.clipActs,
    overrides: config.overrides.length > 0 ? Object.fromEntries(config.overrides.map((o) => [o.pattern, overrideFileSettings(o)])) : null,
  };
}

/** An override's settings with the file's key names (`clip_acts: NONE`), for result rows and tables. */
function overrideFileSettings(entry: OverrideEntry): Record<string, unknown> {
  const byFileKey: Record<(typeof OVERRIDE_KEYS)[number], unknown> = {
    bits_activations: entry.settings.bitsActivations,
    bits_weights: entry.settings.bitsWeights,
    bits_bias: entry.settings.bitsBias,
    mode: entry.settings.mode,
    per_channel_wts: entry.settings.perChannelWts,
    clip_acts: entry.settings.clipActs,
    clip_n_stds: entry.settings.clipNStds,
    scale_approx_mult_bits: entry.settings.scaleApproxMultBits,
    fp16: entry.settings.fp16,
  };
  return Object.fromEntries(entry.keys.map((k) => [k, byFileKey[k as keyof typeof byFileKey]]));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
