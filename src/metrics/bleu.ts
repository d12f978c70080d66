/**
 * Corpus BLEU exactly as sacrebleu 1.2.10 computes and prints it (spec gnmt-inference.md §6), split
 * sacrebleu-style into sufficient statistics (`corpusBleuStats`, additive over sentences) and a pure function
 * of them (`computeBleu`).
 *
 *   const r = corpusBleu(hypLines, refLines, { lowercase: true, tokenize: 'intl' });
 *   r.score      // 34.33…
 *   r.formatted  // "BLEU+case.lc+numrefs.1+smooth.exp+tok.intl+version.1.2.10 = 34.33 64.9/40.9/28.1/19.1 (BP = …)"
 */
import { QnmtError } from '../errors.js';
import { bleuTokenizer, type BleuTokenizerName } from './bleu-tokenizers.js';
import { pyFixed, pyRstrip, pySplit } from './python-str.js';

export const NGRAM_ORDER = 4;
export const SACREBLEU_VERSION = '1.2.10';

export type BleuSmooth = 'exp' | 'floor' | 'none';

export interface BleuOptions {
  /** `-lc`: lower-case hypothesis and references before tokenizing. Default false (sacrebleu's default). */
  lowercase?: boolean;
  /** Default '13a' (sacrebleu's default); the GNMT notebook uses 'intl'. */
  tokenize?: BleuTokenizerName;
  /** Default 'exp' (sacrebleu's CLI default). */
  smooth?: BleuSmooth;
  /** Numerator for `smooth: 'floor'` (sacrebleu `--smooth-floor`, default 0). */
  smoothFloor?: number;
}

/** Sufficient statistics; sums over sentences. counts[n-1]/totals[n-1] are for n-grams of order n. */
export interface BleuStats {
  counts: number[];
  totals: number[];
  sysLen: number;
  refLen: number;
  /** Hypothesis lines ending in " ." after tokenization-independent preprocessing (sacrebleu's warning). */
  tokenizedPeriodLines: number;
}

export interface BleuScore {
  /** BLEU on the 0–100 scale. */
  score: number;
  /** n-gram precisions in percent, after smoothing. */
  precisions: number[];
  bp: number;
  /** sysLen / refLen (0 when refLen is 0; sacrebleu would divide by zero). */
  ratio: number;
  sysLen: number;
  refLen: number;
  counts: number[];
  totals: number[];
}

export interface BleuResult extends BleuScore {
  /** e.g. `case.lc+numrefs.1+smooth.exp+tok.intl+version.1.2.10` */
  signature: string;
  /** The line sacrebleu prints: `BLEU+<signature> = <score> p1/p2/p3/p4 (BP = … ref_len = …)`. */
  formatted: string;
  /** What `--score-only` prints: the score with two decimals. */
  scoreOnly: string;
  /** Hypothesis lines ending in " ." (sacrebleu warns at 100: the input looks tokenized). */
  tokenizedPeriodLines: number;
}

/** n-gram counts of a tokenized line (keys are the n-grams joined by single spaces), all orders in one map. */
export function extractNgrams(tokens: readonly string[], maxOrder = NGRAM_ORDER): Map<string, number> {
  const all = new Map<string, number>();
  for (const byOrder of ngramsByOrder(tokens, maxOrder)) for (const [g, c] of byOrder) all.set(g, c);
  return all;
}

/** n-gram counts per order: result[n-1] holds the n-grams. Keys are built incrementally (no slice/join). */
function ngramsByOrder(tokens: readonly string[], maxOrder = NGRAM_ORDER): Map<string, number>[] {
  const maps: Map<string, number>[] = [];
  for (let n = 0; n < maxOrder; n++) maps.push(new Map());
  for (let i = 0; i < tokens.length; i++) {
    let key = tokens[i]!;
    const top = Math.min(maxOrder, tokens.length - i);
    for (let n = 0; n < top; n++) {
      if (n > 0) key += ' ' + tokens[i + n]!;
      const m = maps[n]!;
      m.set(key, (m.get(key) ?? 0) + 1);
    }
  }
  return maps;
}

function emptyStats(): BleuStats {
  return { counts: new Array<number>(NGRAM_ORDER).fill(0), totals: new Array<number>(NGRAM_ORDER).fill(0), sysLen: 0, refLen: 0, tokenizedPeriodLines: 0 };
}

/**
 * Statistics of a corpus against one or more reference streams (`refStreams[k][i]` = reference k of line i).
 * Every stream must have as many lines as `hyps` (else a QnmtError naming the counts).
 */
