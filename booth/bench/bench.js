#!/usr/bin/env node
// `npm run bench`: median time to encrypt and sign one ballot (every proof included), in node,
// for the figures of docs/performance.md. Elections are built locally (a random key, fixed
// digests): the cost does not depend on them. bench/chromium.py runs the same cases in
// headless Chromium.
import os from 'node:os';
import { describe, runCases } from './cases.js';

// Wall time counts the waits of a loaded machine; CPU time (process.cpuUsage) is the cost of
// the work itself, and the one compared with the targets.
const cpuClock = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
console.log(`node ${process.version}, ${process.platform} ${process.arch}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, load average ${os.loadavg()[0].toFixed(1)}`);
for (const result of runCases(cpuClock)) console.log(describe(result));
