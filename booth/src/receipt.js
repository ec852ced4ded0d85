// Signed receipts (docs/spec.md section 10.5) and the board's Ed25519 signatures, verified by
// the rules of section 3.5 exactly: libsodium's crypto_sign_verify_detached, which is the
// cofactorless equation compared on encodings, with R and A not of small order. @noble/curves'
// own `verify` is cofactored (it would accept some signatures evote refuses), so the equation
// is written here on @noble/curves' points; no curve arithmetic is home-made.

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToBigint, concatBytes, digest32, equalBytes, hexToBytes, Purpose } from './encoding.js';
import { InvalidInput, InvalidSignature } from './errors.js';
import { b64decode } from './json.js';

const Point = ed25519.Point;
const P = 2n ** 255n - 19n;
const L = Point.Fn.ORDER;

function littleEndian(bytes) {
  return bytesToBigint(Uint8Array.from(bytes).reverse());
}

const ORDER_8_Y = [
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map((hex) => littleEndian(hexToBytes(hex)) & (2n ** 255n - 1n));
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, P, P + 1n, ...ORDER_8_Y]);

/** libsodium's ge25519_has_small_order, on the encoding: y (sign bit ignored) in the list. */
function hasSmallOrderEncoding(bytes) {
  return SMALL_ORDER_Y.has(littleEndian(bytes) & (2n ** 255n - 1n));
}

/** true iff `signature` on `message` verifies under `publicKey` by the rules of section 3.5. */
export function ed25519Verify(signature, message, publicKey) {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  const R = signature.slice(0, 32);
  const S = littleEndian(signature.slice(32));
  if (S >= L) return false;
  if (hasSmallOrderEncoding(R)) return false;
  if (hasSmallOrderEncoding(publicKey)) return false;
  let A;
  try {
    A = Point.fromBytes(publicKey, false); // canonical (y < p), on the curve
  } catch {
    return false;
  }
  const h = littleEndian(sha512(concatBytes(R, publicKey, message))) % L;
  const SB = S === 0n ? Point.ZERO : Point.BASE.multiply(S);
  const hA = h === 0n ? Point.ZERO : A.multiplyUnsafe(h);
  return equalBytes(SB.subtract(hA).toBytes(), R);
}

const FIELDS = ['ballot_hash', 'chain_hash', 'election_id', 'kind', 'position', 'signature', 'tracking_code', 'version'];

/** Strictly read a receipt's JSON object (Receipt.from_json_obj); the signature is not checked. */
export function readReceipt(obj, where = 'receipt') {
  if (obj === null || typeof obj !== 'object' || Object.keys(obj).sort().join() !== FIELDS.join()) {
    throw new InvalidInput(`${where}: expected exactly the fields ${FIELDS.join(', ')}`);
  }
  if (obj.kind !== 'board-receipt') throw new InvalidInput(`${where}.kind: expected "board-receipt"`);
  if (obj.version !== 1) throw new InvalidInput(`${where}.version: expected 1`);
  if (typeof obj.election_id !== 'string') throw new InvalidInput(`${where}.election_id: expected text`);
  if (!Number.isSafeInteger(obj.position) || obj.position < 1) throw new InvalidInput(`${where}.position: expected an integer >= 1`);
  if (typeof obj.tracking_code !== 'string' || obj.tracking_code.length > 64) throw new InvalidInput(`${where}.tracking_code: expected text`);
  return {
    electionId: obj.election_id,
    position: obj.position,
    trackingCode: obj.tracking_code,
    chainHash: b64decode(obj.chain_hash, `${where}.chain_hash`, 32),
    ballotHash: b64decode(obj.ballot_hash, `${where}.ballot_hash`, 32),
    signature: b64decode(obj.signature, `${where}.signature`, 64),
  };
}

/** digest32(BOARD_RECEIPT, election_id, position, chain_hash, tracking_code, ballot_hash). */
export function receiptMessage(receipt) {
  return digest32(Purpose.BOARD_RECEIPT, receipt.electionId, receipt.position, receipt.chainHash, receipt.trackingCode, receipt.ballotHash);
}

/**
 * Check a receipt's JSON object against the election's board key (32 bytes, from the
 * election, never from the receipt's sender) and, when given, against the ballot cast (its
 * hash and tracking code and the election id). Returns the read receipt; throws
 * InvalidSignature or InvalidInput.
 */
export function checkReceipt(obj, boardKey, expected = {}) {
  const receipt = readReceipt(obj);
  const where = `receipt ${receipt.trackingCode} (position ${receipt.position})`;
  if (!ed25519Verify(receipt.signature, receiptMessage(receipt), boardKey)) {
    throw new InvalidSignature(`${where}: this receipt was not signed by this election's board key`);
  }
  if (expected.electionId !== undefined && expected.electionId !== receipt.electionId) {
    throw new InvalidInput(`${where}: for election ${JSON.stringify(receipt.electionId)}, not ${JSON.stringify(expected.electionId)}`);
  }
  if (expected.ballotHash !== undefined && !equalBytes(expected.ballotHash, receipt.ballotHash)) {
    throw new InvalidInput(`${where}: names another ballot than the one cast (ballot hash differs)`);
  }
  if (expected.trackingCode !== undefined && expected.trackingCode !== receipt.trackingCode) {
    throw new InvalidInput(`${where}: names another tracking code than the ballot cast's (${expected.trackingCode})`);
  }
  return receipt;
}
