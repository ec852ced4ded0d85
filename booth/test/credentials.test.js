// tests/vectors/credentials.json (docs/spec.md section 7) and the code reader's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  b64decode, bytesToHex, checkSignature, checkSymbol, CredentialKey, credentialListDigest,
  deriveCredentialSecret, groupByName, hexToBytes, InvalidCredential, InvalidSignature, kdfInfo,
  messageDigest, parseCredentialCode, replayingRandom, signMessage,
} from '../src/index.js';
import { bigintToBytes } from '../src/encoding.js';
import { b64encode } from '../src/json.js';
import { loadVectors, scalar } from './vectors.js';

const V = loadVectors('credentials.json');

test('check symbols', () => {
  for (const vector of V.check_symbols) {
    assert.equal(parseCredentialCode(vector.data + checkSymbol(vector.data)), vector.code);
  }
});

for (const name of ['ed25519', 'modp4096']) {
  const group = groupByName(name);
  const vectors = V.groups[name];

  test(`${name}: derivations (KDF info, secret, public credential)`, () => {
    for (const vector of vectors.derivations) {
      assert.equal(bytesToHex(kdfInfo(group, vector.election_id)), vector.kdf_info);
      const secret = deriveCredentialSecret(group, vector.election_id, vector.code);
      assert.equal(bytesToHex(bigintToBytes(secret, 32)), vector.secret);
      const key = CredentialKey.derive(group, vector.election_id, vector.code.toLowerCase().replaceAll('0', 'o'));
      assert.equal(bytesToHex(key.public.toBytes()), vector.public);
    }
  });

  test(`${name}: the signature with its nonce, byte for byte, and its check`, () => {
    const vector = vectors.signature;
    const key = CredentialKey.derive(group, vector.election_id, vector.code);
    const message = hexToBytes(vector.message);
    const fingerprint = hexToBytes(vector.fingerprint);
    assert.equal(bytesToHex(messageDigest(message)), vector.message_digest);
    assert.equal(bytesToHex(group.baseExp(scalar(vector.nonce)).toBytes()), vector.commitment);
    const signature = signMessage(group, key, fingerprint, message, replayingRandom([scalar(vector.nonce)]));
    assert.deepEqual([b64encode(bigintToBytes(signature.challenge, 32)), b64encode(bigintToBytes(signature.response, 32))], vector.signature);
    checkSignature(group, key.public, fingerprint, message, signature);
    const fresh = signMessage(group, key, fingerprint, message);
    checkSignature(group, key.public, fingerprint, message, fresh);
    assert.throws(() => checkSignature(group, key.public, fingerprint, Uint8Array.of(...message, 0), fresh), InvalidSignature);
  });

  test(`${name}: the credential list digest`, () => {
    const vector = vectors.list;
    assert.equal(bytesToHex(credentialListDigest(group, vector.json)), vector.digest);
    const publics = vector.codes.map((code) => b64encode(CredentialKey.derive(group, vector.election_id, code).public.toBytes()));
    assert.deepEqual(new Set(publics), new Set(vector.json.entries.map((e) => e.public)));
    void b64decode;
  });
}

test('a typed code: spaces, any dash, case and Crockford aliases are forgiven', () => {
  assert.equal(parseCredentialCode(' 0I234 56789—abcde‐fghjt\t'), '01234-56789-ABCDE-FGHJT');
  assert.equal(parseCredentialCode('o1234-56789-ABCDE-FGHJT'), '01234-56789-ABCDE-FGHJT');
  assert.equal(parseCredentialCode('0l234\u3000 56789ABCDEFGHJT'), '01234-56789-ABCDE-FGHJT');
});

test('a typed code: every single substitution and every transposition is caught', () => {
  const code = '0123456789ABCDEFGHJT';
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  for (let i = 0; i < code.length; i++) {
    for (const c of alphabet) {
      if (c === code[i]) continue;
      const typo = code.slice(0, i) + c + code.slice(i + 1);
      assert.throws(() => parseCredentialCode(typo), (e) => e instanceof InvalidCredential && e.reason === 'check');
    }
    for (let j = i + 1; j < code.length; j++) {
      if (code[i] === code[j]) continue;
      const chars = [...code];
      [chars[i], chars[j]] = [chars[j], chars[i]];
      assert.throws(() => parseCredentialCode(chars.join('')), /check character does not match/);
    }
  }
});

test('a typed code: a letter outside the alphabet, a missing or extra character', () => {
  assert.throws(() => parseCredentialCode('01234-567U9-ABCDE-FGHJT'), {
    message: "credential: character 'U' at position 10 (group 2) is not allowed; a credential has only digits and the letters A-Z without I, L, O, U",
  });
  assert.throws(() => parseCredentialCode('01234-56789-ABCDE-FGHJ'), {
    message: 'credential: 19 letters and digits, expected 20 (4 groups of 5); a character is missing',
  });
  assert.throws(() => parseCredentialCode('01234-56789-ABCDE-FGHJTT'), /a character is extra/);
  assert.throws(() => parseCredentialCode('0'.repeat(201)), InvalidCredential);
  assert.throws(() => parseCredentialCode('01234-56789-ABCDE-FGHJ\ufeffT'), /character '\ufeff' at position 23/);
});
