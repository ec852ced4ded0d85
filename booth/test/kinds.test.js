// The two question kinds counted by the mixnet (docs/spec.md 6.2, 6.4, 6.5): `grades` (majority
// judgment) and `ranking` (Schulze, STV): the manifest's fields, the plaintext forms and their
// encoding, the refusals with the reason the page shows, and ballots with option proofs only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAudit, checkBallot, checkPlaintext, countedByMixnet, CredentialKey, decodeBallot,
  encryptBallot, gradeOfValue, InvalidBallot, InvalidManifest, plaintextFromSelection, rankedOptions,
  rankingSelection, spoilBallot,
} from '../src/index.js';
import { electionFor, vectorElection } from './vectors.js';

const text = (word) => ({ en: word, fr: `${word} (fr)` });
const labelled = (...ids) => ids.map((id) => ({ id, label: text(id) }));
const GRADES = labelled('very-good', 'good', 'fair', 'poor', 'reject');
const MANY = Array.from({ length: 20 }, (_, i) => `c${i}`);

const gradesQuestion = { id: 'jury', kind: 'grades', title: text('Jury'), options: labelled('ann', 'bob', 'cyd'), grades: GRADES, rule: 'majority-judgment' };
const rankingQuestion = { id: 'board', kind: 'ranking', title: text('Board'), options: labelled('a', 'b', 'c'), rule: 'schulze' };
const stvQuestion = { id: 'seats', kind: 'ranking', title: text('Seats'), options: labelled(...MANY), rule: 'stv', seats: 3 };
const referendum = { id: 'ref', kind: 'single', title: text('Referendum'), options: labelled('yes', 'no'), blank: true };

const { V, group, manifest: baseManifest } = vectorElection('ed25519');
const electionWith = (questions) => electionFor('ed25519', { ...baseManifest, questions });

const election = electionWith([referendum, gradesQuestion, rankingQuestion, stvQuestion]);
const manifest = election.manifest;
const key = CredentialKey.derive(group, election.electionId, V.credentials.codes[0]);

const refused = (question, message) => assert.throws(() => electionWith([question]), (error) => error instanceof InvalidManifest && message.test(error.message));

test('the manifest fields of grades and ranking questions, each fault named', () => {
  assert.ok(countedByMixnet(gradesQuestion) && countedByMixnet(rankingQuestion) && !countedByMixnet(referendum));
  electionWith([{ ...gradesQuestion, grades: labelled('pass', 'fail') }, { ...rankingQuestion, options: labelled('a', 'b') }]);
  refused({ ...gradesQuestion, grades: labelled('only') }, /questions\[0\]\.grades: expected 2 to 16 entries/);
  refused({ ...gradesQuestion, grades: labelled(...MANY.slice(0, 17)) }, /grades: expected 2 to 16 entries/);
  refused({ ...gradesQuestion, grades: labelled('good', 'good') }, /grades\[1\]\.id: "good" appears twice/);
  refused({ ...gradesQuestion, grades: [{ id: 'bad id', label: text('x') }, ...GRADES] }, /grades\[0\]\.id: "bad id" is not an id/);
  refused({ ...gradesQuestion, rule: 'median' }, /rule: "median" is not "majority-judgment"/);
  refused({ ...gradesQuestion, blank: false }, /unknown field blank/);
  const { rule: _rule, ...ruleless } = gradesQuestion;
  refused(ruleless, /missing field rule/);
  refused({ ...rankingQuestion, options: labelled('a') }, /options: expected 2 to 1000 entries/);
  refused({ ...rankingQuestion, rule: 'borda' }, /rule: "borda" is neither "schulze" nor "stv"/);
  refused({ ...rankingQuestion, seats: 1 }, /unknown field seats/);
  refused({ ...rankingQuestion, rule: 'stv' }, /missing field seats/);
  for (const seats of [0, 3, 1.5, '1']) refused({ ...rankingQuestion, rule: 'stv', seats }, /seats: .* is not a number of seats in \[1, 2\]/);
});

