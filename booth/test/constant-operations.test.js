// docs/spec.md section 4.1 and docs/threat-model.md row C12: encrypting a ballot runs the same
// group operations whatever the choices, on every question kind (grades and rankings too). A
// spy counts every operation by kind, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialKey, encryptBallot, plaintextFromSelection } from '../src/index.js';
import { electionFor, vectorElection } from './vectors.js';

function spy(group, key) {
  const calls = [];
  const originals = {};
  for (const name of ['baseExp', 'exp', '_mul', '_inverse', 'smallBasePower']) {
    originals[name] = group[name];
    group[name] = function (...args) {
      calls.push(name);
      return originals[name].apply(this, args);
    };
  }
  const tableExp = key.table.exp;
  key.table.exp = (k) => {
    calls.push('K^x');
    return tableExp(k);
  };
  return {
    calls,
    restore() {
      for (const name of Object.keys(originals)) delete group[name];
      key.table.exp = tableExp;
    },
  };
}

for (const name of ['ed25519', 'modp4096']) {
  const { V, group, manifest, election } = vectorElection(name);
  const key = CredentialKey.derive(group, election.electionId, V.credentials.codes[0]);
  const selections = name === 'ed25519'
    ? [
        { referendum: ['yes'], colours: ['red'], chefs: { red: 3, green: 2, blue: 0 }, budget: ['park'] },
        { referendum: ['no'], colours: ['green', 'blue'], chefs: { red: 0, green: 0, blue: 0 }, budget: ['pool', 'trees'] },
        { referendum: null, colours: null, chefs: { red: 1, green: 1, blue: 3 }, budget: ['trees'] },
      ]
    : [
        { referendum: ['yes'], colours: ['red'], chefs: { red: 3, green: 2, blue: 0 }, budget: ['park'] },
        { referendum: null, colours: null, chefs: { red: 0, green: 0, blue: 0 }, budget: ['pool', 'trees'] },
      ];

  test(`${name}: the same group operations for every choice`, () => {
    sameOperations(group, election, key, selections);
  });

  // Grades and rankings (docs/spec.md 6.2): the grade's or the rank's value is the vote.
  const mixnet = electionFor(name, JSON.parse(V.mixnet_ballots.manifest.json));
  test(`${name}: the same group operations for every grade and ranking`, () => {
    sameOperations(group, mixnet, CredentialKey.derive(group, mixnet.electionId, V.credentials.codes[0]), [
      { referendum: ['yes'], jury: { red: 'very-good', green: 'very-good', blue: 'reject' }, mayor: [] },
      { referendum: ['no'], jury: { red: 'reject', green: 'fair', blue: 'good' }, mayor: ['blue', 'red', 'green'] },
      { referendum: null, jury: { red: 'good', green: 'reject', blue: 'reject' }, mayor: ['green'] },
    ]);
  });
}

test('ed25519: the same group operations for every ranking of 17 options (ranks proven by bits)', () => {
  const { V, group, manifest } = vectorElection('ed25519');
  const ids = Array.from({ length: 17 }, (_, i) => `c${i}`);
  const ranking = { id: 'long', kind: 'ranking', title: { en: 'Long', fr: 'Longue' }, options: ids.map((id) => ({ id, label: { en: id, fr: id } })), rule: 'schulze' };
  const election = electionFor('ed25519', { ...manifest, questions: [ranking] });
  sameOperations(group, election, CredentialKey.derive(group, election.electionId, V.credentials.codes[0]), [
    { long: [] }, { long: [...ids].reverse() }, { long: ['c3', 'c16'] },
  ]);
});

function sameOperations(group, election, key, selections) {
  const manifest = election.manifest;
  // Lazy tables (g^0..g^15, g^-R) are built on first use: build them before counting.
  encryptBallot(election, key, plaintextFromSelection(manifest, selections[0]));
  const sequences = selections.map((selection) => {
    const plaintext = plaintextFromSelection(manifest, selection);
    const watch = spy(group, election.publicKey);
    try {
      encryptBallot(election, key, plaintext);
    } finally {
      watch.restore();
    }
    return watch.calls;
  });
  assert.ok(sequences[0].length > 100);
  for (const sequence of sequences.slice(1)) {
    const at = sequence.findIndex((call, i) => call !== sequences[0][i]);
    assert.equal(at, -1, `first difference at operation ${at}: ${sequence.slice(Math.max(0, at - 3), at + 3)} vs ${sequences[0].slice(Math.max(0, at - 3), at + 3)} (${sequence.length} vs ${sequences[0].length})`);
  }
}
