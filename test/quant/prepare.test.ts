import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, testFixtures } from '../paths.js';
import { loadQuantConfig, defaultQuantConfig, parseQuantConfig } from '../../src/quant/config.js';
import { loadStats, parseStats } from '../../src/quant/stats.js';
import { prepareModel } from '../../src/quant/prepare.js';
import type { Module } from '../../src/model/module.js';
import { QuantEmbedding, QuantLinear, type WrapperDescription } from '../../src/quant/wrappers/index.js';
import { QnmtError } from '../../src/errors.js';
import { Container, diffDescription, opOfType, place } from './helpers.js';

const fixtures = join(testFixtures, 'quant');
const expected = JSON.parse(readFileSync(join(fixtures, 'gnmt_expected_act_qparams_aug2019.json'), 'utf8')) as {
  configs: Record<string, { modules: Record<string, WrapperDescription> }>;
};
const wrapperTypes = new Map(Object.entries(expected.configs['int8_sym']!.modules).map(([n, m]) => [n, m.wrapper]));

/** A GNMT-shaped tree built from the stats' module names (the wrapper type per module from the JSON). */
function gnmtShapedTree(names: Iterable<string>): Module {
  const root = new Container();
  for (const name of names) place(root, name, opOfType(wrapperTypes.get(name) ?? 'Dropout'));
  place(root, 'decoder.embedder', root.getModule('encoder.embedder')!); // shared, as in GNMT
  return root;
}

for (const statsFile of ['gnmt_acts_quantization_stats.yaml', 'gnmt_model_stats_aug2019.yaml']) {
  test(`all 79 modules × 5 configs equal the expected qparams float32-exactly (${statsFile}, examples/*.yaml)`, () => {
    const stats = loadStats(join(fixtures, statsFile));
    let matched = 0;
    const failures: string[] = [];
    for (const [configName, cfg] of Object.entries(expected.configs)) {
      const config = loadQuantConfig(join(repoRoot, 'examples', `${configName.replaceAll('_', '-')}.yaml`));
      const model = gnmtShapedTree(stats.keys());
      const result = prepareModel(model, config, stats);
      assert.deepEqual(result.warnings, []);
      assert.deepEqual(result.replaced, { Linear: 21, Embedding: 1, EltwiseAdd: 24, EltwiseMult: 28, Matmul: 1, BatchMatmul: 1, Concat: 3 });
      assert.equal(result.modules.size, 79);
      assert.equal(model.getModule('decoder.embedder'), model.getModule('encoder.embedder'));
      assert.ok(model.getModule('decoder.embedder') instanceof QuantEmbedding);
      for (const [name, want] of Object.entries(cfg.modules)) {
        const w = result.modules.get(name);
        if (!w) {
          failures.push(`${configName} ${name}: not wrapped`);
          continue;
        }
        const bad = diffDescription(w.describe(), want);
        if (bad.length === 0) matched++;
        else failures.push(`${configName} ${name}: ${bad.slice(0, 3).join('; ')}`);
      }
    }
    console.log(`  ${statsFile}: ${matched}/${79 * 5} module×config entries match exactly`);
    assert.deepEqual(failures, []);
    assert.equal(matched, 79 * 5);
  });
}

test('§5.1 gate clipping edits a copy: the caller stats are unchanged and a second prepare gives the same result', () => {
  const stats = loadStats(join(fixtures, 'gnmt_acts_quantization_stats.yaml'));
  const gate = 'decoder.rnn_layers.0.cells.0.eltwiseadd_gate';
  const before = { ...stats.get(gate)!.output };
  const config = defaultQuantConfig({ mode: 'ASYMMETRIC_SIGNED' });
  const a = prepareModel(gnmtShapedTree(stats.keys()), config, stats);
  const b = prepareModel(gnmtShapedTree(stats.keys()), config, stats);
  assert.deepEqual(stats.get(gate)!.output, before);
  assert.ok(before.min < -6 && before.max > 6);
  assert.deepEqual(a.modules.get(gate)!.describe().output, { sat_min: -6, sat_max: 6, scale: 21.25, zero_point: 0 });
  assert.deepEqual(a.modules.get(gate)!.describe(), b.modules.get(gate)!.describe());
  // Only that output record changes, not the gate add's input records.
  assert.ok(a.modules.get(gate)!.describe().inputs!['0']!.sat_min < -6);
});

