/**
 * `qnmt translate`: GNMT translation exactly as MLPerf's translate.py / the Distiller notebook's
 * evaluate() (batches of 128 in file order, beam search with the reference's quirks), in FP32 or
 * quantized with a Distiller config.
 *
 * The action is a pipeline of small steps:
 *   loadModel    checkpoint → FP32 model, wrapped by `--quant CONFIG.yaml [--stats stats.yaml]`
 *   readInput    BPE'd lines, or raw text tokenized + BPE'd (`--input-format raw --bpe-codes FILE`)
 *   translate
 *   writeOutput  BPE-joined tokenized lines (what translate.py writes), or detokenized text
 */
import { Command, Option } from 'commander';
import { QnmtError } from '../../errors.js';
import { checkOutputPath, writeOutputFileSync } from '../../io/safe-write.js';
import type { Gnmt } from '../../model/gnmt.js';
import { translateLines, type TranslateResult } from '../../eval/translate.js';
import { fp32Model, openCheckpoint, quantizedModel } from '../../eval/models.js';
import { loadQuantConfig } from '../../quant/config.js';
import { loadStats } from '../../quant/stats.js';
import { activeBackend } from '../../tensor/backend.js';
import { joinLines, readLines } from '../../text/text-lines.js';
import { mosesTokenize } from '../../text/moses-tokenizer.js';
import { mosesDetokenize } from '../../text/moses-detokenizer.js';
import { Bpe } from '../../text/bpe.js';
import { log, warn } from '../log.js';
import { addRuntimeOptions, progressBar, searchSettings, useBackend, type RuntimeFlags, type SearchSettings } from '../options.js';

type InputFormat = 'bpe' | 'raw';
type OutputFormat = 'tok' | 'text' | 'bpe';

export interface TranslateFlags extends RuntimeFlags {
  model: string;
  input: string;
  output: string;
  quant?: string;
  stats?: string;
  inputFormat: InputFormat;
  outputFormat: OutputFormat;
  bpeCodes?: string;
}

export function register(program: Command): void {
  const command = program
    .command('translate')
    .description('Translate English to German with an MLPerf GNMT checkpoint, in FP32 or quantized (like MLPerf translate.py).')
    .requiredOption('-m, --model <file>', 'checkpoint (model_best.pth)')
    .requiredOption('-i, --input <file>', "source, one sentence per line ('-' = standard input)")
    .requiredOption('-o, --output <file>', "where to write the translations ('-' = standard output)")
    .option('--quant <config.yaml>', 'quantize with this Distiller config (PostTrainLinearQuantizer YAML)')
    .option('--stats <stats.yaml>', "activation statistics for --quant (default: the config's model_activation_stats)")
    .addOption(new Option('--input-format <format>', "'bpe': tokenized + BPE'd lines; 'raw': plain text (tokenized and BPE'd here)").choices(['bpe', 'raw']).default('bpe'))
    .option('--bpe-codes <file>', "subword-nmt codes for --input-format raw (the model's bpe.32000)")
    .addOption(
      new Option('--output-format <format>', "'tok': BPE-joined, still tokenized (translate.py); 'text': detokenized; 'bpe': BPE tokens")
        .choices(['tok', 'text', 'bpe'])
        .default('tok'),
    );
  addRuntimeOptions(command)
    .addHelpText(
      'after',
      `
Length normalisation 0.6/5.0 and coverage penalty 0.1 are the reference's. Empty lines are translated as an
empty sentence (BOS EOS), as the reference does; lines over 148 tokens, which the reference would drop, are
translated anyway (with a warning) so that output line i always belongs to input line i.

Examples (the bundled fixture):
  qnmt translate --model fixtures/multi30k-gnmt256/model_best.pth \\
    --input fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en --output out.tok.de
  echo "A man is riding a bike." | qnmt translate -m fixtures/multi30k-gnmt256/model_best.pth -i - -o - \\
    --input-format raw --bpe-codes fixtures/multi30k-gnmt256/bpe.codes --output-format text \\
    --quant examples/int8-asym-pc-avg-noattn-nocls.yaml --stats fixtures/multi30k-gnmt256/calibration/model_stats.yaml`,
    )
    .action(async (flags: TranslateFlags) => {
      const search = searchSettings(flags);
      checkOutputPath(flags.output);
      await useBackend(flags);
      const { model, vocab, quant } = await loadModel(flags);
      const lines = readInput(flags);
      const t0 = performance.now();
      const result = await runWithProgress(model, vocab, lines, search, flags.quiet);
      const seconds = (performance.now() - t0) / 1000;
      writeOutput(flags, result);

      const rate = lines.length / Math.max(seconds, 1e-9);
      const backend = activeBackend();
      log(
        `translated ${lines.length} sentences in ${seconds.toFixed(1)} s (${rate.toFixed(2)} sentences/s; beam ${search.beam}, ` +
          `${result.iterations.reduce((a, b) => a + b, 0)} decoder steps, ${quant ?? 'fp32'}, backend ${backend.name} × ${backend.threads} threads) → ${flags.output}`,
      );
      if (flags.json) {
        const summary = {
          model: flags.model,
          input: flags.input,
          output: flags.output,
          quant: quant ?? null,
          sentences: lines.length,
          seconds,
          sentences_per_second: rate,
          beam: search.beam,
          batch: search.batch,
          max_len: search.maxLen,
          backend: backend.name,
          threads: backend.threads,
          decoder_iterations: result.iterations,
        };
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      }
    });
}

