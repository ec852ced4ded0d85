// Ballots (docs/spec.md sections 6.2 to 6.7 and 7.5): the manifest's rules as statements,
// encryption with every proof, the ballot's canonical JSON, the credential's signature, the
// ballot hash and tracking code, decoding and checking (the voter's own check_ballot, used by
// the Benaloh audit), and the ciphertext marks.

import { bytesToBigint, digest, digest32, Purpose, utf8Bytes } from './encoding.js';
import {
  ContextMismatch, InvalidBallot, InvalidInput, InvalidProof, InvalidScalar, InvalidSignature,
} from './errors.js';
import { b64decode, b64encode, canonicalBytes } from './json.js';
import { scalarToBytes } from './groups.js';
import {
  bitCount, checkInterval, checkRange, checkSchnorr, encryptWithNonce, homomorphicSum,
  proofContext, proveInterval, proveRange, proveSchnorr, weightedSum,
} from './proofs.js';
import { systemRandom } from './random.js';

export const BALLOT_VERSION = 1;
/** Ranges of at most this many values get a CDS proof, wider ones an interval proof (6.4). */
export const CDS_MAX_VALUES = 16;

// -- the manifest's rules ---------------------------------------------------------------------

/** The options (or projects) of a question. */
export function optionsOf(question) {
  return question.kind === 'budget' ? question.projects : question.options;
}

export function blankAllowed(question) {
  return (question.kind === 'single' || question.kind === 'approval') && question.blank === true;
}

/** Grades and ranking questions are counted by the mixnet, the four others homomorphically. */
export function countedByMixnet(question) {
  return question.kind === 'grades' || question.kind === 'ranking';
}

/**
 * The largest value an option's ciphertext may hold (the M of its option proof, 6.4): 1, the
 * score's `max_score`, G − 1 for G grades (the best grade), or n for a ranking of n options.
 */
export function optionMaximum(question) {
  switch (question.kind) {
    case 'score': return question.max_score;
    case 'grades': return question.grades.length - 1;
    case 'ranking': return question.options.length;
    default: return 1;
  }
}

/** The integer a grade is encrypted as: G − 1 − its position in the best-first list (6.2). */
export function gradeValue(question, gradeId) {
  const position = question.grades.findIndex((g) => g.id === gradeId);
  if (position < 0) return -1;
  return question.grades.length - 1 - position;
}

/** The grade an encrypted value stands for (the inverse of gradeValue). */
export function gradeOfValue(question, value) {
  return question.grades[question.grades.length - 1 - value];
}

/** [min, max] of the number (or total) of chosen options, or null (manifest.py count_range). */
export function countRange(question) {
  switch (question.kind) {
    case 'single':
      return [1, 1];
    case 'approval':
      return [question.min, question.max];
    case 'score':
      return question.max_total === undefined ? null : [0, question.max_total];
    case 'budget':
      if (question.min_projects === undefined && question.max_projects === undefined) return null;
      return [question.min_projects ?? 0, question.max_projects ?? question.projects.length];
    case 'grades':
    case 'ranking':
      return null;
    default:
      throw new InvalidBallot(`question ${JSON.stringify(question.id)}: unknown kind ${JSON.stringify(question.kind)}`);
  }
}

/** What one question's proofs state (encrypted.py _rules; the table of section 6.4). */
export function rules(question) {
  const n = optionsOf(question).length;
  if (question.kind === 'single' || question.kind === 'approval') {
    const [low, high] = countRange(question) ?? [0, n];
    if (blankAllowed(question)) {
      return { optionMax: 1, blank: true, sumRange: [low, high + 1], blankWeight: high + 1, costs: null, spendRange: null, countRange: [0, high] };
    }
    return { optionMax: 1, blank: false, sumRange: [low, high], blankWeight: 0, costs: null, spendRange: null, countRange: null };
  }
  if (question.kind === 'score') {
    return { optionMax: question.max_score, blank: false, sumRange: countRange(question), blankWeight: 0, costs: null, spendRange: null, countRange: null };
  }
  if (countedByMixnet(question)) {
    // Like a score question without max_total: option proofs on [0, M] and nothing else.
    return { optionMax: optionMaximum(question), blank: false, sumRange: null, blankWeight: 0, costs: null, spendRange: null, countRange: null };
  }
  if (question.kind !== 'budget') throw new InvalidBallot(`question ${JSON.stringify(question.id)}: unknown kind ${JSON.stringify(question.kind)}`);
  return {
    optionMax: 1, blank: false, sumRange: countRange(question), blankWeight: 0,
    costs: question.projects.map((p) => p.cost), spendRange: [question.min_spend, question.budget], countRange: null,
  };
}

