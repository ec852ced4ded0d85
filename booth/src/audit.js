// Benaloh audit of a spoiled ballot (docs/spec.md section 6.7; J. Benaloh, "Simple verifiable
// elections", EVT 2006): the device reveals the ballot's hash, the choices and every nonce; a
// checker re-encrypts the choices with those nonces and compares. A spoiled ballot must never
// be cast: the board refuses any ballot that reuses one of its ciphertexts' α (its marks).

import { bytesToBigint, equalBytes } from './encoding.js';
import { InvalidBallot, InvalidInput } from './errors.js';
import { b64decode, b64encode, canonicalBytes } from './json.js';
import { scalarToBytes } from './groups.js';
import { checkBallot, checkPlaintext, decodeBallot, optionsOf } from './ballot.js';
import { ciphertextEquals, encryptWithNonce } from './proofs.js';

export const AUDIT_VERSION = 1;

/** The audit's JSON object {"v", "h", "q": [{"x", "k", "r", "z"?}]}: reveals every nonce. */
export function spoilBallot(ballot, secrets) {
  return {
    v: AUDIT_VERSION,
    h: b64encode(ballot.hash),
    q: secrets.plaintext.answers.map((answer, i) => {
      const nonces = secrets.nonces[i];
      const obj = { x: [...answer.values], k: answer.blank, r: nonces.options.map((r) => b64encode(scalarToBytes(r))) };
      if (nonces.blank !== null) obj.z = b64encode(scalarToBytes(nonces.blank));
      return obj;
    }),
  };
}

export function auditBytes(audit) {
  return canonicalBytes(audit);
}

function readAudit(obj) {
  const fail = (m) => new InvalidBallot(`audit${m}`);
  if (obj === null || typeof obj !== 'object' || Object.keys(obj).sort().join() !== 'h,q,v') throw fail(': expected exactly the fields v, h, q');
  if (obj.v !== AUDIT_VERSION) throw fail('.v: expected 1');
  const hash = b64decode(obj.h, 'audit.h', 32, InvalidBallot);
  if (!Array.isArray(obj.q)) throw fail('.q: expected an array');
  const answers = [];
  const nonces = [];
  obj.q.forEach((item, index) => {
    const where = `.q[${index}]`;
    const keys = Object.keys(item ?? {}).sort().join();
    if (keys !== 'k,r,x' && keys !== 'k,r,x,z') throw fail(`${where}: expected the fields x, k, r and optionally z`);
    if (!Array.isArray(item.x) || !item.x.every((v) => Number.isSafeInteger(v) && v >= 0)) throw fail(`${where}.x: expected non-negative integers`);
    if (typeof item.k !== 'boolean') throw fail(`${where}.k: expected a boolean`);
    if (!Array.isArray(item.r) || item.r.length !== item.x.length) throw fail(`${where}.r: expected ${item.x.length} nonces`);
    answers.push({ values: item.x, blank: item.k });
    nonces.push({
      options: item.r.map((r, i) => bytesToBigint(b64decode(r, `audit${where}.r[${i}]`, 32, InvalidBallot))),
      blank: item.z === undefined ? null : bytesToBigint(b64decode(item.z, `audit${where}.z`, 32, InvalidBallot)),
    });
  });
  return { hash, plaintext: { answers }, nonces };
}

/**
 * check_audit (section 6.7): the ballot is valid (check_ballot), the audit is for it (hash),
 * the revealed choices follow the manifest, and every revealed value re-encrypted with its
 * nonce gives the ballot's ciphertext. Returns the revealed plaintext; throws InvalidBallot
 * naming the question and option otherwise. `ballot` is the ballot's JSON object.
 */
export function checkAudit(election, ballot, audit) {
  const decoded = decodeBallot(election, ballot);
  checkBallot(election, decoded);
  const revealed = readAudit(audit);
  if (!equalBytes(revealed.hash, decoded.hash)) throw new InvalidBallot('audit: the revealed data is for another ballot (hash differs)');
  const questions = election.manifest.questions;
  if (revealed.plaintext.answers.length !== questions.length) throw new InvalidBallot(`audit: expected ${questions.length} revealed questions`);
  try {
    checkPlaintext(election.manifest, revealed.plaintext);
  } catch (error) {
    throw new InvalidBallot(`audit: the revealed choices break the manifest's rules: ${error.message}`);
  }
  const key = election.publicKey;
  questions.forEach((question, index) => {
    const where = `audit: question ${JSON.stringify(question.id)}`;
    const answer = revealed.plaintext.answers[index];
    const nonces = revealed.nonces[index];
    const encrypted = decoded.questions[index];
    if (answer.values.length !== optionsOf(question).length) throw new InvalidBallot(`${where}: expected ${optionsOf(question).length} revealed options`);
    const pairs = encrypted.options.map((option, i) => [`option ${i}`, option, answer.values[i], nonces.options[i]]);
    if (encrypted.blank) pairs.push(['blank', encrypted.blank, answer.blank ? 1 : 0, nonces.blank]);
    for (const [name, option, value, nonce] of pairs) {
      if (nonce === null || nonce === undefined) throw new InvalidBallot(`${where}, ${name}: nonce missing`);
      let expected;
      try {
        expected = encryptWithNonce(key, BigInt(value), nonce);
      } catch (error) {
        if (error instanceof InvalidInput) throw new InvalidBallot(`${where}, ${name}: ${error.message}`);
        throw error;
      }
      if (!ciphertextEquals(expected, option.ciphertext)) throw new InvalidBallot(`${where}, ${name}: the revealed choice ${value} does not match the ciphertext`);
    }
  });
  return revealed.plaintext;
}
