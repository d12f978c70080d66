import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from '../../paths.js';
import { runCli } from './run-cli.js';

const data = join(fixtureDir, 'data');

test('qnmt tokenize --lang en reproduces the fixture test2016.tok.en file', () => {
  const r = runCli(['tokenize', '--lang', 'en', '-q'], readFileSync(join(data, 'test2016.raw.en')));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(data, 'test2016.tok.en'), 'utf8'));
  assert.equal(r.stderr, '');
});

test('BOM, CRLF, invalid UTF-8 (one warning), empty lines, missing final newline', () => {
  const input = Buffer.concat([Buffer.from('\ufeffHallo', 'utf8'), Buffer.from([0xff, 0xfe]), Buffer.from(' Welt.\r\n\r\n"x"\r\nfoo\xff', 'latin1')]);
  const r = runCli(['tokenize', '-l', 'de'], input);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Hallo \ufffd \ufffd Welt .\n\n&quot; x &quot;\nfoo \ufffd\n');
  assert.equal(r.stderr.match(/not valid UTF-8/g)?.length, 1);
  assert.match(r.stderr, /4 lines/);
});

test('empty input gives empty output; --help shows an example; a bad language is a usage error', () => {
  assert.equal(runCli(['tokenize', '-l', 'en', '-q']).stdout, '');
  const help = runCli(['tokenize', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Example:\n {2}echo/);
  const bad = runCli(['tokenize', '--lang', 'fr'], 'x\n');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Allowed choices are en, de/);
});