const usesCds = (lower, upper) => upper - lower + 1 <= CDS_MAX_VALUES;

// -- plaintext --------------------------------------------------------------------------------

/**
 * Answers from a selection {question id: [option ids] | {option id: score} | null (blank)},
 * checked against the manifest (plaintext.py from_selection): InvalidBallot names the question
 * and the rule (`reason` says which: overvote, undervote, over-budget...).
 */
export function plaintextFromSelection(manifest, selection) {
  for (const id of Object.keys(selection)) {
    if (!manifest.questions.some((q) => q.id === id)) throw new InvalidBallot(`selection: unknown question ${JSON.stringify(id)}`);
  }
  const answers = manifest.questions.map((question) => {
    const where = `question ${JSON.stringify(question.id)}`;
    const options = optionsOf(question);
    const chosen = selection[question.id];
    if (chosen === undefined && !blankAllowed(question)) {
      throw Object.assign(new InvalidBallot(`selection: question ${JSON.stringify(question.id)} is left out, and it allows no blank vote: give a selection for it`), { question: question.id, reason: 'missing' });
    }
    // Each answer is checked as soon as it is read, so that the first fault reported is that of
    // the first question in manifest order (the page shows one message at a time).
    if (chosen === null || chosen === undefined) return checkedAnswer(question, { values: options.map(() => 0), blank: true });
    const values = options.map(() => 0);
    const indexOf = (id) => {
      const index = options.findIndex((o) => o.id === id);
      if (index < 0) throw new InvalidBallot(`${where}: unknown option ${JSON.stringify(id)}`);
      return index;
    };
    if (question.kind === 'score') {
      for (const [id, score] of Object.entries(chosen)) values[indexOf(id)] = score;
    } else if (question.kind === 'grades') {
      gradesValues(question, chosen, indexOf).forEach((value, j) => { values[j] = value; });
    } else if (question.kind === 'ranking') {
      if (!Array.isArray(chosen)) throw fault(`${where}: expected a list of option ids, most preferred first`, question, 'shape');
      chosen.forEach((id, position) => {
        const index = indexOf(id);
        if (values[index]) throw fault(`${where}: option ${JSON.stringify(id)} ranked twice`, question, 'repeat', { option: id });
        values[index] = position + 1;
      });
    } else {
      for (const id of chosen) {
        const index = indexOf(id);
        if (values[index]) throw new InvalidBallot(`${where}: option ${JSON.stringify(id)} chosen twice`);
        values[index] = 1;
      }
    }
    return checkedAnswer(question, { values, blank: false });
  });
  const plaintext = { answers };
  checkPlaintext(manifest, plaintext);
  return plaintext;
}

function checkedAnswer(question, answer) {
  checkAnswer(question, answer);
  return answer;
}

/** The encoded grades of a {option id: grade id} selection that grades every option. */
function gradesValues(question, chosen, indexOf) {
  const where = `question ${JSON.stringify(question.id)}`;
  if (typeof chosen !== 'object' || Array.isArray(chosen)) throw fault(`${where}: expected {option id: grade id}`, question, 'shape');
  for (const id of Object.keys(chosen)) indexOf(id);
  return question.options.map((option) => {
    const grade = chosen[option.id];
    if (grade === undefined || grade === null) {
      throw fault(`${where}, option ${JSON.stringify(option.id)}: no grade given; every option must be graded`, question, 'ungraded', { option: option.id });
    }
    const value = gradeValue(question, grade);
    if (value < 0) throw fault(`${where}, option ${JSON.stringify(option.id)}: unknown grade ${JSON.stringify(grade)}`, question, 'grade', { option: option.id });
    return value;
  });
}

