/**
 * Accuracy-driven tuning within a BLEU budget, in the spirit of Intel Neural Compressor's "basic"
 * strategy, with every trial a full BLEU evaluation of the tuning set:
 *
 * 1. FP32 and the fully quantized base are evaluated; the base is accepted if it is within budget.
 * 2. Settings: the modules ranked highest by the proxy (output KL divergence with only the module
 *    INT8) each get the clip mode / per-channel choice whose proxy is lowest; one trial with all of them.
 * 3. Fallback: the first k modules of the ranking are left FP32, k = 1, 2, 4, … until the budget holds,
 *    then the smallest such k is found by bisection.
 * 4. Win back: each FP32 module, least sensitive first, is quantized again if the budget still holds.
 *
 * A trial is accepted when the budget holds at the point estimate. Decisions depend only on measured
 * values, so a run is deterministic; every trial's row is saved (DIR/trials) and a rerun replays the
 * search from them, which is how it resumes. DIR/tuning-log.jsonl has one line per trial, DIR/tuned.yaml
 * the best accepted config (or the best one found, when none met the budget).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FP32_OVERRIDE, formatQuantConfig, type QuantConfig } from '../quant/config.js';
import { isFp32Settings, onlyModuleQuantized, withModuleSettings, type FileSettings } from '../quant/config-edit.js';
import type { WrapperType } from '../quant/qtypes.js';
import { QnmtError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { settingsHash, type ResultRow } from './results-store.js';
import { Evaluator } from './evaluator.js';
import { evaluatorOptions, proxyErrors } from './sensitivity.js';
import type { EvaluationSetOptions, SweepEvent } from './evaluation-set.js';

export const TUNED_FILE = 'tuned.yaml';
export const TUNING_LOG = 'tuning-log.jsonl';
export const TRIALS_DIR = 'trials';
/** The run's summary (TuneResult) that `qnmt report` draws. */
export const TUNING_RESULT_FILE = 'tuning.json';
const SETTINGS_PROXY_FILE = 'settings-proxy.json';

export interface TuneOptions extends EvaluationSetOptions {
  base: QuantConfig;
  out: string;
  /** Largest accepted BLEU drop from FP32 on the tuning set. */
  maxDrop: number;
  /** Stop starting new trials after this many seconds (the best accepted config so far is kept). */
  timeLimit: number;
  /** Sentences for the proxy. */
  proxyLines: number;
  /** How many of the top-ranked modules get a per-module settings search. */
  settingsTop: number;
  onEvent?: (event: SweepEvent) => void;
  onTrial?: (trial: TrialRecord) => void;
}

export type TrialPhase = 'fp32' | 'base' | 'settings' | 'fallback' | 'win-back';

/** One line of DIR/tuning-log.jsonl. */
export interface TrialRecord {
  trial: number;
  phase: TrialPhase;
  /** The trial's row name in DIR/trials. */
  config: string;
  /** Per-module overrides on top of the base config (file form; all bits null = FP32). */
  diff: Record<string, FileSettings>;
  fp32_modules: number;
  bleu: number;
  /** BLEU minus FP32 BLEU. */
  delta: number;
  accepted: boolean;
  /** Seconds of the evaluation, and since the start of this run; replayed = the row was already in DIR. */
  seconds: number;
  replayed: boolean;
  elapsed: number;
  /** 95 % confidence interval of `delta` (paired bootstrap), when computed. */
  ci95?: [number, number];
}

export interface TuneResult {
  fp32_bleu: number;
  max_drop: number;
  /** The config written to tuned.yaml, its trial, and whether it meets the budget. */
  best: TrialRecord;
  met_budget: boolean;
  trials: TrialRecord[];
  modules: { name: string; type: WrapperType; proxy: number | null; setting: FileSettings | null }[];
  stopped_by_time_limit: boolean;
}

/** Clip settings a module may get, besides the base's (N_STD with a few k; GAUSS and LAPLACE are ACIQ). */
const CLIP_CANDIDATES: readonly FileSettings[] = [
  { clip_acts: 'NONE' }, { clip_acts: 'AVG' }, { clip_acts: 'N_STD', clip_n_stds: 2 }, { clip_acts: 'N_STD', clip_n_stds: 3 },
  { clip_acts: 'N_STD', clip_n_stds: 4 }, { clip_acts: 'GAUSS' }, { clip_acts: 'LAPLACE' },
];

