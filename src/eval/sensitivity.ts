/**
 * Per-module sensitivity of a quantization config, two ways:
 * - a cheap proxy for every quantizable module: its own output error (relative L2 against its FP32 op,
 *   on the inputs it receives) in the fully quantized base config, measured on a slice of the set;
 * - the BLEU change on the whole set for the top-k modules by proxy: with only that module quantized
 *   (on an FP32 model, against FP32) and with only that module left FP32 (on the base, against the base).
 *
 * Every evaluation is a job whose row is saved as it finishes (DIR/jobs), the proxy too
 * (DIR/proxy.json), and DIR/sensitivity.json is rewritten after each, so an interrupted scan resumes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FP32_OVERRIDE, formatQuantConfig, type QuantConfig } from '../quant/config.js';
import { onlyModuleQuantized, withModuleSettings } from '../quant/config-edit.js';
import type { WrapperType } from '../quant/qtypes.js';
import { writeFileAtomic } from './atomic-file.js';
import { settingsHash, type ResultRow } from './results-store.js';
import { Evaluator, type EvaluatorOptions } from './evaluator.js';
import type { EvaluationSetOptions, SweepEvent } from './evaluation-set.js';

export const SENSITIVITY_FILE = 'sensitivity.json';
export const PROXY_FILE = 'proxy.json';
export const JOBS_DIR = 'jobs';

export type ProxyKind = 'kl' | 'error';
export const PROXY_KINDS: readonly ProxyKind[] = ['kl', 'error'];

export interface SensitivityOptions extends EvaluationSetOptions {
  /** The fully quantized base config. */
  base: QuantConfig;
  out: string;
  /** Modules (best by proxy first) that also get the two full BLEU measurements. */
  top: number;
  /** Sentences of the proxy slice (the set's first lines). */
  proxyLines: number;
  /**
   * 'kl': KL divergence of the output distribution with only the module quantized (one pass per module);
   * 'error': each module's own output error in the base config (one pass in all).
   */
  proxy: ProxyKind;
  onEvent?: (event: SweepEvent) => void;
}

/** A measured BLEU change: the job's row name, its BLEU and the difference to its reference row. */
export interface MeasuredChange {
  config: string;
  bleu: number;
  delta: number;
  /** 95 % confidence interval of `delta` by paired bootstrap resampling, when computed. */
  ci95?: [number, number];
}

export interface SensitivityEntry {
  module: string;
  type: WrapperType;
  /** Rank by proxy error, 1 = largest. */
  rank: number;
  /** The proxy: KL divergence (nats per token) or relative L2 output error (null: never called on the slice). */
  proxy_error: number | null;
  /** Only this module INT8 (all others FP32), against FP32. */
  quantized_only?: MeasuredChange;
  /** Only this module FP32 (the rest as the base), against the base. */
  fp32_only?: MeasuredChange;
}

export interface SensitivityResult {
  fp32: { config: string; bleu: number } | null;
  base: { config: string; bleu: number } | null;
  /** The base config as Distiller schedule YAML. */
  base_yaml: string;
  proxy: { kind: ProxyKind; lines: number; seconds: number };
  /** Sorted by proxy rank. */
  modules: SensitivityEntry[];
  /** The job rows' folder, relative to the results folder. */
  jobs_dir: string;
}

export async function runSensitivity(options: SensitivityOptions): Promise<SensitivityResult> {
  const evaluator = await Evaluator.open(evaluatorOptions(options, options.out));
  const proxy = await proxyErrors(evaluator, options);
  const ranked = [...evaluator.modules]
    .map((m) => ({ ...m, error: proxy.errors[m.name] ?? null }))
    .sort((a, b) => (b.error ?? -1) - (a.error ?? -1));
  const entries: SensitivityEntry[] = ranked.map((m, i) => ({ module: m.name, type: m.type, rank: i + 1, proxy_error: m.error }));
  const result: SensitivityResult = {
    fp32: null, base: null, base_yaml: formatQuantConfig(options.base), proxy: { kind: options.proxy, lines: proxy.lines, seconds: proxy.seconds }, modules: entries, jobs_dir: JOBS_DIR,
  };
  const save = () => writeFileAtomic(join(options.out, SENSITIVITY_FILE), JSON.stringify(result, null, 2) + '\n');
  await save();
  if (options.top <= 0) return result;

  const fp32 = await evaluator.fp32();
  const base = await evaluator.evaluate('base', options.base, 1);
  result.fp32 = { config: fp32.config, bleu: fp32.bleu };
  result.base = { config: base.config, bleu: base.bleu };
  await save();
  const change = (row: ResultRow, ref: ResultRow): MeasuredChange => ({ config: row.config, bleu: row.bleu, delta: row.bleu - ref.bleu });
  for (const [i, e] of entries.slice(0, options.top).entries()) {
    const only = await evaluator.evaluate(`int8-only:${e.module}`, onlyModuleQuantized(options.base, e.module, evaluator.modules.map((m) => m.name)), 2 + 2 * i);
    e.quantized_only = change(only, fp32);
    await save();
    const left = await evaluator.evaluate(`fp32-only:${e.module}`, withModuleSettings(options.base, new Map([[e.module, FP32_OVERRIDE]])), 3 + 2 * i);
    e.fp32_only = change(left, base);
    await save();
  }
  return result;
}

/** The evaluator of a sensitivity or tuning run: job rows under DIR/jobs, calibration in DIR. */
export function evaluatorOptions(options: EvaluationSetOptions & { out: string; onEvent?: (e: SweepEvent) => void }, out: string, jobsDir = JOBS_DIR): EvaluatorOptions {
  return { ...options, jobsDir: join(out, jobsDir), statsDir: out, moduleErrorLines: 0 };
}

/** The proxy of every module for the base config, from DIR/proxy.json when measured before with the same inputs. */
export async function proxyErrors(
  evaluator: Evaluator,
  options: Pick<SensitivityOptions, 'base' | 'out' | 'proxy' | 'proxyLines' | 'onEvent'>,
): Promise<{ errors: Record<string, number | null>; lines: number; seconds: number }> {
  const lines = evaluator.set.lines.slice(0, Math.max(1, options.proxyLines));
  const hash = settingsHash({ settings: evaluator.set.settingsHash, stats: evaluator.set.statsId, base: formatQuantConfig({ ...options.base, name: 'q', file: null }), lines: lines.length, kind: options.proxy });
  const path = join(options.out, PROXY_FILE);
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { hash: string; errors: Record<string, number | null>; lines: number; seconds: number };
    if (saved.hash === hash) {
      options.onEvent?.({ kind: 'skip', config: 'proxy', reason: `proxy errors already measured (${path})` });
      return saved;
    }
  } catch {
    /* not measured yet */
  }
  options.onEvent?.({ kind: 'start', config: 'proxy', sentences: options.proxy === 'kl' ? evaluator.modules.length : lines.length, task: 'translate' });
  const t0 = performance.now();
  let errors: Record<string, number | null>;
  if (options.proxy === 'error') errors = await evaluator.moduleErrors(options.base, lines);
  else {
    errors = {};
    for (const [i, m] of evaluator.modules.entries()) {
      errors[m.name] = evaluator.divergence(onlyModuleQuantized(options.base, m.name, evaluator.modules.map((x) => x.name)), lines.length);
      options.onEvent?.({ kind: 'progress', config: 'proxy', done: i + 1, total: evaluator.modules.length });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const saved = { hash, errors, lines: lines.length, seconds };
  await writeFileAtomic(path, JSON.stringify(saved, null, 2) + '\n');
  options.onEvent?.({ kind: 'done', config: 'proxy', seconds });
  return saved;
}