/** The options of a ranking question ordered by their ranks in `values` (1 first); rank 0 left out. */
export function rankedOptions(question, values) {
  return question.options
    .map((option, j) => [values[j], j, option])
    .filter(([rank]) => rank > 0)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, , option]) => option);
}

/**
 * The selection (option ids, most preferred first) of a ranking question from a rank per option
 * {option id: rank}, rank 0 or absent for an option left out: what a form of one rank field per
 * option gives. The ranks must be 1, 2, ..., k without a gap nor a tie; InvalidBallot otherwise,
 * with `reason` "rank-tie" (`rank`, `option` and `other` the two options) or "rank-gap" (`rank`
 * the first one missing).
 */
export function rankingSelection(question, ranks) {
  const where = `question ${JSON.stringify(question.id)}`;
  if (question.kind !== 'ranking') throw new InvalidInput(`${where}: not a ranking question`);
  for (const id of Object.keys(ranks)) {
    if (!question.options.some((o) => o.id === id)) throw new InvalidBallot(`${where}: unknown option ${JSON.stringify(id)}`);
  }
  const values = question.options.map((option) => ranks[option.id] ?? 0);
  checkAnswer(question, { values, blank: false });
  return rankedOptions(question, values).map((option) => option.id);
}

function fault(message, question, reason, extra = {}) {
  return Object.assign(new InvalidBallot(message), { question: question.id, reason, ...extra });
}

/** InvalidBallot unless the answers follow every rule of the manifest (plaintext.py). */
export function checkPlaintext(manifest, plaintext) {
  if (plaintext.answers.length !== manifest.questions.length) {
    throw new InvalidBallot(`ballot: ${plaintext.answers.length} answers for ${manifest.questions.length} questions`);
  }
  manifest.questions.forEach((question, index) => checkAnswer(question, plaintext.answers[index]));
}

export function checkAnswer(question, answer) {
  const where = `question ${JSON.stringify(question.id)}`;
  const options = optionsOf(question);
  if (answer.values.length !== options.length) throw new InvalidBallot(`${where}: ${answer.values.length} values for ${options.length} options`);
  const maximum = optionMaximum(question);
  const what = { score: 'a score', grades: 'a grade', ranking: 'a rank' }[question.kind] ?? 'a value';
  options.forEach((option, i) => {
    const value = answer.values[i];
    if (!Number.isSafeInteger(value) || value < 0 || value > maximum) {
      throw fault(`${where}, option ${JSON.stringify(option.id)}: ${value} is not ${what} in [0, ${maximum}]`, question, 'value', { option: option.id });
    }
  });
  if (question.kind === 'ranking') checkRanks(question, answer.values);
  const total = answer.values.reduce((a, b) => a + b, 0);
  if (answer.blank) {
    if (!blankAllowed(question)) throw fault(`${where}: a blank vote is not allowed`, question, 'blank');
    if (total) throw fault(`${where}: a blank vote chooses no option`, question, 'blank');
    return;
  }
  const checkCount = (count, what) => {
    const bounds = countRange(question);
    if (bounds === null) return;
    if (count > bounds[1]) throw fault(`${where}: overvote, ${count} ${what} chosen, at most ${bounds[1]} allowed`, question, 'overvote', { bound: bounds[1] });
    if (count < bounds[0]) throw fault(`${where}: undervote, ${count} ${what} chosen, at least ${bounds[0]} required`, question, 'undervote', { bound: bounds[0] });
  };
  if (countedByMixnet(question)) return;
  if (question.kind === 'single' || question.kind === 'approval') checkCount(total, 'options');
  else if (question.kind === 'score') {
    if (question.max_total !== undefined && total > question.max_total) {
      throw fault(`${where}: total score ${total} is above the bound ${question.max_total}`, question, 'over-total', { bound: question.max_total });
    }
  } else {
    const spend = question.projects.reduce((sum, p, i) => sum + p.cost * answer.values[i], 0);
    if (spend > question.budget) throw fault(`${where}: over budget, spend ${spend} above ${question.budget}`, question, 'over-budget', { spend, bound: question.budget });
    if (spend < question.min_spend) throw fault(`${where}: under minimum spend, spend ${spend} below ${question.min_spend}`, question, 'under-spend', { spend, bound: question.min_spend });
    checkCount(total, 'projects');
  }
}

