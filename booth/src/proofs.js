// Sigma proofs made non-interactive by the strong Fiat–Shamir transform (docs/spec.md section 4):
// Schnorr (4.2, for the credential signature), the disjunctive range proof for [0, L] (4.4:
// Cramer, Damgård, Schoenmakers, CRYPTO 1994, as in Cramer, Gennaro, Schoenmakers, EUROCRYPT
// 1997), the interval proof by bits (4.5: Mao, PKC 1998; Boudot, EUROCRYPT 2000, section 1.2),
// hedged nonces (4.6). Every challenge hashes the domain tag, the group, the election
// fingerprint, the binding, the whole statement and the commitments (Bernhard, Pereira,
// Warinschi, "How not to prove yourself", ASIACRYPT 2012).

import { bigintToBytes, Purpose } from './encoding.js';
import { InvalidInput, InvalidProof, InvalidScalar } from './errors.js';
import { systemRandom } from './random.js';

/** An election public key K with a fixed-base table for K^x. */
export function publicKey(group, element) {
  return { group, element, table: group.table(element) };
}

/** (fingerprint, binding): what pins a proof to its election and place. */
export function proofContext(fingerprint, binding = []) {
  return {
    fingerprint,
    binding,
    extend: (...items) => proofContext(fingerprint, [...binding, ...items]),
  };
}

/** c = hash_to_scalar_G(P, fingerprint, [binding...], [statement...], [commitments...]). */
export function challenge(group, purpose, context, statement, commitments) {
  return group.hashToScalar(purpose, context.fingerprint, context.binding, statement, commitments);
}

function checkProofScalars(group, proof, where) {
  try {
    group.checkScalar(proof.challenge, `${where}.challenge`);
    group.checkScalar(proof.response, `${where}.response`);
  } catch (error) {
    if (error instanceof InvalidScalar) throw new InvalidProof(error.message);
    throw error;
  }
}

/**
 * The hedged nonce of section 4.6: hash_to_scalar_G(nonce, P, fingerprint, [binding...],
 * [statement...], BE(x, 32), z) with z 32 fresh random bytes; drawn again if it is 0.
 */
export function hedgedNonce(group, purpose, context, secret, statement, rng = systemRandom) {
  if (rng.replaysHedgedNonces) return rng.scalar(group);
  const secretBytes = bigintToBytes(group.reduce(secret), 32);
  for (;;) {
    const nonce = group.hashToScalar(
      Purpose.NONCE, purpose, context.fingerprint, context.binding, statement, secretBytes, rng.bytes(32),
    );
    if (nonce !== 0n) return nonce;
  }
}

/** Schnorr proof of knowledge of x with X = g^x (section 4.2), hedged nonce. */
export function proveSchnorr(group, purpose, context, secret, pub, rng = systemRandom) {
  const statement = [group.generator, pub];
  const w = hedgedNonce(group, purpose, context, secret, statement, rng);
  const commitment = group.baseExp(w);
  const c = challenge(group, purpose, context, statement, [commitment]);
  return { challenge: c, response: group.reduce(w - c * secret) };
}

export function checkSchnorr(group, purpose, context, pub, proof, where = 'proof') {
  checkProofScalars(group, proof, where);
  const commitment = group.baseExp(proof.response).mul(pub.exp(proof.challenge));
  const expected = challenge(group, purpose, context, [group.generator, pub], [commitment]);
  if (expected !== proof.challenge) throw new InvalidProof(`${where}: Schnorr proof does not verify`);
}

function rangeStatement(key, ciphertext, maximum) {
  return [key.group.generator, key.element, ciphertext.alpha, ciphertext.beta, BigInt(maximum)];
}

/**
 * Prove that `ciphertext` = Enc(value; nonce) with value in [0, maximum] (section 4.4). Draws
 * w, then (c_j, v_j) for every simulated branch j in increasing order. Every branch runs the
 * same group operations (section 4.1): the real one computes K^w · g^0 like the simulated
 * K^(v_j + r·c_j) · g^((m − j)·c_j), through mulBaseExp.
 */
