/**
 * User-facing errors. A QnmtError is a mistake in the user's input (a file, a flag, a config): the CLI
 * prints its one-line message and exits 1, without a stack trace. Anything else is a bug: exit 2.
 *
 * Messages say what, where (file, line, key), what was expected and found, then what to do.
 */
export class QnmtError extends Error {
  /** Stable machine-readable code, e.g. 'checkpoint/truncated', 'quant/unknown-mode'. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'QnmtError';
    this.code = code;
  }
}
