/**
 * Calibration speed against FP32 translation of the same lines (not a test).
 *
 *   node dist/bench/calibration.js [--lines 1000] [--beam 10] [--repeat 3] [--threads 2] [--full] [--work DIR]
 *
 * Default scenario: the trained fixture on test2016 (beam 10, batch 128, max length 80). --full: a
 * full-size random-weight GNMT (H=1024, V=32317; made once by tools/make_fixtures.py --full and cached in
 * --work, as bench/e2e.ts does) on the first --lines (default 256) lines of newstest2014.
 *
 * Each round runs `qnmt translate` and `qnmt calibrate` in separate processes, one after the other, the
 * order alternating between rounds so both see the same background load; seconds are those the commands
 * report (translation only, model loading excluded). The table shows medians and the median of the
 * per-round ratios. With the fixture's full test2016 at beam 10, the last statistics file is also compared,
 * value by value, with Distiller's own file (calibration/model_stats.yaml): shapes, and the largest
 * relative difference of each field.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadStats, type StatsRecord } from '../src/quant/stats.js';
import { fixtureDir, repoRoot, sharedDir } from '../test/paths.js';

const { values: opts } = parseArgs({
  options: {
    lines: { type: 'string' },
    beam: { type: 'string', default: '10' },
    repeat: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    full: { type: 'boolean', default: false },
    work: { type: 'string', default: join(tmpdir(), 'qnmt-bench') },
  },
});
const repeat = Number(opts.repeat);
const beam = Number(opts.beam);
const lines = Number(opts.lines ?? (opts.full ? 256 : 1000));
const work = opts.work;
mkdirSync(work, { recursive: true });
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

function firstLines(src: string, n: number, name: string): string {
  const all = readFileSync(src, 'utf8').split('\n');
  if (all[all.length - 1] === '') all.pop();
  if (all.length < n) throw new Error(`${src}: expected at least ${n} lines, found ${all.length}`);
  const path = join(work, name);
  writeFileSync(path, all.slice(0, n).map((l) => `${l}\n`).join(''));
  return path;
}

function scenario(): { name: string; model: string; input: string } {
  if (!opts.full) {
    return { name: 'fixture', model: join(fixtureDir, 'model_best.pth'), input: firstLines(join(fixtureDir, 'data', 'test2016.tok.bpe.en'), lines, `test2016.${lines}.bpe.en`) };
  }
  const src = [join(sharedDir, 'data', 'bpe-mlperf', 'newstest2014.tok.bpe.32000.en')].find((p) => existsSync(p));
  if (!src) throw new Error('newstest2014.tok.bpe.32000.en not found in the shared data folder');
  const model = join(work, 'full.pth');
  if (!existsSync(model)) {
    console.log(`# making ${model} (full-size random-weight GNMT, once)`);
    const p = spawnSync('/usr/bin/python3', [join(repoRoot, 'tools', 'make_fixtures.py'), '--full', model], { stdio: 'inherit' });
    if (p.status !== 0) throw new Error('tools/make_fixtures.py --full failed');
  }
  return { name: 'full', model, input: firstLines(src, lines, `newstest2014.first${lines}.bpe.en`) };
}

function run(sub: 'translate' | 'calibrate', s: { model: string; input: string }, output: string): number {
  const args = [cli, sub, '-m', s.model, '-i', s.input, '-o', output, '--beam', String(beam), '--batch', '128', '--max-len', '80', '--threads', opts.threads, '--json', '-q'];
  const p = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (p.status !== 0) throw new Error(`qnmt ${sub} failed: ${p.stderr}`);
  return (JSON.parse(p.stdout) as { seconds: number }).seconds;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const s = scenario();
const statsOut = join(work, `calibration.${s.name}.${lines}.b${beam}.yaml`);
console.log(`# ${s.name}: ${lines} lines, beam ${beam}, batch 128, ${opts.threads} threads, ${repeat} rounds; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
const fp32: number[] = [];
const calib: number[] = [];
for (let r = 0; r < repeat; r++) {
  const order: ('translate' | 'calibrate')[] = r % 2 === 0 ? ['translate', 'calibrate'] : ['calibrate', 'translate'];
  for (const sub of order) {
    const t = run(sub, s, sub === 'translate' ? join(work, `calibration-bench.${s.name}.de`) : statsOut);
    (sub === 'translate' ? fp32 : calib).push(t);
  }
  console.log(`# round ${r + 1}: translate ${fp32[r]!.toFixed(1)} s, calibrate ${calib[r]!.toFixed(1)} s (×${(calib[r]! / fp32[r]!).toFixed(2)})`);
}
console.log('\n| scenario | FP32 translate (s) | calibrate (s) | calibrate / FP32 (median of rounds) |');
console.log('|---|---|---|---|');
console.log(`| ${s.name} ${lines} lines, beam ${beam} | ${median(fp32).toFixed(1)} | ${median(calib).toFixed(1)} | ${median(calib.map((c, i) => c / fp32[i]!)).toFixed(2)} |`);

if (s.name === 'fixture' && lines === 1000 && beam === 10) {
  const ours = loadStats(statsOut);
  const theirs = loadStats(join(fixtureDir, 'calibration', 'model_stats.yaml'));
  const worst: Record<string, { d: number; where: string }> = {};
  let shapes = 0;
  let records = 0;
  for (const [name, t] of theirs) {
    const o = ours.get(name);
    if (!o) throw new Error(`${name}: missing from qnmt's statistics`);
    const pairs: [StatsRecord, StatsRecord | undefined, string][] = [[t.output, o.output, 'output'], ...(t.inputs ?? []).map((r, i) => [r, o.inputs?.[i], `inputs.${i}`] as [StatsRecord, StatsRecord | undefined, string])];
    for (const [a, b, where] of pairs) {
      if (!b) throw new Error(`${name}.${where}: missing from qnmt's statistics`);
      records++;
      if ((a.shape ?? '') === (b.shape ?? '')) shapes++;
      for (const k of ['min', 'max', 'avg_min', 'avg_max', 'mean', 'std'] as const) {
        if (Number.isNaN(a[k]) && Number.isNaN(b[k])) continue;
        const d = Math.abs(a[k] - b[k]) / Math.max(Math.abs(a[k]), Math.abs(b[k]), 1e-30);
        if (!(d <= (worst[k]?.d ?? -1))) worst[k] = { d, where: `${name}.${where}` };
      }
    }
  }
  console.log(`\nvs Distiller's model_stats.yaml: ${records} records of ${theirs.size} modules, shapes equal ${shapes}/${records}; largest relative difference per field:`);
  for (const [k, { d, where }] of Object.entries(worst)) console.log(`  ${k.padEnd(8)} ${d.toExponential(2)}  (${where})`);
}
