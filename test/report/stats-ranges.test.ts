import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { looksLikeStats, readStatsRanges } from '../../src/report/stats-ranges.js';
import { fixtureDir, hasShared, sharedDir } from '../paths.js';

/** Independent of the YAML parser: top-level module names whose output min is the float-max sentinel. */
function neverCalledByScan(text: string): string[] {
  const out: string[] = [];
  let module = '';
  let inOutput = false;
  for (const line of text.split('\n')) {
    const top = /^(\S[^:]*):\s*$/.exec(line);
    if (top) {
      module = top[1]!;
      inOutput = false;
    } else if (/^ {2}output:\s*$/.test(line)) inOutput = true;
    else if (/^ {2}\S/.test(line)) inOutput = false;
    else if (inOutput && /^ {4}min: 1\.7976931348623157e\+308$/.test(line)) out.push(module);
  }
  return out;
}

test('fixture calibration stats: every module with output stats, never-called ones flagged', async () => {
  const path = join(fixtureDir, 'calibration', 'model_stats.yaml');
  const text = await readFile(path, 'utf8');
  const { modules, withoutOutput } = readStatsRanges(text, path);
  const topLevel = text.split('\n').filter((l) => /^\S[^:]*:\s*$/.test(l)).length;
  assert.equal(modules.length + withoutOutput.length, topLevel);
  const never = modules.filter((m) => !m.called).map((m) => m.name);
  assert.deepEqual(never, neverCalledByScan(text));
  assert.ok(never.length > 0 && never.every((n) => n.endsWith('dropout')), never.join(','));
  for (const m of modules.filter((x) => x.called)) {
    assert.ok(m.min !== null && m.max !== null && m.min <= m.max, m.name);
    if (m.avg_min !== null && m.avg_max !== null) assert.ok(m.min! <= m.avg_min + 1e-9 && m.avg_max <= m.max! + 1e-9, m.name);
  }
  const first = modules[0]!;
  assert.equal(first.name, 'encoder.rnn_layers.0.cells.0.fc_gate_x');
  assert.equal(first.shape, '(1, 1024)'); // 4 gates × hidden 256
});

test('the WMT16 stats file of the study (shared/spec/data) reads the same way', { skip: hasShared ? false : 'shared/ not present' }, async () => {
  const path = join(sharedDir, 'spec', 'data', 'gnmt_model_stats_aug2019.yaml');
  const text = await readFile(path, 'utf8');
  const { modules } = readStatsRanges(text, path);
  assert.deepEqual(modules.filter((m) => !m.called).map((m) => m.name), neverCalledByScan(text));
  const cls = modules.find((m) => m.name === 'decoder.classifier.classifier')!;
  assert.ok(cls.called && cls.max! > cls.avg_max! && cls.min! < cls.avg_min!);
});

test('.nan values become null; non-stats YAML is rejected with the file name', () => {
  const yaml = 'a.b:\n  output:\n    min: -1.5\n    max: 2\n    avg_min: .nan\n    avg_max: 1\n    mean: 0.1\n    std: .nan\n    shape: (1)\n';
  const { modules } = readStatsRanges(yaml, 'x.yaml');
  assert.deepEqual(modules, [{ name: 'a.b', called: true, min: -1.5, max: 2, avg_min: null, avg_max: 1, mean: 0.1, std: null, shape: '(1)' }]);
  assert.equal(looksLikeStats({ a: 1 }), false);
  assert.throws(() => readStatsRanges('bits_activations: 8\n', 'quant.yaml'), /quant\.yaml: not a Distiller activation-stats file/);
  assert.throws(() => readStatsRanges('a: [\n', 'bad.yaml'), /bad\.yaml: not valid YAML/);
});
