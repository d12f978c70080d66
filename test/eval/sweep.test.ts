/**
 * `qnmt sweep` end to end on a slice of the bundled fixture: the table, the JSON shape, resuming after
 * SIGKILL without recomputing finished rows (and ending with the same table), and early config errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir, repoRoot } from '../paths.js';
import { runCli } from '../cli/commands/run-cli.js';
import { hostname } from 'node:os';
import { unpackLineStats, type ResultRow } from '../../src/eval/results-store.js';
import { bleuFromStats, sumBleuStats } from '../../src/metrics/bleu.js';
import { NOTEBOOK_BLEU } from '../../src/eval/score.js';

const LINES = 12;
const work = mkdtempSync(join(tmpdir(), 'qnmt-sweep-'));
const input = join(work, 'src.bpe.en');
const ref = join(work, 'ref.de');
writeFileSync(input, readFileSync(join(fixtureDir, 'data', 'test2016.tok.bpe.en'), 'utf8').split('\n').slice(0, LINES).join('\n') + '\n');
writeFileSync(ref, readFileSync(join(fixtureDir, 'data', 'test2016.raw.de'), 'utf8').split('\n').slice(0, LINES).join('\n') + '\n');
const configs = ['int8-sym.yaml', 'int8-asym-pc-avg-noattn-nocls.yaml'].map((c) => join(repoRoot, 'examples', c));
const stats = join(fixtureDir, 'calibration', 'model_stats.yaml');

function sweepArgs(out: string, extra: string[] = []): string[] {
  const model = join(fixtureDir, 'model_best.pth');
  return ['sweep', '-m', model, '-i', input, '-r', ref, '--stats', stats, '-c', ...configs, '-o', out, '--beam', '3', '-q', ...extra];
}

interface TableJson {
  fp32_bleu: number;
  rows: { config: string; bleu: number; seconds: number; bleu_line: string; settings_hash: string }[];
}

function tableOf(out: string): TableJson {
  return JSON.parse(readFileSync(join(out, 'table.json'), 'utf8')) as TableJson;
}

const withoutTimes = (t: TableJson) => t.rows.map(({ config, bleu, bleu_line }) => ({ config, bleu, bleu_line }));

const reference = join(work, 'uninterrupted');

test('sweep prints the study table and --json gives rows with config, bleu and seconds', () => {
  const r = runCli(sweepArgs(reference, ['--json']));
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as TableJson;
  assert.deepEqual(json.rows.map((row) => row.config), ['fp32', 'int8-sym', 'int8-asym-pc-avg-noattn-nocls']);
  for (const row of json.rows) {
    assert.equal(typeof row.bleu, 'number');
    assert.ok(row.bleu > 0 && row.bleu <= 100, `${row.config}: BLEU ${row.bleu}`);
    assert.ok(row.seconds > 0);
  }
  assert.match(readFileSync(join(reference, 'table.md'), 'utf8'), /\| Precision \| Mode \| Per-Channel \| Clip Activations \| BLEU \|/);
  // One model, input and search: every row carries the same settings hash (the report checks it).
  assert.equal(new Set(json.rows.map((row) => row.settings_hash)).size, 1);
  // Each row's hypotheses are kept next to it.
  for (const row of json.rows) assert.ok(existsSync(join(reference, 'hyp', `${row.config}.detok.de`)));
  // Rows say where they ran and carry their BLEU statistics per line: re-scoring those gives the row's BLEU.
  for (const name of ['fp32', 'int8-sym']) {
    const row = JSON.parse(readFileSync(join(reference, 'rows', `${name}.json`), 'utf8')) as ResultRow;
    assert.equal(typeof row.backend, 'string');
    assert.ok(row.threads! >= 1);
    assert.equal(row.host, hostname());
    const lines = unpackLineStats(row)!;
    assert.equal(lines.length, LINES);
    const sum = sumBleuStats(lines);
    assert.deepEqual({ counts: sum.counts, totals: sum.totals, sys_len: sum.sysLen, ref_len: sum.refLen }, row.bleu_stats);
    assert.equal(bleuFromStats(sum, NOTEBOOK_BLEU).formatted, row.bleu_line);
    assert.deepEqual(row.fp32_modules, name === 'fp32' ? null : []);
  }
});

test('a sweep killed with SIGKILL resumes without redoing finished rows and ends with the same table', async () => {
  const out = join(work, 'killed');
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...sweepArgs(out)], { cwd: repoRoot, stdio: 'ignore' });
  // Kill it as soon as the first row is on disk.
  const firstRow = join(out, 'rows', 'fp32.json');
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  while (!existsSync(firstRow)) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(firstRow), 'the FP32 row was written before the kill');
  assert.ok(!existsSync(join(out, 'rows', 'int8-asym-pc-avg-noattn-nocls.json')), 'the sweep was killed before its last row');

  const resumed = runCli(sweepArgs(out).filter((a) => a !== '-q'));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /fp32: already finished with the same settings/);
  assert.deepEqual(withoutTimes(tableOf(out)), withoutTimes(tableOf(reference)));
});

test('a changed search setting recomputes rows instead of reusing them', () => {
  const r = runCli(sweepArgs(reference, ['--beam', '2']).filter((a) => a !== '-q'));
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /already finished/);
});

test('a broken config fails at once with its file and line, before any translation', () => {
  const bad = join(work, 'bad.yaml');
  writeFileSync(bad, 'quantizers:\n  q:\n    class: PostTrainLinearQuantizer\n    mode: SYMETRIC\n');
  const r = runCli(['sweep', '-m', join(fixtureDir, 'model_best.pth'), '-i', input, '-r', ref, '-c', bad, '-o', join(work, 'bad')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:4.*SYMETRIC/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  assert.ok(!existsSync(join(work, 'bad', 'rows', 'fp32.json')));
});
