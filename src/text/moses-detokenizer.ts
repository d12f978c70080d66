/**
 * Moses `detokenizer.perl` (commit 8c5eaa1a) for en and de: spec gnmt-inference.md §5. The notebook runs it
 * without `-l`, so the pipeline calls it with 'en' even for German output (that is the default here too).
 *
 *   mosesDetokenize('Ein Mann &apos;s Hut , „ sagt er “ .')  // → "Ein Mann's Hut, „sagt er“."
 */
import type { MosesLang } from './moses-tokenizer.js';

const TAG_LINE = /^<[^\n]+>$/u;
const ONLY_WS = /^\p{White_Space}*$/u;
const UNESCAPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/&bar;/g, '|'],
  [/&#124;/g, '|'],
  [/&lt;/g, '<'],
  [/&gt;/g, '>'],
  [/&bra;/g, '['],
  [/&ket;/g, ']'],
  [/&quot;/g, '"'],
  [/&apos;/g, "'"],
  [/&#91;/g, '['],
  [/&#93;/g, ']'],
  [/&amp;/g, '&'],
];
/** Currency symbols and opening brackets: glued to the next word. */
const RIGHT_SHIFT = /^[\p{Sc}([{¿¡]+$/u;
/** Closing punctuation: glued to the previous word. */
const LEFT_SHIFT = /^[,.?!:;\\%}\])]+$/u;
const EN_CONTRACTION = /^'\p{Alphabetic}/u;
const ENDS_ALNUM = /[\p{Alphabetic}\p{Nd}]$/u;
const QUOTES = /^['"„“`]+$/u;
const DOUBLE_QUOTES = /^[„“”]+$/u;

/** Detokenize one tokenized line (without its newline); the result has no newline either. */
export function mosesDetokenize(line: string, lang: MosesLang = 'en'): string {
  if (TAG_LINE.test(line) || ONLY_WS.test(line)) return line;
  let text = ` ${line} `.replaceAll(' @-@ ', '-');
  for (const [re, to] of UNESCAPES) text = text.replace(re, to);

  const words = text.split(' ');
  while (words.length > 0 && words[words.length - 1] === '') words.pop(); // Perl's split drops trailing empties
  const quoteCount = new Map<string, number>();
  let sep = ' ';
  let out = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (startsWithCjk(w)) {
      out += i > 0 && endsWithCjk(words[i - 1]!) ? w : sep + w;
      sep = ' ';
    } else if (RIGHT_SHIFT.test(w)) {
      out += sep + w;
      sep = '';
    } else if (LEFT_SHIFT.test(w)) {
      out += w;
      sep = ' ';
    } else if (lang === 'en' && i > 0 && EN_CONTRACTION.test(w) && ENDS_ALNUM.test(words[i - 1]!)) {
      out += w;
      sep = ' ';
    } else if (QUOTES.test(w)) {
      const key = DOUBLE_QUOTES.test(w) ? '"' : w;
      const count = quoteCount.get(key) ?? 0;
      if (count % 2 === 0) {
        if (lang === 'en' && w === "'" && i > 0 && words[i - 1]!.endsWith('s')) {
          out += w; // possessive: "The Jones' house"
          sep = ' ';
        } else {
          out += sep + w; // opening quote
          sep = '';
          quoteCount.set(key, count + 1);
        }
      } else {
        out += w; // closing quote
        sep = ' ';
        quoteCount.set(key, count + 1);
      }
    } else {
      out += sep + w;
      sep = ' ';
    }
  }
  out = out.replace(/ +/g, ' ');
  if (out.startsWith(' ')) out = out.slice(1);
  if (out.endsWith(' ')) out = out.slice(0, -1);
  return out;
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xa840 && cp <= 0xa87f) ||
    (cp >= 0xac00 && cp <= 0xd7af) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff65 && cp <= 0xffdc) ||
    (cp >= 0x20000 && cp <= 0x2ffff)
  );
}

function startsWithCjk(w: string): boolean {
  return w.length > 0 && isCjk(w.codePointAt(0)!);
}

function endsWithCjk(w: string): boolean {
  if (w.length === 0) return false;
  const last = w.charCodeAt(w.length - 1);
  const cp = last >= 0xdc00 && last <= 0xdfff && w.length >= 2 ? w.codePointAt(w.length - 2)! : last;
  return isCjk(cp);
}
