import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadFinished, loadRows, removeStaleTemps, rowFileName, rowsDirName, settingsHash, tempNameFor, validateRow, writeRow, type ResultRow,
} from '../../src/eval/results-store.js';

function row(config: string, hash: string, extra: Partial<ResultRow> = {}): ResultRow {
  return {
    config, precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: true, clip_acts: 'AVG',
    overrides: { '.*att_rnn.attn.*': { clip_acts: 'NONE' } },
    bleu: 16.5, bleu_line: 'BLEU+case.lc+... = 16.50 ...', seconds: 12.5, hyp_path: `hyp/${config}.de`,
    finished_at: new Date().toISOString(), settings_hash: hash, ...extra,
  };
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'qnmt-results-'));
}

test('settingsHash ignores key order and undefined values, and changes with any setting', () => {
  const a = settingsHash({ beam_size: 10, model_sha256: 'abc', nested: { x: 1, y: [1, 2] } });
  const b = settingsHash({ nested: { y: [1, 2], x: 1 }, model_sha256: 'abc', beam_size: 10, unused: undefined });
  assert.equal(a, b);
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.notEqual(a, settingsHash({ beam_size: 5, model_sha256: 'abc', nested: { x: 1, y: [1, 2] } }));
  assert.notEqual(a, settingsHash({ beam_size: 10, model_sha256: 'abc', nested: { x: 1, y: [2, 1] } }));
});

test('rowFileName keeps safe names and makes others safe and distinct', () => {
  assert.equal(rowFileName('int8-asym_pc.avg'), 'int8-asym_pc.avg.json');
  const a = rowFileName('a/b c');
  const b = rowFileName('a b/c');
  assert.match(a, /^a_b_c-[0-9a-f]{8}\.json$/);
  assert.notEqual(a, b);
  assert.ok(!rowFileName('../x').includes('/'));
  assert.ok(!rowFileName('.hidden').startsWith('.'));
});

test('writeRow then loadFinished returns only rows with the same settings hash, in sweep order', async () => {
  const dir = await tempDir();
  try {
    const h1 = settingsHash({ beam_size: 10 });
    const h2 = settingsHash({ beam_size: 5 });
    await writeRow(dir, row('int8-sym', h1, { order: 1 }));
    await writeRow(dir, row('fp32', h1, { order: 0, precision: 'FP32', mode: null, per_channel: null, clip_acts: null, overrides: null }));
    await writeRow(dir, row('int8-asym', h2, { order: 2 }));
    const finished = await loadFinished(dir, h1);
    assert.deepEqual(finished.map((r) => r.config), ['fp32', 'int8-sym']);
    assert.deepEqual((await loadFinished(dir, h2)).map((r) => r.config), ['int8-asym']);
    assert.deepEqual(await loadFinished(dir, settingsHash({ beam_size: 1 })), []);
    // The file is plain JSON with exactly the row.
    const onDisk = JSON.parse(await readFile(join(dir, rowsDirName, 'int8-sym.json'), 'utf8'));
    assert.deepEqual(onDisk, finished[1]);
    // Re-running a config with new settings replaces its row.
    await writeRow(dir, row('int8-asym', h1, { order: 2, bleu: 18.5 }));
    assert.deepEqual((await loadFinished(dir, h1)).map((r) => [r.config, r.bleu]), [['fp32', 16.5], ['int8-sym', 16.5], ['int8-asym', 18.5]]);
    assert.deepEqual(await loadFinished(dir, h2), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a crash while writing leaves a temp file that readers ignore and removeStaleTemps deletes', async () => {
  const dir = await tempDir();
  try {
    const h = settingsHash({ beam_size: 10 });
    await writeRow(dir, row('done', h));
    // What a writer killed between write and rename leaves behind: a half-written temp file.
    const full = JSON.stringify(row('crashed', h), null, 2);
    const tmpName = tempNameFor(rowFileName('crashed'));
    await writeFile(join(dir, rowsDirName, tmpName), full.slice(0, full.length >> 1));
    const loaded = await loadRows(dir);
    assert.deepEqual(loaded.rows.map((r) => r.config), ['done']);
    assert.deepEqual(loaded.temps, [join(dir, rowsDirName, tmpName)]);
    assert.deepEqual(loaded.skipped, []);
    assert.deepEqual((await loadFinished(dir, h)).map((r) => r.config), ['done'], 'the crashed config is not treated as finished');
    assert.deepEqual(await removeStaleTemps(dir), [join(dir, rowsDirName, tmpName)]);
    assert.deepEqual((await readdir(join(dir, rowsDirName))).sort(), ['done.json']);
    // No temp files stay behind after normal writes.
    await writeRow(dir, row('second', h));
    assert.deepEqual((await readdir(join(dir, rowsDirName))).sort(), ['done.json', 'second.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hand-broken row files are skipped with a reason naming the key (their config will re-run)', async () => {
  const dir = await tempDir();
  try {
    const h = settingsHash({});
    await writeRow(dir, row('good', h));
    await writeFile(join(dir, rowsDirName, 'truncated.json'), '{"config": "trunc');
    await writeFile(join(dir, rowsDirName, 'nobleu.json'), JSON.stringify({ ...row('nobleu', h), bleu: 'high' }));
    const loaded = await loadRows(dir);
    assert.deepEqual(loaded.rows.map((r) => r.config), ['good']);
    assert.equal(loaded.skipped.length, 2);
    assert.match(loaded.skipped.find((s) => s.file.endsWith('nobleu.json'))!.reason, /key 'bleu' is missing or has the wrong type \(found "high"\)/);
    assert.deepEqual(await loadRows(join(dir, 'does-not-exist')), { rows: [], skipped: [], temps: [] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('validateRow accepts optional module_errors (null for NaN) and rejects bad ones', () => {
  const ok = validateRow(JSON.parse(JSON.stringify(row('x', 'h', { module_errors: { 'decoder.classifier.classifier': 0.12, bad: Number.NaN } }))), 'x');
  assert.deepEqual(ok.module_errors, { 'decoder.classifier.classifier': 0.12, bad: null });
  assert.throws(() => validateRow({ ...row('x', 'h'), module_errors: { a: 'big' } }, 'f.json'), /f\.json: key 'module_errors'/);
  assert.throws(() => validateRow([], 'f.json'), /expected a JSON object/);
});
