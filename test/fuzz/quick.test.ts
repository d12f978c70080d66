/**
 * The seeded quick fuzz run (the long run is bench/fuzz.ts): a few hundred mutated checkpoints, configs
 * and stats files, each of which must load and run or fail with one clean one-line QnmtError, with the
 * process's RSS staying under the cap. Same seed, same cases: a failure here replays exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseInput, runCase, yamlContext, type CaseKind } from './cases.js';

const SEED = 20261129;
const RSS_CAP = 1.5 * 1024 ** 3;
const dir = mkdtempSync(join(tmpdir(), 'qnmt-fuzz-quick-'));

async function run(kind: CaseKind, count: number): Promise<Record<string, number>> {
  const ctx = kind === 'checkpoint' ? undefined : await yamlContext();
  const counts: Record<string, number> = { ok: 0, clean: 0, internal: 0 };
  const internal: string[] = [];
  for (let i = 0; i < count; i++) {
    const { bytes, applied } = caseInput(kind, SEED, i);
    const o = await runCase(kind, bytes, dir, ctx, i);
    counts[o.kind]!++;
    if (o.kind === 'internal') internal.push(`case ${i} [${applied.join(',')}]: ${o.error.split('\n').slice(0, 4).join(' | ')}`);
    const rss = process.memoryUsage().rss;
    assert.ok(rss < RSS_CAP, `case ${i} [${applied.join(',')}]: RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
  }
  assert.deepEqual(internal, [], `${kind}: internal errors (seed ${SEED})`);
  return counts;
}

test('200 mutated checkpoints: each loads and translates, or fails with one clean error', async () => {
  const counts = await run('checkpoint', 200);
  // The mutations must both break files and leave some loadable, or the run proves little.
  assert.ok(counts['ok']! > 10 && counts['clean']! > 100, JSON.stringify(counts));
});

test('40 mutated quantization configs and 10 mutated stats files: run, or one clean error each', async () => {
  const c = await run('config', 40);
  const s = await run('stats', 10);
  assert.ok(c['clean']! > 10 && s['clean']! > 2, JSON.stringify({ c, s }));
});
