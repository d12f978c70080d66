import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mosesTokenize } from '../../src/text/moses-tokenizer.js';
import { Bpe } from '../../src/text/bpe.js';
import { hasShared, sharedDir } from '../paths.js';
import { assertSameLines, lines } from './text-fixtures.js';

/**
 * MLPerf's dev set (md5-verified newstest_dev.tok.clean.bpe.32000.*) rebuilt from the raw newstest2015/2016:
 * tokenize, clean-corpus-n.perl 1 80 (written out here, as the test's own helper), concatenate, drop pairs not
 * encodable as Latin-1 (filter_dataset.py), apply bpe.32000. Exercises the tokenizer and BPE on 5100 more pairs.
 */
function cleanCorpus(de: string[], en: string[]): [string[], string[]] {
  const outDe: string[] = [];
  const outEn: string[] = [];
  const norm = (s: string): string => s.replaceAll('|', '').replace(/\p{White_Space}+/gu, ' ').replace(/^ /, '').replace(/ $/, '');
  for (let i = 0; i < de.length; i++) {
    const f = norm(de[i]!);
    const e = norm(en[i]!);
    if (f === '' || e === '') continue;
    const fc = f.split(' ').length;
    const ec = e.split(' ').length;
    if (fc > 80 || ec > 80 || fc < 1 || ec < 1 || ec / fc > 9 || fc / ec > 9) continue;
    if (/[^\p{White_Space}|]{1001}/u.test(e) || /[^\p{White_Space}|]{1001}/u.test(f)) continue;
    outDe.push(f);
    outEn.push(e);
  }
  return [outDe, outEn];
}

const latin1 = (s: string): boolean => /^[\u0000-\u00ff]*$/.test(s);

test('MLPerf dev set newstest_dev.tok.clean.bpe.32000.{en,de} rebuilt byte for byte from raw newstest2015+2016', {
  skip: hasShared ? false : `shared data not found at ${sharedDir} (set QNMT_SHARED)`,
}, () => {
  const news = join(sharedDir, 'data/wmt-news');
  const de: string[] = [];
  const en: string[] = [];
  const kept: number[] = [];
  for (const year of ['2015', '2016']) {
    const [d, e] = cleanCorpus(
      lines(join(news, `newstest${year}.de`)).map((l) => mosesTokenize(l, 'de')),
      lines(join(news, `newstest${year}.en`)).map((l) => mosesTokenize(l, 'en')),
    );
    kept.push(d.length);
    de.push(...d);
    en.push(...e);
  }
  assert.deepEqual(kept, [2167, 2997]); // shared/data/README.md: 2169→2167 and 2999→2997
  const keep = de.map((d, i) => latin1(d) && latin1(en[i]!));
  const mlp = join(sharedDir, 'data/bpe-mlperf');
  const bpe = Bpe.fromFile(join(mlp, 'bpe.32000'));
  const gotDe = de.filter((_, i) => keep[i]).map((l) => bpe.apply(l));
  const gotEn = en.filter((_, i) => keep[i]).map((l) => bpe.apply(l));
  assertSameLines(gotDe, lines(join(mlp, 'newstest_dev.tok.clean.bpe.32000.de')), 'dev.de');
  assertSameLines(gotEn, lines(join(mlp, 'newstest_dev.tok.clean.bpe.32000.en')), 'dev.en');
});
