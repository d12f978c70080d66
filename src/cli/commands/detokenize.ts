/** `qnmt detokenize`: Moses detokenizer.perl as a stdin → stdout filter (default language en, like the notebook). */
import { Command, Option } from 'commander';
import { MOSES_LANGS, type MosesLang } from '../../text/moses-tokenizer.js';
import { mosesDetokenize } from '../../text/moses-detokenizer.js';
import { runLineFilter } from '../line-filter.js';

export function register(program: Command): void {
  program
    .command('detokenize')
    .description('Moses-detokenize text (detokenizer.perl, commit 8c5eaa1a): stdin → stdout, one line per line.')
    .addOption(new Option('-l, --lang <lang>', 'language rules to apply').choices(MOSES_LANGS).default('en'))
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      `
The default is en even for German text: the GNMT notebook runs detokenizer.perl without -l, and the
reference BLEU scores depend on it.

Example:
  echo "Ein Mann &apos;s Hut , „ sagt er “ ." | qnmt detokenize
  # Ein Mann's Hut, „sagt er“.`,
    )
    .action((flags: { lang: MosesLang }) => {
      runLineFilter(`detokenize --lang ${flags.lang}`, (line) => mosesDetokenize(line, flags.lang));
    });
}
