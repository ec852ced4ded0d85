// Canonical JSON (docs/spec.md section 6.1) and strict base64 (RFC 4648 section 4).
//
// Canonical JSON is Python's json.dumps(sort_keys=True, separators=(",", ":"),
// ensure_ascii=False, allow_nan=False): keys sorted by code point (not by UTF-16 unit, which is
// JavaScript's default string order), no whitespace, integers only, and exactly the escapes
// `\" \\ \b \t \n \f \r` and `\u00XX` (lower-case hex) for the other controls.

import { InvalidInput } from './errors.js';
import { utf8Bytes } from './encoding.js';

const SHORT_ESCAPES = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

function quote(text) {
  if (!text.isWellFormed()) throw new InvalidInput('text with a lone surrogate has no JSON form');
  // eslint-disable-next-line no-control-regex
  return '"' + text.replace(/["\\\u0000-\u001f]/g, (c) =>
    SHORT_ESCAPES[c] ?? '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '"';
}

/** Compare two strings by Unicode code point (Python's str order). */
export function compareCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts after every BMP unit but its own kind.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function write(value, parts) {
  if (value === null) parts.push('null');
  else if (value === true) parts.push('true');
  else if (value === false) parts.push('false');
  else if (typeof value === 'bigint') parts.push(value.toString());
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InvalidInput(`not an integer for JSON: ${value}`);
    parts.push(String(value));
  } else if (typeof value === 'string') parts.push(quote(value));
  else if (Array.isArray(value)) {
    parts.push('[');
    value.forEach((item, i) => {
      if (i) parts.push(',');
      write(item, parts);
    });
    parts.push(']');
  } else if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort(compareCodePoints);
    parts.push('{');
    keys.forEach((key, i) => {
      if (i) parts.push(',');
      parts.push(quote(key), ':');
      write(value[key], parts);
    });
    parts.push('}');
  } else {
    throw new InvalidInput(`cannot write a value of type ${typeof value} as JSON`);
  }
}

/** The canonical JSON text of `value` (a string; `canonicalBytes` for its UTF-8). */
export function canonicalJson(value) {
  const parts = [];
  write(value, parts);
  return parts.join('');
}

export function canonicalBytes(value) {
  return utf8Bytes(canonicalJson(value));
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUES = new Map([...B64].map((c, i) => [c, i]));

/** Standard base64 with padding. */
export function b64encode(bytes) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] + '=' : '==';
  }
  return out;
}

/**
 * Strict base64: decodes, re-encodes and refuses anything that differs (missing padding,
 * characters outside the alphabet, non-zero trailing bits). `size`, if given, is the exact
 * length wanted.
 */
export function b64decode(text, where = 'value', size = undefined, ErrorClass = InvalidInput) {
  if (typeof text !== 'string' || text.length % 4) {
    throw new ErrorClass(`${where}: not canonical base64`);
  }
  const out = [];
  for (let i = 0; i < text.length; i += 4) {
    const chunk = text.slice(i, i + 4);
    const values = [...chunk].map((c) => (c === '=' ? 0 : B64_VALUES.get(c)));
    if (values.some((v) => v === undefined)) throw new ErrorClass(`${where}: not canonical base64`);
    const n = (values[0] << 18) | (values[1] << 12) | (values[2] << 6) | values[3];
    const pad = chunk.endsWith('==') ? 2 : chunk.endsWith('=') ? 1 : 0;
    out.push(n >> 16);
    if (pad < 2) out.push((n >> 8) & 255);
    if (pad < 1) out.push(n & 255);
  }
  const bytes = Uint8Array.from(out);
  if (b64encode(bytes) !== text) throw new ErrorClass(`${where}: not canonical base64`);
  if (size !== undefined && bytes.length !== size) {
    throw new ErrorClass(`${where}: expected ${size} bytes, got ${bytes.length}`);
  }
  return bytes;
}
