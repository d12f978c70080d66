/** buildGnmt: nn.LSTM → DistillerLSTM key mapping and strict key/shape/vocabulary checks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QnmtError } from '../../src/errors.js';
import { buildGnmt, distillerKey, type GnmtWeights } from '../../src/model/build.js';
import { Linear } from '../../src/model/ops.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { fixtureModel } from './fixture-model.js';

test('distillerKey maps nn.LSTM keys onto the DistillerLSTM cells', () => {
  assert.equal(distillerKey('encoder.rnn_layers.0.weight_ih_l0'), 'encoder.rnn_layers.0.cells.0.fc_gate_x.weight');
  assert.equal(distillerKey('encoder.rnn_layers.0.bias_hh_l0_reverse'), 'encoder.rnn_layers.0.cells_reverse.0.fc_gate_h.bias');
  assert.equal(distillerKey('decoder.att_rnn.rnn.weight_hh_l0'), 'decoder.att_rnn.rnn.cells.0.fc_gate_h.weight');
  assert.equal(distillerKey('decoder.att_rnn.attn.linear_q.weight'), 'decoder.att_rnn.attn.linear_q.weight');
});

test('the fixture checkpoint loads; weights land on the right cells', async () => {
  const { ckpt, model } = await fixtureModel();
  const fc = model.getModule('encoder.rnn_layers.0.cells_reverse.0.fc_gate_h') as Linear;
  assert.equal(fc.weight, ckpt.stateDict.get('encoder.rnn_layers.0.weight_hh_l0_reverse'));
  assert.equal(fc.bias, ckpt.stateDict.get('encoder.rnn_layers.0.bias_hh_l0_reverse'));
});

async function modified(edit: (sd: Map<string, Tensor>) => void): Promise<GnmtWeights> {
  const { ckpt } = await fixtureModel();
  const stateDict = new Map(ckpt.stateDict);
  edit(stateDict);
  return { ...ckpt, stateDict };
}

function rejects(weights: GnmtWeights, code: string, ...mentions: string[]): void {
  assert.throws(
    () => buildGnmt(weights),
    (e: unknown) => {
      assert.ok(e instanceof QnmtError, String(e));
      assert.equal(e.code, code);
      for (const m of mentions) assert.ok(e.message.includes(m), `"${e.message}" should mention ${m}`);
      return true;
    },
  );
}

test('missing key → QnmtError naming the key', async () => {
  rejects(await modified((sd) => sd.delete('decoder.rnn_layers.1.bias_ih_l0')), 'model/missing-keys', 'decoder.rnn_layers.1.cells.0.fc_gate_x.bias');
});

test('unexpected key → QnmtError naming the key', async () => {
  rejects(await modified((sd) => sd.set('decoder.extra.weight', Tensor.zeros([2]))), 'model/unexpected-keys', 'decoder.extra.weight');
});

test('shape mismatch → QnmtError naming the key and both shapes', async () => {
  rejects(
    await modified((sd) => sd.set('decoder.att_rnn.attn.linear_k.weight', Tensor.zeros([256, 255]))),
    'model/shape-mismatch',
    'decoder.att_rnn.attn.linear_k.weight',
    '[256, 255]',
    '[256, 256]',
  );
});

test('vocabulary size differing from the embedding rows → QnmtError', async () => {
  const { ckpt } = await fixtureModel();
  rejects({ ...ckpt, vocab: ckpt.vocab.slice(0, -1) }, 'model/vocab-mismatch', '7946', '7947');
});
