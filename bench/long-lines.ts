/**
 * Time of the text steps on very long lines (the inputs of the long-line tests, which only check the
 * outputs): a quadratic loop or catastrophic regex backtracking shows here as a time that grows with
 * the square of the length. Prints each input at two lengths and the ratio (≈ 3 when linear, ≈ 9
 * when quadratic):
 *
 *   npm run build && node dist/bench/long-lines.js
 */
import { join } from 'node:path';
import { mosesTokenize, mosesDetokenize, Bpe } from '../src/text/index.js';
import { tokenizeIntl, tokenize13a } from '../src/metrics/bleu-tokenizers.js';
import { pyStrip } from '../src/metrics/python-str.js';

const bpe = Bpe.fromFile(join(process.cwd(), 'fixtures', 'multi30k-gnmt256', 'bpe.codes'));
const cases: Array<[string, (n: number) => string, (s: string) => unknown]> = [
  ['tokenize en  "....."', (n) => '.'.repeat(n), (s) => mosesTokenize(s, 'en')],
  ['tokenize en  "aaaa."', (n) => 'a'.repeat(n - 1) + '.', (s) => mosesTokenize(s, 'en')],
  ["tokenize en  \"a'a'\"", (n) => "a'".repeat(n / 2), (s) => mosesTokenize(s, 'en')],
  ['tokenize en  "„,„,"', (n) => '„,'.repeat(n / 2), (s) => mosesTokenize(s, 'en')],
  ['tokenize en  "x. x."', (n) => 'x. '.repeat(Math.floor(n / 3)), (s) => mosesTokenize(s, 'en')],
  ['detokenize   "„ a “ ,"', (n) => '„ a “ , '.repeat(n / 8), (s) => mosesDetokenize(s)],
  ['BPE one word', (n) => 'Schwarzwaldhochstraße'.repeat(Math.ceil(n / 21)).slice(0, n), (s) => bpe.apply(s)],
  ['BPE space run', (n) => `x${' '.repeat(n)}y`, (s) => bpe.apply(s)],
  ['pyStrip space run', (n) => `x${' '.repeat(n)}y `, (s) => pyStrip(s)],
  ['BLEU intl+13a ".,.,"', (n) => '.,'.repeat(n / 2), (s) => [tokenizeIntl(s), tokenize13a(s)]],
  ['BLEU intl+13a "a!a!"', (n) => 'a!'.repeat(n / 2), (s) => [tokenizeIntl(s), tokenize13a(s)]],
  ['BLEU intl+13a "€€€€"', (n) => '€'.repeat(n), (s) => [tokenizeIntl(s), tokenize13a(s)]],
];

const ms = (f: () => unknown): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
const median3 = (f: () => unknown): number => [ms(f), ms(f), ms(f)].sort((a, b) => a - b)[1]!;

console.log(`long lines (node ${process.version}); median of 3 runs per length`);
console.log(`${'step'.padEnd(26)} ${'100 000 ch'.padStart(11)} ${'300 000 ch'.padStart(11)}  ratio`);
for (const [name, make, run] of cases) {
  const a = median3(() => run(make(100_000)));
  const b = median3(() => run(make(300_000)));
  console.log(`${name.padEnd(26)} ${a.toFixed(0).padStart(8)} ms ${b.toFixed(0).padStart(8)} ms  ${(b / a).toFixed(1)}`);
}
