/** `qnmt calibrate`: collect Distiller's activation statistics during an FP32 evaluation. */
import type { Command } from 'commander';
import { calibrate } from '../../eval/sweep.js';
import { fp32Model, openCheckpoint } from '../../eval/models.js';
import { saveStats } from '../../quant/stats.js';
import { checkOutputPath } from '../../io/safe-write.js';
import { readLines } from '../../text/text-lines.js';
import { activeBackend } from '../../tensor/backend.js';
import { log, warn } from '../log.js';
import { addRuntimeOptions, progressBar, searchSettings, useBackend, type RuntimeFlags } from '../options.js';

interface CalibrateFlags extends RuntimeFlags {
  model: string;
  input: string;
  output: string;
}

export function register(program: Command): void {
  const command = program
    .command('calibrate')
    .description("Collect activation statistics (Distiller's QuantCalibrationStatsCollector, Aug-2019 semantics) while translating a BPE'd file in FP32.")
    .requiredOption('-m, --model <file>', 'checkpoint (model_best.pth)')
    .requiredOption('-i, --input <file>', "BPE'd source, one sentence per line")
    .requiredOption('-o, --output <file>', 'statistics YAML to write (Distiller format)');
  addRuntimeOptions(command)
    .addHelpText(
      'after',
      `
The notebook calibrates on the evaluated set itself with the evaluation's own settings (beam 10, batch 128,
max 80); the statistics depend on them (per-call averages), so keep them when comparing with Distiller.

Example:
  qnmt calibrate --model fixtures/multi30k-gnmt256/model_best.pth \\
    --input fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en --output stats.yaml`,
    )
    .action(async (flags: CalibrateFlags) => {
      const search = searchSettings(flags);
      checkOutputPath(flags.output);
      await useBackend(flags);
      const lines = readLines(flags.input, (path) => warn(`${path}: invalid UTF-8 bytes were replaced by U+FFFD.`));
      const ckpt = await openCheckpoint(flags.model);
      const bar = progressBar('calibrating', flags.quiet);
      bar?.start(lines.length, 0);
      const t0 = performance.now();
      let stats;
      try {
        stats = await calibrate(fp32Model(ckpt), ckpt.vocab, lines, { ...search, onProgress: (done) => bar?.update(done), onWarning: warn });
      } finally {
        bar?.stop();
      }
      const seconds = (performance.now() - t0) / 1000;
      saveStats(stats, flags.output);
      const backend = activeBackend();
      log(`collected statistics of ${stats.size} modules over ${lines.length} sentences in ${seconds.toFixed(1)} s (backend ${backend.name}) → ${flags.output}`);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ output: flags.output, modules: stats.size, sentences: lines.length, seconds, ...search }, null, 2)}\n`);
      }
    });
}