/** The ranks of a ranking are 1, 2, ..., k on k options and 0 on the others (6.2). */
function checkRanks(question, values) {
  const where = `question ${JSON.stringify(question.id)}`;
  const holder = new Map();
  question.options.forEach((option, j) => {
    const rank = values[j];
    if (rank === 0) return;
    if (holder.has(rank)) {
      const other = question.options[holder.get(rank)].id;
      throw fault(`${where}: options ${JSON.stringify(other)} and ${JSON.stringify(option.id)} both have rank ${rank}; a rank is given once`, question, 'rank-tie', { rank, option: other, other: option.id });
    }
    holder.set(rank, j);
  });
  for (let rank = 1; rank <= holder.size; rank++) {
    if (!holder.has(rank)) throw fault(`${where}: rank ${rank} is missing; the ranks given must be 1, 2, 3... without a gap`, question, 'rank-gap', { rank });
  }
}

// -- encryption -------------------------------------------------------------------------------

function shift(group, ciphertext, lower) {
  if (lower === 0) return ciphertext;
  return { alpha: ciphertext.alpha, beta: ciphertext.beta.mul(group.baseExp(-BigInt(lower))) };
}

function proveBounded(key, purpose, context, ciphertext, value, nonce, lower, upper, rng) {
  if (usesCds(lower, upper)) {
    const proof = proveRange(key, purpose, context, shift(key.group, ciphertext, lower), BigInt(value) - BigInt(lower), nonce, upper - lower, rng);
    return { cds: proof };
  }
  return { interval: proveInterval(key, purpose, context, ciphertext, value, nonce, lower, upper, rng) };
}

function checkBounded(key, purpose, context, ciphertext, lower, upper, proof, where) {
  if (proof.cds) checkRange(key, purpose, context, shift(key.group, ciphertext, lower), upper - lower, proof.cds, where);
  else checkInterval(key, purpose, context, ciphertext, lower, upper, proof.interval, where);
}

function positionOf(election, index, credentialBytes) {
  return {
    option: (j) => proofContext(election.fingerprint, ['question', index, 'option', j, credentialBytes]),
    named: (name) => proofContext(election.fingerprint, ['question', index, name, credentialBytes]),
  };
}

function sumCiphertext(group, options, blank, rule) {
  let total = homomorphicSum(group, options);
  if (blank) {
    const w = BigInt(rule.blankWeight);
    total = { alpha: total.alpha.mul(blank.alpha.exp(w)), beta: total.beta.mul(blank.beta.exp(w)) };
  }
  return total;
}

/** Fresh encryption nonces: per question, one per option, then the blank's iff allowed. */
export function drawNonces(election, rng = systemRandom) {
  return election.manifest.questions.map((question) => ({
    options: optionsOf(question).map(() => rng.scalar(election.group)),
    blank: blankAllowed(question) ? rng.scalar(election.group) : null,
  }));
}

