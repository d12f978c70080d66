import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataGlobals, PickleEOFError, unpickle, type PyGlobal, type PyValue } from '../../src/io/pickle.js';
import { QnmtError } from '../../src/errors.js';
import { testFixtures } from '../paths.js';

// test/fixtures/pickle/sample.p{2..5}.pkl = pickle.dumps(value, protocol) and sample.json = the same value in a
// tagged JSON form, both written by tools/make_fixtures.py (CPython 3.11).
const dir = join(testFixtures, 'pickle');
const expected: unknown = JSON.parse(readFileSync(join(dir, 'sample.json'), 'utf8'));
const globals = new Map<string, PyGlobal>([
  ['collections.OrderedDict', { module: 'collections', name: 'OrderedDict', call: () => new Map() }],
]);

function tag(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return { num: v };
  if (typeof v === 'bigint') return { big: v.toString() };
  if (typeof v === 'string') return { str: v };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return Object.isFrozen(v) ? { tuple: v.map(tag) } : { list: v.map(tag) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [tag(k), tag(x)]) };
  if (v instanceof Set) return { set: [...v].map(tag) };
  throw new TypeError(`untaggable ${String(v)}`);
}

for (const proto of [2, 3, 4, 5]) {
  test(`protocol ${proto}: unpickles CPython's output exactly`, () => {
    const bytes = new Uint8Array(readFileSync(join(dir, `sample.p${proto}.pkl`)));
    const { value, end } = unpickle(bytes, 0, { globals: new Map([...globals, ...dataGlobals()]), source: 'sample' });
    assert.equal(end, bytes.length);
    assert.deepEqual(tag(value), expected);
    // Memoised objects stay shared (BINPUT/BINGET/MEMOIZE): the three 'memo' entries are one list.
    const memo = (value as Map<PyValue, PyValue>).get('memo') as PyValue[];
    assert.equal(memo[0], memo[1]);
    assert.equal(memo[1], memo[2]);
  });
}

test('an unknown global is refused by name, listing the allowed ones, and nothing runs', () => {
  // protocol 2: GLOBAL 'posix system', then REDUCE on ('echo hi',)
  const bytes = Buffer.concat([
    Buffer.from([0x80, 0x02]), Buffer.from('cposix\nsystem\n', 'latin1'),
    Buffer.from([0x58, 7, 0, 0, 0]), Buffer.from('echo hi'), Buffer.from([0x85, 0x52, 0x2e]),
  ]);
  assert.throws(() => unpickle(new Uint8Array(bytes), 0, { globals, source: 'evil.pkl' }), (e: unknown) => {
    assert.ok(e instanceof QnmtError);
    assert.equal(e.code, 'checkpoint/unknown-global');
    assert.match(e.message, /^evil\.pkl: .*posix\.system.*allowed globals: collections\.OrderedDict\.$/);
    return true;
  });
});

test('a cut pickle reports truncation; a bad opcode reports corruption', () => {
  const bytes = new Uint8Array(readFileSync(join(dir, 'sample.p4.pkl')));
  assert.throws(() => unpickle(bytes.subarray(0, 1000), 0, { globals, source: 's' }), PickleEOFError);
  const bad = new Uint8Array([0x80, 0x02, 0xff]);
  assert.throws(() => unpickle(bad, 0, { globals, source: 's' }), /s: corrupt pickle at byte 2: unsupported pickle opcode 0xff/);
});
