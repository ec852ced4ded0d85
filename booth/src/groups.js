// The two groups of docs/spec.md section 3, behind one interface. ed25519: the prime-order
// subgroup of edwards25519 through @noble/curves (never home-made curve arithmetic).
// modp4096: the order-q subgroup of Z_p^* (ElectionGuard 2.0 baseline parameters) with BigInt.
//
// Side channels (docs/threat-model.md: the voter's device is trusted, and its side channels
// other than the operation count of row C12 are out of scope). @noble/curves' `multiply` is
// constant time (it always runs the same additions, with fake points for zero windows). BigInt
// arithmetic is not constant time: V8's multiplication and division take time that depends on
// the operands' lengths, and the fixed-base tables below are read at positions given by the
// exponent's bytes, so a script co-located in the same browser that measures cache or timing
// could learn about the voter's nonces (hence the vote) on modp4096. This is the exposure that
// docs/spec.md section 3.3 already states for evote's own modp4096 comb, and it is accepted on
// the same ground: the threat model keeps the voter's device honest and leaves its side
// channels out of scope; no maintained constant-time bignum library exists for the browser.
// What row C12 asks is kept: the same sequence of operations, on operands of the same size,
// runs for every choice (the table has an entry for a zero byte, which is multiplied in like
// any other: no byte is skipped). ed25519 is the default group and the one to use in a browser.

import { ed25519 } from '@noble/curves/ed25519.js';
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import {
  bigintToBytes,
  bytesToBigint,
  bytesToHex,
  digest,
  equalBytes,
  hexToBytes,
} from './encoding.js';
import { InvalidGroupElement, InvalidInput, InvalidScalar } from './errors.js';

/** R of docs/spec.md section 4.1: the 32-byte scalar whose every byte is 0x80, mod q. */
const OFFSET_BYTES = new Uint8Array(32).fill(0x80);

const SMALL_POWERS = 16;

/** A group element: immutable, with its canonical encoding cached. */
export class Element {
  constructor(group, value) {
    this.group = group;
    this.value = value;
    this._bytes = null;
  }
  get isElement() {
    return true;
  }
  toBytes() {
    if (this._bytes === null) this._bytes = this.group._encode(this.value);
    return this._bytes;
  }
  mul(other) {
    this.group._same(other);
    return new Element(this.group, this.group._mul(this.value, other.value));
  }
  inverse() {
    return new Element(this.group, this.group._inverse(this.value));
  }
  div(other) {
    return this.mul(other.inverse());
  }
  /** this^k for a public exponent (reduced mod q). */
  exp(k) {
    return this.group.exp(this, k);
  }
  equals(other) {
    return other instanceof Element && other.group === this.group &&
      equalBytes(this.toBytes(), other.toBytes());
  }
}

class GroupBase {
  /** k mod q, as a scalar. */
  reduce(k) {
    const r = BigInt(k) % this.order;
    return r < 0n ? r + this.order : r;
  }
  checkScalar(value, where = 'scalar') {
    if (typeof value !== 'bigint') throw new InvalidScalar(`${where}: expected an integer`);
    if (value < 0n || value >= this.order) {
      throw new InvalidScalar(`${where}: not in [0, order)`);
    }
    return value;
  }
  static scalarToBytes(k) {
    return bigintToBytes(k, 32);
  }
  scalarFromBytes(bytes, where = 'scalar') {
    if (bytes.length !== 32) throw new InvalidScalar(`${where}: expected 32 bytes`);
    return this.checkScalar(bytesToBigint(bytes), where);
  }
  _same(other) {
    if (!(other instanceof Element) || other.group !== this) {
      throw new InvalidGroupElement(`element of another group used in ${this.name}`);
    }
  }
  /** decode, but the identity's encoding gives the identity (values computed, not received). */
  decodeOrIdentity(bytes, where = 'element') {
    if (equalBytes(bytes, this.identity.toBytes())) return this.identity;
    return this.decode(bytes, where);
  }
  /** Compute the encodings of the elements in `items` ahead (ed25519: one shared inversion). */
  prepareEncodings(items) {
    void items;
  }
  /** hash_to_scalar_G (section 2.4). */
  hashToScalar(purpose, ...items) {
    this.prepareEncodings(items);
    return bytesToBigint(digest(purpose, this.name, ...items)) % this.order;
  }
  /**
   * X · g^e computed as (X · g^(e + R)) · g^(−R) (docs/spec.md section 4.1): the same
   * operations for every e, the vote-dependent exponents included.
   */
  mulBaseExp(x, e, offset = this.offset) {
    const shifted = this.baseExp(this.reduce(BigInt(e) + offset));
    return x.mul(shifted).mul(this._negOffset(offset));
  }
  /**
   * g^m for a small vote value m ≤ bound < 16 (public bound), read from a table of g^0..g^15 by
   * a scan of every entry: the constant-time table that docs/spec.md section 4.1 allows, one
   * multiplication instead of an exponentiation. g^0 is the identity, which the curve's
   * complete addition (and modular multiplication) handle at the same cost as any entry.
   */
  smallBasePower(m, bound) {
    if (!(bound >= 0 && bound < SMALL_POWERS)) throw new InvalidInput('small power: bound out of range');
    if (!this._smallPowers) {
      const powers = [this.identity];
      for (let i = 1; i < SMALL_POWERS; i++) powers.push(powers[i - 1].mul(this.generator));
      this._smallPowers = powers;
    }
    const wanted = Number(m);
    let selected = this._smallPowers[0];
    for (let i = 1; i < SMALL_POWERS; i++) selected = i === wanted ? this._smallPowers[i] : selected;
    return selected;
  }
  _negOffset(offset) {
    this._negOffsets ??= new Map();
    let value = this._negOffsets.get(offset);
    if (value === undefined) {
      value = this.baseExp(this.reduce(-offset));
      this._negOffsets.set(offset, value);
    }
    return value;
  }
  get offset() {
    this._offset ??= this.reduce(bytesToBigint(OFFSET_BYTES));
    return this._offset;
  }
}

