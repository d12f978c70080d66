import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePyLiteral, PyLiteralError } from '../../src/io/py-literal.js';

test('parses the model_config string of the reference checkpoint (spec §1.2)', () => {
  assert.deepEqual(parsePyLiteral("{'hidden_size': 1024,'num_layers': 4, 'dropout': 0.2, 'share_embedding': True}"),
    { hidden_size: 1024, num_layers: 4, dropout: 0.2, share_embedding: true });
});

test('nested literals, escapes, signs, None', () => {
  assert.deepEqual(parsePyLiteral(`{"a": [1, -2.5e3, (None, False)], 'b\\'c': 'x\\ny', 3: +7,}`),
    { a: [1, -2500, [null, false]], "b'c": 'x\ny', 3: 7 });
});

test('rejects anything that is not a literal (no evaluation)', () => {
  for (const bad of ["__import__('os').system('x')", "{'a': 1", "{'a': 1} 2", 'Truee']) {
    assert.throws(() => parsePyLiteral(bad), PyLiteralError, bad);
  }
});