test('prepareModel refuses a model twice, names modules with missing stats, warns on unmatched overrides', () => {
  const stats = loadStats(join(fixtures, 'gnmt_acts_quantization_stats.yaml'));
  const model = gnmtShapedTree(stats.keys());
  prepareModel(model, defaultQuantConfig(), stats);
  assert.throws(() => prepareModel(model, defaultQuantConfig(), stats), /already prepared/);

  const partial = new Map(stats);
  partial.delete('decoder.att_rnn.attn.matmul_score');
  assert.throws(() => prepareModel(gnmtShapedTree(stats.keys()), defaultQuantConfig(), partial),
    (e: unknown) => e instanceof QnmtError && /decoder\.att_rnn\.attn\.matmul_score/.test(e.message));

  const cfg = parseQuantConfig(`quantizers:
  q:
    class: PostTrainLinearQuantizer
    overrides:
      'decoder\\.nothing\\..*':
        clip_acts: AVG
`, 'x.yaml');
  const r = prepareModel(gnmtShapedTree(stats.keys()), cfg, stats);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /x\.yaml:5: override pattern 'decoder\\.nothing\\..\*' matches no module/);
});

test('overrides: literal name first, else first matching pattern; bits null leaves FP32; disallowed keys listed', () => {
  const stats = loadStats(join(fixtures, 'gnmt_acts_quantization_stats.yaml'));
  const cfg = parseQuantConfig(`quantizers:
  q:
    class: PostTrainLinearQuantizer
    mode: ASYMMETRIC_SIGNED
    clip_acts: AVG
    overrides:
      decoder.classifier.*:
        clip_acts: N_STD
        clip_n_stds: 2
      decoder.classifier.classifier:
        clip_acts: NONE
      '.*eltwiseadd_residuals.*':
        bits_activations: null
        bits_weights: null
      'decoder.att_rnn.attn.eltwise.*':
        scale_approx_mult_bits: 8
`, 'o.yaml');
  const r = prepareModel(gnmtShapedTree(stats.keys()), cfg, stats);
  // Literal key beats the earlier pattern that also matches.
  assert.equal(r.modules.get('decoder.classifier.classifier')!.describe().clip_acts, 'NONE');
  assert.equal(r.modules.get('decoder.classifier.classifier')!.settings.scaleApproxMultBits, null);
  assert.equal(r.replaced.EltwiseAdd, 20);
  assert.ok(!r.modules.has('encoder.eltwiseadd_residuals.0'));
  // The last pattern reaches the attention adds; the scale approximation shows in the requant factors (A / 2^k with A < 2^8).
  const add = r.modules.get('decoder.att_rnn.attn.eltwiseadd_qk')!.describe();
  for (const s of add.input_requant_scales!) {
    const k = Math.floor(Math.log2(255 / s));
    assert.ok(Number.isInteger(s * 2 ** k) && s * 2 ** k < 256);
  }

  const bad = parseQuantConfig(`quantizers:
  q:
    class: PostTrainLinearQuantizer
    overrides:
      '.*matmul_score':
        mode: SYMMETRIC
`, 'b.yaml');
  assert.throws(() => prepareModel(gnmtShapedTree(stats.keys()), bad, stats), (e: unknown) => e instanceof QnmtError
    && /b\.yaml:5/.test(e.message) && /'mode'/.test(e.message) && /Matmul/.test(e.message)
    && /allowed keys for Matmul: bits_activations, bits_weights, bits_bias, clip_acts, clip_n_stds, scale_approx_mult_bits, fp16/.test(e.message));
  const emb = parseQuantConfig(`quantizers:
  q:
    class: PostTrainLinearQuantizer
    overrides:
      encoder.embedder:
        clip_acts: AVG
`, 'e.yaml');
  assert.throws(() => prepareModel(gnmtShapedTree(stats.keys()), emb, stats), /allowed keys for Embedding: bits_activations, bits_weights, bits_bias, fp16/);
  const fp32WithMore = parseQuantConfig(`quantizers:
  q:
    class: PostTrainLinearQuantizer
    overrides:
      encoder.embedder:
        bits_activations: null
        bits_weights: null
        fp16: false
`, 'f.yaml');
  assert.throws(() => prepareModel(gnmtShapedTree(stats.keys()), fp32WithMore, stats), /unquantized.*fp16/);
});

test('prepared Linear wrapper keeps the FP32 op untouched', () => {
  const stats = parseStats(`lin:
  inputs:
    0: {min: -1.0, max: 1.0, avg_min: -0.5, avg_max: 0.5, mean: 0, std: 0.5, shape: '(2, 4)'}
  output: {min: -2.0, max: 3.0, avg_min: -1.0, avg_max: 1.0, mean: 0, std: 1, shape: '(2, 3)'}
`);
  const root = new Container();
  const op = opOfType('Linear');
  place(root, 'lin', op);
  const before = Float32Array.from((op as unknown as { weight: { data: Float32Array } }).weight.data);
  const r = prepareModel(root, defaultQuantConfig(), stats);
  const w = r.modules.get('lin') as QuantLinear;
  assert.equal(root.getModule('lin'), w);
  assert.equal(w.wrapped, op);
  assert.deepEqual(w.wrapped.weight.data, before);
});
