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
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { QnmtError } from '../../errors.js';
import { limitEnvName, limits } from '../../limits.js';
import { checkOutputPath, writeOutputFileSync } from '../../io/safe-write.js';
import type { Gnmt } from '../../model/gnmt.js';
import { translateLines, type TranslateResult } from '../../eval/translate.js';
import { openModel } from '../../eval/models.js';
import { activeBackend } from '../../tensor/backend.js';
import { joinLines, readLines } from '../../text/text-lines.js';
import { mosesTokenize } from '../../text/moses-tokenizer.js';
import { mosesDetokenize } from '../../text/moses-detokenizer.js';
import { Bpe } from '../../text/bpe.js';
import { hashFile } from '../../data/hash-file.js';
import { planBatches, shardBatches, describeShard, type ShardSpec } from '../../eval/shard-plan.js';
import { findParts, partPath, removeStaleTemps, writePart } from '../../eval/shard-parts.js';
import { mergeTranslationParts, translationPayload, translationPlan } from '../../eval/sharded-translation.js';
import { linesSha256, sha256Text } from '../../eval/text-hash.js';
import { log, warn } from '../log.js';
import { addShardOption, commandWithoutShard, resolveShard } from '../shard-option.js';
import { addRuntimeOptions, progressBar, searchSettings, useBackend, type RuntimeFlags, type SearchSettings } from '../options.js';

type InputFormat = 'bpe' | 'raw';
type OutputFormat = 'tok' | 'text' | 'bpe';

export interface TranslateFlags extends RuntimeFlags {
  model?: string;
  input?: string;
  output: string;
  quant?: string;
  stats?: string;
  inputFormat: InputFormat;
  outputFormat: OutputFormat;
  bpeCodes?: string;
  shard?: string;
  merge?: string[] | true;
}

