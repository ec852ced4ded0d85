#!/usr/bin/env node
// `npm run build`: the booth page's assets, written to ../evote/service/static/booth/ (package
// data of the Python package, so that `pip install .` needs no node): index.html and booth.css
// copied, booth.js bundled by esbuild from page/main.js and src/ into one ES module. The output
// depends only on the sources and the locked esbuild version: .ci/run rebuilds and compares.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here('../../evote/service/static/booth/');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [here('../page/main.js')],
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  sourcemap: false,
  outfile: out + 'booth.js',
  logLevel: 'warning',
});
copyFileSync(here('../page/index.html'), out + 'index.html');
copyFileSync(here('../page/booth.css'), out + 'booth.css');
console.log(`built ${out}`);
