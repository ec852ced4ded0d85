// tests/vectors/crypto.json: the encoding, digests, hash to scalar, hash to element (modp4096),
// g^k, ElGamal encryptions, a Fiat–Shamir challenge and one proof of each kind per group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesToHex, challenge, checkEqualLogs, checkRange, checkSchnorr, digest, digest32, encode,
  encryptWithNonce, groupByName, hexToBytes, proofContext, publicKey, InvalidProof,
} from '../src/index.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bigintToBytes, bytesToBigint, PROTOCOL } from '../src/encoding.js';
import { loadVectors, scalar, typedValue } from './vectors.js';

const V = loadVectors('crypto.json');

test('header and group parameters', () => {
  assert.equal(V.format, 'evote-crypto-vectors/1');
  assert.equal(V.protocol, PROTOCOL);
  const ed = groupByName('ed25519');
  assert.equal(bytesToHex(bigintToBytes(ed.order, 32)), V.groups.ed25519.order);
  assert.equal(bytesToHex(ed.generator.toBytes()), V.groups.ed25519.generator);
  assert.equal(bytesToHex(ed.identity.toBytes()), V.groups.ed25519.identity);
  const modp = groupByName('modp4096');
  assert.equal(modp.p.toString(16), V.groups.modp4096.p);
  assert.equal(modp.order.toString(16), V.groups.modp4096.q);
  assert.equal(modp.cofactor.toString(16), V.groups.modp4096.cofactor);
  assert.equal(bytesToHex(modp.generator.toBytes()).replace(/^0+/, ''), V.groups.modp4096.g.replace(/^0+/, ''));
});

test('encode: every vector', () => {
  assert.ok(V.encode.length >= 20);
  for (const vector of V.encode) {
    assert.equal(bytesToHex(encode(typedValue(vector.value))), vector.encoding);
  }
});

test('digest and digest32 with their exact hash inputs', () => {
  for (const vector of V.digest) {
    const items = vector.items.map(typedValue);
    assert.equal(bytesToHex(encode(PROTOCOL, vector.purpose, items)), vector.hash_input);
    assert.equal(bytesToHex(digest(vector.purpose, ...items)), vector.digest);
    assert.equal(bytesToHex(digest32(vector.purpose, ...items)), vector.digest32);
  }
});

test('hash_to_scalar', () => {
  for (const vector of V.hash_to_scalar) {
    const group = groupByName(vector.group);
    assert.equal(bytesToHex(bigintToBytes(group.hashToScalar(vector.purpose, ...vector.items.map(typedValue)), 32)), vector.scalar);
  }
});

test('hash_to_element on modp4096 (section 2.5)', () => {
  const group = groupByName('modp4096');
  const vectors = V.hash_to_element.filter((v) => v.group === 'modp4096');
  assert.ok(vectors.length > 0);
  for (const vector of vectors) {
    const items = vector.items.map(typedValue);
    let element = null;
    for (let counter = 0n; element === null; counter++) {
      const wide = [];
      for (let block = 0n; block < 9n; block++) wide.push(...digest(vector.purpose, 'modp4096', counter, block, ...items));
      const x = bytesToBigint(Uint8Array.from(wide)) % group.p;
      const value = modPowPublic(x, group.cofactor, group.p);
      if (value > 1n) element = value;
    }
    assert.equal(bytesToHex(bigintToBytes(element, 512)), vector.element);
  }
});