function encryptQuestion(election, position, question, answer, nonces, rng) {
  const key = election.publicKey;
  const group = election.group;
  const rule = rules(question);
  const options = answer.values.map((value, j) => {
    const ciphertext = encryptWithNonce(key, BigInt(value), nonces.options[j], rule.optionMax);
    const proof = proveBounded(key, Purpose.OPTION_PROOF, position.option(j), ciphertext, value, nonces.options[j], 0, rule.optionMax, rng);
    return { ciphertext, proof };
  });
  const result = { options, blank: null, sum: null, count: null, spend: null };
  const blankValue = answer.blank ? 1n : 0n;
  if (rule.blank) {
    const ciphertext = encryptWithNonce(key, blankValue, nonces.blank, 1);
    const proof = proveRange(key, Purpose.OPTION_PROOF, position.named('blank'), ciphertext, blankValue, nonces.blank, 1, rng);
    result.blank = { ciphertext, proof: { cds: proof } };
  }
  const total = BigInt(answer.values.reduce((a, b) => a + b, 0));
  const optionNonces = nonces.options.reduce((a, b) => a + b, 0n);
  const ciphertexts = options.map((o) => o.ciphertext);
  if (rule.sumRange) {
    const [lower, upper] = rule.sumRange;
    const sum = sumCiphertext(group, ciphertexts, result.blank?.ciphertext, rule);
    const weight = BigInt(rule.blankWeight);
    const value = total + weight * blankValue;
    const nonce = group.reduce(optionNonces + weight * (nonces.blank ?? 0n));
    result.sum = proveBounded(key, Purpose.SUM_PROOF, position.named('sum'), sum, value, nonce, lower, upper, rng);
  }
  if (rule.countRange) {
    const [lower, upper] = rule.countRange;
    result.count = proveBounded(key, Purpose.SUM_PROOF, position.named('count'), homomorphicSum(group, ciphertexts), total, group.reduce(optionNonces), lower, upper, rng);
  }
  if (rule.costs) {
    const [lower, upper] = rule.spendRange;
    const spend = weightedSum(group, rule.costs, ciphertexts);
    const value = rule.costs.reduce((sum, cost, j) => sum + BigInt(cost) * BigInt(answer.values[j]), 0n);
    const nonce = group.reduce(rule.costs.reduce((sum, cost, j) => sum + BigInt(cost) * nonces.options[j], 0n));
    result.spend = { interval: proveInterval(key, Purpose.BUDGET_PROOF, position.named('spend'), spend, value, nonce, lower, upper, rng) };
  }
  return result;
}

function checkNonces(election, plaintext, nonces) {
  const q = election.group.order;
  if (nonces.length !== election.manifest.questions.length) throw new InvalidInput('nonces: one entry per question expected');
  election.manifest.questions.forEach((question, i) => {
    const given = nonces[i];
    if (given.options.length !== plaintext.answers[i].values.length) throw new InvalidInput(`nonces[${i}]: expected one nonce per option`);
    if ((given.blank !== null) !== blankAllowed(question)) throw new InvalidInput(`nonces[${i}]: a blank nonce is needed iff the question allows blank`);
    for (const r of [...given.options, ...(given.blank === null ? [] : [given.blank])]) {
      if (typeof r !== 'bigint' || r <= 0n || r >= q) throw new InvalidInput(`nonces[${i}]: every nonce must be an integer in [1, order)`);
    }
  });
}

/**
 * Encrypt `plaintext` for `election`, prove it valid and sign it with the credential key.
 * Returns { ballot, secrets }: the secrets (choices and nonces) serve a Benaloh audit only and
 * must be dropped when the ballot is cast. `nonces` may be given (known-answer tests only: a
 * nonce used twice reveals the choices).
 */
export function encryptBallot(election, credentialKey, plaintext, { rng = systemRandom, nonces } = {}) {
  checkPlaintext(election.manifest, plaintext);
  if (credentialKey.group !== election.group || credentialKey.electionId !== election.electionId) {
    throw new ContextMismatch('credential: the key was derived for another election or group');
  }
  const encryptionNonces = nonces ?? drawNonces(election, rng);
  checkNonces(election, plaintext, encryptionNonces);
  const credential = credentialKey.public;
  const credentialBytes = credential.toBytes();
  const questions = election.manifest.questions.map((question, index) =>
    encryptQuestion(election, positionOf(election, index, credentialBytes), question, plaintext.answers[index], encryptionNonces[index], rng));
  const unsigned = unsignedObject(election.electionId, election.fingerprint, credential, questions);
  const signedBytes = canonicalBytes(unsigned);
  const signature = signMessage(election.group, credentialKey, election.fingerprint, signedBytes, rng);
  const ballot = makeBallot(unsigned, signature, signedBytes);
  const secrets = { plaintext, nonces: encryptionNonces };
  Object.defineProperty(secrets, 'toJSON', { value: () => '(ballot secrets)', enumerable: false });
  return { ballot, secrets };
}

