/** Logs and warnings go to stderr prefixed `qnmt:`; results go to stdout. `--quiet` silences logs. */
let quiet = false;

export function setQuiet(value: boolean): void {
  quiet = value;
}

export function isQuiet(): boolean {
  return quiet;
}

export function log(message: string): void {
  if (!quiet) process.stderr.write(`qnmt: ${message}\n`);
}

/** Warnings are shown even with --quiet: they point at something the user should fix. */
export function warn(message: string): void {
  process.stderr.write(`qnmt: warning: ${message}\n`);
}
