// Randomness: crypto.getRandomValues only (the Web Crypto API, in browsers and in node >= 19).
//
// Every randomised function takes an optional `rng` with `bytes(n)` and `scalar(group)`; the
// default draws from crypto.getRandomValues. Only the known-answer tests pass another one,
// which replays the scalars that tests/vectors/*.json list under `draws` (docs/spec.md 1.4).

import { bytesToBigint } from './encoding.js';

function randomBytes(n) {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65536 bytes a call.
  for (let at = 0; at < n; at += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  }
  return out;
}

/**
 * A uniform scalar in [1, q): 1 + (a 512-bit random integer mod (q - 1)). The wide reduction
 * leaves a statistical distance below 2^-250 from uniform (RFC 9380 section 5), like
 * evote's `1 + secrets.randbelow(q - 1)`, which is exactly uniform.
 */
function randomScalar(group) {
  return 1n + (bytesToBigint(randomBytes(64)) % (group.order - 1n));
}

export const systemRandom = Object.freeze({
  bytes: randomBytes,
  scalar: randomScalar,
  replaysHedgedNonces: false,
});

/**
 * For known-answer tests only: returns the given scalars in order, the hedged nonces of
 * section 4.6 included (the vector lists each such nonce itself, as evote's generator does).
 */
export function replayingRandom(scalars) {
  const queue = [...scalars];
  return {
    bytes() {
      throw new Error('a replaying random source gives scalars only');
    },
    scalar() {
      if (queue.length === 0) throw new Error('more scalars drawn than the vector lists');
      return queue.shift();
    },
    replaysHedgedNonces: true,
    get remaining() {
      return queue.length;
    },
  };
}