function makeBallot(unsigned, signature, signedBytes) {
  const obj = { ...unsigned, s: [[b64scalar(signature.challenge), b64scalar(signature.response)]] };
  const bytes = canonicalBytes(obj);
  const hash = digest32(Purpose.BALLOT, bytes);
  return { json: obj, bytes, signedBytes, hash, trackingCode: trackingCode(hash) };
}

// -- signature (section 7.5) -----------------------------------------------------------------

export function messageDigest(message) {
  return digest(Purpose.CREDENTIAL_SIGNATURE, message);
}

function signatureContext(fingerprint, message) {
  if (!(fingerprint instanceof Uint8Array) || fingerprint.length !== 32) throw new InvalidInput('fingerprint: expected 32 bytes');
  if (!(message instanceof Uint8Array)) throw new InvalidInput('message: expected bytes');
  return proofContext(fingerprint, [messageDigest(message)]);
}

export function signMessage(group, key, fingerprint, message, rng = systemRandom) {
  return proveSchnorr(group, Purpose.CREDENTIAL_SIGNATURE, signatureContext(fingerprint, message), key.secret, key.public, rng);
}

export function checkSignature(group, pub, fingerprint, message, signature, where = 'signature') {
  try {
    checkSchnorr(group, Purpose.CREDENTIAL_SIGNATURE, signatureContext(fingerprint, message), pub, signature, where);
  } catch (error) {
    if (error instanceof InvalidProof) throw new InvalidSignature(`${where}: the credential's signature does not verify (${error.message})`);
    throw error;
  }
}

// -- JSON (section 6.5) ----------------------------------------------------------------------

const b64scalar = (k) => b64encode(scalarToBytes(k));
const b64element = (e) => b64encode(e.toBytes());
const pairs = (proof) => proof.map((p) => [b64scalar(p.challenge), b64scalar(p.response)]);

function proofObj(proof) {
  if (proof.cds) return pairs(proof.cds);
  const side = (s) => s.bits.map((bit, i) => optionObj({ ciphertext: bit, proof: { cds: s.proofs[i] } }));
  return { l: side(proof.interval.above), u: side(proof.interval.below) };
}

function optionObj(option) {
  return { a: b64element(option.ciphertext.alpha), b: b64element(option.ciphertext.beta), p: proofObj(option.proof) };
}

function questionObj(question) {
  const obj = { o: question.options.map(optionObj) };
  if (question.blank) obj.w = optionObj(question.blank);
  if (question.sum) obj.t = proofObj(question.sum);
  if (question.spend) obj.d = proofObj(question.spend);
  if (question.count) obj.n = proofObj(question.count);
  return obj;
}

function unsignedObject(electionId, fingerprint, credential, questions) {
  return { v: BALLOT_VERSION, e: electionId, f: b64encode(fingerprint), c: b64element(credential), q: questions.map(questionObj) };
}

