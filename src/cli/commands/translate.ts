/**
 * `qnmt translate`: FP32 GNMT translation of a BPE'd, Moses-tokenized file, exactly as MLPerf's
 * translate.py / the Distiller notebook's evaluate() (batches of 128 in file order, beam search with
 * the reference's quirks). The output is BPE-joined but still tokenized (what translate.py writes).
 *
 * The action is a pipeline of small steps so that later options slot in without touching the rest:
 *   loadModel (→ `--quant CONFIG.yaml [--stats stats.yaml]` wraps the model here)
 *   readInput (→ `--input-format raw` tokenizes + applies BPE here)
 *   translate
 *   writeOutput (→ `--output-format text` detokenizes here)
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { QnmtError } from '../../errors.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { buildGnmt } from '../../model/build.js';
import type { Gnmt } from '../../model/gnmt.js';
import { translateLines, type TranslateResult } from '../../eval/translate.js';
import { SEARCH_DEFAULTS } from '../../decode/search-options.js';
import { activeBackend, selectBackend } from '../../tensor/backend.js';
import { joinLines, readLines } from '../../text/text-lines.js';
import { isQuiet, log, warn } from '../log.js';

export interface TranslateFlags {
  model: string;
  input: string;
  output: string;
  beam: string;
  batch: string;
  maxLen: string;
  backend: string;
  threads?: string;
  quiet?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('translate')
    .description('Translate a BPE-segmented, tokenized file with an MLPerf GNMT checkpoint (FP32), like MLPerf translate.py.')
    .requiredOption('-m, --model <file>', 'checkpoint (model_best.pth)')
    .requiredOption('-i, --input <file>', "BPE'd source, one sentence per line ('-' = standard input)")
    .requiredOption('-o, --output <file>', 'where to write the translations (BPE-joined, still tokenized)')
    .option('--beam <k>', 'beam size (1 = greedy search)', String(SEARCH_DEFAULTS.beam))
    .option('--batch <n>', 'sentences per batch (file order)', '128')
    .option('--max-len <n>', 'max_seq_len: decoder steps + 1', String(SEARCH_DEFAULTS.maxLen))
    .addOption(new Option('--backend <name>', "compute backend ('auto' = the fastest that works)").default('auto'))
    .option('--threads <n>', 'threads for the compute backend')
    .option('-q, --quiet', 'no progress bar or summary on stderr')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      `
Length normalisation 0.6/5.0 and coverage penalty 0.1 are the reference's. Empty lines are translated as an
empty sentence (BOS EOS), as the reference does; lines over 148 tokens, which the reference would drop, are
translated anyway (with a warning) so that output line i always belongs to input line i.

Example (the bundled fixture, notebook settings):
  qnmt translate --model fixtures/multi30k-gnmt256/model_best.pth \\
    --input fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en --output out.tok.de`,
    )
    .action(async (flags: TranslateFlags) => {
      const beam = positiveInt(flags.beam, '--beam');
      const batch = positiveInt(flags.batch, '--batch');
      const maxLen = positiveInt(flags.maxLen, '--max-len');
      if (maxLen < 2) throw new QnmtError('cli/bad-flag', `--max-len must be at least 2, found ${maxLen}.`);
      const threads = flags.threads === undefined ? undefined : positiveInt(flags.threads, '--threads');
      await selectBackendOrExplain(flags.backend, threads);

      const { model, vocab } = await loadModel(flags);
      const lines = readInput(flags);
      const t0 = performance.now();
      const result = await runWithProgress(model, vocab, lines, { beam, batch, maxLen }, flags.quiet === true || isQuiet());
      const seconds = (performance.now() - t0) / 1000;
      writeOutput(flags, result);

      const rate = lines.length / Math.max(seconds, 1e-9);
      const backend = activeBackend();
      log(
        `translated ${lines.length} sentences in ${seconds.toFixed(1)} s (${rate.toFixed(2)} sentences/s; beam ${beam}, ` +
          `${result.iterations.reduce((a, b) => a + b, 0)} decoder steps, backend ${backend.name} × ${backend.threads} threads) → ${flags.output}`,
      );
      if (flags.json) {
        const summary = {
          model: flags.model,
          input: flags.input,
          output: flags.output,
          sentences: lines.length,
          seconds,
          sentences_per_second: rate,
          beam,
          batch,
          max_len: maxLen,
          backend: backend.name,
          threads: backend.threads,
          decoder_iterations: result.iterations,
        };
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      }
    });
}

async function selectBackendOrExplain(name: string, threads: number | undefined): Promise<void> {
  try {
    await selectBackend(name, threads);
  } catch (e) {
    throw new QnmtError('cli/backend', `--backend ${name}: ${(e as Error).message}`);
  }
}

/** Checkpoint → FP32 model. (A quantization option wraps the returned model here.) */
export async function loadModel(flags: Pick<TranslateFlags, 'model'>): Promise<{ model: Gnmt; vocab: string[] }> {
  const ckpt = await loadCheckpoint(flags.model);
  return { model: buildGnmt(ckpt), vocab: ckpt.vocab };
}

/** The source lines, BPE'd. (A raw-text input format tokenizes and applies BPE here.) */
export function readInput(flags: Pick<TranslateFlags, 'input'>): string[] {
  return readLines(flags.input, (path) => warn(`${path}: invalid UTF-8 bytes were replaced by U+FFFD.`));
}

/** Write the BPE-joined lines. (A text output format detokenizes here.) */
export function writeOutput(flags: Pick<TranslateFlags, 'output'>, result: TranslateResult): void {
  try {
    writeFileSync(flags.output, joinLines(result.joined));
  } catch (e) {
    throw new QnmtError('io/unwritable', `cannot write ${flags.output}: ${(e as Error).message}`);
  }
}

async function runWithProgress(
  model: Gnmt,
  vocab: string[],
  lines: string[],
  search: { beam: number; batch: number; maxLen: number },
  quiet: boolean,
): Promise<TranslateResult> {
  const bar = quiet
    ? undefined
    : new cliProgress.SingleBar(
        { stream: process.stderr, format: 'qnmt: translating [{bar}] {value}/{total} sentences | {duration_formatted} elapsed | ETA {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
  bar?.start(lines.length, 0);
  try {
    return await translateLines(model, vocab, lines, {
      ...search,
      onProgress: (done) => bar?.update(done),
      onWarning: (m) => warn(m),
    });
  } finally {
    bar?.stop();
  }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new QnmtError('cli/bad-flag', `${flag} expects a positive integer, found ${JSON.stringify(value)}.`);
  return n;
}
