/** The one-call API against MLPerf's reference outputs: raw text in → detokenized German out, BPE in, streaming order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { loadTranslator, type StreamedTranslation } from '../../src/eval/translator.js';
import { QnmtError } from '../../src/errors.js';
import { fixtureDir } from '../paths.js';
import { fixtureLines } from '../model/fixture-model.js';

test('loadTranslator: raw English → the reference beam-5 German; translateBpe; stream in input order by batches', async () => {
  const t = await loadTranslator({ model: join(fixtureDir, 'model_best.pth'), bpeCodes: join(fixtureDir, 'bpe.codes'), beam: 5, batch: 2, threads: 1 });
  const raw = fixtureLines('data/test2016.raw.en').slice(0, 5);
  assert.deepEqual(await t.translate(raw), fixtureLines('fp32/test2016.beam5.detok.de').slice(0, 5));
  assert.deepEqual(await t.translateBpe(fixtureLines('data/test2016.tok.bpe.en').slice(0, 3)), fixtureLines('fp32/test2016.beam5.tok.de').slice(0, 3));

  const seen: StreamedTranslation[] = [];
  const stream = t.stream(raw);
  const first = await stream.next();
  assert.equal(first.done, false);
  seen.push(first.value as StreamedTranslation);
  for await (const r of stream) seen.push(r);
  assert.deepEqual(seen.map((r) => r.index), [0, 1, 2, 3, 4]);
  assert.deepEqual(seen.map((r) => r.bpe), fixtureLines('fp32/test2016.beam5.bpe.de').slice(0, 5));

  t.close();
  await assert.rejects(t.translate(raw), (e: unknown) => e instanceof QnmtError && e.code === 'translator/closed');
});

test('loadTranslator: raw text without bpeCodes and bad options are QnmtErrors', async () => {
  const t = await loadTranslator({ model: join(fixtureDir, 'model_best.pth'), threads: 1 });
  await assert.rejects(t.translate(['A dog.']), (e: unknown) => e instanceof QnmtError && /bpeCodes/.test(e.message));
  await assert.rejects(loadTranslator({ model: join(fixtureDir, 'model_best.pth'), beam: 0 }), /beam must be a positive integer/);
  await assert.rejects(loadTranslator({ model: join(fixtureDir, 'model_best.pth'), stats: 'x.yaml' }), /only used with a quantization config/);
});