test('encoding: grade at position p of G is G-1-p; a ranking gives ranks 1..k and 0 to the others', () => {
  const plaintext = plaintextFromSelection(manifest, {
    ref: ['no'], jury: { ann: 'very-good', bob: 'reject', cyd: 'fair' }, board: ['c', 'a'], seats: ['c5', 'c0', 'c19'],
  });
  assert.deepEqual(plaintext.answers[1], { values: [4, 0, 2], blank: false });
  assert.deepEqual(plaintext.answers[2], { values: [2, 0, 1], blank: false });
  const seats = Array(20).fill(0);
  [seats[5], seats[0], seats[19]] = [1, 2, 3];
  assert.deepEqual(plaintext.answers[3].values, seats);
  assert.equal(gradeOfValue(gradesQuestion, 4).id, 'very-good');
  assert.equal(gradeOfValue(gradesQuestion, 0).id, 'reject');
  assert.deepEqual(rankedOptions(rankingQuestion, [2, 0, 1]).map((o) => o.id), ['c', 'a']);
  // An empty ranking is a valid ballot (no preference).
  const empty = plaintextFromSelection(manifest, { ref: null, jury: { ann: 'good', bob: 'good', cyd: 'good' }, board: [], seats: [] });
  assert.deepEqual(empty.answers[2].values, [0, 0, 0]);
});

const valid = { ref: ['yes'], jury: { ann: 'good', bob: 'poor', cyd: 'fair' }, board: ['a', 'b', 'c'], seats: ['c1'] };
const fault = (selection) => {
  try {
    plaintextFromSelection(manifest, selection);
  } catch (error) {
    assert.ok(error instanceof InvalidBallot, error.message);
    return { question: error.question, reason: error.reason, option: error.option, message: error.message };
  }
  return null;
};

test('grades: every option graded with a grade of the list, else refused naming the option', () => {
  assert.equal(fault(valid), null);
  assert.deepEqual(fault({ ...valid, jury: { ann: 'good', cyd: 'fair' } }), {
    question: 'jury', reason: 'ungraded', option: 'bob',
    message: 'question "jury", option "bob": no grade given; every option must be graded',
  });
  assert.deepEqual(fault({ ...valid, jury: { ...valid.jury, ann: 'superb' } }).reason, 'grade');
  assert.match(fault({ ...valid, jury: { ...valid.jury, ann: 'superb' } }).message, /option "ann": unknown grade "superb"/);
  assert.match(fault({ ...valid, jury: { ...valid.jury, dan: 'good' } }).message, /unknown option "dan"/);
  assert.equal(fault({ ...valid, jury: null }).reason, 'blank');
  assert.equal(fault({ ...valid, jury: ['ann'] }).reason, 'shape');
  const { jury: _jury, ...without } = valid;
  assert.equal(fault(without).reason, 'missing');
  const values = plaintextFromSelection(manifest, valid).answers;
  values[1] = { values: [5, 0, 0], blank: false };
  assert.throws(() => checkPlaintext(manifest, { answers: values }), /option "ann": 5 is not a grade in \[0, 4\]/);
});

test('ranking: no repeat, no tie, no gap, ranks in [0, n]', () => {
  assert.deepEqual(fault({ ...valid, board: ['a', 'b', 'a'] }), {
    question: 'board', reason: 'repeat', option: 'a', message: 'question "board": option "a" ranked twice',
  });
  assert.match(fault({ ...valid, board: ['z'] }).message, /unknown option "z"/);
  assert.equal(fault({ ...valid, board: { a: 1 } }).reason, 'shape');
  const answers = (values) => {
    const all = plaintextFromSelection(manifest, valid).answers;
    all[2] = { values, blank: false };
    return { answers: all };
  };
  assert.throws(() => checkPlaintext(manifest, answers([1, 1, 0])), { reason: 'rank-tie', message: 'question "board": options "a" and "b" both have rank 1; a rank is given once' });
  assert.throws(() => checkPlaintext(manifest, answers([1, 3, 0])), { reason: 'rank-gap', message: 'question "board": rank 2 is missing; the ranks given must be 1, 2, 3... without a gap' });
  assert.throws(() => checkPlaintext(manifest, answers([2, 0, 0])), { reason: 'rank-gap', rank: 1 });
  assert.throws(() => checkPlaintext(manifest, answers([4, 1, 2])), /option "a": 4 is not a rank in \[0, 3\]/);
  assert.throws(() => checkPlaintext(manifest, answers([1, 0, -1])), /option "c": -1 is not a rank/);
  assert.throws(() => checkPlaintext(manifest, { answers: answers([1, 0, 0]).answers.map((a, i) => (i === 2 ? { ...a, blank: true } : a)) }), { reason: 'blank' });
});

