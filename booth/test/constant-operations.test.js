// docs/spec.md section 4.1 and docs/threat-model.md row C12: encrypting a ballot runs the same
// group operations whatever the choices. A spy counts every operation by kind, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialKey, encryptBallot, plaintextFromSelection } from '../src/index.js';
import { vectorElection } from './vectors.js';

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
  });
}
