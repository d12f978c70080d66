/**
 * GEMM throughput of the kernel backends against PyTorch CPU (not a test).
 *
 *   node dist/bench/gemm.js [--backends onednn,js] [--threads 1,2] [--shapes 640x2048x4096,...]
 *                           [--min-seconds 1] [--rounds 1] [--no-torch] [--torch-ld-path DIR]
 *
 * For every thread count and shape it starts one child process per backend (this file with --child)
 * and one PyTorch process (tools/bench_gemm_torch.py with /usr/bin/python3), one after the other: one
 * thread pool per process, and interleaving keeps both sides under the same background load. Each
 * prints medians; the table shows GFLOPS (fp32) / GOPS (int8) = 2·m·k·n / median time and our ratio
 * to PyTorch's best fp32 path and to its quantize_dynamic int8 Linear (which, unlike gemmU8S8S32,
 * also quantizes its input and dequantizes its output). Shapes are m×k×n with C(m,n) = A(m,k)·W(n,k)ᵀ.
 *
 * Debian's python3-torch has no MKL: F.linear calls the system libblas.so.3, which is the slow
 * reference BLAS unless OpenBLAS is installed. To time PyTorch with OpenBLAS without changing the system
 * BLAS, unpack it and pass its folder (it becomes the torch process's LD_LIBRARY_PATH):
 *   apt-get download libopenblas0-openmp && dpkg -x libopenblas0-openmp_*.deb /tmp/openblas
 *   … --torch-ld-path /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp
 * The torch script also times torch's own oneDNN Linear (mkldnn); the table uses PyTorch's best.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernels, selectBackend } from '../src/tensor/backend.js';

const defaultShapes = '640x2048x4096,640x1024x32320,64x1024x4096,1280x3072x4096,1280x1024x7947';

interface Result {
  impl: string;
  dtype: 'f32' | 'int8';
  m: number;
  k: number;
  n: number;
  threads: number;
  median_s: number;
  gops: number;
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function parseShape(s: string): [number, number, number] {
  const parts = s.split('x').map(Number);
  if (parts.length !== 3 || parts.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new RangeError(`--shapes: "${s}" is not MxKxN with positive integers`);
  }
  return parts as [number, number, number];
}

function medianTime(fn: () => void, minSeconds: number, minReps = 5): number {
  fn();
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || performance.now() - start < minSeconds * 1000) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

async function child(): Promise<void> {
  const backend = option('backend', 'onednn');
  const threads = Number(option('threads', '2'));
  const minSeconds = Number(option('min-seconds', '1'));
  await selectBackend(backend, threads);
  const kx = kernels();
  for (const shape of option('shapes', defaultShapes).split(',')) {
    const [m, k, n] = parseShape(shape);
    const ops = 2 * m * k * n;
    const a = new Float32Array(m * k).map(() => Math.random() * 2 - 1);
    const w = new Float32Array(n * k).map(() => Math.random() * 2 - 1);
    const c = new Float32Array(m * n);
    const pf = kx.packF32(w, n, k);
    let t = medianTime(() => kx.gemmF32(a, m, pf, c), minSeconds);
    emit({ impl: backend, dtype: 'f32', m, k, n, threads, median_s: t, gops: ops / t / 1e9 });
    const au = new Uint8Array(m * k).map(() => Math.floor(Math.random() * 256));
    const ws = new Int8Array(n * k).map(() => Math.floor(Math.random() * 256) - 128);
    const ci = new Int32Array(m * n);
    const ps = kx.packS8(ws, n, k);
    t = medianTime(() => kx.gemmU8S8S32(au, m, ps, ci), minSeconds);
    emit({ impl: backend, dtype: 'int8', m, k, n, threads, median_s: t, gops: ops / t / 1e9 });
  }
}

function emit(r: Result): void {
  process.stdout.write(JSON.stringify(r) + '\n');
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Result[] {
  const p = spawnSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  if (p.status !== 0) {
    process.stderr.write(`bench: ${cmd} ${args.join(' ')} failed (${p.error?.message ?? `status ${p.status}`}):\n${p.stderr}`);
    return [];
  }
  return p.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Result);
}

function torchScript(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const p = join(dir, 'tools', 'bench_gemm_torch.py');
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) return existsSync(resolve('tools/bench_gemm_torch.py')) ? resolve('tools/bench_gemm_torch.py') : undefined;
  }
}

function parent(): void {
  const backends = option('backends', 'onednn').split(',');
  const threadCounts = option('threads', '1,2').split(',').map(Number);
  const shapes = option('shapes', defaultShapes).split(',');
  shapes.forEach(parseShape);
  const minSeconds = option('min-seconds', '1');
  const rounds = Number(option('rounds', '1'));
  const script = process.argv.includes('--no-torch') ? undefined : torchScript();
  const python = '/usr/bin/python3';
  const torchLdPath = option('torch-ld-path', '');
  const withTorch = script !== undefined && existsSync(python);
  console.log(
    `# gemm bench: load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}; torch ${withTorch ? 'on' : 'off'}` +
      (torchLdPath ? ` (LD_LIBRARY_PATH=${torchLdPath})` : ''),
  );

  const results: Result[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const threads of threadCounts) {
      const env = { ...process.env, OMP_NUM_THREADS: String(threads) };
      for (const shape of shapes) {
        for (const b of backends) {
          const args = [fileURLToPath(import.meta.url), '--child', '--backend', b, '--threads', String(threads)];
          results.push(...run(process.execPath, [...args, '--shapes', shape, '--min-seconds', minSeconds], env));
        }
        if (withTorch) {
          const args = [script, '--threads', String(threads), '--shapes', shape, '--min-seconds', minSeconds];
          const torchEnv = torchLdPath ? { ...env, LD_LIBRARY_PATH: torchLdPath } : env;
          results.push(...run(python, args, torchEnv));
        }
      }
    }
  }

  // Median over rounds per (impl, dtype, shape, threads).
  const key = (r: Result) => `${r.impl}|${r.dtype}|${r.m}x${r.k}x${r.n}|${r.threads}`;
  const groups = new Map<string, number[]>();
  for (const r of results) groups.set(key(r), [...(groups.get(key(r)) ?? []), r.gops]);
  const gops = (impl: string, dtype: string, shape: string, threads: number): number | undefined => {
    const v = groups.get(`${impl}|${dtype}|${shape}|${threads}`);
    return v ? [...v].sort((a, b) => a - b)[v.length >> 1] : undefined;
  };
  const torchBest = (dtype: string, shape: string, threads: number): number | undefined => {
    const impls = dtype === 'f32' ? ['torch.linear', 'torch.mkldnn.Linear'] : ['torch.quantize_dynamic(onednn)', 'torch.quantize_dynamic(fbgemm)'];
    const vals = impls.map((i) => gops(i, dtype, shape, threads)).filter((v): v is number => v !== undefined);
    return vals.length ? Math.max(...vals) : undefined;
  };
  const fmt = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));

  console.log('\n| shape m×k×n | dtype | threads | ' + backends.join(' | ') + ' | torch (best) | ratio |');
  console.log('|---|---|---|' + backends.map(() => '---|').join('') + '---|---|');
  for (const shape of shapes) {
    for (const dtype of ['f32', 'int8']) {
      for (const threads of threadCounts) {
        const ours = backends.map((b) => gops(b, dtype, shape, threads));
        const t = torchBest(dtype, shape, threads);
        const ratio = t !== undefined && ours[0] !== undefined ? `${(ours[0] / t).toFixed(2)}×` : '–';
        console.log(`| ${shape} | ${dtype} | ${threads} | ${ours.map(fmt).join(' | ')} | ${fmt(t)} | ${ratio} |`);
      }
    }
  }
  console.log(`\n# load average at the end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  if (withTorch) {
    console.log('\nPyTorch detail (GFLOPS / GOPS):');
    for (const [k, v] of groups) if (k.startsWith('torch')) console.log(`  ${k}: ${v.map((x) => x.toFixed(1)).join(', ')}`);
  }
}

if (process.argv.includes('--child')) await child();
else parent();
