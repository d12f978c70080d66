/**
 * The few Python string semantics sacrebleu relies on: `str.split()` / `str.strip()` whitespace (str.isspace,
 * which unlike JS `\s` includes U+001C–U+001F and excludes U+FEFF) and `'{:.Nf}'.format(x)` rounding (exact
 * binary value, ties to even; JS `toFixed` rounds exact ties up).
 */

/** Characters for which Python's `str.isspace()` is true. */
export const PY_SPACE_CLASS = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const SPLIT = new RegExp(`${PY_SPACE_CLASS}+`, 'u');
const SPACE = new RegExp(`^${PY_SPACE_CLASS}$`, 'u');

/** Python `str.isspace()` for one UTF-16 unit (all Python whitespace is in the BMP). */
export function pyIsSpace(unit: string): boolean {
  return SPACE.test(unit);
}

/** Python `s.split()`: split on whitespace runs, no empty strings. */
export function pySplit(s: string): string[] {
  const parts = s.split(SPLIT);
  if (parts.length > 0 && parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Python `s.strip()`. */
export function pyStrip(s: string): string {
  // Loops, not /\s+$/: V8 retries such a regex at every position of an inner whitespace run (quadratic).
  let start = 0;
  while (start < s.length && pyIsSpace(s[start]!)) start++;
  return pyRstrip(start > 0 ? s.slice(start) : s);
}

/** Python `s.rstrip()`. */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && pyIsSpace(s[end - 1]!)) end--;
  return end < s.length ? s.slice(0, end) : s;
}

/** Python `'{:.{digits}f}'.format(x)` for finite x (round half to even on exact decimal ties). */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const s = x.toFixed(digits);
  if (Math.abs(x) >= 1e21) return s;
  // toFixed rounds exact ties away from zero; find exact ties in the exact decimal expansion of x.
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(rest)) return s;
  // A tie: keep the truncated value when its last digit is even, else toFixed's rounding (away from zero) is right.
  const truncated = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 !== 0) return s;
  return (x < 0 ? '-' : '') + truncated;
}
