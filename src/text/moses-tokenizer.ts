/**
 * Moses `tokenizer.perl` (commit 8c5eaa1a, the one MLPerf pins) with escaping on and without `-a`, for the
 * languages en and de: spec gnmt-inference.md §2.3. Every step is the Perl substitution rewritten as the same
 * global, left-to-right JavaScript replace; Perl's character classes map to Unicode properties:
 * `\s` → White_Space, IsAlnum → Alphabetic ∪ Nd, IsAlpha → Alphabetic, IsN → N, IsLower → Lowercase.
 *
 *   mosesTokenize("Gutach: Increased safety for pedestrians", 'en')
 *   // → "Gutach : Increased safety for pedestrians"
 */
import { nonbreakingPrefixes } from './nonbreaking-prefixes.js';

/** Languages with a prefix list in data/ (the Perl rules used are those of en and of "any other language"). */
export type MosesLang = 'en' | 'de';
export const MOSES_LANGS: readonly MosesLang[] = ['en', 'de'];

const WS_RUN = /\p{White_Space}+/gu;
const CONTROL = /[\u0000-\u001f]/gu;
const SPACE_RUN = / +/g;
const ONLY_WS = /^\p{White_Space}*$/u;
/** Not alnum, not whitespace, not one of . ' ` , - → gets spaces around it. */
const SPECIAL = /([^\p{Alphabetic}\p{Nd}\p{White_Space}.'`,-])/gu;
const MULTI_DOT = /\.\.+/g;
const COMMA_AFTER_NON_NUMBER = /([^\p{N}]),/gu;
const COMMA_BEFORE_NON_NUMBER = /,([^\p{N}])/gu;
const COMMA_AT_END_AFTER_NUMBER = /(\p{N}),$/u;
const EN_APOS = [
  [/([^\p{Alphabetic}])'([^\p{Alphabetic}])/gu, "$1 ' $2"],
  [/([^\p{Alphabetic}\p{N}])'(\p{Alphabetic})/gu, "$1 ' $2"],
  [/(\p{Alphabetic})'([^\p{Alphabetic}])/gu, "$1 ' $2"],
  [/(\p{Alphabetic})'(\p{Alphabetic})/gu, "$1 '$2"],
  [/(\p{N})'(s)/gu, "$1 '$2"],
] as const;
const WS_SPLIT = /\p{White_Space}/u;
const STARTS_LOWER = /^\p{Lowercase}/u;
const STARTS_DIGIT = /^[0-9]/;
const HAS_ALPHA = /\p{Alphabetic}/u;
const END_DOT_QUOTE = /\.' ?$/;
const DOT_RUN_MARKER = /(?:DOT)+MULTI/g;
const ESCAPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/&/g, '&amp;'],
  [/\|/g, '&#124;'],
  [/</g, '&lt;'],
  [/>/g, '&gt;'],
  [/'/g, '&apos;'],
  [/"/g, '&quot;'],
  [/\[/g, '&#91;'],
  [/\]/g, '&#93;'],
];

/**
 * Tokenize one line (without its newline) like `tokenizer.perl -l <lang>`; returns the line without newline.
 * Empty or whitespace-only lines come back unchanged (Perl prints them as they are).
 */
export function mosesTokenize(line: string, lang: MosesLang): string {
  if (ONLY_WS.test(line)) return line;
  const prefixes = nonbreakingPrefixes(lang);
  const hadMarker = line.includes('DOTMULTI');

  // 1. whitespace and ASCII control characters
  let text = ` ${line} `.replace(WS_RUN, ' ').replace(CONTROL, '');
  text = text.replace(SPACE_RUN, ' ');
  if (text.startsWith(' ')) text = text.slice(1);
  if (text.endsWith(' ')) text = text.slice(0, -1);

  // 2. separate out all "other" special characters
  text = text.replace(SPECIAL, ' $1 ');

  // 3. multi-dots stay together
  text = hadMarker ? multiDotsPerl(text) : multiDotsDirect(text);

  // 4. commas, except inside numbers
  text = text.replace(COMMA_AFTER_NON_NUMBER, '$1 , ').replace(COMMA_BEFORE_NON_NUMBER, ' , $1');
  text = text.replace(COMMA_AT_END_AFTER_NUMBER, '$1 ,');

  // 5. apostrophes
  if (lang === 'en') {
    for (const [re, to] of EN_APOS) text = text.replace(re, to);
  } else {
    text = text.replace(/'/g, " ' ");
  }

  // 6. word-final periods, unless a nonbreaking prefix or heuristics say otherwise
  const words = text.split(WS_SPLIT);
  while (words.length > 0 && words[words.length - 1] === '') words.pop(); // Perl's split drops trailing empties
  let out = '';
  for (let i = 0; i < words.length; i++) {
    let word = words[i]!;
    if (word.length >= 2 && word.endsWith('.')) {
      const pre = word.slice(0, -1);
      const next = i < words.length - 1 ? words[i + 1]! : undefined;
      const kind = prefixes.get(pre);
      if ((pre.includes('.') && HAS_ALPHA.test(pre)) || kind === 1 || (next !== undefined && STARTS_LOWER.test(next))) {
        // no change
      } else if (kind === 2 && next !== undefined && STARTS_DIGIT.test(next)) {
        // no change
      } else {
        word = `${pre} .`;
      }
    }
    out += `${word} `;
  }

  // 7. clean up spaces; ".'" at the end of the line is missed by the rules above
  text = out.replace(SPACE_RUN, ' ');
  if (text.startsWith(' ')) text = text.slice(1);
  if (text.endsWith(' ')) text = text.slice(0, -1);
  text = text.replace(END_DOT_QUOTE, " . ' ");

  // 8. restore multi-dots: (DOT)^m MULTI → m dots (the closed form of Perl's DOTDOTMULTI → DOTMULTI. loop)
  text = text.replace(DOT_RUN_MARKER, (m) => '.'.repeat((m.length - 5) / 3));

  // 9. escape special characters
  for (const [re, to] of ESCAPES) text = text.replace(re, to);
  return text;
}

/**
 * Step 3 in closed form: a run of m ≥ 2 dots becomes ` ` + (DOT)^m + `MULTI`, plus a space when any character
 * follows the run. That is what Perl's `s/\.([\.]+)/ DOTMULTI$1/g` plus its `while (/DOTMULTI\./)` loop
 * produce, without the loop's quadratic time on long dot runs. Valid when the line had no literal "DOTMULTI".
 */
function multiDotsDirect(text: string): string {
  return text.replace(MULTI_DOT, (m, offset: number, s: string) =>
    ` ${'DOT'.repeat(m.length)}MULTI${offset + m.length < s.length ? ' ' : ''}`,
  );
}

/** Step 3 exactly as Perl does it (used only when the input itself contains "DOTMULTI"). */
function multiDotsPerl(text: string): string {
  text = text.replace(/\.(\.+)/g, ' DOTMULTI$1');
  while (text.includes('DOTMULTI.')) {
    text = text.replace(/DOTMULTI\.([^.])/gsu, 'DOTDOTMULTI $1');
    text = text.replace(/DOTMULTI\./g, 'DOTDOTMULTI');
  }
  return text;
}
