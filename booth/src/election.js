// The election as the voter's device sees it (docs/spec.md sections 6.2, 6.3, 7.4): the
// manifest, the group, the joint key K, the fingerprint, the board key; built from the
// record's own documents (the service's voter-kit: election.json, group.json, manifest.json).

import { digest32, equalBytes, hexToBytes, Purpose } from './encoding.js';
import { ContextMismatch, InvalidInput, InvalidManifest } from './errors.js';
import { groupByName } from './groups.js';
import { b64decode, canonicalBytes } from './json.js';
import { publicKey } from './proofs.js';

/** digest32(MANIFEST, canonical JSON of the manifest). */
export function manifestDigest(manifest) {
  return digest32(Purpose.MANIFEST, canonicalBytes(manifest));
}

/** An element's canonical bytes for hashing, without group validation (digests only). */
const rawElement = (bytes) => ({ isElement: true, toBytes: () => bytes });

/**
 * credentials_digest = H32("credential-list", group name, [[P_1, w_1], ...]) of the list's
 * JSON form {"group", "entries": [{"public", "weight"}]} (section 7.4), in list order.
 */
export function credentialListDigest(group, list) {
  if (list.group !== group.name) throw new InvalidInput(`credentials.group: ${JSON.stringify(list.group)} is not ${group.name}`);
  const entries = list.entries.map((entry, i) => [rawElement(b64decode(entry.public, `credentials.entries[${i}].public`, group.elementSize)), BigInt(entry.weight)]);
  return digest32(Purpose.CREDENTIAL_LIST, group.name, entries);
}

/** digest32(FINGERPRINT, group name, manifest digest, K, H_T, credential list digest, board key). */
export function computeFingerprint(group, manifestDigestBytes, key, ceremonyDigest, listDigest, boardKey) {
  return digest32(Purpose.FINGERPRINT, group.name, manifestDigestBytes, key, ceremonyDigest, listDigest, boardKey);
}

const KINDS = ['single', 'approval', 'score', 'budget', 'grades', 'ranking'];
const ID = /^[A-Za-z0-9_.-]{1,64}$/;

function checkFields(value, where, required, optional = []) {
  const present = Object.keys(value);
  const missing = required.filter((name) => !present.includes(name));
  if (missing.length) throw new InvalidManifest(`${where}: missing field ${missing.join(', ')}`);
  const unknown = present.filter((name) => !required.includes(name) && !optional.includes(name));
  if (unknown.length) throw new InvalidManifest(`${where}: unknown field ${unknown.join(', ')}`);
}