test('rankingSelection: a rank per option (a form of selects) to the list, ties and gaps refused', () => {
  assert.deepEqual(rankingSelection(rankingQuestion, { a: 2, b: 1, c: 0 }), ['b', 'a']);
  assert.deepEqual(rankingSelection(rankingQuestion, {}), []);
  assert.throws(() => rankingSelection(rankingQuestion, { a: 1, c: 1 }), { reason: 'rank-tie', rank: 1, option: 'a', other: 'c' });
  assert.throws(() => rankingSelection(rankingQuestion, { a: 1, b: 3 }), { reason: 'rank-gap', rank: 2 });
  assert.throws(() => rankingSelection(rankingQuestion, { d: 1 }), /unknown option "d"/);
  assert.throws(() => rankingSelection(gradesQuestion, {}), /not a ranking question/);
});

test('a ballot with grades and rankings: option proofs on [0, M] only, CDS or bits by the 16-value rule', () => {
  const plaintext = plaintextFromSelection(manifest, { ...valid, seats: MANY.slice(0, 17).reverse() });
  const { ballot, secrets } = encryptBallot(election, key, plaintext);
  const decoded = decodeBallot(election, JSON.parse(new TextDecoder().decode(ballot.bytes)), ballot.bytes);
  checkBallot(election, decoded);
  const [, jury, board, seats] = ballot.json.q;
  for (const question of [jury, board, seats]) assert.deepEqual(Object.keys(question), ['o']);
  assert.equal(jury.o[0].p.length, 5); // G = 5 grades: [0, 4], 5 branches
  assert.equal(board.o[0].p.length, 4); // n = 3: ranks [0, 3], 4 branches
  assert.deepEqual(Object.keys(seats.o[0].p).sort(), ['l', 'u']); // n = 20: [0, 20], bits
  assert.equal(seats.o[0].p.l.length, 5);
  // The Benaloh audit reveals the encoded values; a device that reveals a tie is caught.
  const audit = spoilBallot(ballot, secrets);
  assert.deepEqual(checkAudit(election, ballot.json, audit).answers.map((a) => a.values), plaintext.answers.map((a) => a.values));
  const lie = structuredClone(audit);
  lie.q[2].x = [1, 1, 0];
  assert.throws(() => checkAudit(election, ballot.json, lie), /break the manifest's rules: question "board": options "a" and "b" both have rank 1/);
  // A ballot for another manifest (one grade fewer) does not decode under this one.
  const fewer = electionWith([referendum, { ...gradesQuestion, grades: GRADES.slice(0, 4) }, rankingQuestion, stvQuestion]);
  assert.throws(() => decodeBallot(fewer, ballot.json), /ballot\.q\[1\]\.o\[0\]\.p: expected an array of 4/);
});

test('the first fault reported is that of the first question in manifest order', () => {
  const overvote = { ...valid, ref: ['yes', 'no'], jury: { ann: 'good' } };
  assert.deepEqual([fault(overvote).question, fault(overvote).reason], ['ref', 'overvote']);
  const both = { ...valid, jury: { ann: 'good' }, board: ['a', 'a'] };
  assert.deepEqual([fault(both).question, fault(both).reason], ['jury', 'ungraded']);
});
