#!/usr/bin/env node
// The JavaScript side of tests/booth/test_interop.py: reads one JSON request on stdin, writes
// one JSON answer on stdout.
//
//   {"mode": "make", "kit": {election, group, manifest, credentials}, "codes": [...],
//    "ballots": n, "audits": m}
//     -> {"fingerprint_checked": bool, "ballots": [{"selection", "bytes", "tracking_code"}],
//         "audits": [{"selection", "bytes", "tracking_code", "audit"}]}
//     n ballots for random valid choices (voter i % codes), m more spoiled for a Benaloh audit.
//   {"mode": "check-receipts", "board_key": b64, "receipts": [{"receipt", "tracking_code",
//    "ballot_hash" (b64)}]} -> {"checked": k}; any fault exits non-zero with its message.

import {
  b64decode, blankAllowed, canonicalJson, checkReceipt, CredentialKey, electionFromVoterKit,
  encryptBallot, optionsOf, plaintextFromSelection, spoilBallot,
} from '../src/index.js';

const decoder = new TextDecoder();

function randomBelow(n) {
  const word = new Uint32Array(1);
  const limit = Math.floor(2 ** 32 / n) * n;
  do globalThis.crypto.getRandomValues(word); while (word[0] >= limit);
  return word[0] % n;
}

function shuffled(items) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A random selection that follows the question's rules (or undefined: blank). */
function randomAnswer(question) {
  const ids = optionsOf(question).map((o) => o.id);
  if (blankAllowed(question) && randomBelow(4) === 0) return null;
  switch (question.kind) {
    case 'single':
      return [ids[randomBelow(ids.length)]];
    case 'approval': {
      const count = question.min + randomBelow(question.max - question.min + 1);
      return shuffled(ids).slice(0, count);
    }
    case 'score': {
      const scores = Object.fromEntries(ids.map((id) => [id, randomBelow(question.max_score + 1)]));
      let total = Object.values(scores).reduce((a, b) => a + b, 0);
      for (const id of shuffled(ids)) {
        if (question.max_total === undefined || total <= question.max_total) break;
        const cut = Math.min(scores[id], total - question.max_total);
        scores[id] -= cut;
        total -= cut;
      }
      return scores;
    }
    case 'budget': {
      const low = question.min_projects ?? 0;
      const high = question.max_projects ?? ids.length;
      for (let attempt = 0; attempt < 10000; attempt++) {
        const chosen = shuffled(question.projects).slice(0, low + randomBelow(high - low + 1));
        const spend = chosen.reduce((sum, p) => sum + p.cost, 0);
        if (spend >= question.min_spend && spend <= question.budget) return chosen.map((p) => p.id);
      }
      throw new Error(`no valid budget selection found for ${question.id}`);
    }
    case 'grades':
      return Object.fromEntries(ids.map((id) => [id, question.grades[randomBelow(question.grades.length)].id]));
    case 'ranking':
      // A partial ranking of random length (0: no preference), most preferred first.
      return shuffled(ids).slice(0, randomBelow(ids.length + 1));
    default:
      throw new Error(`unknown kind ${question.kind}`);
  }
}

function randomSelection(manifest) {
  const selection = {};
  for (const question of manifest.questions) selection[question.id] = randomAnswer(question);
  return selection;
}

function make(request) {
  const election = electionFromVoterKit(request.kit);
  const keys = request.codes.map((code) => CredentialKey.derive(election.group, election.electionId, code));
  const one = (i) => {
    const selection = randomSelection(election.manifest);
    const { ballot, secrets } = encryptBallot(election, keys[i % keys.length], plaintextFromSelection(election.manifest, selection));
    return { selection, bytes: decoder.decode(ballot.bytes), tracking_code: ballot.trackingCode, ballot, secrets };
  };
  const ballots = [];
  for (let i = 0; i < request.ballots; i++) {
    const { selection, bytes, tracking_code } = one(i);
    ballots.push({ selection, bytes, tracking_code });
  }
  const audits = [];
  for (let i = 0; i < (request.audits ?? 0); i++) {
    const { selection, bytes, tracking_code, ballot, secrets } = one(i);
    audits.push({ selection, bytes, tracking_code, audit: canonicalJson(spoilBallot(ballot, secrets)) });
  }
  return { fingerprint_checked: election.fingerprintChecked, ballots, audits };
}

function checkReceipts(request) {
  const boardKey = b64decode(request.board_key, 'board_key', 32);
  for (const item of request.receipts) {
    checkReceipt(item.receipt, boardKey, { trackingCode: item.tracking_code, ballotHash: b64decode(item.ballot_hash, 'ballot_hash', 32) });
  }
  return { checked: request.receipts.length };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
try {
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const answer = request.mode === 'make' ? make(request) : checkReceipts(request);
  process.stdout.write(JSON.stringify(answer));
} catch (error) {
  process.stderr.write(`interop.js: ${error.name}: ${error.message}\n`);
  process.exit(1);
}