/** A list of {"id", "label"} with ids unique and well-formed (options, grades: 6.2). */
function checkLabelled(items, where, low, high) {
  if (!Array.isArray(items) || items.length < low || items.length > high) throw new InvalidManifest(`${where}: expected ${low} to ${high} entries`);
  const seen = new Set();
  items.forEach((item, j) => {
    const at = `${where}[${j}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new InvalidManifest(`${at}: expected an object`);
    checkFields(item, at, ['id', 'label']);
    if (typeof item.id !== 'string' || !ID.test(item.id)) throw new InvalidManifest(`${at}.id: ${JSON.stringify(item.id)} is not an id (1 to 64 letters, digits, _ . -)`);
    if (seen.has(item.id)) throw new InvalidManifest(`${at}.id: ${JSON.stringify(item.id)} appears twice`);
    seen.add(item.id);
    if (item.label === null || typeof item.label !== 'object' || !Object.values(item.label).every((text) => typeof text === 'string')) {
      throw new InvalidManifest(`${at}.label: expected texts by language`);
    }
  });
}

/**
 * The two kinds counted by the mixnet (docs/spec.md 6.2): `grades` (exactly id, kind, title,
 * options, grades: 2 to 16 listed best first, rule "majority-judgment") and `ranking` (exactly
 * id, kind, title, options: 2 or more, rule "schulze" or "stv", and seats 1..n-1 iff stv).
 */
function checkMixnetQuestion(q, where) {
  if (q.kind === 'grades') {
    checkFields(q, where, ['id', 'kind', 'title', 'options', 'grades', 'rule']);
    checkLabelled(q.options, `${where}.options`, 1, 1000);
    checkLabelled(q.grades, `${where}.grades`, 2, 16);
    if (q.rule !== 'majority-judgment') throw new InvalidManifest(`${where}.rule: ${JSON.stringify(q.rule)} is not "majority-judgment"`);
    return;
  }
  checkFields(q, where, ['id', 'kind', 'title', 'options', 'rule', ...(q.rule === 'stv' ? ['seats'] : [])]);
  checkLabelled(q.options, `${where}.options`, 2, 1000);
  if (q.rule !== 'schulze' && q.rule !== 'stv') throw new InvalidManifest(`${where}.rule: ${JSON.stringify(q.rule)} is neither "schulze" nor "stv"`);
  if (q.rule === 'stv' && (!Number.isSafeInteger(q.seats) || q.seats < 1 || q.seats > q.options.length - 1)) {
    throw new InvalidManifest(`${where}.seats: ${JSON.stringify(q.seats)} is not a number of seats in [1, ${q.options.length - 1}]`);
  }
}

function checkManifestShape(manifest) {
  if (manifest === null || typeof manifest !== 'object' || !Array.isArray(manifest.questions) || manifest.questions.length === 0) {
    throw new InvalidManifest('manifest: expected an object with questions');
  }
  manifest.questions.forEach((q, i) => {
    const where = `manifest.questions[${i}]`;
    if (q === null || typeof q !== 'object' || Array.isArray(q)) throw new InvalidManifest(`${where}: expected an object`);
    if (!KINDS.includes(q.kind)) throw new InvalidManifest(`${where}.kind: unknown kind ${JSON.stringify(q.kind)}`);
    if (q.kind === 'grades' || q.kind === 'ranking') checkMixnetQuestion(q, where);
    const options = q.kind === 'budget' ? q.projects : q.options;
    if (!Array.isArray(options) || options.length === 0) throw new InvalidManifest(`${where}: no options`);
  });
}

/** InvalidManifest unless the manifest's questions have the shape the booth relies on. */
export function checkManifest(manifest) {
  checkManifestShape(manifest);
}

/**
 * An election from the voter-kit {election, group, manifest, credential_list_digest} (the
 * service's GET .../voter-kit; `credentials`, the list itself, may stand for the digest). Every
 * kit is checked: the manifest's group and election id are election.json's; K decodes in the
 * group; and the fingerprint is recomputed from the manifest, K, the ceremony digest, the
 * credential list's digest and the board key (docs/spec.md 6.3) and must be election.json's.
 * A kit without the list or its digest cannot be checked and is refused (InvalidInput); one
 * whose parts do not make its fingerprint is refused with ContextMismatch.
 */
export function electionFromVoterKit(kit) {
  const { election: doc, manifest } = kit ?? {};
  if (!doc || !manifest || !kit.group) throw new InvalidInput('voter-kit: expected election, group and manifest');
  const group = groupByName(kit.group.name);
  if (doc.group !== group.name || manifest.group !== group.name) throw new ContextMismatch('voter-kit: the election, group and manifest name different groups');
  if (doc.election_id !== manifest.election_id) throw new ContextMismatch('voter-kit: election.json and manifest.json name different elections');
  checkManifestShape(manifest);
  const key = group.decode(b64decode(doc.public_key, 'election.public_key', group.elementSize), 'election.public_key');
  const fingerprint = b64decode(doc.fingerprint, 'election.fingerprint', 32);
  const boardKey = b64decode(doc.board_key, 'election.board_key', 32);
  const ceremonyDigest = b64decode(doc.ceremony_digest, 'election.ceremony_digest', 32);
  const mDigest = manifestDigest(manifest);
  let listDigest;
  if (kit.credentials) listDigest = credentialListDigest(group, kit.credentials);
  else if (typeof kit.credential_list_digest === 'string') {
    // 32 bytes, as lower-case hex (the API's way with hashes) or base64 (the record's).
    const text = kit.credential_list_digest;
    listDigest = /^[0-9a-f]{64}$/.test(text) ? hexToBytes(text) : b64decode(text, 'voter-kit.credential_list_digest', 32);
  } else {
    throw new InvalidInput('voter-kit: no credential_list_digest (nor credentials): the fingerprint cannot be recomputed, so the kit cannot be trusted');
  }
  const computed = computeFingerprint(group, mDigest, key, ceremonyDigest, listDigest, boardKey);
  if (!equalBytes(computed, fingerprint)) throw new ContextMismatch('voter-kit: the fingerprint does not match the manifest, key, ceremony, credential list and board key');
  return {
    electionId: manifest.election_id, group, manifest, manifestDigest: mDigest,
    publicKey: publicKey(group, key), fingerprint, boardKey, ceremonyDigest, fingerprintChecked: true,
  };
}

/** An election from its parts, its fingerprint computed (tests and portals). */
export function buildElection({ manifest, group, publicKeyElement, ceremonyDigest, credentialListDigest: listDigest, boardKey }) {
  checkManifestShape(manifest);
  const mDigest = manifestDigest(manifest);
  return {
    electionId: manifest.election_id, group, manifest, manifestDigest: mDigest,
    publicKey: publicKey(group, publicKeyElement), boardKey, ceremonyDigest, fingerprintChecked: true,
    fingerprint: computeFingerprint(group, mDigest, publicKeyElement, ceremonyDigest, listDigest, boardKey),
  };
}
