/**
 * Text side of the pipeline: Moses tokenizer/detokenizer, subword-nmt BPE, BPE joining, line I/O helpers.
 *
 *   raw ──mosesTokenize──▶ tok ──Bpe.apply──▶ tok.bpe ══ model ══▶ bpe tokens ──bpeJoin──▶ tok
 *       ──mosesDetokenize(line, 'en')──▶ detok (scored by metrics/corpusBleu)
 */
export { mosesTokenize, MOSES_LANGS } from './moses-tokenizer.js';
export type { MosesLang } from './moses-tokenizer.js';
export { mosesDetokenize } from './moses-detokenizer.js';
export { Bpe } from './bpe.js';
export { bpeJoin } from './bpe-join.js';
export { nonbreakingPrefixes } from './nonbreaking-prefixes.js';
export type { PrefixKind, PrefixTable } from './nonbreaking-prefixes.js';
export { joinLines, readLines } from './text-lines.js';
