/**
 * Sharding end to end, as a Slurm job array runs it: 3 shards as separate processes with
 * SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT set, on 200 fixture lines at beam 2 (batches of 32).
 * - calibrate: the merged statistics equal one unsharded process's (≤ 1e-9 relative, same shapes);
 * - sweep (FP32 + one INT8 config): the merge gives the same hypotheses, BLEU and table;
 * - a shard killed mid-way (with a half-written temp file left behind) and rerun leaves no trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureDir, repoRoot } from '../paths.js';
import { loadStats, type StatsRecord } from '../../src/quant/stats.js';
import { tempNameFor } from '../../src/eval/atomic-file.js';

const LINES = 200;
const mainJs = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'qnmt-shard-'));
const input = join(work, 'src.bpe.en');
const ref = join(work, 'ref.de');
const head = (file: string): string => readFileSync(join(fixtureDir, 'data', file), 'utf8').split('\n').slice(0, LINES).join('\n') + '\n';
writeFileSync(input, head('test2016.tok.bpe.en'));
writeFileSync(ref, head('test2016.raw.de'));
const model = join(fixtureDir, 'model_best.pth');
const run = ['--beam', '2', '--batch', '32', '--threads', '1'];

interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Run the CLI; `killWhen` SIGKILLs it as soon as its stderr matches (a shard that has started computing). */
function qnmt(args: string[], env: Record<string, string> = {}, killWhen?: RegExp): Promise<Proc> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [mainJs, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (killWhen?.test(stderr)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stderr }));
  });
}

const slurm = (i: number): Record<string, string> => ({ SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: '3' });

/** Run 3 shards at once; shard 1 is killed mid-way (when stderr matches `killWhen`), a half-written temp file is left, and it is rerun. */
async function shardsWithOneKilled(args: string[], tempOf: string, killWhen: RegExp): Promise<void> {
  const [r0, killed, r2] = await Promise.all([qnmt(args, slurm(0)), qnmt(args, slurm(1), killWhen), qnmt(args, slurm(2))]);
  assert.equal(r0.code, 0, r0.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(killed.signal, 'SIGKILL', `shard 1 was meant to be killed mid-way: ${killed.stderr}`);
  // What a writer killed inside its atomic write leaves behind.
  writeFileSync(join(dirname(tempOf), tempNameFor(tempOf.slice(dirname(tempOf).length + 1))), '{"half');
  const rerun = await qnmt(args, slurm(1));
  assert.equal(rerun.code, 0, rerun.stderr);
}

const noTemps = (dir: string): void => {
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.') || n.endsWith('.tmp')), [], `leftovers in ${dir}`);
};

test('3 calibration shards (SLURM_ARRAY_TASK_ID) merged = one unsharded calibrate (≤ 1e-9, same shapes); a killed shard leaves no trace', async () => {
  const whole = join(work, 'whole.yaml');
  const merged = join(work, 'merged.yaml');
  const args = ['calibrate', '-m', model, '-i', input, '-o', merged, ...run];
  const [single] = await Promise.all([qnmt(['calibrate', '-m', model, '-i', input, '-o', whole, '-q', ...run]), shardsWithOneKilled(args, `${merged}.part-1-of-3.json`, /shard 1\/3 .*batches/)]);
  assert.equal(single.code, 0, single.stderr);
  const m = await qnmt(['calibrate', '--merge', '-o', merged]);
  assert.equal(m.code, 0, m.stderr);
  noTemps(work);

  const a = loadStats(whole);
  const b = loadStats(merged);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  let values = 0;
  for (const [name, ma] of a) {
    const mb = b.get(name)!;
    const recs = (x: typeof ma): StatsRecord[] => [...(x.inputs ?? []), x.output];
    assert.equal(recs(mb).length, recs(ma).length, name);
    recs(ma).forEach((ra, k) => {
      const rb = recs(mb)[k]!;
      assert.equal(rb.shape, ra.shape, `${name} shape`);
      for (const key of ['min', 'max', 'avg_min', 'avg_max', 'mean', 'std'] as const) {
        const x = ra[key];
        const y = rb[key];
        const ok = (Number.isNaN(x) && Number.isNaN(y)) || x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
        assert.ok(ok, `${name} ${key}: ${y} vs unsharded ${x}`);
        values++;
      }
    });
  }
  assert.ok(values > 1000, `${values} values compared`);

  // A missing part is named with the command that makes it.
  const onlyTwo = await qnmt(['calibrate', '--merge', `${merged}.part-0-of-3.json`, `${merged}.part-2-of-3.json`, '-o', join(work, 'x.yaml')]);
  assert.equal(onlyTwo.code, 1);
  assert.match(onlyTwo.stderr, /missing shard 1\/3 of 3; make it with: qnmt calibrate .*--shard 1\/3/);
});

test('3 sweep shards then sweep without --shard: same hypotheses, BLEU and table as an unsharded sweep, nothing recomputed', async () => {
  const stats = join(fixtureDir, 'calibration', 'model_stats.yaml');
  const sweep = (out: string): string[] => ['sweep', '-m', model, '-i', input, '-r', ref, '--stats', stats, '-c', join(repoRoot, 'examples', 'int8-asym-pc-avg-noattn-nocls.yaml'), '-o', out, ...run];
  const whole = join(work, 'sweep-whole');
  const sharded = join(work, 'sweep-sharded');
  const [single] = await Promise.all([qnmt([...sweep(whole), '-q']), shardsWithOneKilled(sweep(sharded), join(sharded, 'parts', 'fp32.part-1-of-3.json'), /fp32: shard part in/)]);
  assert.equal(single.code, 0, single.stderr);
  const merge = await qnmt(sweep(sharded));
  assert.equal(merge.code, 0, merge.stderr);
  assert.doesNotMatch(merge.stderr, /translating|calibrat/, 'the merge must not compute anything');
  assert.match(merge.stderr, /fp32: merged from its shards' parts/);
  noTemps(join(sharded, 'parts'));

  for (const name of ['fp32', 'int8-asym-pc-avg-noattn-nocls']) {
    assert.equal(readFileSync(join(sharded, 'hyp', `${name}.detok.de`), 'utf8'), readFileSync(join(whole, 'hyp', `${name}.detok.de`), 'utf8'), `${name} hypotheses`);
  }
  type Table = { rows: { config: string; bleu: number; bleu_line: string; module_errors?: unknown }[] };
  const table = (dir: string): Table => JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8')) as Table;
  const strip = (t: Table) => t.rows.map(({ config, bleu, bleu_line }) => ({ config, bleu, bleu_line }));
  assert.deepEqual(strip(table(sharded)), strip(table(whole)));
  // The markdown table too, all but its Time column (the merged row's time is the shards' total).
  const cells = (dir: string): string[][] => {
    const rows = readFileSync(join(dir, 'table.md'), 'utf8').split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').map((c) => c.trim()));
    const time = rows[0]!.findIndex((c) => c.startsWith('Time'));
    assert.ok(time > 0);
    return rows.map((r) => r.filter((_, i) => i !== time));
  };
  assert.deepEqual(cells(sharded), cells(whole));
});
