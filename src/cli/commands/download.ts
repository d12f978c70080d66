/** `qnmt download` — placeholder until its issue lands; replaced by the real command. */
import type { Command } from 'commander';
import { QnmtError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('download')
    .description('(not available yet)')
    .allowUnknownOption()
    .action(() => {
      throw new QnmtError('cli/not-implemented', "'qnmt download' is not implemented yet.");
    });
}
