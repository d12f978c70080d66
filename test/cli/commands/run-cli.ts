/** Run the built `qnmt` CLI in a child process (stdin given as bytes), from the repository root. */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../paths.js';

const mainJs = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], stdin: string | Uint8Array = ''): CliResult {
  const r = spawnSync(process.execPath, [mainJs, ...args], { input: stdin, cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
