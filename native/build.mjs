#!/usr/bin/env node
// Builds the optional native kernel addon (native/build/qnmt_native.node) against Debian's oneDNN.
//
// Run by `npm install` (postinstall) and by hand. It never fails the install: without a C++ compiler,
// Node headers or libdnnl-dev it prints why and exits 0, and the 'onednn' backend then reports
// "native addon not built: …" so backend selection falls back to the WebAssembly kernels (wasm/).
// A plain g++ call instead of node-gyp: the headers ship with Node (no download), and there is one file.
// Environment: CXX (compiler, default g++), QNMT_NATIVE_CXXFLAGS (extra flags), QNMT_SKIP_NATIVE=1 (skip).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'src', 'qnmt_native.cc');
const outDir = join(here, 'build');
const output = join(outDir, 'qnmt_native.node');
const reasonFile = join(outDir, 'build-failure.txt');

function note(message) {
  process.stderr.write(`qnmt: native kernels: ${message}\n`);
}

function giveUp(reason) {
  mkdirSync(outDir, { recursive: true });
  // A stale addon from older sources could disagree with the TypeScript side: remove it.
  rmSync(output, { force: true });
  rmSync(output + '.tmp', { force: true });
  writeFileSync(reasonFile, reason + '\n');
  note(`not built (${reason}); the WebAssembly kernels will be used.`);
  process.exit(0);
}

if (process.env.QNMT_SKIP_NATIVE === '1') giveUp('QNMT_SKIP_NATIVE=1');

const force = process.argv.includes('--force');
// The addon is stale when any file of native/src (the source and the files it includes) is newer.
const newestSource = Math.max(...readdirSync(dirname(source)).map((f) => statSync(join(dirname(source), f)).mtimeMs));
if (!force && existsSync(output) && statSync(output).mtimeMs >= newestSource) {
  note('up to date');
  process.exit(0);
}

const nodeInclude = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) =>
  existsSync(join(d, 'node_api.h')),
);
if (!nodeInclude) giveUp('Node headers (node_api.h) not found next to the node binary');
if (!existsSync('/usr/include/oneapi/dnnl/dnnl.hpp') && !existsSync('/usr/local/include/oneapi/dnnl/dnnl.hpp')) {
  giveUp('oneDNN headers not found: install libdnnl-dev (apt-get install -y libdnnl-dev)');
}

const cxx = process.env.CXX || 'g++';
const args = [
  '-std=c++17',
  '-O3',
  '-march=native', // built where it runs (postinstall); oneDNN itself dispatches on the CPU at run time
  '-ffp-contract=off', // quantization must round after every float32 operation (see the source header)
  '-fopenmp', // the same libgomp as oneDNN: one thread pool, sized by init(threads)
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-Wall',
  `-I${nodeInclude}`,
  ...(process.env.QNMT_NATIVE_CXXFLAGS ? process.env.QNMT_NATIVE_CXXFLAGS.split(/\s+/).filter(Boolean) : []),
  source,
  '-o',
  output + '.tmp',
  '-ldnnl',
];
mkdirSync(outDir, { recursive: true });
const started = Date.now();
const run = spawnSync(cxx, args, { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (run.error) giveUp(`${cxx}: ${run.error.message}`);
process.stderr.write(run.stderr);
if (run.status !== 0) giveUp(`${cxx} exited with status ${run.status}`);
renameSync(output + '.tmp', output);
rmSync(reasonFile, { force: true });
note(`built ${output} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
