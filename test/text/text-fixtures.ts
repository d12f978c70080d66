/** Reading the line-aligned data files the text tests compare against. */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

/** The lines of a `\n`-terminated UTF-8 file. */
export function lines(path: string): string[] {
  const l = readFileSync(path, 'utf8').split('\n');
  assert.equal(l.pop(), '', `${path} ends with a newline`);
  return l;
}

/** Compare line by line; the message lists the first mismatches and the number of equal lines. */
export function assertSameLines(got: string[], want: string[], what: string): void {
  assert.equal(got.length, want.length, `${what}: line count`);
  const bad: string[] = [];
  let same = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) same++;
    else if (bad.length < 3) bad.push(`line ${i + 1}:\n  got  ${JSON.stringify(got[i])}\n  want ${JSON.stringify(want[i])}`);
  }
  assert.equal(same, want.length, `${what}: ${same}/${want.length} lines equal\n${bad.join('\n')}`);
}
