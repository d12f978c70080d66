/** Broken statistics and configs: linear-time parsing, duplicate keys reported, aliases refused, unusable statistics named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QnmtError } from '../../src/errors.js';
import { parseStats } from '../../src/quant/stats.js';
import { parseQuantConfig } from '../../src/quant/config.js';
import { resolveOverride } from '../../src/quant/overrides.js';
import { saturationRange } from '../../src/quant/clip.js';
import { testFixtures } from '../paths.js';

const rec = (fields: string): string => `m:\n  output:\n${fields.split(',').map((f) => `    ${f.trim()}`).join('\n')}\n    shape: (1, 2)\n`;
const good = 'min: -1.0, max: 1.0, avg_min: -0.5, avg_max: 0.5, mean: 0.0, std: 0.1';

function throwsQnmt(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof QnmtError && pattern.test(e.message) && !e.message.includes('\n'));
}

test('many keys parse (the duplicate check is linear), and a duplicate key is still reported with its line', () => {
  let text = '';
  for (let i = 0; i < 2000; i++) text += `m${i}:\n  output: {min: -1.0, max: 1.0, avg_min: -0.5, avg_max: 0.5, mean: 0.0, std: 0.1, shape: (1)}\n`;
  assert.equal(parseStats(text, 'big.yaml').size, 2000);
  throwsQnmt(() => parseStats(`${rec(good)}${rec(good)}`, 'dup.yaml'), /^dup\.yaml:10: malformed YAML: map keys must be unique; 'm' appears twice/);
});

test('YAML aliases are refused (no expansion) and an oversized file is refused by the size limit', () => {
  throwsQnmt(() => parseStats('a: &x {output: {min: 1}}\nb: *x\n', 'alias.yaml'), /alias\.yaml:2: YAML aliases \(\*x\) are not supported/);
  throwsQnmt(() => parseStats(`# ${'x'.repeat(5 << 20)}\n`, 'huge.yaml'), /YAML size in characters \(\d+\) exceeds qnmt's limit of 4194304/);
});

test('statistics a clip mode uses must be finite and ordered; the error names module, field, value and the fix', () => {
  const settings = (clipActs: 'NONE' | 'AVG' | 'N_STD' | 'GAUSS' | 'LAPLACE') => ({ clipActs, clipNStds: 2, bits: 8, mode: 'ASYMMETRIC_SIGNED' as const });
  const r = (fields: string) => parseStats(rec(fields), 's.yaml').get('m')!.output;
  throwsQnmt(() => saturationRange(r('min: 2.0, max: 1.0, avg_min: 0, avg_max: 1, mean: 0, std: 1'), settings('NONE'), 'dec.attn.output'),
    /^dec\.attn\.output: clip_acts NONE uses 'min' = 2 > 'max' = 1\. Use another clip mode for this module via overrides \(for example  overrides: \{'dec\\\.attn': \{clip_acts: NONE\}\}/);
  throwsQnmt(() => saturationRange(r('min: 0, max: .inf, avg_min: 0, avg_max: 1, mean: 0, std: 1'), settings('NONE'), 'x.output'), /'max' = Infinity, which is not a finite float32 value/);
  throwsQnmt(() => saturationRange(r('min: 0, max: 1e39, avg_min: 0, avg_max: 1, mean: 0, std: 1'), settings('NONE'), 'x.output'), /'max' = 1e\+39, which is not a finite float32/);
  throwsQnmt(() => saturationRange(r('min: 0, max: 1, avg_min: 0, avg_max: 1, mean: 0, std: -1'), settings('N_STD'), 'x.output'), /'std' = -1, which is negative/);
  throwsQnmt(() => saturationRange(r('min: 1.5, max: 1.5, avg_min: 1.5, avg_max: 1.5, mean: 1.5, std: .nan'), settings('N_STD'), 'decoder.att_rnn.attn.inputs.1'),
    /^decoder\.att_rnn\.attn\.inputs\.1: clip_acts N_STD uses 'std', which is NaN in the statistics \(the tensor held a single value, so it has no standard deviation\)\. Use another clip mode for this module via overrides/);
  // The same record is fine for the modes that do not read std.
  assert.deepEqual(saturationRange(r('min: 1.5, max: 1.5, avg_min: 1.5, avg_max: 1.5, mean: 1.5, std: .nan'), settings('NONE'), 'x'), [1.5, 1.5]);
  assert.deepEqual(saturationRange(r(good), settings('AVG'), 'x'), [-0.5, 0.5]);
});

test('the shipped statistics hold such a NaN std (an input with a single value), so a global N_STD stops there with that error', () => {
  const stats = parseStats(readFileSync(join(testFixtures, 'quant', 'gnmt_model_stats_aug2019.yaml'), 'utf8'));
  const nan = [...stats].flatMap(([name, m]) => (m.inputs ?? []).map((r, i) => [`${name}.inputs.${i}`, r] as const)).filter(([, r]) => Number.isNaN(r.std));
  assert.equal(nan.length, 1);
  const [where, r] = nan[0]!;
  assert.equal(r.min, r.max);
  throwsQnmt(() => saturationRange(r, { clipActs: 'N_STD', clipNStds: 2, bits: 8, mode: 'SYMMETRIC' }, where), /'std', which is NaN .*via overrides/);
});

test('catastrophic override patterns match in linear time on RE2; backreferences are refused', () => {
  const head = 'quantizers:\n  q:\n    class: PostTrainLinearQuantizer\n    overrides:\n';
  const c = parseQuantConfig(`${head}      '([a-z_.0-9]+)+!':\n        clip_acts: NONE\n      '(.*)*(.*)*(.*)*!':\n        clip_acts: AVG\n`, 'evil.yaml');
  assert.equal(resolveOverride(c.overrides, 'decoder.att_rnn.attn.linear_q.abcdefghijklmnopqrstuvwxyz0123456789'), undefined);
  throwsQnmt(() => parseQuantConfig(`${head}      '(a)\\1':\n        clip_acts: NONE\n`, 'br.yaml'), /override pattern '\(a\)\\1' is not a valid regular expression .*backreferences/);
});
