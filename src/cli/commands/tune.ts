/** `qnmt tune`: the config with the most INT8 modules whose BLEU stays within a budget of FP32's. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { runTune, TUNED_FILE, TUNING_LOG, TUNING_RESULT_FILE } from '../../eval/tune.js';
import { renderTuning } from '../../eval/tune-table.js';
import { QnmtError } from '../../errors.js';
import { addRuntimeOptions, positiveInt, searchSettings, useBackend, type RuntimeFlags } from '../options.js';
import { addSearchOptions, searchBase, warnIfTestSet, type SearchFlags } from '../search-options.js';
import { log, warn } from '../log.js';
import { SweepProgress } from './sweep.js';
import { writeFileAtomic } from '../../eval/atomic-file.js';

interface TuneFlags extends RuntimeFlags, SearchFlags {
  maxDrop: string;
  timeLimit: string;
  proxyLines: string;
  settingsTop: string;
}

export function register(program: Command): void {
  const command = addSearchOptions(
    program
      .command('tune')
      .description('Accuracy-driven quantization: search per-module settings and FP32 fallbacks until BLEU is within --max-drop of FP32; writes DIR/tuned.yaml.'),
  )
    .option('--max-drop <bleu>', 'largest accepted BLEU drop from FP32 on the tuning set', '0.5')
    .option('--time-limit <time>', "start no new trial after this time (e.g. 20m, 90s, 1h)", '20m')
    .option('--proxy-lines <n>', 'sentences for the proxy ranking (output KL divergence)', '32')
    .option('--settings-top <n>', 'most sensitive modules that get a per-module clip / per-channel search', '8');
  addRuntimeOptions(command)
    .addHelpText(
      'after',
      `
The search (in the spirit of Intel Neural Compressor's basic strategy), every trial a BLEU evaluation of
the tuning set:
  1. the fully quantized base config (--base; default asymmetric, per-channel, clip AVG);
  2. the most sensitive modules (ranked by the KL divergence of the output with only that module INT8)
     get the clip mode (NONE, AVG, N_STD k, GAUSS, LAPLACE) and per-channel setting with the lowest proxy;
  3. FP32 fallback of the first k modules of the ranking (k = 1, 2, 4, ... then bisection) until the budget holds;
  4. each FP32 module is tried in INT8 again, least sensitive first.
A trial is accepted when the BLEU drop is within --max-drop at the point estimate. The run is deterministic;
every trial is saved (trials/), so running the same command again resumes. Outputs: DIR/tuned.yaml
(Distiller schedule YAML, loadable by qnmt and Distiller), DIR/tuning-log.jsonl (one line per trial),
DIR/tuning.md; 'qnmt report DIR' charts the search.

Example (tune on the validation set, then evaluate on the test set):
  qnmt tune -m fixtures/multi30k-gnmt256/model_best.pth -i fixtures/multi30k-gnmt256/data/val.tok.bpe.en \\
    -r fixtures/multi30k-gnmt256/data/val.raw.de --max-drop 0.5 -o runs/tune
  qnmt sweep -m fixtures/multi30k-gnmt256/model_best.pth -i fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en \\
    -r fixtures/multi30k-gnmt256/data/test2016.raw.de -c runs/tune/tuned.yaml -o runs/tuned-test`,
    )
    .action(async (flags: TuneFlags) => {
      const search = searchSettings(flags);
      const base = searchBase(flags);
      const maxDrop = Number(flags.maxDrop);
      if (!Number.isFinite(maxDrop) || maxDrop < 0) throw new QnmtError('cli/bad-flag', `--max-drop expects a non-negative BLEU difference, found ${JSON.stringify(flags.maxDrop)}.`);
      const timeLimit = parseDuration(flags.timeLimit);
      warnIfTestSet(flags, 'tune');
      await useBackend(flags);
      const progress = SweepProgress.untilInterrupted(flags.quiet === true, `finished trials are saved in ${flags.out}`);
      const result = await runTune({
        model: flags.model, input: flags.input, ref: flags.ref, ...(flags.stats ? { stats: flags.stats } : {}), ...search,
        base, out: flags.out, maxDrop, timeLimit,
        proxyLines: positiveInt(flags.proxyLines, '--proxy-lines'), settingsTop: positiveInt(flags.settingsTop, '--settings-top'),
        onEvent: (e) => progress.on(e),
        onTrial: (t) => {
          if (t.phase !== 'fp32') log(`trial ${t.trial} (${t.phase}): BLEU ${t.bleu.toFixed(2)} (${t.delta >= 0 ? '+' : ''}${t.delta.toFixed(2)}), ${t.fp32_modules} FP32 module(s): ${t.accepted ? 'within budget' : 'over budget'}`);
        },
      });
      progress.stop();
      const md = renderTuning(result, 'md');
      await writeFileAtomic(join(flags.out, 'tuning.md'), md);
      await writeFileAtomic(join(flags.out, TUNING_RESULT_FILE), renderTuning(result, 'json'));
      if (result.stopped_by_time_limit) warn(`stopped by --time-limit ${flags.timeLimit}; run again with a larger limit to continue the search.`);
      if (!result.met_budget) warn(`no trial met the budget (BLEU drop ≤ ${maxDrop}); ${TUNED_FILE} holds the best config found.`);
      log(`wrote ${join(flags.out, TUNED_FILE)} and ${join(flags.out, TUNING_LOG)} (${result.trials.length - 1} trials)`);
      process.stdout.write(flags.json ? renderTuning(result, 'json') : md);
    });
}

/** "20m", "90s", "1h", "1h30m" or plain seconds → seconds. */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(text.trim());
  if (!m || text.trim() === '' || (!m[1] && !m[2] && !m[3])) {
    throw new QnmtError('cli/bad-flag', `--time-limit expects a duration like 20m, 90s or 1h30m, found ${JSON.stringify(text)}.`);
  }
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
