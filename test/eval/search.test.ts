/**
 * `qnmt sensitivity` and `qnmt tune` end to end on a few sentences of the fixture (beam 2, Distiller's
 * statistics): tables and files as documented, tuned.yaml loadable and Distiller-shaped, a rerun resumes
 * from the saved rows without evaluating again, and the report draws both sections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir } from '../paths.js';
import { runCli } from '../cli/commands/run-cli.js';
import { loadQuantConfig, QUANTIZER_KEYS } from '../../src/quant/config.js';
import { parse } from 'yaml';

const LINES = 6;
const work = mkdtempSync(join(tmpdir(), 'qnmt-search-'));
const input = join(work, 'val.bpe.en');
const ref = join(work, 'val.de');
writeFileSync(input, readFileSync(join(fixtureDir, 'data', 'val.tok.bpe.en'), 'utf8').split('\n').slice(0, LINES).join('\n') + '\n');
writeFileSync(ref, readFileSync(join(fixtureDir, 'data', 'val.raw.de'), 'utf8').split('\n').slice(0, LINES).join('\n') + '\n');
const common = ['-m', join(fixtureDir, 'model_best.pth'), '-i', input, '-r', ref, '-s', join(fixtureDir, 'calibration', 'model_stats.yaml'), '--beam', '2', '--proxy-lines', '3'];

test('sensitivity: every module ranked by the proxy, the top one measured both ways, resumable, charted', () => {
  const out = join(work, 'sens');
  const r = runCli(['sensitivity', ...common, '--top', '1', '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { modules: { rank: number; module: string; proxy_error: number | null; quantized_only?: { delta: number }; fp32_only?: { delta: number } }[] };
  assert.equal(result.modules.length, 79);
  const proxies = result.modules.map((m) => m.proxy_error ?? -1);
  assert.deepEqual(proxies, [...proxies].sort((a, b) => b - a), 'sorted by proxy');
  assert.equal(typeof result.modules[0]!.quantized_only?.delta, 'number');
  assert.equal(typeof result.modules[0]!.fp32_only?.delta, 'number');
  assert.equal(result.modules[1]!.quantized_only, undefined);
  assert.match(readFileSync(join(out, 'sensitivity.md'), 'utf8'), /\| Rank \| Module \| Type \| Proxy \|/);
  const again = runCli(['sensitivity', ...common, '--top', '1', '-o', out, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /proxy errors already measured/);
  assert.doesNotMatch(again.stderr, /BLEU [\d.]+ in /, 'nothing evaluated again');
  assert.deepEqual(JSON.parse(again.stdout), result);
  const report = runCli(['report', out, '--json']);
  assert.equal(report.code, 0, report.stderr);
  assert.deepEqual((JSON.parse(report.stdout) as { charts: string[] }).charts.filter((c) => c.startsWith('chart-sensitivity')), ['chart-sensitivity-bleu', 'chart-sensitivity-proxy']);
});

test('tune: writes a loadable Distiller tuned.yaml and a log line per trial; a rerun replays the same search', () => {
  const out = join(work, 'tune');
  const args = ['tune', ...common, '--settings-top', '2', '--max-drop', '0.5', '-o', out];
  const r = runCli([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { trials: { phase: string; bleu: number; accepted: boolean; replayed: boolean }[]; best: { bleu: number; accepted: boolean }; fp32_bleu: number };
  const log = readFileSync(join(out, 'tuning-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { phase: string; bleu: number });
  assert.deepEqual(log.map((t) => [t.phase, t.bleu]), result.trials.map((t) => [t.phase, t.bleu]));
  assert.equal(log[0]!.phase, 'fp32');
  assert.equal(log[1]!.phase, 'base');
  if (result.best.accepted) assert.ok(result.fp32_bleu - result.best.bleu <= 0.5);
  const tuned = loadQuantConfig(join(out, 'tuned.yaml'));
  assert.equal(tuned.mode, 'ASYMMETRIC_SIGNED');
  const doc = parse(readFileSync(join(out, 'tuned.yaml'), 'utf8')) as { quantizers: Record<string, Record<string, unknown>> };
  for (const k of Object.keys(Object.values(doc.quantizers)[0]!)) assert.ok((QUANTIZER_KEYS as readonly string[]).includes(k), k);

  const again = runCli([...args, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const replay = JSON.parse(again.stdout) as typeof result;
  assert.deepEqual(replay.trials.map((t) => [t.phase, t.bleu, t.accepted]), result.trials.map((t) => [t.phase, t.bleu, t.accepted]));
  assert.ok(replay.trials.every((t) => t.replayed), 'every trial comes from the saved rows');
  assert.equal(readFileSync(join(out, 'tuned.yaml'), 'utf8').length > 0, true);
});
