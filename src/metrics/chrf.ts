/**
 * chrF / chrF++ as sacrebleu 2.x computes it (checked against sacrebleu 2.6.0; sacrebleu 1.2.10's chrF is not
 * reproduced). Character n-grams of orders 1..charOrder over the line with whitespace removed, optional word
 * n-grams (chrF++: wordOrder 2), per-order [hyp, ref, match] counts summed over the corpus, then the F-beta of
 * the precision and recall averaged over the orders that have n-grams on both sides ("effective order").
 *
 *   corpusChrf(hyps, refs).score      // e.g. 61.23 (0–100)
 *   corpusChrf(hyps, refs).formatted  // "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0 = 61.23"
 */
import { QnmtError } from '../errors.js';
import { pyFixed, pySplit } from './python-str.js';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order (default 0; 2 = chrF++). */
  wordOrder?: number;
  /** Weight of recall (default 2). */
  beta?: number;
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false). */
  whitespace?: boolean;
  /** Average per-order F scores with epsilon for empty orders instead of the effective-order average. */
  epsSmoothing?: boolean;
}

export interface ChrfResult {
  score: number;
  /** Flattened [hyp, ref, match] counts per order (character orders first, then word orders). */
  stats: number[];
  signature: string;
  formatted: string;
}

const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const SACREBLEU_CHRF_VERSION = '2.6.0';

function resolved(o: ChrfOptions): Required<ChrfOptions> {
  return {
    charOrder: o.charOrder ?? 6,
    wordOrder: o.wordOrder ?? 0,
    beta: o.beta ?? 2,
    lowercase: o.lowercase ?? false,
    whitespace: o.whitespace ?? false,
    epsSmoothing: o.epsSmoothing ?? false,
  };
}

function count(grams: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const g of grams) m.set(g, (m.get(g) ?? 0) + 1);
  return m;
}

/** Words with one leading or trailing ASCII punctuation character split off (sacrebleu's _remove_punctuation). */
function splitPunctuation(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    const cs = Array.from(w);
    if (cs.length === 1) out.push(w);
    else if (PUNCTS.has(cs[cs.length - 1]!)) out.push(cs.slice(0, -1).join(''), cs[cs.length - 1]!);
    else if (PUNCTS.has(cs[0]!)) out.push(cs[0]!, cs.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

function allNgrams(sent: string, o: Required<ChrfOptions>): Map<string, number>[] {
  const chars = Array.from(o.whitespace ? sent : pySplit(sent).join(''));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= o.charOrder; n++) {
    const grams: string[] = [];
    for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(''));
    out.push(count(grams));
  }
  if (o.wordOrder > 0) {
    const words = splitPunctuation(sent);
    for (let n = 1; n <= o.wordOrder; n++) {
      const grams: string[] = [];
      for (let i = 0; i + n <= words.length; i++) grams.push(words.slice(i, i + n).join(' '));
      out.push(count(grams));
    }
  }
  return out;
}

/** F-beta from flattened statistics (sacrebleu `_compute_f_score`), 0–100. */
export function computeChrf(stats: readonly number[], options: ChrfOptions = {}): number {
  const o = resolved(options);
  const order = o.charOrder + o.wordOrder;
  const eps = 1e-16;
  const factor = o.beta ** 2;
  let score = 0;
  let effective = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective++;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effective === 0) {
    avgPrec = 0;
    avgRec = 0;
  } else {
    avgPrec /= effective;
    avgRec /= effective;
  }
  if (avgPrec + avgRec) {
    return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
  }
  return 0;
}

/** Statistics of one segment against its references: those of the reference with the best F score. */
export function chrfSegmentStats(hyp: string, refs: readonly string[], options: ChrfOptions = {}): number[] {
  const o = resolved(options);
  const hypGrams = allNgrams(o.lowercase ? hyp.toLowerCase() : hyp, o);
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    const refGrams = allNgrams(o.lowercase ? ref.toLowerCase() : ref, o);
    const stats: number[] = [];
    for (let k = 0; k < hypGrams.length; k++) {
      const h = hypGrams[k]!;
      const r = refGrams[k]!;
      let hypCount = 0;
      let match = 0;
      let refCount = 0;
      for (const [g, c] of h) {
        hypCount += c;
        const rc = r.get(g);
        if (rc !== undefined) match += Math.min(c, rc);
      }
      for (const c of r.values()) refCount += c;
      stats.push(r.size > 0 ? hypCount : 0, refCount, match);
    }
    const f = computeChrf(stats, o);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

/** Corpus statistics (sums of the segment statistics) against aligned reference streams. */
export function corpusChrfStats(hyps: readonly string[], refStreams: readonly (readonly string[])[], options: ChrfOptions = {}): number[] {
  const o = resolved(options);
  for (const [k, refs] of refStreams.entries()) {
    if (refs.length !== hyps.length) {
      throw new QnmtError('chrf/line-count', `the hypothesis has ${hyps.length} lines but reference ${k + 1} has ${refs.length}; they must be line-aligned.`);
    }
  }
  const total = new Array<number>(3 * (o.charOrder + o.wordOrder)).fill(0);
  for (let i = 0; i < hyps.length; i++) {
    const s = chrfSegmentStats(hyps[i]!, refStreams.map((r) => r[i]!), o);
    for (let j = 0; j < s.length; j++) total[j]! += s[j]!;
  }
  return total;
}

/** sacrebleu 2.x chrF signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
export function chrfSignature(options: ChrfOptions = {}, numRefs = 1): string {
  const o = resolved(options);
  return [
    `nrefs:${numRefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.epsSmoothing ? 'no' : 'yes'}`,
    `nc:${o.charOrder}`,
    `nw:${o.wordOrder}`,
    `space:${o.whitespace ? 'yes' : 'no'}`,
    `version:${SACREBLEU_CHRF_VERSION}`,
  ].join('|');
}

/** Corpus chrF of `hyps` against one reference per line, or several aligned reference streams. */
export function corpusChrf(hyps: readonly string[], refs: readonly string[] | readonly (readonly string[])[], options: ChrfOptions = {}): ChrfResult {
  const o = resolved(options);
  const streams = refs.length > 0 && Array.isArray(refs[0]) ? (refs as readonly (readonly string[])[]) : [refs as readonly string[]];
  const stats = corpusChrfStats(hyps, streams, o);
  const score = computeChrf(stats, o);
  const signature = chrfSignature(o, streams.length);
  const name = `chrF${o.beta}${'+'.repeat(o.wordOrder)}`;
  return { score, stats, signature, formatted: `${name}|${signature} = ${pyFixed(score, 2)}` };
}