test('hash_to_element on ed25519 (section 2.5: libsodium from_uniform, Elligator 2)', () => {
  const group = groupByName('ed25519');
  const Fp = ed25519.Point.Fp;
  const p = Fp.ORDER;
  const A = 486662n;
  const isSquare = (v) => v === 0n || Fp.pow(v, (p - 1n) / 2n) === 1n;
  const inv0 = (v) => (v === 0n ? 0n : Fp.inv(v));
  const vectors = V.hash_to_element.filter((v) => v.group === 'ed25519');
  assert.ok(vectors.length > 0);
  for (const vector of vectors) {
    const u = digest(vector.purpose, 'ed25519', ...vector.items.map(typedValue)).slice(0, 32);
    const xSign = u[31] >> 7;
    const le = Uint8Array.from(u);
    le[31] &= 0x7f;
    const r = Fp.create(bytesToBigint(le.reverse()));
    const x1 = Fp.mul(Fp.neg(A), inv0(Fp.add(1n, Fp.mul(2n, Fp.sqr(r)))));
    const gx1 = Fp.add(Fp.add(Fp.mul(Fp.sqr(x1), x1), Fp.mul(A, Fp.sqr(x1))), x1);
    const w = isSquare(gx1) ? x1 : Fp.sub(Fp.neg(x1), A);
    const y = Fp.mul(Fp.sub(w, 1n), inv0(Fp.add(w, 1n)));
    const encoding = bigintToBytes(y, 32).reverse();
    encoding[31] |= xSign << 7;
    const point = ed25519.Point.fromBytes(encoding).clearCofactor();
    assert.equal(bytesToHex(point.toBytes()), vector.element);
    void group;
  }
});

function modPowPublic(base, exponent, modulus) {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

test('g^k for fixed k', () => {
  for (const vector of V.base_exp) {
    const group = groupByName(vector.group);
    assert.equal(bytesToHex(group.baseExp(scalar(vector.exponent)).toBytes()), vector.element);
  }
});

test('ElGamal encryptions with a fixed key and nonce', () => {
  for (const vector of V.encrypt) {
    const group = groupByName(vector.group);
    const key = publicKey(group, group.decode(hexToBytes(vector.public_key)));
    assert.ok(group.baseExp(scalar(vector.secret_key)).equals(key.element));
    const ciphertext = encryptWithNonce(key, BigInt(vector.message), scalar(vector.nonce));
    assert.equal(bytesToHex(ciphertext.alpha.toBytes()), vector.alpha);
    assert.equal(bytesToHex(ciphertext.beta.toBytes()), vector.beta);
  }
});

test('Fiat–Shamir challenge with its exact hash input', () => {
  for (const vector of V.challenge) {
    const group = groupByName(vector.group);
    const context = proofContext(hexToBytes(vector.context.fingerprint), vector.context.binding.map(typedValue));
    const statement = vector.statement.map(typedValue);
    const commitments = vector.commitments.map((hex) => group.decode(hexToBytes(hex)));
    const input = encode(PROTOCOL, vector.purpose, [group.name, context.fingerprint, context.binding, statement, commitments]);
    assert.equal(bytesToHex(input), vector.hash_input);
    assert.equal(bytesToHex(bigintToBytes(challenge(group, vector.purpose, context, statement, commitments), 32)), vector.challenge);
  }
});

test('the Schnorr, Chaum–Pedersen and range proofs verify, and a changed one does not', () => {
  for (const vector of V.proofs) {
    const group = groupByName(vector.group);
    const context = proofContext(hexToBytes(vector.context.fingerprint), vector.context.binding.map(typedValue));
    const element = (hex) => group.decode(hexToBytes(hex));
    let check;
    if (vector.kind === 'schnorr') {
      check = (c) => checkSchnorr(group, vector.purpose, context, element(vector.public), { challenge: c, response: scalar(vector.response) });
      check(scalar(vector.challenge));
      assert.throws(() => check(group.reduce(scalar(vector.challenge) + 1n)), InvalidProof);
    } else if (vector.kind === 'chaum-pedersen') {
      check = (c) => checkEqualLogs(group, vector.purpose, context, element(vector.base1), element(vector.public1), element(vector.base2), element(vector.public2), { challenge: c, response: scalar(vector.response) });
      check(scalar(vector.challenge));
      assert.throws(() => check(group.reduce(scalar(vector.challenge) + 1n)), InvalidProof);
    } else {
      const key = publicKey(group, element(vector.public_key));
      const ciphertext = { alpha: element(vector.alpha), beta: element(vector.beta) };
      const branches = vector.branches.map((b) => ({ challenge: scalar(b.challenge), response: scalar(b.response) }));
      checkRange(key, vector.purpose, context, ciphertext, Number(vector.maximum), branches);
      const bad = branches.map((b, j) => (j === 0 ? { ...b, response: group.reduce(b.response + 1n) } : b));
      assert.throws(() => checkRange(key, vector.purpose, context, ciphertext, Number(vector.maximum), bad), InvalidProof);
    }
  }
});
