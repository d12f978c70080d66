/**
 * sacrebleu 1.2.10's BLEU tokenizers, applied to each (optionally lower-cased, right-stripped) line: spec
 * gnmt-inference.md §6.
 *
 * - `13a`: mteval-v13a, the sacrebleu default.
 * - `intl`: mteval-v14 "international" as sacrebleu 1.2.10 builds it. QUIRK: its punctuation class is made by
 *   pasting every P* character into `[...]`, so `\]` escapes the bracket and the backslash itself is not
 *   punctuation there.
 * - `intl-v14`: what sacrebleu ≥ 1.4 does for `intl` (`\P{N}` instead of non-digit, backslash is punctuation);
 *   not part of the reference pipeline, offered for comparison with newer sacrebleu.
 * - `none`: no tokenization.
 */
import { PY_SPACE_CLASS, pyStrip } from './python-str.js';

export type BleuTokenizerName = '13a' | 'intl' | 'intl-v14' | 'none';
export const BLEU_TOKENIZERS: readonly BleuTokenizerName[] = ['13a', 'intl', 'intl-v14', 'none'];

const PY_SPACE_RUN = new RegExp(`${PY_SPACE_CLASS}+`, 'gu');

// 13a: the ASCII symbols { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
const A13_SYMBOLS = /([{-~[-` -&(-+:-@/])/gu;
const A13_PERIOD_COMMA_AFTER = /([^0-9])([.,])/gu;
const A13_PERIOD_COMMA_BEFORE = /([.,])([^0-9])/gu;
const A13_DASH_AFTER_DIGIT = /([0-9])(-)/gu;

export function tokenize13a(line: string): string {
  let norm = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  norm = ` ${norm} `;
  norm = norm.replace(A13_SYMBOLS, ' $1 ');
  norm = norm.replace(A13_PERIOD_COMMA_AFTER, '$1 $2 ');
  norm = norm.replace(A13_PERIOD_COMMA_BEFORE, ' $1 $2');
  norm = norm.replace(A13_DASH_AFTER_DIGIT, '$1 $2 ');
  norm = norm.replace(PY_SPACE_RUN, ' ');
  return pyStrip(norm);
}

// 1.2.10: punctuation = every P* character except the backslash; "non-digit" = not Nd (Python's \d).
const INTL_NONDIGIT_PUNCT = /([^\p{Nd}])([^\P{P}\\])/gu;
const INTL_PUNCT_NONDIGIT = /([^\P{P}\\])([^\p{Nd}])/gu;
const INTL_SYMBOL = /(\p{S})/gu;

export function tokenizeIntl(line: string): string {
  return pyStrip(
    line.replace(INTL_NONDIGIT_PUNCT, '$1 $2 ').replace(INTL_PUNCT_NONDIGIT, ' $1 $2').replace(INTL_SYMBOL, ' $1 '),
  );
}

const V14_NONNUMBER_PUNCT = /(\P{N})(\p{P})/gu;
const V14_PUNCT_NONNUMBER = /(\p{P})(\P{N})/gu;

export function tokenizeIntlV14(line: string): string {
  return pyStrip(
    line.replace(V14_NONNUMBER_PUNCT, '$1 $2 ').replace(V14_PUNCT_NONNUMBER, ' $1 $2').replace(INTL_SYMBOL, ' $1 '),
  );
}

export function tokenizeNone(line: string): string {
  return line;
}

export function bleuTokenizer(name: BleuTokenizerName): (line: string) => string {
  switch (name) {
    case '13a':
      return tokenize13a;
    case 'intl':
      return tokenizeIntl;
    case 'intl-v14':
      return tokenizeIntlV14;
    case 'none':
      return tokenizeNone;
  }
}
