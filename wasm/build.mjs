#!/usr/bin/env node
// Builds the WebAssembly kernels (wasm/build/qnmt-simd.wasm and qnmt-relaxed.wasm) from the
// AssemblyScript sources in wasm/assembly/ with the pinned `assemblyscript` devDependency: no system
// compiler, nothing downloaded. Run by `npm install` (postinstall), `npm pack` (prepack) and by hand.
//
// Two builds of the same source: plain SIMD128 (every engine with WebAssembly SIMD) and relaxed SIMD
// (fused multiply-add; chosen at run time where WebAssembly.validate accepts it). Both import one shared
// memory so that worker threads can run the same kernels on the same data.
// Without the compiler (an installed package, whose files were built by prepack) it keeps the files it has.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, 'assembly');
const outDir = join(here, 'build');
const entry = join(sourceDir, 'index.ts');

/** Maximum shared memory: 65536 pages = 4 GiB, the wasm32 limit (a reservation, not an allocation). */
export const variants = [
  { name: 'qnmt-simd.wasm', features: 'simd,threads' },
  { name: 'qnmt-relaxed.wasm', features: 'simd,threads,relaxed-simd' },
];

export function ascArguments(features, outFile) {
  return [
    entry,
    '-O3',
    '--noAssert',
    '--runtime', 'stub',
    '--importMemory',
    '--sharedMemory',
    '--initialMemory', '1',
    '--maximumMemory', '65536',
    '--enable', features,
    '--outFile', outFile,
  ];
}

function note(message) {
  process.stderr.write(`qnmt: wasm kernels: ${message}\n`);
}

/** Compile every variant into `dir`; returns the output paths. Throws with the compiler's messages. */
export async function buildWasm(dir) {
  const asc = await import('assemblyscript/asc');
  mkdirSync(dir, { recursive: true });
  const outputs = [];
  for (const { name, features } of variants) {
    const out = join(dir, name);
    let messages = '';
    const { error } = await asc.main(ascArguments(features, out + '.tmp'), {
      stdout: { write: () => true },
      stderr: { write: (text) => ((messages += text), true) },
    });
    if (error) throw new Error(`${name}: ${error.message}\n${messages}`);
    renameSync(out + '.tmp', out);
    outputs.push(out);
  }
  return outputs;
}

function newestSource() {
  return Math.max(...readdirSync(sourceDir).map((f) => statSync(join(sourceDir, f)).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
}

async function main() {
  const force = process.argv.includes('--force');
  const outputs = variants.map((v) => join(outDir, v.name));
  if (!force && outputs.every((o) => existsSync(o) && statSync(o).mtimeMs >= newestSource())) {
    note('up to date');
    return;
  }
  let hasCompiler = true;
  try {
    await import('assemblyscript/asc');
  } catch {
    hasCompiler = false;
  }
  if (!hasCompiler) {
    if (outputs.every((o) => existsSync(o))) return note('kept the built files (assemblyscript is not installed)');
    note('not built: the assemblyscript devDependency is not installed (run npm install, then node wasm/build.mjs)');
    return;
  }
  const t0 = performance.now();
  await buildWasm(outDir);
  note(`built ${variants.map((v) => v.name).join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    note(`build failed: ${e.message}`);
    process.exit(1);
  });
}