export async function runTune(options: TuneOptions): Promise<TuneResult> {
  const t0 = performance.now();
  const evaluator = await Evaluator.open(evaluatorOptions(options, options.out, TRIALS_DIR));
  const trials: TrialRecord[] = [];
  const elapsed = () => (performance.now() - t0) / 1000;
  let stoppedByTime = false;
  const saveLog = () => writeFileAtomic(join(options.out, TUNING_LOG), trials.map((t) => JSON.stringify(t)).join('\n') + '\n');

  const fp32Row = await evaluator.fp32();
  const fp32Bleu = fp32Row.bleu;
  const within = (row: ResultRow) => fp32Bleu - row.bleu <= options.maxDrop;
  const record = async (phase: TrialPhase, row: ResultRow, diff: Map<string, FileSettings>): Promise<TrialRecord> => {
    const t: TrialRecord = {
      trial: trials.length, phase, config: row.config, diff: Object.fromEntries(diff),
      fp32_modules: row.fp32_modules?.length ?? 0, bleu: row.bleu, delta: row.bleu - fp32Bleu,
      accepted: phase !== 'fp32' && within(row), seconds: row.seconds, replayed: !evaluator.isComputedNow(row), elapsed: elapsed(),
    };
    trials.push(t);
    await saveLog();
    options.onTrial?.(t);
    return t;
  };
  await record('fp32', fp32Row, new Map());

  /** Evaluate base + `diff` as a trial (rows are reused when the same config was evaluated before). */
  const trial = async (phase: TrialPhase, diff: Map<string, FileSettings>): Promise<TrialRecord | null> => {
    const config = withModuleSettings(options.base, diff);
    if (!evaluator.isFinished(config) && elapsed() > options.timeLimit) {
      stoppedByTime = true;
      return null;
    }
    const name = `trial-${settingsHash(formatQuantConfig({ ...config, name: 'q', file: null })).slice(0, 8)}`;
    const row = await evaluator.evaluate(name, config, trials.length);
    return record(phase, row, diff);
  };

  // 1. The base.
  let best = (await trial('base', new Map()))!;
  let current = new Map<string, FileSettings>();

  // Ranking by the proxy (KL divergence with only the module INT8, base settings).
  const proxy = await proxyErrors(evaluator, { base: options.base, out: options.out, proxy: 'kl', proxyLines: options.proxyLines, ...(options.onEvent && { onEvent: options.onEvent }) });
  const rank = [...evaluator.modules].sort((a, b) => (proxy.errors[b.name] ?? -1) - (proxy.errors[a.name] ?? -1));
  const sensitivity = new Map(rank.map((m) => [m.name, proxy.errors[m.name] ?? null]));

  if (!best.accepted) {
    // 2. Per-module settings chosen by the proxy, for the most sensitive modules.
    const chosen = await chooseSettings(evaluator, options, rank.slice(0, options.settingsTop), sensitivity);
    if (chosen.size > 0) {
      const t = await trial('settings', chosen);
      if (t && t.bleu > best.bleu) {
        best = t;
        current = chosen;
      }
    }
  }

  if (!best.accepted) {
    // 3. FP32 fallback of the first k of the ranking: k doubles until the budget holds, then bisection.
    const withFallback = (k: number) => {
      const d = new Map(current);
      for (const m of rank.slice(0, k)) d.set(m.name, FP32_OVERRIDE);
      return d;
    };
    let lo = 0;
    let hi = -1;
    let hiTrial: TrialRecord | null = null;
    for (let k = 1; ; k = Math.min(2 * k, rank.length)) {
      const t = await trial('fallback', withFallback(k));
      if (!t) break;
      if (t.accepted) {
        hi = k;
        hiTrial = t;
        break;
      }
      lo = k;
      if (k === rank.length) break;
    }
    while (hiTrial && hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const t = await trial('fallback', withFallback(mid));
      if (!t) break;
      if (t.accepted) {
        hi = mid;
        hiTrial = t;
      } else lo = mid;
    }
    if (hiTrial) {
      best = hiTrial;
      current = withFallback(hi);
    }
  }

  if (best.accepted) {
    // 4. Win back: quantize each FP32 module again (least sensitive first) while the budget holds.
    const fallbacks = [...current].filter(([, s]) => isFp32Settings(s)).map(([n]) => n).reverse();
    for (const name of fallbacks) {
      const d = new Map(current);
      d.delete(name);
      const t = await trial('win-back', d);
      if (!t) break;
      if (t.accepted) {
        best = t;
        current = d;
      }
    }
  } else {
    best = trials.filter((t) => t.phase !== 'fp32').reduce((a, b) => (b.bleu > a.bleu ? b : a));
    current = new Map(Object.entries(best.diff));
  }

  const tuned = withModuleSettings({ ...options.base, name: 'post_train_quantizer' }, current);
  await writeFileAtomic(join(options.out, TUNED_FILE), tunedHeader(best, fp32Bleu, options.maxDrop) + formatQuantConfig(tuned));
  return {
    fp32_bleu: fp32Bleu, max_drop: options.maxDrop, best, met_budget: best.accepted, trials,
    modules: rank.map((m) => ({ name: m.name, type: m.type, proxy: sensitivity.get(m.name) ?? null, setting: current.get(m.name) ?? null })),
    stopped_by_time_limit: stoppedByTime,
  };
}

