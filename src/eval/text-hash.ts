import { createHash } from 'node:crypto';
import { joinLines } from '../text/text-lines.js';

/** SHA-256 (hex) of a text. */
export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 of lines as a file holds them (each followed by a newline). */
export function linesSha256(lines: readonly string[]): string {
  return sha256Text(joinLines(lines));
}
