// Reading tests/vectors/*.json (the repository's known-answer vectors) from the booth's tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { groupByName, hexToBytes } from '../src/index.js';

export const VECTOR_DIR = fileURLToPath(new URL('../../tests/vectors/', import.meta.url));

export function loadVectors(name) {
  return JSON.parse(readFileSync(VECTOR_DIR + name, 'utf8'));
}

/** A typed hash-input value of crypto.json ({"int": "-5"}, {"bytes": "00ff"}, ...). */
export function typedValue(value) {
  const [[type, inner]] = Object.entries(value);
  switch (type) {
    case 'int': return BigInt(inner);
    case 'bytes': return hexToBytes(inner);
    case 'str': return inner;
    case 'bool': return inner;
    case 'none': return null;
    case 'list': return inner.map(typedValue);
    case 'element': {
      const group = groupByName(inner.group);
      return group.decodeOrIdentity(hexToBytes(inner.hex));
    }
    default: throw new Error(`unknown typed value ${type}`);
  }
}

export const scalar = (hex) => {
  if (hex.length !== 64) throw new Error(`scalar ${hex} is not 32 bytes`);
  return BigInt('0x' + hex);
};
