/**
 * `qnmt sweep`: the study's table in one command — FP32 and each quantization config, calibrating
 * first when no statistics are given. Results are written as they finish and a rerun resumes.
 */
import type { Command } from 'commander';
import type cliProgress from 'cli-progress';
import { configName, runSweep, type SweepEvent } from '../../eval/sweep.js';
import { loadQuantConfig } from '../../quant/config.js';
import { renderSummary, renderTable } from '../../eval/results-table.js';
import { writeFileAtomic } from '../../eval/atomic-file.js';
import { activeBackend } from '../../tensor/backend.js';
import { QnmtError } from '../../errors.js';
import { log, warn } from '../log.js';
import { addRuntimeOptions, progressBar, searchSettings, useBackend, type RuntimeFlags } from '../options.js';
import { addShardOption, commandWithoutShard, resolveShard } from '../shard-option.js';
import { describeShard } from '../../eval/shard-plan.js';
import { join } from 'node:path';

interface SweepFlags extends RuntimeFlags {
  model: string;
  input: string;
  ref: string;
  stats?: string;
  configs: string[];
  out: string;
  csv?: boolean;
  fp32: boolean;
  shard?: string;
}

export function register(program: Command): void {
  const command = program
    .command('sweep')
    .description('Evaluate FP32 and every quantization config on a test set and print the study table (BLEU and time per row).')
    .requiredOption('-m, --model <file>', 'checkpoint (model_best.pth)')
    .requiredOption('-i, --input <file>', "BPE'd source, one sentence per line")
    .requiredOption('-r, --ref <file>', 'raw reference translations (BLEU reference)')
    .option('-s, --stats <file>', 'activation statistics YAML (default: calibrate on --input first, as the notebook does)')
    .requiredOption('-c, --configs <files...>', 'Distiller quantization configs (YAML); row name = file name without .yaml')
    .requiredOption('-o, --out <dir>', 'results folder (rows/*.json, hyp/*.detok.de, stats.yaml, table.md, table.json)')
    .option('--no-fp32', 'skip the FP32 row')
    .option('--csv', 'print the table as CSV on stdout');
  addShardOption(command);
  addRuntimeOptions(command)
    .addHelpText(
      'after',
      `
Each finished row is saved at once; run the same command again after an interruption (Ctrl-C, kill) and
only the missing rows are computed. Changing the model, data, search settings, a config or the stats
recomputes the rows they affect.

Example (the study on the bundled fixture, beam 10 as the notebook):
  qnmt sweep --model fixtures/multi30k-gnmt256/model_best.pth \\
    --input fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en --ref fixtures/multi30k-gnmt256/data/test2016.raw.de \\
    --configs examples/*.yaml --out runs/fixture

Sharding: with --shard I/N (or inside a Slurm array / Kubernetes Indexed Job) the process translates only
its share of (row, batch) units into OUT/parts/; it needs --stats for quantized rows (calibrate with
'qnmt calibrate --shard' and '--merge' first). The same command without --shard, once every shard is
done, merges the parts into the rows and the table without translating anything.`,
    )
    .action(async (flags: SweepFlags) => {
      const search = searchSettings(flags);
      const resolved = resolveShard(flags.shard);
      // Parse every config before any long computation, so a typo fails in the first second.
      const configs = flags.configs.map((path) => ({ name: configName(path), config: loadQuantConfig(path) }));
      await useBackend(flags);
      if (resolved) log(`shard ${describeShard(resolved.shard)} (${resolved.source}): this shard's batches of every row → ${join(flags.out, 'parts')}`);
      const progress = SweepProgress.untilInterrupted(flags.quiet === true, `finished rows are saved in ${flags.out}`);
      const rows = await runSweep({
        model: flags.model,
        input: flags.input,
        ref: flags.ref,
        ...(flags.stats ? { stats: flags.stats } : {}),
        configs,
        out: flags.out,
        ...search,
        fp32: flags.fp32,
        onEvent: (e) => progress.on(e),
        ...(resolved ? { shard: resolved.shard } : {}),
        command: commandWithoutShard(),
      });
      progress.stop();
      if (resolved) {
        log(`shard ${describeShard(resolved.shard)} (${resolved.source}) done; once every shard is done, run the same command without --shard to merge.`);
        return;
      }
      if (rows.length === 0) throw new QnmtError('sweep/nothing', 'nothing to evaluate: give --configs or leave out --no-fp32.');
      const markdown = renderTable(rows, 'md');
      const json = renderTable(rows, 'json');
      await writeFileAtomic(join(flags.out, 'table.md'), markdown);
      await writeFileAtomic(join(flags.out, 'table.json'), json);
      await writeFileAtomic(join(flags.out, 'table.csv'), renderTable(rows, 'csv'));
      const backend = activeBackend();
      log(`backend ${backend.name} × ${backend.threads} threads; results in ${flags.out} (qnmt report ${flags.out} draws them)`);
      process.stdout.write(flags.json ? json : flags.csv ? renderTable(rows, 'csv') : `${markdown}\n${renderSummary(rows)}`);
    });
}

/** One progress bar per configuration on stderr, plus a log line per finished or skipped row. */
export class SweepProgress {
  private bar: cliProgress.SingleBar | undefined;

  constructor(private readonly quiet: boolean) {}

  /** Progress for a resumable run: Ctrl-C stops the bar and says how to resume (`saved` = what is kept where). */
  static untilInterrupted(quiet: boolean, saved: string): SweepProgress {
    const progress = new SweepProgress(quiet);
    process.once('SIGINT', () => {
      progress.stop();
      warn(`interrupted; ${saved}. Run the same command again to resume.`);
      process.exit(130);
    });
    return progress;
  }

  on(e: SweepEvent): void {
    switch (e.kind) {
      case 'start':
        this.stop();
        this.bar = progressBar(`${e.task === 'calibrate' ? 'calibrating' : 'translating'} ${e.config.padEnd(32)}`, this.quiet);
        this.bar?.start(e.sentences, 0);
        break;
      case 'progress':
        this.bar?.update(e.done);
        break;
      case 'done':
        this.stop();
        log(e.row ? `${e.config}: BLEU ${e.row.bleu.toFixed(2)} in ${e.seconds.toFixed(1)} s` : `${e.config}: done in ${e.seconds.toFixed(1)} s`);
        break;
      case 'skip':
        log(`${e.config}: ${e.reason}${e.row ? ` (BLEU ${e.row.bleu.toFixed(2)})` : ''}`);
        break;
      case 'part':
        this.stop();
        log(`${e.config}: shard part in ${e.seconds.toFixed(1)} s → ${e.path}`);
        break;
      case 'merged':
        log(`${e.config}: merged from its shards' parts, BLEU ${e.row.bleu.toFixed(2)}`);
        break;
      case 'warning':
        warn(e.message);
        break;
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
