import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir } from '../../paths.js';
import { runCli } from './run-cli.js';

const ref = join(fixtureDir, 'data', 'test2016.raw.de');
const hyp = join(fixtureDir, 'fp32', 'test2016.beam10.detok.de');
const want = readFileSync(join(fixtureDir, 'fp32', 'test2016.beam10.bleu.txt'), 'utf8');

test('qnmt bleu REF -lc --tokenize intl --input HYP prints the sacrebleu 1.2.10 line', () => {
  const r = runCli(['bleu', ref, '-lc', '--tokenize', 'intl', '--input', hyp]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, want);
});

test('hypothesis from stdin, --lowercase = -lc, --score-only, --json', () => {
  const stdin = readFileSync(hyp);
  assert.equal(runCli(['bleu', ref, '--lowercase', '-t', 'intl'], stdin).stdout, want);
  assert.equal(runCli(['bleu', ref, '-lc', '-t', 'intl', '--score-only'], stdin).stdout, `${want.split(' ')[2]}\n`);
  const j = JSON.parse(runCli(['bleu', ref, '-lc', '-t', 'intl', '--json'], stdin).stdout);
  assert.equal(`${j.formatted}\n`, want);
  assert.equal(j.sysLen, 12165);
  assert.equal(j.refLen, 12248);
});

test('line count mismatch names both inputs and counts (exit 1)', () => {
  const r = runCli(['bleu', ref, '-lc'], 'a\nb\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /standard input\) has 2 lines but the reference .*test2016\.raw\.de has 1000/);
});

test('tokenized hypotheses trigger the sacrebleu warning', () => {
  const lines = 'ein kleiner Test .\n'.repeat(120); // 4 tokens: with 3 there would be no 4-grams and BLEU 0
  const refFile = join(mkdtempSync(join(tmpdir(), 'qnmt-bleu-')), 'ref.txt');
  writeFileSync(refFile, lines);
  const r = runCli(['bleu', refFile], lines);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, / = 100\.00 /);
  assert.match(r.stderr, /120 hypothesis lines end in a tokenized period/);
});

test('standard input cannot be both hypothesis and reference', () => {
  const r = runCli(['bleu', '-'], 'a\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /standard input/);
});

test('--chrf adds the sacrebleu 2.x chrF line', () => {
  const r = runCli(['bleu', ref, '-lc', '-t', 'intl', '--input', hyp, '--chrf']);
  assert.equal(r.code, 0, r.stderr);
  const [bleuLine, chrfLine] = r.stdout.split('\n');
  assert.equal(`${bleuLine}\n`, want);
  assert.match(chrfLine!, /^chrF2\|nrefs:1\|case:lc\|eff:yes\|nc:6\|nw:0\|space:no\|version:2\.6\.0 = \d+\.\d\d$/);
});
