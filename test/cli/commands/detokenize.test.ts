import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from '../../paths.js';
import { runCli } from './run-cli.js';

test('qnmt detokenize (default en) reproduces the fixture beam10 .detok.de file', () => {
  const d = join(fixtureDir, 'fp32');
  const r = runCli(['detokenize', '-q'], readFileSync(join(d, 'test2016.beam10.tok.de')));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(d, 'test2016.beam10.detok.de'), 'utf8'));
});

test('--lang de changes the English contraction rule; --help has an example', () => {
  assert.equal(runCli(['detokenize', '-q'], 'geht &apos;s\n').stdout, "geht's\n");
  assert.equal(runCli(['detokenize', '-q', '--lang', 'de'], 'geht &apos;s\n').stdout, "geht 's\n");
  assert.match(runCli(['detokenize', '--help']).stdout, /Example:/);
});
