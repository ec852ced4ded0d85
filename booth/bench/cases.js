// The ballots that `npm run bench` (node) and bench/chromium.py (headless Chromium) time:
// shared, so that both report the same cases.
import {
  buildElection, checkSymbol, CredentialKey, encryptBallot, groupByName, plaintextFromSelection,
} from '../src/index.js';

const text = (word) => ({ en: word, fr: word });
const options = (n, prefix = 'o') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, label: text(`${prefix}${i}`) }));

function manifest(groupName, question) {
  return {
    version: 1, election_id: 'bench-2026', group: groupName, title: text('Bench'),
    opens: '2026-05-01T08:00:00+00:00', closes: '2026-05-08T20:00:00+00:00', revote: 'last-counts', questions: [question],
  };
}

const CASES = [
  {
    name: 'ed25519 referendum (yes/no/blank)', group: 'ed25519', runs: 50, target: 10,
    question: { id: 'ref', kind: 'single', title: text('Adopt?'), options: options(2), blank: true },
    selection: { ref: ['o0'] },
  },
  {
    name: 'ed25519 approval, 10 options, up to 3 (+ blank)', group: 'ed25519', runs: 30, target: 40,
    question: { id: 'appr', kind: 'approval', title: text('Council'), options: options(10), blank: true, min: 1, max: 3 },
    selection: { appr: ['o1', 'o4', 'o7'] },
  },
  {
    name: 'ed25519 participatory budget, 20 projects', group: 'ed25519', runs: 10, target: 300,
    question: {
      id: 'budget', kind: 'budget', title: text('Budget'), budget: 1_000_000, min_spend: 0, max_projects: 10, rule: 'greedy-by-votes',
      projects: Array.from({ length: 20 }, (_, i) => ({ id: `p${i}`, label: text(`p${i}`), cost: 25_000 + 7_919 * i })),
    },
    selection: { budget: ['p0', 'p3', 'p5', 'p8', 'p13'] },
  },
  {
    name: 'modp4096 referendum (yes/no/blank)', group: 'modp4096', runs: 5, target: null,
    question: { id: 'ref', kind: 'single', title: text('Adopt?'), options: options(2), blank: true },
    selection: { ref: ['o1'] },
  },
  {
    name: 'ed25519 grades, 5 projects on 5 grades', group: 'ed25519', runs: 20, target: null,
    question: {
      id: 'mj', kind: 'grades', title: text('Judge'), options: options(5), rule: 'majority-judgment',
      grades: ['very-good', 'good', 'fair', 'poor', 'reject'].map((id) => ({ id, label: text(id) })),
    },
    selection: { mj: { o0: 'good', o1: 'fair', o2: 'very-good', o3: 'reject', o4: 'poor' } },
  },
  {
    name: 'ed25519 ranking, 5 options (Schulze)', group: 'ed25519', runs: 20, target: null,
    question: { id: 'rk', kind: 'ranking', title: text('Rank'), options: options(5), rule: 'schulze' },
    selection: { rk: ['o3', 'o0', 'o4'] },
  },
  {
    name: 'ed25519 ranking, 20 options (STV, ranks proven by bits)', group: 'ed25519', runs: 5, target: null,
    question: { id: 'rk', kind: 'ranking', title: text('Rank'), options: options(20), rule: 'stv', seats: 3 },
    selection: { rk: ['o3', 'o0', 'o4', 'o19', 'o7'] },
  },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const code = (() => {
  const data = 'BENCH000000000000000'.slice(0, 19);
  return data + checkSymbol(data);
})();

/**
 * Time every case: `clock()` gives the time spent so far in ms (CPU time in node, wall time in
 * a browser, which has no CPU clock). Returns one result per case.
 */
export function runCases(clock, wallClock = () => performance.now()) {
  const results = [];
  for (const c of CASES) {
    const group = groupByName(c.group);
    const m = manifest(c.group, c.question);
    const election = buildElection({
      manifest: m, group, publicKeyElement: group.baseExp(123456789n ** 5n),
      ceremonyDigest: new Uint8Array(32).fill(1), credentialListDigest: new Uint8Array(32).fill(2), boardKey: new Uint8Array(32).fill(3),
    });
    const started = wallClock();
    const key = CredentialKey.derive(group, election.electionId, code);
    const plaintext = plaintextFromSelection(m, c.selection);
    encryptBallot(election, key, plaintext); // warm-up: fixed-base tables, JIT
    const setup = wallClock() - started;
    const wall = [];
    const cpu = [];
    for (let i = 0; i < c.runs; i++) {
      const c0 = clock();
      const t0 = wallClock();
      encryptBallot(election, key, plaintext);
      wall.push(wallClock() - t0);
      cpu.push(clock() - c0);
    }
    results.push({ name: c.name, target: c.target, runs: c.runs, wall: median(wall), cpu: median(cpu), setup });
  }
  return results;
}

export function describe(result) {
  const verdict = result.target === null ? '' : result.cpu <= result.target ? ` (target <= ${result.target} ms: met)` : ` (target <= ${result.target} ms: MISSED)`;
  return `${result.name}: median ${result.wall.toFixed(1)} ms wall, ${result.cpu.toFixed(1)} ms CPU over ${result.runs} ballots${verdict}; first ballot with set-up ${result.setup.toFixed(0)} ms`;
}