export function corpusBleuStats(hyps: readonly string[], refStreams: readonly (readonly string[])[], options: BleuOptions = {}): BleuStats {
  return sumBleuStats(lineBleuStats(hyps, refStreams, options));
}

/** The corpus statistics of line statistics (all zero for no lines). */
export function sumBleuStats(lines: readonly BleuStats[]): BleuStats {
  return lines.reduce((a, b) => addBleuStats(a, b), emptyStats());
}

/**
 * The statistics of each line on its own (their sum is `corpusBleuStats`): what paired bootstrap
 * resampling draws from, and what lets results of corpus shards be merged.
 */
export function lineBleuStats(hyps: readonly string[], refStreams: readonly (readonly string[])[], options: BleuOptions = {}): BleuStats[] {
  if (refStreams.length === 0) throw new QnmtError('bleu/no-reference', 'BLEU needs at least one reference stream.');
  for (const [k, refs] of refStreams.entries()) {
    if (refs.length !== hyps.length) {
      throw new QnmtError(
        'bleu/line-count',
        `the hypothesis has ${hyps.length} lines but reference ${k + 1} has ${refs.length}; they must be line-aligned.`,
      );
    }
  }
  const tokenize = bleuTokenizer(options.tokenize ?? '13a');
  const lc = options.lowercase ?? false;
  const checkPeriods = options.tokenize !== 'none';
  const out: BleuStats[] = [];
  for (let i = 0; i < hyps.length; i++) {
    const stats = emptyStats();
    out.push(stats);
    let hyp = hyps[i]!;
    if (lc) hyp = hyp.toLowerCase();
    if (checkPeriods && pyRstrip(hyp).endsWith(' .')) stats.tokenizedPeriodLines++;
    const hypTokens = pySplit(tokenize(pyRstrip(hyp)));
    // sacrebleu's ref_stats: clipped counts = max over references; length = closest reference (shorter on ties)
    const refGrams: Map<string, number>[] = [];
    for (let n = 0; n < NGRAM_ORDER; n++) refGrams.push(new Map());
    let closestDiff = -1;
    let closestLen = 0;
    for (const refs of refStreams) {
      let ref = refs[i]!;
      if (lc) ref = ref.toLowerCase();
      const refTokens = pySplit(tokenize(pyRstrip(ref)));
      const diff = Math.abs(hypTokens.length - refTokens.length);
      if (closestDiff < 0 || diff < closestDiff) {
        closestDiff = diff;
        closestLen = refTokens.length;
      } else if (diff === closestDiff && refTokens.length < closestLen) closestLen = refTokens.length;
      const grams = ngramsByOrder(refTokens);
      if (refStreams.length === 1) refGrams.splice(0, NGRAM_ORDER, ...grams);
      else {
        for (let n = 0; n < NGRAM_ORDER; n++) {
          const into = refGrams[n]!;
          for (const [g, c] of grams[n]!) if (c > (into.get(g) ?? 0)) into.set(g, c);
        }
      }
    }
    stats.sysLen += hypTokens.length;
    stats.refLen += closestLen;
    const hypGrams = ngramsByOrder(hypTokens);
    for (let n = 0; n < NGRAM_ORDER; n++) {
      const ref = refGrams[n]!;
      for (const [g, c] of hypGrams[n]!) {
        stats.counts[n]! += Math.min(c, ref.get(g) ?? 0);
        stats.totals[n]! += c;
      }
    }
  }
  return out;
}

/** Add statistics (e.g. of corpus shards). */
export function addBleuStats(a: BleuStats, b: BleuStats): BleuStats {
  return {
    counts: a.counts.map((c, i) => c + b.counts[i]!),
    totals: a.totals.map((t, i) => t + b.totals[i]!),
    sysLen: a.sysLen + b.sysLen,
    refLen: a.refLen + b.refLen,
    tokenizedPeriodLines: a.tokenizedPeriodLines + b.tokenizedPeriodLines,
  };
}

/** sacrebleu's my_log: log(0) is replaced by a very negative number. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from statistics, as sacrebleu 1.2.10's `compute_bleu`. Smoothing 'exp': the k-th order with no match
 * gets precision 100 / (2^k · total); an order with no n-grams at all stops the loop (its precision and the
 * following ones stay 0, giving BLEU 0).
 */
