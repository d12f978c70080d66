/** `qnmt sensitivity`: which modules hurt BLEU when quantized — proxy ranking of all, full BLEU for the top k. */
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { PROXY_KINDS, runSensitivity, type ProxyKind } from '../../eval/sensitivity.js';
import { renderSensitivity } from '../../eval/sensitivity-table.js';
import { writeFileAtomic } from '../../eval/atomic-file.js';
import { tableFormats, type TableFormat } from '../../eval/results-table.js';
import { addRuntimeOptions, positiveInt, searchSettings, useBackend, type RuntimeFlags } from '../options.js';
import { addSearchOptions, searchBase, warnIfTestSet, type SearchFlags } from '../search-options.js';
import { log } from '../log.js';
import { SweepProgress } from './sweep.js';

interface SensitivityFlags extends RuntimeFlags, SearchFlags {
  top: string;
  proxyLines: string;
  proxy: ProxyKind;
  format?: TableFormat;
}

export function register(program: Command): void {
  const command = addSearchOptions(
    program
      .command('sensitivity')
      .description('Per-module quantization sensitivity: a proxy error for every module, and the BLEU change for the top k (only it INT8; only it FP32).'),
  )
    .option('--top <k>', "modules (largest proxy error first) that also get the two full BLEU measurements; 0 = proxy only, 'all' = every module", '10')
    .addOption(new Option('--proxy <kind>', "proxy ranking: 'kl' = output KL divergence with only the module INT8, 'error' = the module's own output error in the base").choices([...PROXY_KINDS]).default('kl'))
    .option('--proxy-lines <n>', 'sentences on which the proxy is measured', '32')
    .addOption(new Option('--format <format>', 'table printed on stdout').choices([...tableFormats]));
  addRuntimeOptions(command)
    .addHelpText(
      'after',
      `
For every quantizable module (Distiller's dotted names):
  proxy             --proxy kl: KL divergence of the next-token distribution from FP32's (along FP32's
                    greedy translations of the first sentences) with only this module INT8;
                    --proxy error: relative L2 error of the module's output in the base config
  only this INT8    BLEU change when only this module is quantized, against FP32
  only this FP32    BLEU change when only this module is left FP32 in the base config, against the base
The last two are measured on the whole tuning set for the --top modules, with a 95% confidence interval
(paired bootstrap resampling, 1000 samples). Results are saved as they finish (sensitivity.json, .md, .csv,
jobs/); run the same command again to resume. 'qnmt report DIR' charts them.

Example (tune on the validation set, keep the test set for the final evaluation):
  qnmt sensitivity -m fixtures/multi30k-gnmt256/model_best.pth \\
    -i fixtures/multi30k-gnmt256/data/val.tok.bpe.en -r fixtures/multi30k-gnmt256/data/val.raw.de --top 5 -o runs/sensitivity`,
    )
    .action(async (flags: SensitivityFlags) => {
      const search = searchSettings(flags);
      const base = searchBase(flags);
      const top = flags.top === 'all' ? Number.MAX_SAFE_INTEGER : flags.top === '0' ? 0 : positiveInt(flags.top, '--top');
      const proxyLines = positiveInt(flags.proxyLines, '--proxy-lines');
      warnIfTestSet(flags, 'sensitivity');
      await useBackend(flags);
      const progress = SweepProgress.untilInterrupted(flags.quiet === true, `finished measurements are saved in ${flags.out}`);
      const result = await runSensitivity({
        model: flags.model, input: flags.input, ref: flags.ref, ...(flags.stats ? { stats: flags.stats } : {}),
        base, out: flags.out, top, proxyLines, proxy: flags.proxy, ...search, onEvent: (e) => progress.on(e),
      });
      progress.stop();
      for (const format of tableFormats) await writeFileAtomic(join(flags.out, `sensitivity.${format}`), renderSensitivity(result, format));
      log(`results in ${flags.out} (qnmt report ${flags.out} charts them)`);
      process.stdout.write(renderSensitivity(result, flags.json ? 'json' : flags.format ?? 'md'));
    });
}