// -- tracking code (section 6.5) ---------------------------------------------------------------

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Crockford base32 of the first 13 bytes of the hash and one zero bit, grouped 4-4-4-4-5. */
export function trackingCode(ballotHash) {
  if (ballotHash.length < 13) throw new InvalidInput('tracking code: hash too short');
  const number = bytesToBigint(ballotHash.slice(0, 13)) << 1n;
  let text = '';
  for (let i = 20; i >= 0; i--) text += CROCKFORD[Number((number >> BigInt(5 * i)) & 31n)];
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16)}`;
}

export function ballotHash(bytes) {
  return digest32(Purpose.BALLOT, bytes);
}

// -- decoding and checking (sections 6.5, 6.6) ------------------------------------------------

function expectObject(value, where, keys) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidBallot(`${where}: expected an object`);
  const present = Object.keys(value).sort();
  const wanted = [...keys].sort();
  if (present.join() !== wanted.join()) throw new InvalidBallot(`${where}: expected exactly the fields ${wanted.join(', ')}`);
  return value;
}

function expectArray(value, where, count) {
  if (!Array.isArray(value) || value.length !== count) throw new InvalidBallot(`${where}: expected an array of ${count}`);
  return value;
}

function readElement(group, value, where) {
  const bytes = b64decode(value, where, group.elementSize, InvalidBallot);
  try {
    return group.decode(bytes, where);
  } catch (error) {
    throw new InvalidBallot(error.message);
  }
}

function readScalar(group, value, where) {
  const bytes = b64decode(value, where, 32, InvalidBallot);
  try {
    return group.scalarFromBytes(bytes, where);
  } catch (error) {
    if (error instanceof InvalidScalar) throw new InvalidBallot(error.message);
    throw error;
  }
}

function readPairs(group, value, where, count) {
  return expectArray(value, where, count).map((pair, i) => {
    const [c, v] = expectArray(pair, `${where}[${i}]`, 2);
    return { challenge: readScalar(group, c, `${where}[${i}]`), response: readScalar(group, v, `${where}[${i}]`) };
  });
}

function readOption(group, value, lower, upper, where) {
  const fields = expectObject(value, where, ['a', 'b', 'p']);
  return {
    ciphertext: { alpha: readElement(group, fields.a, `${where}.a`), beta: readElement(group, fields.b, `${where}.b`) },
    proof: readProof(group, fields.p, lower, upper, where + '.p'),
  };
}

function readProof(group, value, lower, upper, where, forceInterval = false) {
  if (usesCds(lower, upper) && !forceInterval) return { cds: readPairs(group, value, where, upper - lower + 1) };
  const bits = bitCount(lower, upper);
  const fields = expectObject(value, where, ['l', 'u']);
  const side = (name) => {
    const options = expectArray(fields[name], `${where}.${name}`, bits).map((item, i) => readOption(group, item, 0, 1, `${where}.${name}[${i}]`));
    return { bits: options.map((o) => o.ciphertext), proofs: options.map((o) => o.proof.cds) };
  };
  return { interval: { above: side('l'), below: side('u') } };
}

/**
 * Read a ballot's JSON object against the election (counts, proof kinds, every element
 * validated) and check that `bytes`, if given, are its canonical JSON.
 */
export function decodeBallot(election, obj, bytes = undefined) {
  const group = election.group;
  const fields = expectObject(obj, 'ballot', ['v', 'e', 'f', 'c', 'q', 's']);
  if (fields.v !== BALLOT_VERSION) throw new InvalidBallot('ballot.v: expected 1');
  if (typeof fields.e !== 'string') throw new InvalidBallot('ballot.e: expected text');
  const fingerprint = b64decode(fields.f, 'ballot.f', 32, InvalidBallot);
  const credential = readElement(group, fields.c, 'ballot.c');
  const questions = expectArray(fields.q, 'ballot.q', election.manifest.questions.length).map((item, index) => {
    const question = election.manifest.questions[index];
    const rule = rules(question);
    const where = `ballot.q[${index}]`;
    const keys = ['o', ...(rule.blank ? ['w'] : []), ...(rule.sumRange ? ['t'] : []), ...(rule.spendRange ? ['d'] : []), ...(rule.countRange ? ['n'] : [])];
    const f = expectObject(item, where, keys);
    return {
      options: expectArray(f.o, `${where}.o`, optionsOf(question).length).map((o, j) => readOption(group, o, 0, rule.optionMax, `${where}.o[${j}]`)),
      blank: rule.blank ? readOption(group, f.w, 0, 1, `${where}.w`) : null,
      sum: rule.sumRange ? readProof(group, f.t, ...rule.sumRange, `${where}.t`) : null,
      spend: rule.spendRange ? readProof(group, f.d, ...rule.spendRange, `${where}.d`, true) : null,
      count: rule.countRange ? readProof(group, f.n, ...rule.countRange, `${where}.n`) : null,
    };
  });
  const [signature] = readPairs(group, fields.s, 'ballot.s', 1);
  const unsigned = { v: fields.v, e: fields.e, f: fields.f, c: fields.c, q: fields.q };
  const canonical = canonicalBytes(obj);
  if (bytes !== undefined && (bytes.length !== canonical.length || !bytes.every((b, i) => b === canonical[i]))) {
    throw new InvalidBallot('ballot: not canonical JSON (sorted keys, no whitespace, no escapes that canonical JSON does not write, nothing after the object)');
  }
  const hash = digest32(Purpose.BALLOT, canonical);
  return {
    electionId: fields.e, fingerprint, credential, questions, signature,
    json: obj, bytes: canonical, signedBytes: canonicalBytes(unsigned), hash, trackingCode: trackingCode(hash),
  };
}

/**
 * The voter's check_ballot (section 6.6) on a decoded ballot: context, signature, every proof.
 * The credential list is the board's to check (UnknownCredential): a voter-kit does not carry it.
 */
export function checkBallot(election, decoded) {
  if (decoded.electionId !== election.electionId) throw new ContextMismatch(`ballot.election_id: ${JSON.stringify(decoded.electionId)} is not this election (${JSON.stringify(election.electionId)})`);
  if (!decoded.fingerprint.every((b, i) => b === election.fingerprint[i])) throw new ContextMismatch('ballot.fingerprint: made for another version of this election');
  const group = election.group;
  const key = election.publicKey;
  checkSignature(group, decoded.credential, election.fingerprint, decoded.signedBytes, decoded.signature, 'ballot.signature');
  const credentialBytes = decoded.credential.toBytes();
  election.manifest.questions.forEach((question, index) => {
    const rule = rules(question);
    const position = positionOf(election, index, credentialBytes);
    const where = `ballot.questions[${index}]`;
    const encrypted = decoded.questions[index];
    encrypted.options.forEach((option, j) => checkBounded(key, Purpose.OPTION_PROOF, position.option(j), option.ciphertext, 0, rule.optionMax, option.proof, `${where}.options[${j}].proof`));
    if (encrypted.blank) checkBounded(key, Purpose.OPTION_PROOF, position.named('blank'), encrypted.blank.ciphertext, 0, 1, encrypted.blank.proof, `${where}.blank.proof`);
    const ciphertexts = encrypted.options.map((o) => o.ciphertext);
    if (rule.sumRange) {
      const total = sumCiphertext(group, ciphertexts, encrypted.blank?.ciphertext, rule);
      checkBounded(key, Purpose.SUM_PROOF, position.named('sum'), total, ...rule.sumRange, encrypted.sum, `${where}.sum_proof`);
    }
    if (rule.countRange) checkBounded(key, Purpose.SUM_PROOF, position.named('count'), homomorphicSum(group, ciphertexts), ...rule.countRange, encrypted.count, `${where}.count_proof`);
    if (rule.costs) {
      const spend = weightedSum(group, rule.costs, ciphertexts);
      checkInterval(key, Purpose.BUDGET_PROOF, position.named('spend'), spend, ...rule.spendRange, encrypted.spend.interval, `${where}.spend_proof`);
    }
  });
}

/** One mark per option and blank ciphertext: digest32(BALLOT, "alpha", fingerprint, α) (6.7). */
export function ciphertextMarks(fingerprint, decoded) {
  const marks = [];
  for (const question of decoded.questions) {
    for (const option of [...question.options, ...(question.blank ? [question.blank] : [])]) {
      marks.push(digest32(Purpose.BALLOT, 'alpha', fingerprint, option.ciphertext.alpha));
    }
  }
  return marks;
}