/** Checkpoint → model, quantized when `--quant` is given. */
export async function loadModel(flags: Pick<TranslateFlags, 'model' | 'quant' | 'stats'>): Promise<{ model: Gnmt; vocab: string[]; quant?: string }> {
  if (flags.stats && !flags.quant) throw new QnmtError('cli/bad-flag', '--stats is only used with --quant CONFIG.yaml.');
  const ckpt = await openCheckpoint(flags.model);
  if (!flags.quant) return { model: fp32Model(ckpt), vocab: ckpt.vocab };
  const config = loadQuantConfig(flags.quant);
  const statsPath = flags.stats ?? config.modelActivationStats;
  if (!statsPath) {
    throw new QnmtError(
      'cli/missing-stats',
      `${flags.quant} has no model_activation_stats; pass --stats stats.yaml (make one with 'qnmt calibrate').`,
    );
  }
  const { model, prepared } = quantizedModel(ckpt, config, loadStats(statsPath));
  for (const w of prepared.warnings) warn(`${flags.quant}: ${w}`);
  return { model, vocab: ckpt.vocab, quant: `${config.mode}${config.perChannelWts ? ' per-channel' : ''} clip ${config.clipActs}` };
}

/** The source lines, BPE'd: read as given, or tokenized and segmented here for raw text. */
export function readInput(flags: Pick<TranslateFlags, 'input' | 'inputFormat' | 'bpeCodes'>): string[] {
  const lines = readLines(flags.input, (path) => warn(`${path}: invalid UTF-8 bytes were replaced by U+FFFD.`));
  if (flags.inputFormat !== 'raw') {
    if (flags.bpeCodes) warn('--bpe-codes is only used with --input-format raw.');
    return lines;
  }
  if (!flags.bpeCodes) {
    throw new QnmtError('cli/missing-bpe', "--input-format raw needs --bpe-codes FILE (the BPE codes the model was trained with, e.g. bpe.32000).");
  }
  const bpe = Bpe.fromFile(flags.bpeCodes);
  return lines.map((line) => bpe.apply(mosesTokenize(line, 'en')));
}

/** Write the translations in the requested form. */
export function writeOutput(flags: Pick<TranslateFlags, 'output' | 'outputFormat'>, result: TranslateResult): void {
  const lines =
    flags.outputFormat === 'bpe' ? result.bpe : flags.outputFormat === 'text' ? result.joined.map((l) => mosesDetokenize(l, 'en')) : result.joined;
  writeOutputFileSync(flags.output, joinLines(lines));
}

async function runWithProgress(model: Gnmt, vocab: string[], lines: string[], search: SearchSettings, quiet: boolean | undefined): Promise<TranslateResult> {
  const bar = progressBar('translating', quiet);
  bar?.start(lines.length, 0);
  try {
    return await translateLines(model, vocab, lines, { ...search, onProgress: (done) => bar?.update(done), onWarning: (m) => warn(m) });
  } finally {
    bar?.stop();
  }
}
