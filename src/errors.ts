/**
 * User-facing errors. A QnmtError is a mistake in the user's input (a file, a flag, a config): the CLI
 * prints its one-line message and exits 1, without a stack trace. Anything else is a bug: exit 2.
 *
 * Messages say what, where (file, line, key), what was expected and found, then what to do. A message
 * is always one line of bounded length: text taken from a hostile file (a key with a newline, a megabyte
 * string) is escaped and cut here, so no caller has to remember to.
 */
const MAX_MESSAGE = 2000;

/** `message` on one line: control characters escaped, cut to MAX_MESSAGE characters. */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

export class QnmtError extends Error {
  /** Stable machine-readable code, e.g. 'checkpoint/truncated', 'quant/unknown-mode'. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(oneLine(message));
    this.name = 'QnmtError';
    this.code = code;
  }
}
