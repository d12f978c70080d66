/**
 * BPE joining as `seq2seq.data.tokenizer.Tokenizer.detokenize` does it (spec gnmt-inference.md §1.4): join the
 * tokens with single spaces, delete every `'@@ '`, then every remaining `'@@'`. Nothing else.
 *
 *   bpeJoin(['Gu@@', 'ta@@', 'ch', ':']) // → "Gutach :"
 *   bpeJoin('ein Fahr@@ rad@@')          // → "ein Fahrrad"
 */
export function bpeJoin(tokens: readonly string[] | string, separator = '@@'): string {
  const line = typeof tokens === 'string' ? tokens : tokens.join(' ');
  return line.replaceAll(`${separator} `, '').replaceAll(separator, '');
}
