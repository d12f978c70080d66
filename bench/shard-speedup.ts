/**
 * Time to the table with N shards, each a separate `qnmt` process with 1 thread, on one machine
 * (not a test):
 *
 *   node dist/bench/shard-speedup.js [--lines 128] [--beam 2] [--batch 16] [--shards 1,2,3] [--real FILE]
 *
 * For each N: N calibration shards at once → `calibrate --merge` → N sweep shards at once (FP32 and one
 * INT8 config, --stats = the merged file) → `sweep` without a shard (the table). Prints the wall time of
 * every stage, the speed-up against N = 1, and checks that every N gives the same statistics and table.
 *
 * With --real FILE (BPE'd newstest2014 source, say), it also prints what N = 8 and 32 machines can
 * gain on that input: the unsharded plan's batches of --real-batch (128) lines, their estimated costs
 * (rows × longest source), assigned as qnmt assigns them; the longest shard's share of the total cost
 * is the fraction of the one-machine time that remains (calibration: one unit per batch; sweep: one
 * unit per batch and row, --real-rows 6).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assignUnits, planBatches } from '../src/eval/shard-plan.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const main = join(repo, 'dist/src/cli/main.js');
const fixture = join(repo, 'fixtures/multi30k-gnmt256');
const lines = Number(opt('--lines', '128'));
const search = ['--beam', opt('--beam', '2'), '--batch', opt('--batch', '16'), '--threads', '1', '-q'];
const shardCounts = opt('--shards', '1,2,3').split(',').map(Number);

const work = mkdtempSync(join(tmpdir(), 'qnmt-shard-bench-'));
const head = (f: string): string => readFileSync(join(fixture, 'data', f), 'utf8').split('\n').slice(0, lines).join('\n') + '\n';
writeFileSync(join(work, 'in.en'), head('test2016.tok.bpe.en'));
writeFileSync(join(work, 'ref.de'), head('test2016.raw.de'));
const model = join(fixture, 'model_best.pth');
const config = join(repo, 'examples/int8-asym-pc-avg-noattn-nocls.yaml');

function qnmt(argv: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [main, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`qnmt ${argv[0]} exited ${code}`))));
  });
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

const shardsOf = (n: number, argv: string[]): Promise<unknown> =>
  Promise.all(Array.from({ length: n }, (_, i) => qnmt(argv, { SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: String(n) })));

interface Result { n: number; calibrate: number; calMerge: number; sweep: number; table: number; total: number }
const results: Result[] = [];
const outputs: string[] = [];
for (const n of shardCounts) {
  const dir = join(work, `n${n}`);
  mkdirSync(dir);
  const stats = join(dir, 'stats.yaml');
  const sweep = ['sweep', '-m', model, '-i', join(work, 'in.en'), '-r', join(work, 'ref.de'), '--stats', stats, '-c', config, '-o', join(dir, 'study'), ...search];
  const calibrate = await timed(() => shardsOf(n, ['calibrate', '-m', model, '-i', join(work, 'in.en'), '-o', stats, ...search]));
  const calMerge = await timed(() => qnmt(['calibrate', '--merge', '-o', stats, '-q']));
  const sweepTime = await timed(() => shardsOf(n, sweep));
  const table = await timed(() => qnmt([...sweep, '--shard', 'off']));
  results.push({ n, calibrate, calMerge, sweep: sweepTime, table, total: calibrate + calMerge + sweepTime + table });
  const rows = (JSON.parse(readFileSync(join(dir, 'study/table.json'), 'utf8')) as { rows: { config: string; bleu_line: string }[] }).rows;
  outputs.push(readFileSync(stats, 'utf8') + JSON.stringify(rows.map((r) => [r.config, r.bleu_line])) + readFileSync(join(dir, 'study/hyp/fp32.detok.de'), 'utf8'));
  console.error(`N=${n} done`);
}

const one = results[0]!;
console.log(`${lines} fixture lines, ${search.slice(0, 4).join(' ')}, 1 thread per process; load average now ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| N | calibrate shards s | calibrate --merge s | sweep shards s | sweep merge (table) s | total s | speed-up |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.n} | ${r.calibrate.toFixed(1)} | ${r.calMerge.toFixed(2)} | ${r.sweep.toFixed(1)} | ${r.table.toFixed(2)} | ${r.total.toFixed(1)} | ${(one.total / r.total).toFixed(2)}× |`);
}
console.log(`statistics, table and hypotheses identical for every N: ${outputs.every((o) => o === outputs[0])}`);

const real = opt('--real', '');
if (real) {
  const realLines = readFileSync(real, 'utf8').split('\n').filter((_, i, a) => i < a.length - 1 || a[i] !== '');
  const plan = planBatches(realLines, Number(opt('--real-batch', '128')));
  const rowsCount = Number(opt('--real-rows', '6'));
  const remaining = (costs: number[], n: number): number => {
    const shardOf = assignUnits(costs, n);
    const load = new Array<number>(n).fill(0);
    costs.forEach((c, u) => (load[shardOf[u]!]! += c));
    return Math.max(...load) / costs.reduce((a, b) => a + b, 0);
  };
  const sweepCosts = Array.from({ length: rowsCount }, () => plan.costs).flat();
  console.log(`\n${real}: ${realLines.length} lines, ${plan.ranges.length} batches; share of the one-machine time left on the longest shard:`);
  console.log('| machines | calibration | sweep (' + rowsCount + ' rows) |');
  console.log('|---|---|---|');
  for (const n of [1, 8, 32]) console.log(`| ${n} | ${remaining(plan.costs, n).toFixed(3)} | ${remaining(sweepCosts, n).toFixed(3)} |`);
}
