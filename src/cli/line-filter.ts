/**
 * The shape shared by `qnmt tokenize | detokenize | bpe`: read all of stdin (UTF-8, invalid bytes → U+FFFD with
 * one warning, BOM dropped, LF or CRLF), transform line i into output line i, write `\n`-terminated lines.
 */
import { warn, log } from './log.js';
import { readLines, joinLines } from '../text/text-lines.js';

/** Warn once per file about replaced bytes. */
export function warnInvalidUtf8(path: string): void {
  const what = path === '-' ? 'standard input' : path;
  warn(`${what} is not valid UTF-8; invalid bytes were replaced by U+FFFD.`);
}

/** Run `transform` over the lines of stdin and write the results to stdout; logs a one-line summary. */
export function runLineFilter(what: string, transform: (line: string) => string): void {
  const t0 = performance.now();
  const lines = readLines('-', warnInvalidUtf8);
  const out = new Array<string>(lines.length);
  for (let i = 0; i < lines.length; i++) out[i] = transform(lines[i]!);
  process.stdout.write(joinLines(out));
  log(`${what}: ${lines.length} lines in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
