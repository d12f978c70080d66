/**
 * Full FP32 parity run on the bundled fixture: translate test2016 (1000 lines) with beam 10, 5 and 1
 * and compare with the reference outputs of MLPerf translate.py (fixtures/multi30k-gnmt256/fp32/).
 *
 *   node dist/bench/parity-full.js [--beams 10,5,1] [--lines 1000] [--backend NAME] [--threads N]
 *
 * Prints, per beam: identical lines (BPE level and joined), per-batch decoder iterations vs the
 * reference's, and the time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { buildGnmt } from '../src/model/build.js';
import { translateLines } from '../src/eval/translate.js';
import { selectBackend } from '../src/tensor/backend.js';
import { splitLines } from '../src/text/text-lines.js';
import { fixtureDir } from '../test/paths.js';

const { values } = parseArgs({
  options: {
    beams: { type: 'string', default: '10,5,1' },
    lines: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '128' },
    backend: { type: 'string' },
    threads: { type: 'string' },
  },
});
const backend = await selectBackend(values.backend, values.threads ? Number(values.threads) : undefined);
const ckpt = await loadCheckpoint(join(fixtureDir, 'model_best.pth'));
const model = buildGnmt(ckpt);
const src = splitLines(readFileSync(join(fixtureDir, 'data/test2016.tok.bpe.en'), 'utf8')).slice(0, Number(values.lines));
const summary = JSON.parse(readFileSync(join(fixtureDir, 'fp32/summary.json'), 'utf8')) as Record<string, { decoder_iters: number[] }>;
console.log(`backend ${backend}, ${src.length} lines, batch ${values.batch}`);
for (const beam of values.beams.split(',').map(Number)) {
  const refBpe = splitLines(readFileSync(join(fixtureDir, `fp32/test2016.beam${beam}.bpe.de`), 'utf8'));
  const refTok = splitLines(readFileSync(join(fixtureDir, `fp32/test2016.beam${beam}.tok.de`), 'utf8'));
  const t0 = performance.now();
  const out = await translateLines(model, ckpt.vocab, src, { beam, batch: Number(values.batch) });
  const secs = (performance.now() - t0) / 1000;
  let same = 0;
  let sameJoined = 0;
  const diffs: number[] = [];
  out.bpe.forEach((l, i) => {
    if (l === refBpe[i]) same++;
    else diffs.push(i);
    if (out.joined[i] === refTok[i]) sameJoined++;
  });
  const refIters = summary[`beam${beam}`]!.decoder_iters.slice(0, out.iterations.length);
  console.log(
    `beam ${beam}: identical ${same}/${src.length} (${((100 * same) / src.length).toFixed(1)}%), joined ${sameJoined}/${src.length}; ` +
      `iterations ${out.iterations.join(' ')} (reference ${refIters.join(' ')}); ${secs.toFixed(1)} s, ${(src.length / secs).toFixed(2)} sentences/s`,
  );
  for (const i of diffs.slice(0, 10)) console.log(`  line ${i + 1}:\n    ours: ${out.bpe[i]}\n    ref:  ${refBpe[i]}`);
}