// -- ed25519 ----------------------------------------------------------------------------------

const Point = ed25519.Point;

class Ed25519Group extends GroupBase {
  constructor() {
    super();
    this.name = 'ed25519';
    this.order = Point.Fn.ORDER;
    this.elementSize = 32;
    this.generator = new Element(this, Point.BASE);
    this.identity = new Element(this, Point.ZERO);
    // g^k is most of a ballot's work: a copy of the base point with an 8-bit window table
    // (the library's BASE has 6) and constant-time multiplication without the library's extra
    // scalar blinding of BASE (k + b·L with a 128-bit b: 1.5 times the work). Blinding defends
    // against power and electromagnetic side channels, which the threat model leaves out for
    // the voter's device; the constant-time window scan, the part row C12 needs, stays.
    this._base = Point.fromAffine(Point.BASE.toAffine()).precompute(8, false);
  }
  prepareEncodings(items) {
    const pending = [];
    const visit = (value) => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value instanceof Element && value._bytes === null && !value.value.is0()) pending.push(value);
    };
    visit(items);
    if (pending.length < 2) return;
    // Batch affine conversion (Montgomery's trick): the encodings are those of toBytes().
    const affine = normalizeZ(Point, pending.map((element) => element.value));
    pending.forEach((element, i) => {
      element._bytes = affine[i].toBytes();
    });
  }
  _encode(point) {
    return point.toBytes();
  }
  _mul(a, b) {
    return a.add(b);
  }
  _inverse(a) {
    return a.negate();
  }
  /**
   * Section 3.1: exactly 32 bytes, canonical (y < p), on the curve (x = 0 with the sign bit
   * set refused), not of small order, in the prime-order subgroup.
   */
  decode(bytes, where = 'element') {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
      throw new InvalidGroupElement(`${where}: expected 32 bytes`);
    }
    let point;
    try {
      point = Point.fromBytes(bytes, false);
    } catch {
      throw new InvalidGroupElement(`${where}: not a canonical encoding of a curve point`);
    }
    if (point.isSmallOrder()) throw new InvalidGroupElement(`${where}: a point of small order`);
    if (!point.isTorsionFree()) {
      throw new InvalidGroupElement(`${where}: not in the prime-order subgroup`);
    }
    return new Element(this, point);
  }
  _pow(point, k) {
    return k === 0n ? Point.ZERO : point.multiply(k);
  }
  baseExp(k) {
    return new Element(this, this._pow(this._base, this.reduce(k)));
  }
  /** x^k for a public exponent (a cost, a weight, a challenge): variable time. */
  exp(x, k) {
    this._same(x);
    return new Element(this, x.value.multiplyUnsafe(this.reduce(k)));
  }
  /** A fixed-base table for an element used as a base many times (the election key). */
  table(x) {
    this._same(x);
    const point = x.value.precompute(8, false);
    return { exp: (k) => new Element(this, this._pow(point, this.reduce(k))) };
  }
}

// -- modp4096 ---------------------------------------------------------------------------------

