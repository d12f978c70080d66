/** `qnmt bleu`: corpus BLEU exactly as the sacrebleu 1.2.10 command line prints it. */
import { Command, Option } from 'commander';
import { corpusBleu, type BleuSmooth } from '../../metrics/bleu.js';
import { corpusChrf } from '../../metrics/chrf.js';
import { BLEU_TOKENIZERS, type BleuTokenizerName } from '../../metrics/bleu-tokenizers.js';
import { readLines } from '../../text/text-lines.js';
import { warnInvalidUtf8 } from '../line-filter.js';
import { QnmtError } from '../../errors.js';
import { warn } from '../log.js';

interface BleuFlags {
  input?: string;
  lowercase?: boolean;
  lc?: boolean;
  tokenize: BleuTokenizerName;
  smooth: BleuSmooth;
  smoothFloor: string;
  scoreOnly?: boolean;
  json?: boolean;
  quiet?: boolean;
  chrf?: boolean;
  chrfWordOrder: string;
}

export function register(program: Command): void {
  program
    .command('bleu')
    .description('Corpus BLEU of a detokenized hypothesis against raw reference(s), identical to sacrebleu 1.2.10 (score, signature line).')
    .argument('<ref...>', 'reference file(s), one segment per line, line-aligned with the hypothesis')
    .option('-i, --input <file>', 'hypothesis file (default: standard input)')
    .option('-l, --lowercase', 'case-insensitive BLEU (sacrebleu -lc; "-lc" is accepted too)')
    .addOption(new Option('--lc').hideHelp())
    .addOption(new Option('-c').hideHelp()) // lets commander read "-lc" as -l -c
    .addOption(new Option('-t, --tokenize <tok>', "tokenizer: intl = sacrebleu 1.2.10's (GNMT notebook), intl-v14 = sacrebleu ≥ 1.4's").choices(BLEU_TOKENIZERS).default('13a'))
    .addOption(new Option('-s, --smooth <method>', 'smoothing of zero n-gram matches').choices(['exp', 'floor', 'none']).default('exp'))
    .option('--smooth-floor <x>', "numerator for --smooth floor", '0')
    .option('-b, --score-only', 'print only the score (two decimals)')
    .option('--json', 'print all numbers as JSON')
    .option('--chrf', "also print chrF (sacrebleu 2.x's chrF2, same -lc; not part of the reference pipeline)")
    .option('--chrf-word-order <n>', 'word n-gram order for --chrf (2 = chrF++)', '0')
    .option('-q, --quiet', 'no warnings about the input format')
    .addHelpText(
      'after',
      `
Lines are right-stripped; -lc lower-cases before tokenizing. The hypothesis must be detokenized
(run 'qnmt detokenize' on model output first).

Examples (the GNMT notebook's setting):
  qnmt bleu fixtures/multi30k-gnmt256/data/test2016.raw.de -lc --tokenize intl \\
    --input fixtures/multi30k-gnmt256/fp32/test2016.beam10.detok.de
  # BLEU+case.lc+numrefs.1+smooth.exp+tok.intl+version.1.2.10 = 34.33 64.9/40.9/28.1/19.1 (BP = 0.993 ...)
  qnmt detokenize < out.tok.de | qnmt bleu newstest2014.de -lc --tokenize intl --score-only`,
    )
    .action((refFiles: string[], flags: BleuFlags) => {
      const hypFile = flags.input ?? '-';
      const hypName = flags.input ?? 'standard input';
      if (hypFile === '-' && refFiles.includes('-')) {
        throw new QnmtError('cli/bad-flags', "standard input can hold the hypothesis or a reference, not both; give the hypothesis with --input FILE.");
      }
      const hyps = readLines(hypFile, warnInvalidUtf8);
      const refs = refFiles.map((f) => readLines(f, warnInvalidUtf8));
      for (const [k, r] of refs.entries()) {
        if (r.length !== hyps.length) {
          throw new QnmtError(
            'bleu/line-count',
            `the hypothesis (${hypName}) has ${hyps.length} lines but the reference ${refFiles[k]} has ${r.length}; ` +
              'they must be line-aligned (one segment per line).',
          );
        }
      }
      const smoothFloor = Number(flags.smoothFloor);
      if (!Number.isFinite(smoothFloor)) {
        throw new QnmtError('cli/bad-flag', `--smooth-floor expects a number, found ${JSON.stringify(flags.smoothFloor)}.`);
      }
      const lowercase = flags.lowercase === true || flags.lc === true;
      const r = corpusBleu(hyps, refs, { lowercase, tokenize: flags.tokenize, smooth: flags.smooth, smoothFloor });
      if (r.tokenizedPeriodLines >= 100 && !flags.quiet) {
        warn(`${r.tokenizedPeriodLines} hypothesis lines end in a tokenized period (' .'); BLEU expects detokenized text (see 'qnmt detokenize').`);
      }
      const wordOrder = Number(flags.chrfWordOrder);
      if (!Number.isInteger(wordOrder) || wordOrder < 0) {
        throw new QnmtError('cli/bad-flag', `--chrf-word-order expects a whole number ≥ 0, found ${JSON.stringify(flags.chrfWordOrder)}.`);
      }
      const chrf = flags.chrf ? corpusChrf(hyps, refs, { lowercase, wordOrder }) : undefined;
      if (flags.json) {
        const { formatted, signature, scoreOnly, ...numbers } = r;
        const out = {
          hypothesis: hypName,
          references: refFiles,
          lowercase,
          tokenize: flags.tokenize,
          smooth: flags.smooth,
          ...numbers,
          signature,
          formatted,
          scoreOnly,
          ...(chrf ? { chrf } : {}),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        process.stdout.write(`${flags.scoreOnly ? r.scoreOnly : r.formatted}\n`);
        if (chrf) process.stdout.write(`${flags.scoreOnly ? chrf.formatted.split(' = ')[1] : chrf.formatted}\n`);
      }
    });
}
