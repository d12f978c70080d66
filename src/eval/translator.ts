/**
 * The one-call library API: `loadTranslator` opens a checkpoint (optionally quantized), picks the
 * fastest compute backend that works on this machine, and returns an object that translates raw
 * English, pre-processed (tokenized + BPE'd) lines, or streams results in input order.
 *
 * Raw text goes through the same chain as `qnmt translate --input-format raw --output-format text`:
 * Moses tokenizer (en) → subword-nmt BPE → GNMT → BPE join → Moses detokenizer. The detokenizer runs
 * with language 'en', as the reference evaluation does (gnmt-inference.md §3.9), so the output is
 * exactly what BLEU is computed on.
 */
import { QnmtError } from '../errors.js';
import type { Gnmt } from '../model/gnmt.js';
import { SEARCH_DEFAULTS } from '../decode/search-options.js';
import { activeBackend, selectBackend } from '../tensor/backend.js';
import { Bpe } from '../text/bpe.js';
import { bpeJoin } from '../text/bpe-join.js';
import { mosesDetokenize } from '../text/moses-detokenizer.js';
import { mosesTokenize } from '../text/moses-tokenizer.js';
import { openModel, type ModelSpec } from './models.js';
import { translateBatches } from './translate.js';

export interface TranslatorOptions extends ModelSpec {
  /** subword-nmt BPE codes the model was trained with (bpe.32000); needed for raw text (`translate`, `stream`). */
  bpeCodes?: string;
  /** Beam size (1 = greedy). @default 10, as the Distiller notebook */
  beam?: number;
  /** Sentences per batch (file order). @default 128 */
  batch?: number;
  /** max_seq_len: decoder steps + 1. @default 80 */
  maxLen?: number;
  /** Threads of the compute backend. @default 2 (or QNMT_THREADS) */
  threads?: number;
  /** 'auto' (the fastest backend that initialises here) or a backend name. @default 'auto' (or QNMT_BACKEND) */
  backend?: string;
  /** Called with warnings (over-long lines, config overrides matching no module). @default ignore */
  onWarning?: (message: string) => void;
}

/** One streamed sentence. */
export interface StreamedTranslation {
  /** Position in the input (0-based). */
  index: number;
  /** Detokenized German (for `format: 'raw'`), else the BPE-joined, tokenized line as translate.py writes it. */
  translation: string;
  /** The model's output BPE tokens, space-separated. */
  bpe: string;
}

export interface StreamOptions {
  /** 'raw': plain English in, detokenized German out (needs bpeCodes). 'bpe': tokenized + BPE'd in, tokenized out. @default 'raw' */
  format?: 'raw' | 'bpe';
}

export interface Translator {
  /** Plain English sentences → detokenized German, one per line. */
  translate(lines: readonly string[]): Promise<string[]>;
  /** Tokenized + BPE'd English → BPE-joined, Moses-tokenized German (what MLPerf translate.py writes). */
  translateBpe(lines: readonly string[]): Promise<string[]>;
  /** Results in input order, each batch's sentences as soon as that batch is done. */
  stream(lines: readonly string[], options?: StreamOptions): AsyncGenerator<StreamedTranslation>;
  /** The backend the translator runs on, e.g. { name: 'onednn', threads: 2 }. */
  readonly backend: { name: string; threads: number };
  /** 'fp32' or the quantization in words. */
  readonly precision: string;
  /** Release the model; later calls throw. */
  close(): void;
}

export async function loadTranslator(options: TranslatorOptions): Promise<Translator> {
  const search = {
    beam: positive(options.beam ?? SEARCH_DEFAULTS.beam, 'beam'),
    batch: positive(options.batch ?? 128, 'batch'),
    maxLen: positive(options.maxLen ?? SEARCH_DEFAULTS.maxLen, 'maxLen'),
  };
  await selectBackend(options.backend, options.threads === undefined ? undefined : positive(options.threads, 'threads'), () => undefined);
  const opened = await openModel(options);
  const warn = options.onWarning ?? (() => undefined);
  opened.warnings.forEach((w) => warn(w));
  const bpe = options.bpeCodes === undefined ? undefined : Bpe.fromFile(options.bpeCodes);
  let model: Gnmt | undefined = opened.model;

  const preprocess = (lines: readonly string[]): string[] => {
    if (!bpe) throw new QnmtError('translator/missing-bpe', 'raw text needs bpeCodes (the BPE codes the model was trained with, e.g. bpe.32000); or use translateBpe() on pre-processed lines.');
    return lines.map((line) => bpe.apply(mosesTokenize(line, 'en')));
  };

  async function* stream(lines: readonly string[], streamOptions: StreamOptions = {}): AsyncGenerator<StreamedTranslation> {
    const raw = (streamOptions.format ?? 'raw') === 'raw';
    const source = raw ? preprocess(lines) : lines;
    if (!model) throw new QnmtError('translator/closed', 'this translator was closed.');
    for await (const batch of translateBatches(model, opened.vocab, source, { ...search, onWarning: warn })) {
      for (const [i, out] of batch.bpe.entries()) {
        const joined = bpeJoin(out);
        yield { index: batch.start + i, translation: raw ? mosesDetokenize(joined, 'en') : joined, bpe: out };
      }
    }
  }

  const collect = async (lines: readonly string[], format: 'raw' | 'bpe'): Promise<string[]> => {
    const out: string[] = [];
    for await (const r of stream(lines, { format })) out.push(r.translation);
    return out;
  };

  return {
    translate: (lines) => collect(lines, 'raw'),
    translateBpe: (lines) => collect(lines, 'bpe'),
    stream,
    backend: activeBackend(),
    precision: opened.precision,
    close: () => {
      model = undefined;
    },
  };
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new QnmtError('translator/bad-option', `${name} must be a positive integer, found ${n}.`);
  return n;
}
