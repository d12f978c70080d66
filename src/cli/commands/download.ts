/** `qnmt download`: fetch the WMT16 en→de test data and the pretrained model, verified. */
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { download, downloadRecordName, type FileOutcome } from '../../data/download.js';
import type { DownloadProgress } from '../../data/http-download.js';
import type { ItemKind } from '../../data/manifest.js';
import { isQuiet, log } from '../log.js';

interface DownloadFlags {
  dir: string;
  from?: string;
  mirror?: string;
  only?: ItemKind;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('download')
    .description('Download the newstest2014 en→de test data and the pretrained GNMT model (model_best.pth), then verify their checksums.')
    .option('-d, --dir <dir>', 'folder to put the files in (flat, MLPerf file names)', 'data')
    .option('--from <dir>', 'copy the files from this local folder instead of downloading (then verify them)')
    .option('--mirror <url>', 'fetch every file as <url>/<file name> instead of from the original sources (env QNMT_DOWNLOAD_BASE)')
    .addOption(new Option('--only <what>', 'fetch only the data or only the model').choices(['data', 'model']))
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'no progress or log messages on stderr')
    .addHelpText(
      'after',
      `
Files (in --dir):
  newstest2014.tok.bpe.32000.en/.de  model input and length-filter target (from MLPerf's GNMT inference zip, Zenodo)
  newstest2014.de / newstest2014.en  raw text; .de is the BLEU reference
  bpe.32000                          the BPE codes behind the model
  model_best.pth                     pretrained checkpoint, Zenodo record 2581623

Data files are checked against MLPerf's published MD5s. No checksum of model_best.pth is published:
it is checked for the torch file header, and its size/SHA-256 are recorded in ${downloadRecordName}.
Interrupted downloads resume from <file>.part; run the same command again.

Examples:
  qnmt download                          # everything into ./data
  qnmt download --only data --dir data   # just the test set
  qnmt download --from /mnt/usb/gnmt     # copy files you already have, then verify
  qnmt download --mirror http://127.0.0.1:8000 --json`,
    )
    .action(async (flags: DownloadFlags) => {
      const mirror = flags.mirror ?? (process.env['QNMT_DOWNLOAD_BASE'] || undefined);
      const bars = new ProgressBars(!isQuiet() && process.stderr.isTTY === true);
      let outcomes: FileOutcome[];
      try {
        outcomes = await download({
          dir: flags.dir,
          ...(flags.only ? { only: flags.only } : {}),
          ...(flags.from !== undefined ? { from: flags.from } : {}),
          ...(mirror !== undefined ? { mirror } : {}),
          onProgress: (label, p) => bars.update(label, p),
          onMessage: (m) => bars.log(m),
        });
      } finally {
        bars.stop();
      }
      if (flags.json) {
        process.stdout.write(JSON.stringify({ dir: flags.dir, record: `${flags.dir}/${downloadRecordName}`, files: outcomes }, null, 2) + '\n');
        return;
      }
      for (const o of outcomes) {
        const check = o.checked === 'md5' ? `md5 ${o.md5} OK` : `sha256 ${o.sha256} (no published checksum; recorded)`;
        process.stdout.write(`${o.status.padEnd(10)} ${o.path}  ${o.size} bytes  ${check}\n`);
      }
    });
}

function human(bytes: number | undefined): string {
  if (bytes === undefined) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/** One progress bar per file on a TTY stderr; plain log lines otherwise. */
class ProgressBars {
  private readonly multi: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(enabled: boolean) {
    this.multi = enabled
      ? new cliProgress.MultiBar(
          {
            stream: process.stderr,
            format: 'qnmt: {file} [{bar}] {percentage}% {done}/{size} | ETA {eta_formatted}',
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  }

  update(label: string, p: DownloadProgress): void {
    if (!this.multi) return;
    const total = p.total ?? 0;
    let bar = this.bars.get(label);
    if (!bar) {
      bar = this.multi.create(total, p.received, { file: label, done: human(p.received), size: human(p.total) });
      this.bars.set(label, bar);
    }
    if (total > 0 && bar.getTotal() !== total) bar.setTotal(total);
    bar.update(p.received, { file: label, done: human(p.received), size: human(p.total) });
  }

  log(message: string): void {
    if (this.multi) this.multi.log(`qnmt: ${message}\n`);
    else log(message);
  }

  stop(): void {
    this.multi?.stop();
  }
}
