/**
 * Peak-RSS fallback for bench/e2e.ts when /usr/bin/time is missing: preloaded into a qnmt child with
 * `node --import <this file>`, it writes the process's max RSS (KiB) to stderr as it exits.
 */
import { writeSync } from 'node:fs';

// bench/e2e.ts looks for this marker; this file has no exports so that importing it is never accidental.
process.on('exit', () => {
  writeSync(2, `QNMT_BENCH_MAX_RSS_KB ${process.resourceUsage().maxRSS}\n`);
});
