/** Translation metrics: corpus BLEU exactly as sacrebleu 1.2.10 (statistics + pure compute + its output line). */
export {
  corpusBleu,
  corpusBleuStats,
  lineBleuStats,
  sumBleuStats,
  bleuFromStats,
  computeBleu,
  addBleuStats,
  bleuSignature,
  formatBleu,
  NGRAM_ORDER,
  SACREBLEU_VERSION,
} from './bleu.js';
export type { BleuOptions, BleuStats, BleuScore, BleuResult, BleuSmooth } from './bleu.js';
export { tokenize13a, tokenizeIntl, tokenizeIntlV14, tokenizeNone, bleuTokenizer, BLEU_TOKENIZERS } from './bleu-tokenizers.js';
export type { BleuTokenizerName } from './bleu-tokenizers.js';
export { corpusChrf, corpusChrfStats, chrfSegmentStats, computeChrf, chrfSignature } from './chrf.js';
export type { ChrfOptions, ChrfResult } from './chrf.js';
export { bleuStatsRow, bleuFromRow } from './bleu.js';
export { bootstrapConfidence, pairedBootstrap, bootstrapIndices, resampledScores, estimateConfidence, BOOTSTRAP_DEFAULTS } from './significance.js';
export type { BootstrapOptions, Confidence, PairedResult, SentenceStats, ScoreFromStats } from './significance.js';
export { NumpyRng } from './numpy-random.js';
