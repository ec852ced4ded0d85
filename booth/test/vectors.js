// Reading tests/vectors/*.json (the repository's known-answer vectors) from the booth's tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildElection, groupByName, hexToBytes } from '../src/index.js';

export const VECTOR_DIR = fileURLToPath(new URL('../../tests/vectors/', import.meta.url));

export function loadVectors(name) {
  return JSON.parse(readFileSync(VECTOR_DIR + name, 'utf8'));
}

/**
 * The election of election-NAME.json, built from its fingerprint's inputs: the vectors (V), its
 * group, manifest, fingerprint inputs (fp) and the election.
 */
export function vectorElection(name) {
  const V = loadVectors(`election-${name}.json`);
  const group = groupByName(name);
  const manifest = JSON.parse(V.manifest.json);
  return { V, group, manifest, fp: V.fingerprint, election: electionFor(name, manifest) };
}

/** An election of election-NAME.json's key, ceremony, credentials and board with `manifest`. */
export function electionFor(name, manifest) {
  const fp = loadVectors(`election-${name}.json`).fingerprint;
  const group = groupByName(name);
  return buildElection({
    manifest, group,
    publicKeyElement: group.decode(hexToBytes(fp.public_key)),
    ceremonyDigest: hexToBytes(fp.ceremony_digest),
    credentialListDigest: hexToBytes(fp.credential_list_digest),
    boardKey: hexToBytes(fp.board_key),
  });
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
