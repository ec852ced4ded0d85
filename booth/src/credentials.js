// Credential codes and keys (docs/spec.md sections 7.2, 7.3).

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToBigint, encode, PROTOCOL, Purpose } from './encoding.js';
import { InvalidCredential } from './errors.js';

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VALUES = new Map([...ALPHABET].map((c, i) => [c, i]));
const ALIASES = { O: '0', I: '1', L: '1' };
export const CODE_LENGTH = 20;
export const GROUP_SIZE = 5;
const MAX_TEXT_LENGTH = 200;
export const MISTYPED = 'credential mistyped: the check character does not match; please re-read it';

/** value · x in GF(2^5) = GF(2)[x] / (x^5 + x^2 + 1). */
function timesAlpha(value) {
  value <<= 1;
  return value & 0b100000 ? value ^ 0b100101 : value;
}

/** Damm's running value over u ∘ v = α·u + v (Horner's rule). */
function checkSum(values) {
  let running = 0;
  for (const v of values) running = timesAlpha(running) ^ v;
  return running;
}

/** The check symbol that completes 19 canonical data symbols into a valid code. */
export function checkSymbol(data) {
  if (typeof data !== 'string' || ![...data].every((c) => VALUES.has(c))) {
    throw new InvalidCredential('check_symbol: expected canonical symbols of the alphabet');
  }
  return ALPHABET[timesAlpha(checkSum([...data].map((c) => VALUES.get(c))))];
}

export function formatCredentialCode(symbols) {
  const groups = [];
  for (let i = 0; i < symbols.length; i += GROUP_SIZE) groups.push(symbols.slice(i, i + GROUP_SIZE));
  return groups.join('-');
}

/** Spaces (exactly Python's str.isspace, which differs from JavaScript's \s) and dashes (Unicode category Pd) carry no symbol. */
const SKIPPED = /^[\t\n\v\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\p{Pd}]$/u;

function isAscii(c) {
  return c.codePointAt(0) < 0x80;
}

/** The 20 canonical symbols of a typed code, check symbol verified (section 7.2). */
export function canonicalSymbols(text) {
  if (typeof text !== 'string') throw new InvalidCredential(`credential: expected text, got ${typeof text}`);
  // Python counts code points; so does this (a string iterator yields code points).
  const characters = [...text];
  if (characters.length > MAX_TEXT_LENGTH) {
    throw new InvalidCredential(`credential: ${characters.length} characters typed, a credential has ${CODE_LENGTH}`);
  }
  const symbols = [];
  characters.forEach((character, index) => {
    if (SKIPPED.test(character)) return;
    const upper = isAscii(character) ? character.toUpperCase() : character;
    const symbol = ALIASES[upper] ?? upper;
    if (!VALUES.has(symbol)) {
      const group = Math.floor(symbols.length / GROUP_SIZE) + 1;
      throw Object.assign(
        new InvalidCredential(
          `credential: character ${pyRepr(character)} at position ${index + 1} (group ${group}) is not allowed;` +
            ' a credential has only digits and the letters A-Z without I, L, O, U',
        ),
        { reason: 'character', character, position: index + 1, group },
      );
    }
    symbols.push(symbol);
  });
  if (symbols.length !== CODE_LENGTH) {
    throw Object.assign(
      new InvalidCredential(
        `credential: ${symbols.length} letters and digits, expected ${CODE_LENGTH}` +
          ` (${CODE_LENGTH / GROUP_SIZE} groups of ${GROUP_SIZE}); a character is` +
          ` ${symbols.length < CODE_LENGTH ? 'missing' : 'extra'}`,
      ),
      { reason: symbols.length < CODE_LENGTH ? 'missing' : 'extra', count: symbols.length },
    );
  }
  if (checkSum(symbols.map((s) => VALUES.get(s))) !== 0) {
    throw Object.assign(new InvalidCredential(MISTYPED), { reason: 'check' });
  }
  return symbols.join('');
}

/** Python's repr of a one-character string, for messages identical to evote's. */
function pyRepr(character) {
  return character === "'" ? '"\'"' : `'${character}'`;
}

/** A typed code in canonical printed form (four dash-separated groups of five). */
export function parseCredentialCode(text) {
  return formatCredentialCode(canonicalSymbols(text));
}

/** The HKDF info: encode("evote/1", "credential-kdf", [group name, election id]). */
export function kdfInfo(group, electionId) {
  return encode(PROTOCOL, Purpose.CREDENTIAL_KDF, [group.name, electionId]);
}

/** s = HKDF-SHA512(IKM = the 20 canonical symbols, no salt, info, 64 bytes) mod q (7.3). */
export function deriveCredentialSecret(group, electionId, code) {
  if (typeof electionId !== 'string' || electionId.length === 0) {
    throw new InvalidCredential('credential: the election id must be a non-empty text');
  }
  const symbols = canonicalSymbols(code);
  const ikm = new TextEncoder().encode(symbols);
  const okm = hkdf(sha512, ikm, undefined, kdfInfo(group, electionId), 64);
  const secret = bytesToBigint(okm) % group.order;
  if (secret === 0n) throw new InvalidCredential('credential: this code gives the secret 0; draw another');
  return secret;
}

/**
 * A credential key derived once from a code: the secret scalar s and P = g^s (computed by
 * @noble/curves' constant-time multiplication on ed25519; by BigInt on modp4096, see
 * groups.js). The secret stays in this object; nothing here sends it anywhere.
 */
export class CredentialKey {
  constructor(group, electionId, secret, pub) {
    this.group = group;
    this.electionId = electionId;
    Object.defineProperty(this, 'secret', { value: secret, enumerable: false });
    this.public = pub;
  }
  static derive(group, electionId, code) {
    const secret = deriveCredentialSecret(group, electionId, code);
    return new CredentialKey(group, electionId, secret, group.baseExp(secret));
  }
  toJSON() {
    return { group: this.group.name, electionId: this.electionId };
  }
}
