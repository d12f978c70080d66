#!/usr/bin/env node
/**
 * The `qnmt` command. Each subcommand lives in its own file under ./commands and registers itself on
 * the program. Exit codes: 0 success, 1 user error (bad input, file, flag), 2 internal error.
 */
import { Command, CommanderError } from 'commander';
import { QnmtError } from '../errors.js';
import { fsError } from '../io/safe-write.js';
import { setQuiet } from './log.js';
import { commands } from './commands/index.js';

const program = new Command();
program
  .name('qnmt')
  .description('GNMT (MLPerf, WMT16 en→de) translation and Distiller post-training INT8 quantization, in TypeScript.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .hook('preAction', (_program, action) => {
    if (action.opts()['quiet']) setQuiet(true);
  });

for (const register of commands) register(program);

// Results may be piped into `head`: end quietly on EPIPE like a Unix filter. Any other failure of
// standard output (ENOSPC on /dev/full, EIO) is one line and exit 1.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`qnmt: error: ${fsError('io/stdout', 'write', 'standard output', e).message}\n`);
  process.exit(1);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = exitCodeFor(e);
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // help and version are "errors" to commander with exit code 0; usage errors were already printed.
    return e.exitCode === 0 ? 0 : 1;
  }
  if (e instanceof QnmtError && e.code === 'io/broken-pipe') return 0;
  const errno = e as NodeJS.ErrnoException;
  if (!(e instanceof QnmtError) && typeof errno?.code === 'string' && typeof errno.path === 'string' && typeof errno.syscall === 'string') {
    // An operating-system refusal on a path the user gave (permissions, a folder, a full disk) that a
    // command did not wrap itself: the user's to fix, so one line and exit 1 like any QnmtError.
    e = fsError('io/system', errno.syscall, errno.path, e);
  }
  if (e instanceof QnmtError) {
    process.stderr.write(`qnmt: error: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`qnmt: internal error (please report): ${(e as Error)?.stack ?? String(e)}\n`);
  return 2;
}