export function proveRange(key, purpose, context, ciphertext, value, nonce, maximum, rng = systemRandom) {
  const group = key.group;
  const m = BigInt(value);
  const L = BigInt(maximum);
  if (m < 0n || m > L) throw new InvalidInput(`value ${value} is outside [0, ${maximum}]: it cannot be proven`);
  const branches = [];
  const commitments = [];
  const realNonce = rng.scalar(group);
  for (let j = 0n; j <= L; j++) {
    let cj;
    let exponent;
    if (j === m) {
      cj = 0n;
      exponent = realNonce;
      branches.push([0n, 0n]);
    } else {
      cj = rng.scalar(group);
      const vj = rng.scalar(group);
      exponent = group.reduce(vj + nonce * cj);
      branches.push([cj, vj]);
    }
    commitments.push(group.baseExp(exponent), group.mulBaseExp(key.table.exp(exponent), (m - j) * cj));
  }
  const c = challenge(group, purpose, context, rangeStatement(key, ciphertext, maximum), commitments);
  const cReal = group.reduce(c - branches.reduce((sum, [cj]) => sum + cj, 0n));
  branches[Number(m)] = [cReal, group.reduce(realNonce - cReal * nonce)];
  return branches.map(([cj, vj]) => ({ challenge: cj, response: vj }));
}

/** Verify that `ciphertext` encrypts a value in [0, maximum] (section 4.4). */
export function checkRange(key, purpose, context, ciphertext, maximum, proof, where = 'proof') {
  const group = key.group;
  if (proof.length !== maximum + 1) {
    throw new InvalidProof(`${where}: expected ${maximum + 1} branches for [0, ${maximum}], got ${proof.length}`);
  }
  proof.forEach((branch, j) => checkProofScalars(group, branch, `${where}.branches[${j}]`));
  const commitments = [];
  proof.forEach((branch, j) => {
    const a = group.baseExp(branch.response).mul(ciphertext.alpha.exp(branch.challenge));
    const b = key.table.exp(branch.response).mul(ciphertext.beta.exp(branch.challenge))
      .mul(group.baseExp(-BigInt(j) * branch.challenge));
    commitments.push(a, b);
  });
  const expected = challenge(group, purpose, context, rangeStatement(key, ciphertext, maximum), commitments);
  const total = group.reduce(proof.reduce((sum, branch) => sum + branch.challenge, 0n));
  if (total !== expected) throw new InvalidProof(`${where}: range proof for [0, ${maximum}] does not verify`);
}

/**
 * Exponential ElGamal with a given nonce (section 4.1): (g^r, g^m · K^r). With the public bound
 * of m below 16 (a 0/1 choice, a small score), g^m comes from a constant-time table; otherwise
 * as g^(m+1)·g^−1. Either way the same operations run for every m within the bound.
 */
export function encryptWithNonce(key, message, nonce, bound = undefined) {
  const group = key.group;
  if (nonce < 0n || nonce >= group.order) throw new InvalidInput('nonce out of range [0, order)');
  const m = BigInt(message);
  const masked = key.table.exp(nonce);
  const small = bound !== undefined && bound < 16;
  if (small && (m < 0n || m > BigInt(bound))) throw new InvalidInput(`message ${m} is outside [0, ${bound}]`);
  const beta = small ? masked.mul(group.smallBasePower(m, bound)) : group.mulBaseExp(masked, m, 1n);
  return { alpha: group.baseExp(nonce), beta };
}

export function ciphertextEquals(a, b) {
  return a.alpha.equals(b.alpha) && a.beta.equals(b.beta);
}

/** Π C_i: encrypts the sum, nonce the sum of nonces. */
export function homomorphicSum(group, ciphertexts) {
  let alpha = group.identity;
  let beta = group.identity;
  for (const c of ciphertexts) {
    alpha = alpha.mul(c.alpha);
    beta = beta.mul(c.beta);
  }
  return { alpha, beta };
}

/** Π C_i^(w_i): encrypts Σ w_i·m_i. */
export function weightedSum(group, weights, ciphertexts) {
  let alpha = group.identity;
  let beta = group.identity;
  weights.forEach((w, i) => {
    alpha = alpha.mul(ciphertexts[i].alpha.exp(BigInt(w)));
    beta = beta.mul(ciphertexts[i].beta.exp(BigInt(w)));
  });
  return { alpha, beta };
}

// -- interval proof by bits (section 4.5) -----------------------------------------------------

/** k: the number of bits of each side (at least 1). */
export function bitCount(lower, upper) {
  const width = BigInt(upper) - BigInt(lower);
  if (width < 0n) throw new InvalidInput(`empty interval [${lower}, ${upper}]`);
  return Math.max(1, width === 0n ? 0 : width.toString(2).length);
}