export function computeBleu(stats: Pick<BleuStats, 'counts' | 'totals' | 'sysLen' | 'refLen'>, smooth: BleuSmooth = 'exp', smoothFloor = 0): BleuScore {
  const { counts, totals, sysLen, refLen } = stats;
  const precisions = new Array<number>(NGRAM_ORDER).fill(0);
  let smoothMteval = 1;
  for (let n = 0; n < NGRAM_ORDER; n++) {
    if (totals[n] === 0) break;
    if (counts[n] === 0) {
      if (smooth === 'exp') {
        smoothMteval *= 2;
        precisions[n] = 100 / (smoothMteval * totals[n]!);
      } else if (smooth === 'floor') {
        precisions[n] = (100 * smoothFloor) / totals[n]!;
      }
    } else {
      precisions[n] = (100 * counts[n]!) / totals[n]!;
    }
  }
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  let logSum = 0;
  for (const p of precisions) logSum += myLog(p);
  const score = bp * Math.exp(logSum / NGRAM_ORDER);
  return { score, precisions, bp, ratio: refLen > 0 ? sysLen / refLen : 0, sysLen, refLen, counts: [...counts], totals: [...totals] };
}

/** sacrebleu 1.2.10's signature: the keys case, numrefs, smooth, tok, version in sorted order. */
export function bleuSignature(options: BleuOptions = {}, numRefs = 1): string {
  const parts: Record<string, string> = {
    case: options.lowercase ? 'lc' : 'mixed',
    numrefs: String(numRefs),
    smooth: options.smooth ?? 'exp',
    tok: options.tokenize ?? '13a',
    version: SACREBLEU_VERSION,
  };
  return Object.keys(parts)
    .sort()
    .map((k) => `${k}.${parts[k]}`)
    .join('+');
}

/** The full line sacrebleu 1.2.10 prints (without newline). */
export function formatBleu(score: BleuScore, signature: string, width = 2): string {
  const precisions = score.precisions.map((p) => pyFixed(p, 1)).join('/');
  return (
    `BLEU+${signature} = ${pyFixed(score.score, width)} ${precisions} ` +
    `(BP = ${pyFixed(score.bp, 3)} ratio = ${pyFixed(score.ratio, 3)} hyp_len = ${score.sysLen} ref_len = ${score.refLen})`
  );
}

/**
 * Corpus BLEU of `hyps` against one reference per line (`refs`), or several aligned reference streams
 * (`refs` as an array of streams). Lines are used as given (no newline); each is right-stripped.
 */
export function corpusBleu(hyps: readonly string[], refs: readonly string[] | readonly (readonly string[])[], options: BleuOptions = {}): BleuResult {
  const streams = refs.length > 0 && Array.isArray(refs[0]) ? (refs as readonly (readonly string[])[]) : [refs as readonly string[]];
  return bleuFromStats(corpusBleuStats(hyps, streams, options), options, streams.length);
}

/** The full result (score, signature, sacrebleu's line) of corpus statistics, e.g. summed line statistics. */
export function bleuFromStats(stats: BleuStats, options: BleuOptions = {}, numRefs = 1): BleuResult {
  const score = computeBleu(stats, options.smooth ?? 'exp', options.smoothFloor ?? 0);
  const signature = bleuSignature(options, numRefs);
  return {
    ...score,
    signature,
    formatted: formatBleu(score, signature),
    scoreOnly: pyFixed(score.score, 2),
    tokenizedPeriodLines: stats.tokenizedPeriodLines,
  };
}

/**
 * Statistics as one flat row [c1..c4, t1..t4, sysLen, refLen] (matched and total n-grams of orders 1–4,
 * hypothesis and reference length): additive, so bootstrap resampling sums rows; sweep rows store them.
 */
export function bleuStatsRow(stats: BleuStats): number[] {
  return [...stats.counts, ...stats.totals, stats.sysLen, stats.refLen];
}

/** BLEU score of a summed `bleuStatsRow`. */
export function bleuFromRow(row: ArrayLike<number>, smooth: BleuSmooth = 'exp', smoothFloor = 0): number {
  const counts = Array.from({ length: NGRAM_ORDER }, (_, n) => row[n]!);
  const totals = Array.from({ length: NGRAM_ORDER }, (_, n) => row[NGRAM_ORDER + n]!);
  return computeBleu({ counts, totals, sysLen: row[2 * NGRAM_ORDER]!, refLen: row[2 * NGRAM_ORDER + 1]! }, smooth, smoothFloor).score;
}
