// Canonical JSON as Python writes it (docs/spec.md section 6.1), strict base64, and the
// manifest's rules on a voter's choices (what the booth page reports before encrypting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b64decode, b64encode, canonicalJson, InvalidBallot, InvalidInput, plaintextFromSelection, trackingCode } from '../src/index.js';
import { loadVectors } from './vectors.js';

test('canonical JSON: key order by code point, exactly the escapes Python writes', () => {
  const value = { b: 1, a: 'é\n\t\u001b"\\/\u2028\u007f', '\ue000': 1, '\u{1f600}': 2, z: [null, true, false, -5, 0] };
  // The text printed by Python: json.dumps(value, sort_keys=True, separators=(",", ":"),
  // ensure_ascii=False). JavaScript's own sort would put U+1F600 (a surrogate pair) before U+E000.
  assert.equal(canonicalJson(value), '{"a":"é\\n\\t\\u001b\\"\\\\/\u2028\u007f","b":1,"z":[null,true,false,-5,0],"\ue000":1,"\u{1f600}":2}');
  assert.throws(() => canonicalJson({ x: 1.5 }), InvalidInput);
  assert.throws(() => canonicalJson({ x: '\ud800' }), /lone surrogate/);
});

test('strict base64 refuses what evote refuses', () => {
  assert.equal(b64encode(Uint8Array.of(0xff, 0xee)), '/+4=');
  assert.deepEqual(b64decode('/+4='), Uint8Array.of(0xff, 0xee));
  for (const bad of ['/+4', '/+5=', '/-4=', ' /+4=']) assert.throws(() => b64decode(bad), /not canonical base64/);
  assert.throws(() => b64decode('/+4=', 'x', 3), /expected 3 bytes/);
});

test('tracking codes: 21 symbols 4-4-4-4-5, last one even', () => {
  const code = trackingCode(new Uint8Array(32).fill(0xff));
  assert.equal(code, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZY');
});

const manifest = JSON.parse(loadVectors('election-ed25519.json').manifest.json);
const reasons = (selection) => {
  try {
    plaintextFromSelection(manifest, selection);
  } catch (error) {
    assert.ok(error instanceof InvalidBallot);
    return [error.question, error.reason];
  }
  return null;
};

test('the rules of every question kind, with the reason the page shows', () => {
  const valid = { referendum: ['yes'], colours: ['red'], chefs: { red: 3, green: 2, blue: 0 }, budget: ['park'] };
  assert.equal(reasons(valid), null);
  assert.deepEqual(reasons({ ...valid, referendum: ['yes', 'no'] }), ['referendum', 'overvote']);
  assert.deepEqual(reasons({ ...valid, colours: ['red', 'green', 'blue'] }), ['colours', 'overvote']);
  assert.deepEqual(reasons({ ...valid, colours: [] }), ['colours', 'undervote']);
  assert.deepEqual(reasons({ ...valid, chefs: { red: 3, green: 3, blue: 0 } }), ['chefs', 'over-total']);
  assert.deepEqual(reasons({ ...valid, chefs: { red: 4, green: 0, blue: 0 } }), ['chefs', 'value']);
  assert.deepEqual(reasons({ ...valid, budget: ['park', 'pool'] }), ['budget', 'over-budget']);
  assert.deepEqual(reasons({ ...valid, budget: [] }), ['budget', 'under-spend']);
  assert.deepEqual(reasons({ referendum: null, colours: null, chefs: valid.chefs }), ['budget', 'missing']);
  assert.throws(() => plaintextFromSelection(manifest, { ...valid, budget: ['park', 'park'] }), /chosen twice/);
  assert.throws(() => plaintextFromSelection(manifest, { ...valid, nope: [] }), /unknown question/);
  assert.throws(() => plaintextFromSelection(manifest, { ...valid, colours: ['mauve'] }), /unknown option/);
});
