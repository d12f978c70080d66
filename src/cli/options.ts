/** Flags shared by the commands that run the model: parsing, backend selection, progress bars. */
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { availableParallelism } from 'node:os';
import { QnmtError } from '../errors.js';
import { limitError, limits, maxThreads } from '../limits.js';
import { SEARCH_DEFAULTS } from '../decode/search-options.js';
import { selectBackend } from '../tensor/backend.js';
import { isQuiet, log } from './log.js';

export interface RuntimeFlags {
  beam: string;
  batch: string;
  maxLen: string;
  backend: string;
  threads?: string;
  quiet?: boolean;
  json?: boolean;
}

/** --beam/--batch/--max-len (the notebook's defaults), --backend/--threads, --quiet, --json. */
export function addRuntimeOptions(command: Command): Command {
  return command
    .option('--beam <k>', 'beam size (1 = greedy search)', String(SEARCH_DEFAULTS.beam))
    .option('--batch <n>', 'sentences per batch (file order)', '128')
    .option('--max-len <n>', 'max_seq_len: decoder steps + 1', String(SEARCH_DEFAULTS.maxLen))
    .addOption(new Option('--backend <name>', "compute backend ('auto' = the fastest that works; env QNMT_BACKEND)").default('auto'))
    .option('--threads <n>', 'threads for the compute backend (env QNMT_THREADS; default 2)')
    .option('-q, --quiet', 'no progress bars or logs on stderr')
    .option('--json', 'print the result as JSON on stdout');
}

export interface SearchSettings {
  beam: number;
  batch: number;
  maxLen: number;
}

export function searchSettings(flags: RuntimeFlags): SearchSettings {
  const maxLen = positiveInt(flags.maxLen, '--max-len', 'maxLen');
  if (maxLen < 2) throw new QnmtError('cli/bad-flag', `--max-len must be at least 2, found ${maxLen}.`);
  return { beam: positiveInt(flags.beam, '--beam', 'beam'), batch: positiveInt(flags.batch, '--batch', 'batch'), maxLen };
}

/** Activate the requested backend; a failure is the user's to fix (wrong name, addon not built). */
export async function useBackend(flags: Pick<RuntimeFlags, 'backend' | 'threads'>): Promise<void> {
  const threads = flags.threads === undefined ? undefined : positiveInt(flags.threads, '--threads');
  if (threads !== undefined && threads > maxThreads()) {
    throw new QnmtError('cli/bad-flag', `--threads ${threads} is more than ${maxThreads()} (${limits().threadsPerCore} per core on this machine's ${availableParallelism()} cores); more threads than that only slow the work down.`);
  }
  try {
    await selectBackend(flags.backend, threads, log);
  } catch (e) {
    throw new QnmtError('cli/backend', `--backend ${flags.backend}: ${(e as Error).message}`);
  }
}

/** A positive integer flag, at most the named limit (src/limits.ts) when one is given. */
export function positiveInt(value: string, flag: string, limit?: 'beam' | 'batch' | 'maxLen'): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new QnmtError('cli/bad-flag', `${flag} expects a positive integer, found ${JSON.stringify(value.slice(0, 40))}.`);
  if (limit !== undefined && n > limits()[limit]) throw limitError('cli/bad-flag', flag, limit, 'the value', n);
  return n;
}

/** A progress bar on stderr (none when quiet; a line every 10 s when stderr is not a terminal). */
export function progressBar(label: string, quiet: boolean | undefined): cliProgress.SingleBar | undefined {
  if (quiet || isQuiet()) return undefined;
  return new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `qnmt: ${label} [{bar}] {value}/{total} sentences | {duration_formatted} elapsed | ETA {eta_formatted}`,
      hideCursor: true,
      // Not a terminal (a pipe, a CI log): one progress line every 10 s instead of a redrawn bar, so a
      // long run never looks stalled.
      noTTYOutput: true,
      notTTYSchedule: 10_000,
    },
    cliProgress.Presets.shades_classic,
  );
}
