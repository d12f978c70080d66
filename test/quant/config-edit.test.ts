/** Configs a search derives from a base: per-module settings, FP32 fallback, only one module INT8. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';
import { FP32_OVERRIDE, formatQuantConfig, loadQuantConfig, overrideFileSettings, parseQuantConfig } from '../../src/quant/config.js';
import { defaultSearchBase, onlyModuleQuantized, withModuleSettings } from '../../src/quant/config-edit.js';
import { resolveOverride } from '../../src/quant/overrides.js';

const names = ['encoder.rnn_layers.0.cells.0.fc_gate_x', 'decoder.att_rnn.attn.matmul_score', 'decoder.classifier.classifier', 'encoder.embedder'];
const settingsOf = (config: ReturnType<typeof defaultSearchBase>, name: string) => {
  const e = resolveOverride(config.overrides, name);
  return e ? overrideFileSettings(e) : {};
};
const roundTrip = (config: ReturnType<typeof defaultSearchBase>) => parseQuantConfig(formatQuantConfig(config), 'round-trip.yaml');

test('withModuleSettings: the named modules get their setting (merged with the base override), the others keep the base', () => {
  const base = loadQuantConfig(join(repoRoot, 'examples', 'int8-asym-pc-avg-noattn.yaml'));
  const config = roundTrip(withModuleSettings(base, new Map<string, Record<string, unknown>>([
    ['decoder.att_rnn.attn.matmul_score', { clip_acts: 'N_STD', clip_n_stds: 3 }],
    ['decoder.classifier.classifier', FP32_OVERRIDE],
  ])));
  assert.deepEqual(settingsOf(config, 'decoder.att_rnn.attn.matmul_score'), { clip_acts: 'N_STD', clip_n_stds: 3 });
  assert.deepEqual(settingsOf(config, 'decoder.classifier.classifier'), FP32_OVERRIDE);
  assert.deepEqual(settingsOf(config, 'decoder.att_rnn.attn.linear_q'), { clip_acts: 'NONE' }, 'the base override still applies to the others');
  assert.deepEqual(settingsOf(config, names[0]!), {});
});

test('onlyModuleQuantized: every other module FP32, the module itself with the base settings (also after YAML)', () => {
  const base = loadQuantConfig(join(repoRoot, 'examples', 'int8-asym-pc-avg-noattn.yaml'));
  for (const only of names) {
    const config = roundTrip(onlyModuleQuantized(base, only, [...names, 'decoder.att_rnn.attn.linear_q']));
    for (const n of [...names, 'decoder.att_rnn.attn.linear_q']) {
      const s = settingsOf(config, n);
      if (n === only) assert.deepEqual(s, settingsOf(base, n), n);
      else assert.deepEqual(s, FP32_OVERRIDE, `${n} with only ${only}`);
    }
  }
});

test('the default search base is fully INT8: asymmetric, per-channel, AVG', () => {
  const b = defaultSearchBase();
  assert.deepEqual([b.mode, b.perChannelWts, b.clipActs, b.overrides.length], ['ASYMMETRIC_SIGNED', true, 'AVG', 0]);
});
