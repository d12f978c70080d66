import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';
import { QUANTIZER_KEYS, formatQuantConfig, loadQuantConfig, parseQuantConfig, type QuantConfig } from '../../src/quant/config.js';
import { OVERRIDE_KEYS } from '../../src/quant/overrides.js';
import { parse } from 'yaml';
import { readdirSync } from 'node:fs';
import { resolveOverride } from '../../src/quant/overrides.js';
import { QnmtError } from '../../src/errors.js';

const head = `quantizers:
  post_train_quantizer:
    class: PostTrainLinearQuantizer
`;

test('examples: the five table rows in Distiller schedule format', () => {
  const rows = {
    'int8-sym': ['SYMMETRIC', false, 'NONE', []],
    'int8-asym': ['ASYMMETRIC_SIGNED', false, 'NONE', []],
    'int8-asym-pc-avg': ['ASYMMETRIC_SIGNED', true, 'AVG', []],
    'int8-asym-pc-avg-noattn': ['ASYMMETRIC_SIGNED', true, 'AVG', ['.*att_rnn.attn.*']],
    'int8-asym-pc-avg-noattn-nocls': ['ASYMMETRIC_SIGNED', true, 'AVG', ['.*att_rnn.attn.*', 'decoder.classifier.classifier']],
  } as const;
  for (const [name, [mode, pc, clip, patterns]] of Object.entries(rows)) {
    const c = loadQuantConfig(join(repoRoot, 'examples', `${name}.yaml`));
    assert.deepEqual([c.mode, c.perChannelWts, c.clipActs, c.overrides.map((o) => o.pattern)], [mode, pc, clip, patterns], name);
    assert.deepEqual([c.bitsActivations, c.bitsParameters, c.bitsAccum, c.clipNStds, c.scaleApproxMultBits], [8, 8, 32, null, null]);
    for (const o of c.overrides) assert.deepEqual(o.settings, { clipActs: 'NONE' });
  }
});

test('override matching: whole-name (^p$) at the start, "." is a wildcard, first pattern wins, literal name first', () => {
  const c = parseQuantConfig(`${head}    overrides:
      'decoder.*':
        clip_acts: AVG
      'decoder.classifier.classifier':
        clip_acts: NONE
      '.*att_rnn.attn.*':
        clip_acts: N_STD
        clip_n_stds: 2
`, 'o.yaml');
  assert.equal(resolveOverride(c.overrides, 'decoder.classifier.classifier')?.pattern, 'decoder.classifier.classifier');
  assert.equal(resolveOverride(c.overrides, 'decoder.att_rnn.attn.linear_q')?.pattern, 'decoder.*');
  assert.equal(resolveOverride(c.overrides, 'module.decoder.x')?.pattern, 'decoder.*'); // first 'module.' dropped
  assert.equal(resolveOverride(c.overrides, 'encoder.decoder'), undefined); // anchored at the start
  assert.equal(resolveOverride(c.overrides, 'decoderXclassifier')?.pattern, 'decoder.*');
  const att = parseQuantConfig(`${head}    overrides:\n      '.*att_rnn.attn.*':\n        clip_acts: NONE\n`);
  assert.equal(resolveOverride(att.overrides, 'decoder.att_rnn.attn')?.pattern, '.*att_rnn.attn.*');
  assert.equal(resolveOverride(att.overrides, 'decoder.att_rnn.rnn.cells.0.fc_gate_x'), undefined);
  assert.equal(resolveOverride(att.overrides, 'decoder.attention_concats.0'), undefined);
});

