/**
 * One evaluation set, one checkpoint, one statistics file, many configurations: what a sensitivity
 * scan and a tuner ask for again and again. Every evaluation is a sweep job whose row is saved in
 * DIR (rows/, hyp/) the moment it finishes; asking again for a configuration that already has a row
 * with the same settings and config hash returns that row at once, which is how both commands resume.
 */
import type { GnmtCheckpoint } from '../io/checkpoint.js';
import type { QuantConfig } from '../quant/config.js';
import type { Stats } from '../quant/stats.js';
import { measureModuleErrors, type ModuleErrors } from '../quant/module-error.js';
import { quantizableModules } from '../quant/prepare.js';
import type { WrapperType } from '../quant/qtypes.js';
import { ensureOutputDir } from '../io/safe-write.js';
import { loadRows, type ResultRow } from './results-store.js';
import { fp32Model, openCheckpoint, quantizedModel } from './models.js';
import { translateLines } from './translate.js';
import { outputDivergence, referencePaths, type ReferencePaths } from './output-divergence.js';
import { planJobs, quantizedJob, runJob, type SweepJob } from './sweep-jobs.js';
import { readEvaluationSet, statsFor, type EvaluationSet, type EvaluationSetOptions, type SweepEvent } from './evaluation-set.js';

export interface EvaluatorOptions extends EvaluationSetOptions {
  /** Results folder of the jobs (rows/, hyp/); calibration statistics go to `statsDir`. */
  jobsDir: string;
  /** Where DIR/stats.yaml is kept when the statistics are collected on the input. */
  statsDir: string;
  /** Sentences on which each quantized job measures its per-module error (0: none). */
  moduleErrorLines?: number;
  onEvent?: (event: SweepEvent) => void;
}

export class Evaluator {
  private readonly finished: Map<string, ResultRow>;
  private reference: { lines: number; paths: ReferencePaths } | undefined;
  /** Rows computed by this process (the others were read from the folder). */
  private readonly computed = new WeakSet<ResultRow>();
  private readonly emit: (event: SweepEvent) => void;

  private constructor(
    readonly set: EvaluationSet,
    readonly ckpt: GnmtCheckpoint,
    readonly stats: Stats,
    /** Every quantizable module with its wrapper type, in walk order. */
    readonly modules: readonly { name: string; type: WrapperType }[],
    private readonly options: EvaluatorOptions,
    rows: readonly ResultRow[],
  ) {
    this.finished = new Map(rows.filter((r) => r.settings_hash === set.settingsHash && r.config_hash).map((r) => [r.config_hash!, r]));
    this.emit = options.onEvent ?? (() => undefined);
  }

  static async open(options: EvaluatorOptions): Promise<Evaluator> {
    const set = await readEvaluationSet(options);
    ensureOutputDir(options.statsDir);
    const ckpt = await openCheckpoint(options.model);
    const stats = await statsFor(set, ckpt, options.statsDir, options.onEvent ?? (() => undefined));
    const rows = (await loadRows(options.jobsDir)).rows;
    return new Evaluator(set, ckpt, stats, quantizableModules(fp32Model(ckpt)), options, rows);
  }

  /** The FP32 row. */
  async fp32(): Promise<ResultRow> {
    return this.run(planJobs([], { statsId: this.set.statsId })[0]!);
  }

  /** The row of a configuration (an earlier one with the same content is reused). */
  async evaluate(name: string, config: QuantConfig, order: number): Promise<ResultRow> {
    return this.run(quantizedJob({ name, config }, order, this.set.statsId));
  }

  /** Whether a configuration already has a row (evaluating it costs nothing). */
  isFinished(config: QuantConfig): boolean {
    return this.finished.has(quantizedJob({ name: 'q', config }, 0, this.set.statsId).hash);
  }

  /** True when `row` was computed by this process, false when it was read from an earlier run. */
  isComputedNow(row: ResultRow): boolean {
    return this.computed.has(row);
  }

  /** Each quantized module's own error (relative L2 vs its FP32 op on the inputs it receives) on the given lines. */
  async moduleErrors(config: QuantConfig, lines: readonly string[]): Promise<ModuleErrors> {
    const { model, prepared } = quantizedModel(this.ckpt, config, this.stats);
    return measureModuleErrors(prepared.modules, async () => {
      await translateLines(model, this.ckpt.vocab, lines, this.set.search);
    });
  }

  /**
   * KL(P_fp32 ‖ P_config) of the next-token distributions along FP32's greedy translations of the set's
   * first `lines` sentences (see output-divergence.ts).
   */
  divergence(config: QuantConfig, lines: number): number {
    if (this.reference?.lines !== lines) {
      this.reference = { lines, paths: referencePaths(fp32Model(this.ckpt), this.ckpt.vocab, this.set.lines.slice(0, lines), this.set.search.maxLen) };
    }
    return outputDivergence(quantizedModel(this.ckpt, config, this.stats).model, this.reference.paths);
  }

  private async run(job: SweepJob): Promise<ResultRow> {
    const done = this.finished.get(job.hash);
    if (done) {
      this.emit({ kind: 'skip', config: job.name, row: done, reason: 'already evaluated with the same settings' });
      return done;
    }
    const { lines, refs, refName, search, settingsHash } = this.set;
    this.emit({ kind: 'start', config: job.name, sentences: lines.length, task: 'translate' });
    const row = await runJob(job, {
      ckpt: this.ckpt, lines, refs, refName, search, stats: job.config ? this.stats : null, settingsHash, out: this.options.jobsDir,
      moduleErrorLines: this.options.moduleErrorLines ?? 0,
      onProgress: (d, total) => this.emit({ kind: 'progress', config: job.name, done: d, total }),
      onWarning: (message) => this.emit({ kind: 'warning', message }),
    });
    this.finished.set(job.hash, row);
    this.computed.add(row);
    this.emit({ kind: 'done', config: job.name, row, seconds: row.seconds });
    return row;
  }
}

