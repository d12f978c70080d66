/**
 * Moses nonbreaking-prefix lists (`data/moses-nonbreaking-prefixes/nonbreaking_prefix.<lang>`, commit 8c5eaa1a),
 * parsed the way tokenizer.perl's `load_prefixes` does it.
 */
import { readFileSync } from 'node:fs';
import { QnmtError } from '../errors.js';
import { dataPath } from './data-dir.js';

/** 1 = always nonbreaking, 2 = nonbreaking only before a number (`#NUMERIC_ONLY#`). */
export type PrefixKind = 1 | 2;
export type PrefixTable = ReadonlyMap<string, PrefixKind>;

const tables = new Map<string, PrefixTable>();

/**
 * Parse a prefix file's text. As in Perl: the newline is removed and nothing else (so a trailing space stays
 * part of the key), empty lines and lines starting with `#` are skipped, and `(.*)\s+#NUMERIC_ONLY#` (greedy, not
 * anchored at the end) marks a numeric-only prefix. QUIRK kept: a line "0" is skipped too (false in Perl).
 */
export function parsePrefixes(text: string): PrefixTable {
  const table = new Map<string, PrefixKind>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const item of lines) {
    if (item === '' || item === '0' || item.startsWith('#')) continue;
    const m = /^([^\n]*)\p{White_Space}+(#NUMERIC_ONLY#)/u.exec(item);
    if (m) table.set(m[1]!, 2);
    else table.set(item, 1);
  }
  return table;
}

/** The prefix table of a language, loaded once. */
export function nonbreakingPrefixes(lang: string): PrefixTable {
  let table = tables.get(lang);
  if (!table) {
    const file = dataPath('moses-nonbreaking-prefixes', `nonbreaking_prefix.${lang}`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new QnmtError(
        'text/prefixes-missing',
        `cannot read the Moses nonbreaking-prefix list ${file} (${(e as Error).message}); ` +
          'run from the repository or set QNMT_ROOT to the folder holding data/.',
      );
    }
    table = parsePrefixes(text);
    tables.set(lang, table);
  }
  return table;
}
