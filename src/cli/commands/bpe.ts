/** `qnmt bpe`: apply subword-nmt BPE codes (apply_bpe.py -c CODES) as a stdin → stdout filter. */
import type { Command } from 'commander';
import { Bpe } from '../../text/bpe.js';
import { bpeJoin } from '../../text/bpe-join.js';
import { runLineFilter } from '../line-filter.js';
import { QnmtError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('bpe')
    .description('Split Moses-tokenized text into BPE subwords (subword-nmt apply_bpe.py, separator @@), or join them again with --join: stdin → stdout.')
    .option('-c, --codes <file>', 'BPE merge codes (#version: 0.2), e.g. bpe.32000')
    .option('--join', "undo BPE: remove '@@ ' then '@@' (what the model output goes through)")
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      `
Examples:
  qnmt tokenize --lang en < newstest2014.en | qnmt bpe --codes bpe.32000 > newstest2014.tok.bpe.32000.en
  echo "Gu@@ ta@@ ch : Incre@@ ased safety" | qnmt bpe --join
  # Gutach : Increased safety`,
    )
    .action((flags: { codes?: string; join?: boolean }) => {
      if (flags.join) {
        if (flags.codes) throw new QnmtError('cli/bad-flags', "'qnmt bpe' takes either --codes FILE (apply) or --join, not both.");
        runLineFilter('bpe --join', (line) => bpeJoin(line));
        return;
      }
      if (!flags.codes) throw new QnmtError('cli/missing-flag', "'qnmt bpe' needs --codes FILE (e.g. bpe.32000), or --join to undo BPE.");
      const bpe = Bpe.fromFile(flags.codes);
      runLineFilter(`bpe --codes ${flags.codes}`, (line) => bpe.apply(line));
    });
}