const MODP_P = BigInt(
  '0x' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'b17217f7d1cf79abc9e3b39803f2f6af40f343267298b62d8a0d175b8baafa2b' +
    'e7b876206debac98559552fb4afa1b10ed2eae35c138214427573b291169b825' +
    '3e96ca16224ae8c51acbda11317c387eb9ea9bc3b136603b256fa0ec7657f74b' +
    '72ce87b19d6548caf5dfa6bd38303248655fa1872f20e3a2da2d97c50f3fd5c6' +
    '07f4ca11fb5bfb90610d30f88fe551a2ee569d6dfc1efa157d2e23de1400b396' +
    '17460775db8990e5c943e732b479cd33cccc4e659393514c4c1a1e0bd1d6095d' +
    '25669b333564a3376a9c7f8a5e148e82074db6015cfe7aa30c480a5417350d2c' +
    '955d5179b1e17b9dae313cdb6c606cb1078f735d1b2db31b5f50b5185064c18b' +
    '4d162db3b365853d7598a1951ae273ee5570b6c68f96983496d4e6d330af889b' +
    '44a02554731cdc8ea17293d1228a4ef98d6f5177fbcf0755268a5c1f9538b982' +
    '61affd446b1ca3cf5e9222b88c66d3c5422183edc99421090bbb16faf3d949f2' +
    '36e02b20cee886b905c128d53d0bd2f9621363196af503020060e49908391a0c' +
    '57339ba2beba7d052ac5b61cc4e9207cef2f0ce2d7373958d762265890445744' +
    'fb5f2da4b751005892d356890defe9cad9b9d4b713e06162a2d8fdd0df2fd608' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
);
const MODP_Q = (1n << 256n) - 189n;
const MODP_R = (MODP_P - 1n) / MODP_Q;

/** base^exponent mod m by left-to-right 4-bit fixed windows (public or secret exponents). */
function modPow(base, exponent, modulus) {
  if (exponent === 0n) return 1n;
  const table = [1n, base % modulus];
  for (let i = 2; i < 16; i++) table.push((table[i - 1] * table[1]) % modulus);
  const hex = exponent.toString(16);
  let result = 1n;
  for (let i = 0; i < hex.length; i++) {
    if (i) {
      for (let s = 0; s < 4; s++) result = (result * result) % modulus;
    }
    result = (result * table[parseInt(hex[i], 16)]) % modulus;
  }
  return result;
}

/**
 * A fixed-base comb: rows[i][b] = base^(b · 256^i) for the 32 bytes of a 256-bit exponent,
 * so base^k is 32 table reads and 32 multiplications whatever k (a zero byte reads entry 1
 * and is multiplied in like any other). 8,160 multiplications to build, once per base.
 */
class ModpTable {
  constructor(base) {
    this.base = base;
    this.rows = null;
  }
  _build() {
    const rows = [];
    let rowBase = this.base;
    for (let i = 0; i < 32; i++) {
      const row = new Array(256);
      row[0] = 1n;
      for (let b = 1; b < 256; b++) row[b] = (row[b - 1] * rowBase) % MODP_P;
      rows.push(row);
      rowBase = (row[255] * rowBase) % MODP_P;
    }
    this.rows = rows;
  }
  pow(k) {
    if (this.rows === null) this._build();
    const bytes = bigintToBytes(k, 32);
    let result = this.rows[0][bytes[31]];
    for (let i = 1; i < 32; i++) result = (result * this.rows[i][bytes[31 - i]]) % MODP_P;
    return result;
  }
}

class Modp4096Group extends GroupBase {
  constructor() {
    super();
    this.name = 'modp4096';
    this.p = MODP_P;
    this.order = MODP_Q;
    this.cofactor = MODP_R;
    this.elementSize = 512;
    this.generator = new Element(this, modPow(2n, MODP_R, MODP_P));
    this.identity = new Element(this, 1n);
    this._baseTable = new ModpTable(this.generator.value);
  }
  _encode(x) {
    return bigintToBytes(x, 512);
  }
  _mul(a, b) {
    return (a * b) % MODP_P;
  }
  _inverse(a) {
    return modPow(a, MODP_P - 2n, MODP_P);
  }
  /** Section 3.2: 512 bytes, 1 < x < p, x^q = 1 (mod p). */
  decode(bytes, where = 'element') {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 512) {
      throw new InvalidGroupElement(`${where}: expected 512 bytes`);
    }
    const x = bytesToBigint(bytes);
    if (x <= 1n || x >= MODP_P) throw new InvalidGroupElement(`${where}: not in (1, p)`);
    if (modPow(x, MODP_Q, MODP_P) !== 1n) {
      throw new InvalidGroupElement(`${where}: not in the order-q subgroup`);
    }
    return new Element(this, x);
  }
  baseExp(k) {
    return new Element(this, this._baseTable.pow(this.reduce(k)));
  }
  exp(x, k) {
    this._same(x);
    return new Element(this, modPow(x.value, this.reduce(k), MODP_P));
  }
  table(x) {
    this._same(x);
    const comb = new ModpTable(x.value);
    return { exp: (k) => new Element(this, comb.pow(this.reduce(k))) };
  }
}

const GROUPS = new Map();

/** The group named `name` ("ed25519" or "modp4096"); anything else is InvalidInput. */
export function groupByName(name) {
  if (name !== 'ed25519' && name !== 'modp4096') {
    throw new InvalidInput(`unknown group ${JSON.stringify(name)}`);
  }
  if (!GROUPS.has(name)) GROUPS.set(name, name === 'ed25519' ? new Ed25519Group() : new Modp4096Group());
  return GROUPS.get(name);
}

export const scalarToBytes = GroupBase.scalarToBytes;
export { bytesToHex, hexToBytes };
