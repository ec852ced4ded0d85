// The voter's side of evote (docs/spec.md) in JavaScript.
export * from './errors.js';
export * from './encoding.js';
export * from './json.js';
export { Element, groupByName, scalarToBytes } from './groups.js';
export * from './credentials.js';
export * from './proofs.js';
export * from './ballot.js';
export * from './audit.js';
export * from './receipt.js';
export * from './election.js';
export { systemRandom, replayingRandom } from './random.js';
