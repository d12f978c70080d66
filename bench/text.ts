/**
 * Timing of the text pipeline over newstest2014 (3003 lines), each step on its own (not a test):
 *
 *   node dist/bench/text.js [--shared DIR] [--rounds 5]
 *
 * Steps: Moses tokenize (en, de), BPE apply with bpe.32000 (fresh cache each round: the first round is what a
 * run costs), BPE join, Moses detokenize (en rules, on the tokenized German text), sacrebleu BLEU (-lc, intl)
 * of the detokenized German text against the raw reference (a stand-in hypothesis: 100 BLEU). Prints the
 * median and the first-round time per step and checks every output against the MLPerf files.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mosesTokenize, mosesDetokenize, Bpe, bpeJoin } from '../src/text/index.js';
import { corpusBleu } from '../src/metrics/index.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const shared = resolve(opt('--shared', process.env['QNMT_SHARED'] ?? '../shared'));
const rounds = Number(opt('--rounds', '5'));

const lines = (p: string): string[] => {
  const l = readFileSync(p, 'utf8').split('\n');
  l.pop();
  return l;
};
const wmt = join(shared, 'data/wmt14');
const mlp = join(shared, 'data/bpe-mlperf');
const raw = { en: lines(join(wmt, 'newstest2014.en')), de: lines(join(wmt, 'newstest2014.de')) };
const tok = { en: lines(join(mlp, 'newstest2014.tok.en')), de: lines(join(mlp, 'newstest2014.tok.de')) };
const bpeRef = { en: lines(join(mlp, 'newstest2014.tok.bpe.32000.en')), de: lines(join(mlp, 'newstest2014.tok.bpe.32000.de')) };
const codes = readFileSync(join(mlp, 'bpe.32000'), 'utf8');

function same(got: string[], want: string[]): string {
  let n = 0;
  for (let i = 0; i < want.length; i++) if (got[i] === want[i]) n++;
  return `${n}/${want.length} lines equal`;
}

function time(name: string, fn: () => string): void {
  const ms: number[] = [];
  let check = '';
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    check = fn();
    ms.push(performance.now() - t0);
  }
  const first = ms[0]!;
  const median = [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
  console.log(`${name.padEnd(34)} first ${first.toFixed(1).padStart(7)} ms   median ${median.toFixed(1).padStart(7)} ms   ${check}`);
}

console.log(`newstest2014, ${raw.en.length} lines, ${rounds} rounds (node ${process.version})`);
for (const lang of ['en', 'de'] as const) {
  time(`tokenize ${lang}`, () => same(raw[lang].map((l) => mosesTokenize(l, lang)), tok[lang]));
}
time('BPE load codes (32000 merges)', () => `${Bpe.fromCodes(codes).merges} merges`);
for (const lang of ['en', 'de'] as const) {
  time(`BPE apply ${lang} (cold cache)`, () => {
    const bpe = Bpe.fromCodes(codes);
    return same(tok[lang].map((l) => bpe.apply(l)), bpeRef[lang]);
  });
}
time('BPE join de', () => same(bpeRef.de.map((l) => bpeJoin(l)), tok.de));
let detok: string[] = [];
time('detokenize de (en rules)', () => {
  detok = tok.de.map((l) => mosesDetokenize(l, 'en'));
  return same(detok, raw.de) + ' (vs raw; not expected to be all)';
});
time('BLEU -lc intl (detok de vs raw de)', () => corpusBleu(detok, raw.de, { lowercase: true, tokenize: 'intl' }).formatted);
