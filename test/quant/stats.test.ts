import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir, testFixtures } from '../paths.js';
import { loadStats, parseStats, saveStats, formatStats, pyFloat } from '../../src/quant/stats.js';
import { QnmtError } from '../../src/errors.js';

const files = [
  join(testFixtures, 'quant', 'gnmt_model_stats_aug2019.yaml'),
  join(testFixtures, 'quant', 'gnmt_acts_quantization_stats.yaml'),
  join(fixtureDir, 'calibration', 'model_stats.yaml'),
];

test('the three known stats files load: 138 modules in file order, .nan, ±1.797e308, blank/empty shapes, integer input keys', () => {
  for (const file of files) {
    const s = loadStats(file);
    assert.equal(s.size, 138, file);
    assert.equal([...s.keys()][0], 'encoder.rnn_layers.0.cells.0.fc_gate_x');
    assert.equal([...s.keys()][137], 'decoder.attention_concats.2');
    const drop = s.get('encoder.rnn_layers.0.dropout')!;
    assert.equal(drop.inputs, undefined);
    assert.equal(drop.output.min, 1.7976931348623157e308);
    assert.equal(drop.output.max, -1.7976931348623157e308);
    assert.ok(drop.output.shape === '' || drop.output.shape === null);
    assert.equal(s.get('decoder.att_rnn.attn.eltwiseadd_norm_bias')!.inputs!.length, 2);
    assert.ok([...s.values()].some((m) => m.inputs?.some((r) => Number.isNaN(r.std))), `${file}: has a .nan std`);
  }
  assert.equal(loadStats(files[0]!).get('encoder.rnn_layers.0.dropout')!.output.shape, null);
  assert.equal(loadStats(files[1]!).get('encoder.embedder')!.output.b !== undefined, true);
});

test('save → load round trip is lossless, and writing a Distiller file reproduces it byte for byte', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qnmt-stats-'));
  for (const file of files) {
    const s = loadStats(file);
    const out = join(dir, 'x.yaml');
    saveStats(s, out);
    const back = loadStats(out);
    assert.deepEqual(back, s);
  }
  // Distiller's own output format (PyYAML) is reproduced exactly for the files it wrote in that format.
  for (const file of [files[0]!, files[2]!]) {
    assert.equal(formatStats(loadStats(file)), readFileSync(file, 'utf8'), file);
  }
});

test('Python float repr (PyYAML) formatting', () => {
  assert.deepEqual([0.1, 1, -0.5, 1e-5, 0.0001, 1e16, 1.5e300, 123456789012345.6, NaN, -1.7976931348623157e308].map(pyFloat),
    ['0.1', '1.0', '-0.5', '1.0e-05', '0.0001', '1.0e+16', '1.5e+300', '123456789012345.6', '.nan', '-1.7976931348623157e+308']);
});

test('bad stats files: error names the file, the line and the module', () => {
  assert.throws(() => parseStats('a:\n  output:\n    min: 1\n    max: [\n', 'bad.yaml'), (e: unknown) => e instanceof QnmtError && /^bad\.yaml:\d+: malformed YAML/.test(e.message));
  assert.throws(() => parseStats('a:\n  output:\n    min: 1\n    max: 2\n', 's.yaml'), /s\.yaml:3: a\.output: missing 'avg_min'/);
  assert.throws(() => parseStats('a:\n  output: {min: x, max: 1, avg_min: 0, avg_max: 0, mean: 0, std: 0}\n', 's.yaml'), /s\.yaml:2: a\.output\.min: expected a number/);
  assert.throws(() => parseStats('a:\n  inputs:\n    1: {min: 0, max: 1, avg_min: 0, avg_max: 0, mean: 0, std: 0}\n  output: {min: 0, max: 1, avg_min: 0, avg_max: 0, mean: 0, std: 0}\n', 's.yaml'), /s\.yaml:3: module 'a': input keys must be 0, 1/);
});
