// tests/vectors/election-ed25519.json and election-modp4096.json: the fingerprint, whole
// ballots with pinned nonces byte for byte, the audit, the ciphertext marks and the board's
// signed receipt; and the golden records' documents read as a voter-kit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  bytesToHex, canonicalJson, checkAudit, checkBallot, checkReceipt,
  ciphertextMarks, CredentialKey, decodeBallot, electionFromVoterKit, encryptBallot,
  hexToBytes, InvalidBallot, InvalidSignature, receiptMessage, replayingRandom,
  spoilBallot, readReceipt, ed25519Verify, ContextMismatch, InvalidProof, plaintextFromSelection,
} from '../src/index.js';
import { utf8Bytes } from '../src/encoding.js';
import { electionFor, scalar, vectorElection, VECTOR_DIR } from './vectors.js';

const decoder = new TextDecoder();

for (const name of ['ed25519', 'modp4096']) {
  const { V, group, manifest, fp, election } = vectorElection(name);

  test(`${name}: manifest bytes and digest, fingerprint`, () => {
    assert.equal(canonicalJson(manifest), V.manifest.json);
    assert.equal(bytesToHex(election.manifestDigest), V.manifest.digest);
    assert.equal(bytesToHex(election.fingerprint), fp.fingerprint);
  });

  const made = new Map();
  for (const vector of V.ballots) {
    test(`${name}: ballot ${vector.label} remade byte for byte (signed bytes, ballot, hash, tracking code)`, () => {
      const key = CredentialKey.derive(group, election.electionId, vector.code);
      const plaintext = { answers: vector.plaintext.map((a) => ({ values: a.values, blank: a.blank })) };
      assert.deepEqual(plaintextFromSelection(manifest, vector.selection), plaintext);
      const nonces = vector.nonces.map((q) => ({ options: q.options.map(scalar), blank: q.blank === null ? null : scalar(q.blank) }));
      const rng = replayingRandom(vector.draws.map(scalar));
      const { ballot, secrets } = encryptBallot(election, key, plaintext, { rng, nonces });
      assert.equal(rng.remaining, 0, 'every listed draw is used');
      assert.equal(decoder.decode(ballot.signedBytes), vector.signed_bytes);
      assert.equal(decoder.decode(ballot.bytes), vector.canonical);
      assert.equal(bytesToHex(ballot.hash), vector.ballot_hash);
      assert.equal(ballot.trackingCode, vector.tracking_code);
      made.set(vector.label, { ballot, secrets });
    });
  }

  test(`${name}: the vector ballots decode and pass the voter's check_ballot; a changed one does not`, () => {
    for (const vector of V.ballots.slice(0, name === 'ed25519' ? 3 : 1)) {
      const bytes = utf8Bytes(vector.canonical);
      const decoded = decodeBallot(election, JSON.parse(vector.canonical), bytes);
      checkBallot(election, decoded);
      assert.equal(decoded.trackingCode, vector.tracking_code);
    }
    const obj = JSON.parse(V.ballots[0].canonical);
    const swapped = structuredClone(obj);
    [swapped.q[0].o[0], swapped.q[0].o[1]] = [swapped.q[0].o[1], swapped.q[0].o[0]];
    assert.throws(() => checkBallot(election, decodeBallot(election, swapped)), InvalidSignature);
    const spaced = utf8Bytes(V.ballots[0].canonical + '\n');
    assert.throws(() => decodeBallot(election, obj, spaced), /not canonical JSON/);
    const other = { ...obj, f: obj.c.slice(0, 44) };
    assert.throws(() => checkBallot(election, decodeBallot(election, other)), (e) => e instanceof ContextMismatch || e instanceof InvalidBallot);
  });

  test(`${name}: the audit of the spoiled ballot, byte for byte, checked; a lie is refused`, () => {
    const audited = V.ballots.find((b) => b.label === V.audit.label);
    const { ballot, secrets } = made.get(V.audit.label);
    const audit = spoilBallot(ballot, secrets);
    assert.equal(canonicalJson(audit), V.audit.json);
    const ballotObj = JSON.parse(audited.canonical);
    const revealed = checkAudit(election, ballotObj, audit);
    assert.deepEqual(revealed.answers.map((a) => a.values), audited.plaintext.map((a) => a.values));
    const marks = ciphertextMarks(election.fingerprint, decodeBallot(election, ballotObj));
    assert.deepEqual(marks.map(bytesToHex), V.audit.ciphertext_marks);
    // The device lies: it reveals another choice for the referendum.
    const lie = structuredClone(audit);
    lie.q[0].x = [lie.q[0].x[1], lie.q[0].x[0]];
    assert.throws(() => checkAudit(election, ballotObj, lie), /does not match the ciphertext/);
    const otherBallot = JSON.parse(V.ballots[0].canonical);
    assert.throws(() => checkAudit(election, otherBallot, audit), /for another ballot/);
  });

  test(`${name}: the board's signed receipt`, () => {
    const vector = V.receipt;
    const obj = JSON.parse(vector.json);
    const receipt = checkReceipt(obj, hexToBytes(fp.board_key), { electionId: vector.election_id, trackingCode: vector.tracking_code, ballotHash: hexToBytes(vector.ballot_hash) });
    assert.equal(bytesToHex(receiptMessage(receipt)), vector.message);
    assert.equal(bytesToHex(receipt.signature), vector.signature);
    const forged = { ...obj, position: obj.position + 1 };
    assert.throws(() => checkReceipt(forged, hexToBytes(fp.board_key)), { message: /not signed by this election's board key/ });
    assert.throws(() => checkReceipt(obj, hexToBytes(fp.fingerprint)), InvalidSignature);
    assert.throws(() => checkReceipt(obj, hexToBytes(fp.board_key), { trackingCode: 'AAAA-AAAA-AAAA-AAAA-AAAAA' }), /another tracking code/);
    void readReceipt;
  });

  test(`${name}: the board's checkpoints verify under the same Ed25519 rules`, () => {
    for (const checkpoint of V.checkpoints) {
      assert.ok(ed25519Verify(hexToBytes(checkpoint.signature), hexToBytes(checkpoint.message), hexToBytes(checkpoint.board_key)));
      const bad = hexToBytes(checkpoint.signature);
      bad[40] ^= 1;
      assert.ok(!ed25519Verify(bad, hexToBytes(checkpoint.message), hexToBytes(checkpoint.board_key)));
    }
  });

  test(`${name}: the golden record's documents as a voter-kit, fingerprint recomputed`, () => {
    const read = (file) => JSON.parse(readFileSync(`${VECTOR_DIR}${V.record}/${file}`, 'utf8'));
    const kit = { election: read('election.json'), group: read('group.json'), manifest: read('manifest.json') };
    const credentials = read('credentials.json');
    const fromKit = electionFromVoterKit({ ...kit, credentials: { group: credentials.group, entries: credentials.entries } });
    assert.ok(fromKit.fingerprintChecked);
    assert.equal(bytesToHex(fromKit.fingerprint), fp.fingerprint);
    for (const digest of [fp.credential_list_digest, Buffer.from(fp.credential_list_digest, 'hex').toString('base64')]) {
      assert.ok(electionFromVoterKit({ ...kit, credential_list_digest: digest }).fingerprintChecked);
    }
    assert.throws(() => electionFromVoterKit({ ...kit, credential_list_digest: fp.manifest_digest }), ContextMismatch);
    // A kit the device cannot check is refused, never used unchecked.
    assert.throws(() => electionFromVoterKit(kit), { name: 'InvalidInput', message: /credential_list_digest/ });
    const withDigest = { ...kit, credential_list_digest: fp.credential_list_digest };
    // Tampered kits (the served voter-kit's form): options swapped, another board key, another
    // list digest: each refused, none gives an election to encrypt for.
    const swapped = structuredClone(withDigest);
    swapped.manifest.questions[0].options.reverse();
    const rekeyed = structuredClone(withDigest);
    rekeyed.election.board_key = Buffer.from(hexToBytes(fp.fingerprint)).toString('base64');
    const relisted = { ...withDigest, credential_list_digest: fp.ceremony_digest };
    for (const tampered of [swapped, rekeyed, relisted]) {
      assert.throws(() => electionFromVoterKit(tampered), ContextMismatch);
    }
    assert.throws(() => electionFromVoterKit({ ...swapped, credential_list_digest: undefined, credentials: { group: credentials.group, entries: credentials.entries } }), ContextMismatch);
  });

  test(`${name}: grades and ranking ballots (mixnet_ballots) remade byte for byte, checked`, () => {
    const M = V.mixnet_ballots;
    const mixnetManifest = JSON.parse(M.manifest.json);
    assert.equal(canonicalJson(mixnetManifest), M.manifest.json);
    const mixnet = electionFor(name, mixnetManifest);
    assert.equal(bytesToHex(mixnet.manifestDigest), M.manifest.digest);
    assert.equal(bytesToHex(mixnet.fingerprint), M.fingerprint);
    assert.ok(M.ballots.length > 0);
    for (const vector of M.ballots) {
      const key = CredentialKey.derive(group, mixnet.electionId, vector.code);
      const plaintext = plaintextFromSelection(mixnetManifest, vector.selection);
      assert.deepEqual(plaintext, { answers: vector.plaintext.map((a) => ({ values: a.values, blank: a.blank })) });
      const nonces = vector.nonces.map((q) => ({ options: q.options.map(scalar), blank: q.blank === null ? null : scalar(q.blank) }));
      const rng = replayingRandom(vector.draws.map(scalar));
      const { ballot, secrets } = encryptBallot(mixnet, key, plaintext, { rng, nonces });
      assert.equal(rng.remaining, 0, 'every listed draw is used');
      assert.equal(decoder.decode(ballot.signedBytes), vector.signed_bytes);
      assert.equal(decoder.decode(ballot.bytes), vector.canonical);
      assert.equal(bytesToHex(ballot.hash), vector.ballot_hash);
      assert.equal(ballot.trackingCode, vector.tracking_code);
      if (name === 'ed25519') checkAudit(mixnet, JSON.parse(vector.canonical), spoilBallot(ballot, secrets));
    }
  });

  test(`${name}: a fresh ballot for random choices passes the voter's own check_ballot`, () => {
    const key = CredentialKey.derive(group, election.electionId, V.credentials.codes[0]);
    const plaintext = plaintextFromSelection(manifest, { referendum: ['no'], colours: ['green', 'blue'], chefs: { red: 2, green: 0, blue: 3 }, budget: ['pool'] });
    const { ballot } = encryptBallot(election, key, plaintext);
    const decoded = decodeBallot(election, JSON.parse(decoder.decode(ballot.bytes)), ballot.bytes);
    if (name === 'ed25519') checkBallot(election, decoded);
    assert.equal(decoded.trackingCode, ballot.trackingCode);
    void InvalidProof;
  });
}