test('config errors name the key, the file:line and the allowed values', () => {
  const err = (text: string, re: RegExp): void => {
    assert.throws(() => parseQuantConfig(text, 'cfg.yaml'), (e: unknown) => e instanceof QnmtError && re.test(e.message), re.source);
  };
  err(`${head}    mode: SYMETRIC\n`, /^cfg\.yaml:4: mode: unknown mode "SYMETRIC" \(allowed: SYMMETRIC, ASYMMETRIC_UNSIGNED, ASYMMETRIC_SIGNED\)/);
  err(`${head}    clip_acts: MAX\n`, /^cfg\.yaml:4: clip_acts: unknown clip mode "MAX" \(allowed: NONE, AVG, N_STD, GAUSS, LAPLACE\)/);
  err(`${head}    bits_activations: 16\n`, /^cfg\.yaml:4: bits_activations: expected an integer in \[2, 8\], found 16/);
  err(`${head}    bits_accum: 64\n`, /bits_accum: expected an integer in \[16, 32\]/);
  err(`${head}    bits_weights: 8\n`, /^cfg\.yaml:4: unknown quantizer key 'bits_weights' \(allowed: class, mode, bits_activations, bits_parameters/);
  err(`${head}    clip_acts: N_STD\n`, /cfg\.yaml:4: clip_acts N_STD needs clip_n_stds/);
  err(`${head}    fp16: True\n`, /fp16: True is not supported/);
  err(`quantizers:\n  q:\n    class: QuantAwareTrainRangeLinearQuantizer\n`, /^cfg\.yaml:3: quantizer 'q': class must be PostTrainLinearQuantizer/);
  err(`quantizers:\n  q:\n    class: PostTrainLinearQuantizer\n  r:\n    class: PostTrainLinearQuantizer\n`, /expected exactly one quantizer/);
  err(`policies: []\n`, /^cfg\.yaml:1: unknown key 'policies' \(allowed: quantizers, version\)/);
  err(`${head}    overrides:\n      fc:\n        clip_act: NONE\n`, /^cfg\.yaml:6: override 'fc': unknown key 'clip_act' \(allowed: bits_activations, bits_weights/);
  err(`${head}    overrides:\n      'fc[':\n        clip_acts: NONE\n`, /^cfg\.yaml:5: override pattern 'fc\[' is not a valid regular expression/);
  err(`${head}    mode: [SYMMETRIC\n`, /^cfg\.yaml:\d+: malformed YAML/);
  assert.throws(() => loadQuantConfig('/nonexistent/q.yaml'), /cannot read \/nonexistent\/q\.yaml: no such file/);
});

test('defaults are R\'s; bits null in overrides; model_activation_stats resolves against the config folder', () => {
  const c = parseQuantConfig(`${head}    model_activation_stats: stats/model_stats.yaml\n    overrides:\n      x:\n        bits_activations: null\n        bits_weights: None\n`, 'c.yaml', '/cfg');
  assert.deepEqual([c.mode, c.clipActs, c.perChannelWts, c.bitsActivations], ['SYMMETRIC', 'NONE', false, 8]);
  assert.equal(c.modelActivationStats, '/cfg/stats/model_stats.yaml');
  assert.deepEqual(c.overrides[0]!.settings, { bitsActivations: null, bitsWeights: null });
});

/** A config without what depends on where it was read (file, line positions, compiled regex objects). */
function comparable(c: QuantConfig): unknown {
  return { ...c, file: null, overrides: c.overrides.map((o) => ({ pattern: o.pattern, regex: o.regex.source, settings: o.settings, keys: o.keys })) };
}

test('formatQuantConfig writes Distiller schedule YAML that reads back to an equal config, with Distiller keys only', () => {
  const configs = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => loadQuantConfig(join(repoRoot, 'examples', f)));
  configs.push(parseQuantConfig(`${head}    mode: ASYMMETRIC_UNSIGNED
    per_channel_wts: False
    clip_acts: N_STD
    clip_n_stds: 2.5
    scale_approx_mult_bits: 16
    overrides:
      'encoder.rnn_layers.0.fc_gate_x':
        bits_activations: null
        bits_weights: null
        bits_bias: null
      '.*attn.*':
        clip_acts: LAPLACE
        per_channel_wts: True
      'decoder.classifier.classifier':
        clip_acts: N_STD
        clip_n_stds: 3
`, 'x.yaml'));
  assert.equal(configs.length, 6);
  for (const c of configs) {
    const text = formatQuantConfig(c);
    assert.deepEqual(comparable(parseQuantConfig(text, 'written.yaml')), comparable(c), text);
    const doc = parse(text) as { quantizers: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(doc), ['quantizers']);
    const q = doc.quantizers[c.name]!;
    assert.equal(q['class'], 'PostTrainLinearQuantizer');
    for (const k of Object.keys(q)) assert.ok((QUANTIZER_KEYS as readonly string[]).includes(k), k);
    for (const o of Object.values((q['overrides'] ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const k of Object.keys(o)) assert.ok((OVERRIDE_KEYS as readonly string[]).includes(k), k);
    }
  }
  const last = formatQuantConfig(configs[5]!);
  assert.match(last, /bits_activations: null/);
});