function proveSide(key, purpose, context, value, nonce, bits, rng) {
  const group = key.group;
  const q = group.order;
  const nonces = [];
  for (let i = 0; i < bits - 1; i++) nonces.push(rng.scalar(group));
  const partial = nonces.reduce((sum, r, i) => sum + (r << BigInt(i)), 0n);
  const inverse = modInverse((1n << BigInt(bits - 1)) % q, q);
  nonces.push(group.reduce((nonce - partial) * inverse));
  const side = { bits: [], proofs: [] };
  nonces.forEach((r, i) => {
    const bit = (value >> BigInt(i)) & 1n;
    const ciphertext = encryptWithNonce(key, bit, r, 1);
    side.bits.push(ciphertext);
    side.proofs.push(proveRange(key, purpose, context.extend('bit', BigInt(i)), ciphertext, bit, r, 1, rng));
  });
  return side;
}

function modInverse(a, m) {
  // Extended Euclid on public values (powers of two modulo q).
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new InvalidInput('no inverse');
  return ((oldS % m) + m) % m;
}

/** Prove that `ciphertext` = Enc(value; nonce) with lower ≤ value ≤ upper (section 4.5). */
export function proveInterval(key, purpose, context, ciphertext, value, nonce, lower, upper, rng = systemRandom) {
  const [v, lo, hi] = [BigInt(value), BigInt(lower), BigInt(upper)];
  if (v < lo || v > hi) throw new InvalidInput(`value ${value} is outside [${lower}, ${upper}]: it cannot be proven`);
  const bits = bitCount(lo, hi);
  const q = key.group.order;
  return {
    above: proveSide(key, purpose, context.extend('above', lo), v - lo, nonce, bits, rng),
    below: proveSide(key, purpose, context.extend('below', hi), hi - v, ((-nonce % q) + q) % q, bits, rng),
  };
}

function recombine(group, bits) {
  let alpha = group.identity;
  let beta = group.identity;
  for (let i = bits.length - 1; i >= 0; i--) {
    alpha = alpha.mul(alpha).mul(bits[i].alpha);
    beta = beta.mul(beta).mul(bits[i].beta);
  }
  return { alpha, beta };
}

function checkSide(key, purpose, context, target, side, bits, where) {
  if (side.bits.length !== bits || side.proofs.length !== bits) {
    throw new InvalidProof(`${where}: expected ${bits} encrypted bits and proofs`);
  }
  if (!ciphertextEquals(recombine(key.group, side.bits), target)) {
    throw new InvalidProof(`${where}: the encrypted bits do not recombine into the ciphertext`);
  }
  side.bits.forEach((bit, i) => {
    checkRange(key, purpose, context.extend('bit', BigInt(i)), bit, 1, side.proofs[i], `${where}.bits[${i}]`);
  });
}

/** Verify that `ciphertext` encrypts a value in [lower, upper] (section 4.5). */
export function checkInterval(key, purpose, context, ciphertext, lower, upper, proof, where = 'proof') {
  const group = key.group;
  const [lo, hi] = [BigInt(lower), BigInt(upper)];
  const bits = bitCount(lo, hi);
  if (bits + 2 >= group.order.toString(2).length) {
    throw new InvalidInput(`interval [${lower}, ${upper}] is too wide for the group`);
  }
  const above = { alpha: ciphertext.alpha, beta: ciphertext.beta.mul(group.baseExp(-lo)) };
  const below = { alpha: ciphertext.alpha.inverse(), beta: group.baseExp(hi).div(ciphertext.beta) };
  checkSide(key, purpose, context.extend('above', lo), above, proof.above, bits, `${where}.above_lower`);
  checkSide(key, purpose, context.extend('below', hi), below, proof.below, bits, `${where}.below_upper`);
}

/** Verify a Chaum–Pedersen proof that log_base1(public1) = log_base2(public2) (section 4.3). */
export function checkEqualLogs(group, purpose, context, base1, public1, base2, public2, proof, where = 'proof') {
  checkProofScalars(group, proof, where);
  const commitments = [
    base1.exp(proof.response).mul(public1.exp(proof.challenge)),
    base2.exp(proof.response).mul(public2.exp(proof.challenge)),
  ];
  const expected = challenge(group, purpose, context, [base1, public1, base2, public2], commitments);
  if (expected !== proof.challenge) throw new InvalidProof(`${where}: Chaum–Pedersen proof does not verify`);
}
