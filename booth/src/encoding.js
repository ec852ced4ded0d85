// The injective, typed encoding of hash inputs and domain-separated SHA-512 (docs/spec.md
// sections 2.1 to 2.4). Values: Uint8Array (byte string), string (text), bigint or integral
// number (integer), an object with `toBytes()` marked `isElement` (group element), Array (list),
// boolean, null (none).

import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidInput } from './errors.js';

export const PROTOCOL = 'evote/1';

/** Domain tags (docs/spec.md section 2.3): the values of evote.crypto.hashing.Purpose. */
export const Purpose = Object.freeze({
  KEY_PROOF: 'key-proof',
  SCHNORR: 'schnorr',
  CHAUM_PEDERSEN: 'chaum-pedersen',
  OPTION_PROOF: 'option-proof',
  SUM_PROOF: 'sum-proof',
  BUDGET_PROOF: 'budget-proof',
  DECRYPTION_PROOF: 'decryption-proof',
  CREDENTIAL_SIGNATURE: 'credential-signature',
  CREDENTIAL_KDF: 'credential-kdf',
  CREDENTIAL_LIST: 'credential-list',
  MANIFEST: 'manifest',
  FINGERPRINT: 'fingerprint',
  BALLOT: 'ballot',
  BOARD_LINK: 'board-link',
  BOARD_PAYLOAD: 'board-payload',
  BOARD_CHECKPOINT: 'board-checkpoint',
  BOARD_RECEIPT: 'board-receipt',
  NONCE: 'nonce',
  GENERATOR: 'generator',
  TEST: 'test',
});

const TAG_BYTES = 0x01;
const TAG_STR = 0x02;
const TAG_INT = 0x03;
const TAG_ELEMENT = 0x04;
const TAG_LIST = 0x05;
const TAG_BOOL = 0x06;
const TAG_NONE = 0x07;
const MAX_LENGTH = 2 ** 32 - 1;

const utf8 = new TextEncoder();

/** A growable byte buffer. */
class Buffer {
  constructor() {
    this.bytes = new Uint8Array(1024);
    this.length = 0;
  }
  reserve(n) {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  byte(b) {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }
  u32(n) {
    if (n > MAX_LENGTH) throw new InvalidInput(`value of length ${n} is too long to encode`);
    this.reserve(4);
    this.bytes[this.length++] = (n >>> 24) & 0xff;
    this.bytes[this.length++] = (n >>> 16) & 0xff;
    this.bytes[this.length++] = (n >>> 8) & 0xff;
    this.bytes[this.length++] = n & 0xff;
  }
  append(raw) {
    this.reserve(raw.length);
    this.bytes.set(raw, this.length);
    this.length += raw.length;
  }
  result() {
    return this.bytes.slice(0, this.length);
  }
}

/** The minimal big-endian bytes of a non-negative bigint (zero: empty). */
export function bigintToMinimalBytes(n) {
  if (n === 0n) return new Uint8Array(0);
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return hexToBytes(hex);
}

/** BE(n, size): fixed-size big-endian bytes. */
export function bigintToBytes(n, size) {
  if (n < 0n) throw new InvalidInput('negative integer has no unsigned encoding');
  const hex = n.toString(16).padStart(size * 2, '0');
  if (hex.length > size * 2) throw new InvalidInput(`integer does not fit in ${size} bytes`);
  return hexToBytes(hex);
}

/** The integer a big-endian byte string holds. */
export function bytesToBigint(bytes) {
  if (bytes.length === 0) return 0n;
  return BigInt('0x' + bytesToHex(bytes));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes) {
  let out = '';
  for (const b of bytes) out += HEX[b];
  return out;
}

export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 || /[^0-9a-fA-F]/.test(hex)) {
    throw new InvalidInput('not a hexadecimal byte string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** UTF-8 of a text; a lone surrogate has none and is refused (docs/spec.md section 2.1). */
export function utf8Bytes(text) {
  if (!text.isWellFormed()) {
    throw new InvalidInput('text with a lone surrogate cannot be encoded as UTF-8');
  }
  return utf8.encode(text);
}

function encodeInto(value, out) {
  if (typeof value === 'boolean') {
    out.byte(TAG_BOOL);
    out.byte(value ? 1 : 0);
  } else if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
    const number = BigInt(value);
    const raw = bigintToMinimalBytes(number < 0n ? -number : number);
    out.byte(TAG_INT);
    out.byte(number < 0n ? 1 : 0);
    out.u32(raw.length);
    out.append(raw);
  } else if (value instanceof Uint8Array) {
    out.byte(TAG_BYTES);
    out.u32(value.length);
    out.append(value);
  } else if (typeof value === 'string') {
    const raw = utf8Bytes(value);
    out.byte(TAG_STR);
    out.u32(raw.length);
    out.append(raw);
  } else if (value === null) {
    out.byte(TAG_NONE);
  } else if (Array.isArray(value)) {
    out.byte(TAG_LIST);
    out.u32(value.length);
    for (const item of value) encodeInto(item, out);
  } else if (value && value.isElement === true) {
    const raw = value.toBytes();
    out.byte(TAG_ELEMENT);
    out.u32(raw.length);
    out.append(raw);
  } else {
    throw new InvalidInput(`cannot encode a value of type ${typeof value}`);
  }
}

/** encode(v1, ..., vn): the encoding of the list [v1, ..., vn]. */
export function encode(...values) {
  const out = new Buffer();
  encodeInto(values, out);
  return out.result();
}

/** SHA-512(encode(PROTOCOL, purpose, [items...])): 64 bytes. */
export function digest(purpose, ...items) {
  return sha512(encode(PROTOCOL, purpose, items));
}

/** The first 32 bytes of digest(). */
export function digest32(purpose, ...items) {
  return digest(purpose, ...items).slice(0, 32);
}

/** int_BE(digest(purpose, items...)) mod modulus (docs/spec.md section 2.4). */
export function hashToIntMod(modulus, purpose, ...items) {
  return bytesToBigint(digest(purpose, ...items)) % modulus;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