/**
 * For each module, the clip (and, for Linear, per-channel) setting with the lowest proxy when only that
 * module is INT8; modules whose best is the base's own setting are left out. Cached in DIR.
 */
async function chooseSettings(
  evaluator: Evaluator,
  options: TuneOptions,
  modules: readonly { name: string; type: WrapperType }[],
  baseProxy: ReadonlyMap<string, number | null>,
): Promise<Map<string, FileSettings>> {
  const path = join(options.out, SETTINGS_PROXY_FILE);
  // Proxy per config hash; null = a setting these statistics cannot support (e.g. LAPLACE without 'b').
  let cache: Record<string, number | null> = {};
  try {
    cache = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number | null>;
  } catch {
    /* nothing measured yet */
  }
  const proxyOf = async (name: string, setting: FileSettings): Promise<number> => {
    const config = onlyModuleQuantized(withModuleSettings(options.base, new Map([[name, setting]])), name, evaluator.modules.map((x) => x.name));
    const key = settingsHash({ set: evaluator.set.settingsHash, stats: evaluator.set.statsId, lines: options.proxyLines, config: formatQuantConfig({ ...config, name: 'q', file: null }) });
    if (!(key in cache)) {
      try {
        cache[key] = evaluator.divergence(config, options.proxyLines);
      } catch (e) {
        if (!(e instanceof QnmtError)) throw e;
        cache[key] = null;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return cache[key] ?? Infinity;
  };
  const chosen = new Map<string, FileSettings>();
  const emit = options.onEvent ?? (() => undefined);
  emit({ kind: 'start', config: 'settings proxy', sentences: modules.length, task: 'translate' });
  for (const [i, m] of modules.entries()) {
    if (m.type !== 'Embedding') {
      let bestValue = baseProxy.get(m.name) ?? Infinity;
      const consider = async (setting: FileSettings) => {
        const value = await proxyOf(m.name, setting);
        if (value < bestValue) {
          bestValue = value;
          chosen.set(m.name, setting);
        }
      };
      for (const c of CLIP_CANDIDATES) await consider(c);
      // For a Linear, the other per-channel choice with the best clip mode.
      if (m.type === 'Linear') await consider({ ...(chosen.get(m.name) ?? {}), per_channel_wts: !options.base.perChannelWts });
      await writeFileAtomic(path, JSON.stringify(cache) + '\n');
    }
    emit({ kind: 'progress', config: 'settings proxy', done: i + 1, total: modules.length });
  }
  emit({ kind: 'done', config: 'settings proxy', seconds: 0 });
  return chosen;
}

function tunedHeader(best: TrialRecord, fp32Bleu: number, maxDrop: number): string {
  const fp32 = Object.values(best.diff).filter(isFp32Settings).length;
  return [
    `# Tuned by qnmt tune: BLEU ${best.bleu.toFixed(2)} on the tuning set (FP32 ${fp32Bleu.toFixed(2)}, ${best.delta >= 0 ? '+' : ''}${best.delta.toFixed(2)}; budget -${maxDrop}),`,
    `# ${fp32} module(s) left FP32. Distiller schedule format (PostTrainLinearQuantizer); evaluate it on a held-out`,
    '# test set with: qnmt sweep -c tuned.yaml ...',
    '',
  ].join('\n');
}
