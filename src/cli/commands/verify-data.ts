/** `qnmt verify-data`: MD5 check of the data folder, like MLPerf's verify_dataset.sh. */
import { Command, Option } from 'commander';
import { downloadRecordName } from '../../data/download.js';
import { verifyData, verifyPassed } from '../../data/verify-data.js';
import type { ItemKind } from '../../data/manifest.js';
import { QnmtError } from '../../errors.js';

interface VerifyFlags {
  dir: string;
  only?: ItemKind;
  allowMissing?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('verify-data')
    .description("Check the downloaded files' MD5 sums against MLPerf's published ones (one OK/FAILED line per file; exit 1 on any failure).")
    .option('-d, --dir <dir>', 'folder holding the files', 'data')
    .addOption(new Option('--only <what>', 'check only the data or only the model').choices(['data', 'model']))
    .option('--allow-missing', 'check only the files that are there (fails if none is)')
    .option('--json', 'print the results as JSON on stdout')
    .option('-q, --quiet', 'print only failures')
    .addHelpText(
      'after',
      `
Checked: the files 'qnmt download' fetches, plus MLPerf's dev/train BPE files when present.
model_best.pth has no published checksum: it is checked for the torch file header and against the
size/SHA-256 recorded in ${downloadRecordName} at download time.

Exit codes: 0 all OK, 1 a file is missing or corrupted.

Examples:
  qnmt verify-data
  qnmt verify-data --dir data --only data
  qnmt verify-data --dir ~/gnmt-data/bpe-mlperf --allow-missing`,
    )
    .action(async (flags: VerifyFlags) => {
      const results = await verifyData({ dir: flags.dir, ...(flags.only ? { only: flags.only } : {}) });
      const ok = verifyPassed(results, flags.allowMissing === true);
      if (flags.json) {
        process.stdout.write(JSON.stringify({ dir: flags.dir, ok, files: results }, null, 2) + '\n');
      } else {
        for (const r of results) {
          if (flags.quiet && r.status === 'OK') continue;
          if (r.status === 'MISSING' && flags.allowMissing) continue;
          process.stdout.write(`${r.status.padEnd(7)} ${r.path}  ${r.detail}\n`);
        }
      }
      if (!ok) {
        const bad = results.filter((r) => r.status === 'FAILED' || (r.status === 'MISSING' && !flags.allowMissing));
        if (bad.length === 0) {
          throw new QnmtError('data/nothing-to-verify', `no known data file found in ${flags.dir}; check --dir, or run 'qnmt download --dir ${flags.dir}'.`);
        }
        throw new QnmtError(
          'data/verify-failed',
          `${bad.length} of ${results.length} files failed in ${flags.dir}: ${bad.map((r) => `${r.name} (${r.status.toLowerCase()})`).join(', ')}. ` +
            `Run 'qnmt download --dir ${flags.dir}' to fetch them again.`,
        );
      }
    });
}
