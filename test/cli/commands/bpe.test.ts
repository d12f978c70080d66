import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from '../../paths.js';
import { runCli } from './run-cli.js';

const data = join(fixtureDir, 'data');

test('qnmt bpe --codes reproduces the fixture test2016.tok.bpe.de file', () => {
  const r = runCli(['bpe', '--codes', join(fixtureDir, 'bpe.codes'), '-q'], readFileSync(join(data, 'test2016.tok.de')));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(data, 'test2016.tok.bpe.de'), 'utf8'));
});

test('qnmt bpe --join undoes the segmentation', () => {
  const r = runCli(['bpe', '--join', '-q'], readFileSync(join(data, 'test2016.tok.bpe.en')));
  assert.equal(r.stdout, readFileSync(join(data, 'test2016.tok.en'), 'utf8'));
});

test('missing or unreadable codes are user errors (exit 1, one line)', () => {
  const none = runCli(['bpe'], 'x\n');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /needs --codes FILE/);
  const missing = runCli(['bpe', '--codes', 'no/such/codes'], 'x\n');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^qnmt: error: cannot read BPE codes file no\/such\/codes/);
  assert.match(runCli(['bpe', '--help']).stdout, /Examples:/);
});
