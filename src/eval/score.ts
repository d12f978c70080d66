/**
 * Scoring exactly as the Distiller notebook does (gnmt-inference.md §3.9, §5, §6): the BPE-joined
 * output is detokenized with Moses' *default* language (en, although the text is German — a
 * reproduced quirk), then corpus BLEU as sacrebleu 1.2.10 `-lc --tokenize intl`.
 */
import { bleuFromStats, sumBleuStats, lineBleuStats, type BleuResult, type BleuStats } from '../metrics/bleu.js';
import { mosesDetokenize } from '../text/moses-detokenizer.js';
import { QnmtError } from '../errors.js';

/** The notebook's BLEU settings. */
export const NOTEBOOK_BLEU = { lowercase: true, tokenize: 'intl' } as const;

export interface ScoredOutput {
  /** Detokenized hypotheses, file order. */
  detok: string[];
  bleu: BleuResult;
  /** BLEU statistics of each line (their sum gives `bleu`). */
  lineStats: BleuStats[];
}

export function scoreJoined(joined: readonly string[], refs: readonly string[], refName = 'reference'): ScoredOutput {
  if (joined.length !== refs.length) {
    throw new QnmtError(
      'eval/line-count',
      `${refName} has ${refs.length} lines but ${joined.length} sentences were translated; the reference must be line-aligned with the input.`,
    );
  }
  const detok = joined.map((line) => mosesDetokenize(line, 'en'));
  const lineStats = lineBleuStats(detok, [refs], NOTEBOOK_BLEU);
  return { detok, bleu: bleuFromStats(sumBleuStats(lineStats), NOTEBOOK_BLEU), lineStats };
}