export function register(program: Command): void {
  const command = program
    .command('translate')
    .description('Translate English to German with an MLPerf GNMT checkpoint, in FP32 or quantized (like MLPerf translate.py).')
    .option('-m, --model <file>', 'checkpoint (model_best.pth)')
    .option('-i, --input <file>', "source, one sentence per line ('-' = standard input)")
    .requiredOption('-o, --output <file>', "where to write the translations ('-' = standard output)")
    .option('--quant <config.yaml>', 'quantize with this Distiller config (PostTrainLinearQuantizer YAML)')
    .option('--stats <stats.yaml>', "activation statistics for --quant (default: the config's model_activation_stats)")
    .addOption(new Option('--input-format <format>', "'bpe': tokenized + BPE'd lines; 'raw': plain text (tokenized and BPE'd here)").choices(['bpe', 'raw']).default('bpe'))
    .option('--bpe-codes <file>', "subword-nmt codes for --input-format raw (the model's bpe.32000)")
    .addOption(
      new Option('--output-format <format>', "'tok': BPE-joined, still tokenized (translate.py); 'text': detokenized; 'bpe': BPE tokens")
        .choices(['tok', 'text', 'bpe'])
        .default('tok'),
    )
    .option('--merge [parts...]', "concatenate the shards' part files (default: every OUTPUT.part-I-of-N.json) into OUTPUT, in input order");
  addShardOption(command);
  addRuntimeOptions(command)
    .addHelpText(
      'after',
      `
Length normalisation 0.6/5.0 and coverage penalty 0.1 are the reference's. Empty lines are translated as an
empty sentence (BOS EOS), as the reference does; lines over 148 tokens, which the reference would drop, are
translated anyway (with a warning) so that output line i always belongs to input line i. Lines over 256
tokens are cut to their first 256 (with a warning; QNMT_LIMIT_TOKENS_PER_LINE=N raises the limit).

Examples (the bundled fixture):
  qnmt translate --model fixtures/multi30k-gnmt256/model_best.pth \\
    --input fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en --output out.tok.de
  echo "A man is riding a bike." | qnmt translate -m fixtures/multi30k-gnmt256/model_best.pth -i - -o - \\
    --input-format raw --bpe-codes fixtures/multi30k-gnmt256/bpe.codes --output-format text \\
    --quant examples/int8-asym-pc-avg-noattn-nocls.yaml --stats fixtures/multi30k-gnmt256/calibration/model_stats.yaml

Sharding: with --shard I/N (or inside a Slurm array / Kubernetes Indexed Job) only shard I's whole batches are
translated, into OUTPUT.part-I-of-N.json; 'translate --merge -o OUTPUT' writes the lines in input order.`,
    )
    .action(async (flags: TranslateFlags) => {
      if (flags.merge) return mergeParts(flags);
      if (!flags.model || !flags.input) throw new QnmtError('cli/missing-flag', 'translate needs --model FILE and --input FILE (or --merge to combine shard parts).');
      const search = searchSettings(flags);
      checkOutputPath(flags.output);
      const resolved = resolveShard(flags.shard);
      if (resolved && flags.output === '-') throw new QnmtError('cli/bad-flag', 'a shard writes a part file next to --output; give a file name, not -.');
      await useBackend(flags);
      const { model, vocab, quant } = await loadModel({ ...flags, model: flags.model });
      const lines = readInput({ ...flags, input: flags.input });
      const plan = planBatches(lines, search.batch);
      const batches = resolved ? shardBatches(plan, resolved.shard) : undefined;
      if (resolved) {
        log(`shard ${describeShard(resolved.shard)} (${resolved.source}): batches ${batches!.join(', ') || 'none'} of ${plan.ranges.length}`);
        removeStaleTemps(partPath(flags.output, resolved.shard));
      }
      const t0 = performance.now();
      const result = await runWithProgress(model, vocab, lines, { ...search, batches }, flags.quiet);
      const seconds = (performance.now() - t0) / 1000;
      if (resolved) {
        const written = await writeShardPart(flags, resolved.shard, lines, result, batches!, plan.ranges.length, seconds);
        log(`translated shard ${describeShard(resolved.shard)} in ${seconds.toFixed(1)} s → ${written}`);
        return;
      }
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
export async function loadModel(flags: { model: string; quant?: string; stats?: string }): Promise<{ model: Gnmt; vocab: string[]; quant?: string }> {
  if (flags.stats && !flags.quant) throw new QnmtError('cli/bad-flag', '--stats is only used with --quant CONFIG.yaml.');
  const opened = await openModel({ model: flags.model, ...(flags.quant ? { quant: flags.quant } : {}), ...(flags.stats ? { stats: flags.stats } : {}) });
  for (const w of opened.warnings) warn(w);
  return { model: opened.model, vocab: opened.vocab, ...(flags.quant ? { quant: opened.precision } : {}) };
}

/** The source lines, BPE'd: read as given, or tokenized and segmented here for raw text. */
export function readInput(flags: { input: string } & Pick<TranslateFlags, 'inputFormat' | 'bpeCodes'>): string[] {
  const lines = readLines(flags.input, (path) => warn(`${path}: invalid UTF-8 bytes were replaced by U+FFFD.`));
  if (flags.inputFormat !== 'raw') {
    if (flags.bpeCodes) warn('--bpe-codes is only used with --input-format raw.');
    return lines;
  }
  if (!flags.bpeCodes) {
    throw new QnmtError('cli/missing-bpe', "--input-format raw needs --bpe-codes FILE (the BPE codes the model was trained with, e.g. bpe.32000).");
  }
  const bpe = Bpe.fromFile(flags.bpeCodes);
  const maxChars = limits().charsPerLine;
  return lines.map((line, i) => {
    if (line.length > maxChars) {
      warn(`${flags.input}: line ${i + 1} has ${line.length} characters; only its first ${maxChars} are translated (raise the limit with ${limitEnvName('charsPerLine')}=N).`);
      line = line.slice(0, maxChars);
    }
    return bpe.apply(mosesTokenize(line, 'en'));
  });
}

/** The translations in the requested form. */
function outputLines(flags: Pick<TranslateFlags, 'outputFormat'>, result: TranslateResult): string[] {
  return flags.outputFormat === 'bpe' ? result.bpe : flags.outputFormat === 'text' ? result.joined.map((l) => mosesDetokenize(l, 'en')) : result.joined;
}

/** Write the translations in the requested form. */
export function writeOutput(flags: Pick<TranslateFlags, 'output' | 'outputFormat'>, result: TranslateResult): void {
  writeLines(flags.output, outputLines(flags, result));
}

function writeLines(output: string, lines: readonly string[]): void {
  writeOutputFileSync(output, joinLines(lines));
}

/** A shard's part: its batches' output lines, and the plan they belong to. */
async function writeShardPart(
  flags: TranslateFlags,
  shard: ShardSpec,
  lines: readonly string[],
  result: TranslateResult,
  batches: number[],
  batchCount: number,
  seconds: number,
): Promise<string> {
  const fileSha = (path: string | undefined): string | null => (path ? sha256Text(readFileSync(path, 'utf8')) : null);
  const settings = {
    beam_size: Number(flags.beam),
    batch_size: Number(flags.batch),
    max_seq_len: Number(flags.maxLen),
    output_format: flags.outputFormat,
    quant_sha256: fileSha(flags.quant),
    stats_sha256: fileSha(flags.stats),
  };
  const plan = translationPlan((await hashFile(flags.model!)).sha256, linesSha256(lines), settings, shard.count, batchCount);
  const payload = translationPayload(outputLines(flags, result), Number(flags.batch), batches);
  return writePart(flags.output, shard, { plan, batches, command: commandWithoutShard(), seconds, payload });
}

/** `translate --merge [PARTS…] -o OUTPUT`. */
async function mergeParts(flags: TranslateFlags): Promise<void> {
  if (flags.shard !== undefined) throw new QnmtError('cli/bad-flag', '--merge and --shard do not go together: merge once, after every shard is done.');
  const paths = flags.merge === true || flags.merge!.length === 0 ? findParts(flags.output) : flags.merge!;
  if (paths.length === 0) {
    throw new QnmtError('shard/no-parts', `no parts ${flags.output}.part-I-of-N.json found; run 'qnmt translate … -o ${flags.output} --shard I/N' for each shard first, or name the parts after --merge.`);
  }
  const { lines, parts } = mergeTranslationParts(paths);
  writeLines(flags.output, lines);
  log(`merged ${parts.length} parts, ${lines.length} lines → ${flags.output}`);
}

async function runWithProgress(
  model: Gnmt,
  vocab: string[],
  lines: string[],
  search: SearchSettings & { batches?: readonly number[] },
  quiet: boolean | undefined,
): Promise<TranslateResult> {
  const bar = progressBar('translating', quiet);
  bar?.start(lines.length, 0);
  try {
    return await translateLines(model, vocab, lines, { ...search, onProgress: (done, total) => { bar?.setTotal(total); bar?.update(done); }, onWarning: (m) => warn(m) });
  } finally {
    bar?.stop();
  }
}
