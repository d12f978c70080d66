/** `qnmt tokenize`: Moses tokenizer.perl (escaping on, no -a) as a stdin → stdout filter. */
import { Command, Option } from 'commander';
import { MOSES_LANGS, mosesTokenize, type MosesLang } from '../../text/moses-tokenizer.js';
import { runLineFilter } from '../line-filter.js';

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('Moses-tokenize text (tokenizer.perl -l LANG, commit 8c5eaa1a, as MLPerf prepares its data): stdin → stdout, one line per line.')
    .addOption(new Option('-l, --lang <lang>', 'language of the text').choices(MOSES_LANGS).makeOptionMandatory())
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      `
Special characters are escaped as Moses does (&amp; &#124; &lt; &gt; &apos; &quot; &#91; &#93;).

Example:
  echo "Gutach: Increased safety for pedestrians" | qnmt tokenize --lang en
  # Gutach : Increased safety for pedestrians`,
    )
    .action((flags: { lang: MosesLang }) => {
      runLineFilter(`tokenize --lang ${flags.lang}`, (line) => mosesTokenize(line, flags.lang));
    });
}
