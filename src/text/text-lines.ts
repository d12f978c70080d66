/**
 * Reading text files and stdin for the line filters: UTF-8 with invalid bytes replaced by U+FFFD (and one
 * warning), a leading BOM removed, `\n` or `\r\n` line ends, a final line with or without its newline.
 */
import { readFileBounded } from '../io/read-bounded.js';

export interface DecodedText {
  text: string;
  /** True when some bytes were not valid UTF-8 and were replaced by U+FFFD. */
  invalid: boolean;
}

const strict = new TextDecoder('utf-8', { fatal: true }); // also drops a leading BOM
const lenient = new TextDecoder('utf-8');

/** Decode UTF-8; a leading BOM is dropped, invalid sequences become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): DecodedText {
  try {
    return { text: strict.decode(bytes), invalid: false };
  } catch {
    return { text: lenient.decode(bytes), invalid: true };
  }
}

/** Split text into lines: `\n` or `\r\n` ends a line; a missing final newline is fine; "" has no lines. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/** Lines joined with `\n`, each line (also the last) followed by a newline. */
export function joinLines(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * Read a text file (or '-' for stdin) as lines. `onInvalid` is called once when bytes had to be replaced.
 * Errors name the file.
 */
export function readLines(path: string, onInvalid?: (path: string) => void): string[] {
  const bytes = readFileBounded(path, 'inputBytes', 'io/unreadable');
  const { text, invalid } = decodeUtf8(bytes);
  if (invalid) onInvalid?.(path);
  return splitLines(text);
}
