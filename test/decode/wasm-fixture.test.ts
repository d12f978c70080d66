/**
 * The fixture model on the wasm backend (2 threads) against MLPerf translate.py's FP32 outputs: the
 * float kernels differ from the reference by summation order and polynomial exp/tanh only, so the
 * translations must stay identical (the bar is ≥ 99.5 % of lines; on these slices that is all).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { buildGnmt } from '../../src/model/build.js';
import { translateLines } from '../../src/eval/translate.js';
import { activeBackend, selectBackend } from '../../src/tensor/backend.js';
import { fixtureLines } from '../model/fixture-model.js';
import { fixtureDir } from '../paths.js';

const loaded = loadCheckpoint(join(fixtureDir, 'model_best.pth')).then((ckpt) => ({ ckpt, model: buildGnmt(ckpt) }));

for (const [beam, lines] of [
  [10, 64],
  [5, 32],
  [1, 64],
] as const) {
  test(`wasm backend, fixture test2016, beam ${beam}: first ${lines} lines identical to MLPerf translate.py`, async () => {
    await selectBackend('wasm', 2, () => {});
    assert.equal(activeBackend().name, 'wasm');
    const { ckpt, model } = await loaded;
    const src = fixtureLines('data/test2016.tok.bpe.en').slice(0, lines);
    const ref = fixtureLines(`fp32/test2016.beam${beam}.tok.de`).slice(0, lines);
    const out = await translateLines(model, ckpt.vocab, src, { beam, batch: lines });
    const same = out.joined.filter((line, i) => line === ref[i]).length;
    assert.ok(same >= Math.ceil(0.995 * lines), `${same}/${lines} lines identical`);
  });
}
