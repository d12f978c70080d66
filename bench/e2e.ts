/**
 * End-to-end translation throughput of qnmt against PyTorch 1.13 CPU (not a test).
 *
 *   node dist/bench/e2e.js [--quick] [--threads 2] [--repeat 1] [--only full-b5,fixture-b5,fixture-b10]
 *                          [--no-torch] [--work /tmp/qnmt-bench] [--backends auto | onednn,wasm,…]
 *   node dist/bench/e2e.js --sweep [--quick] [--threads 2]
 *
 * Scenarios (same batch 128, max length 80 and thread count on both sides):
 *   fixture-b10 / fixture-b5  the trained fixture (H=256) on test2016 (1000 lines), beam 10 / beam 5
 *   full-b5                   a full-size random-weight GNMT (H=1024, V=32317, made once by
 *                             tools/make_fixtures.py --full and cached in --work) on the first 256 lines of
 *                             shared/data/bpe-mlperf/newstest2014.tok.bpe.32000.en, beam 5 (skipped if absent)
 *   --quick                   only the fixture, first 128 lines, beam 5
 * Each scenario runs qnmt FP32, qnmt INT8 (examples/int8-asym-pc-avg.yaml: asymmetric, per-channel; the
 * fixture's calibration stats, or stats collected once with `qnmt calibrate` on the same lines outside the
 * timed part), PyTorch FP32 and PyTorch quantize_dynamic INT8 (tools/bench_e2e_torch.py over
 * tools/gnmt_reference.py). One process per measurement (one thread pool each), interleaved so both sides see
 * the same background load; the table shows medians over --repeat rounds. Seconds are translation only (model
 * loading and quantization excluded on both sides); peak RSS is the whole child process (/usr/bin/time, else
 * self-reported). "= torch FP32" is the share of output lines identical to PyTorch FP32's: both implement the
 * same search, so FP32 rows should be at (or very near) 100 %.
 *
 * --backends runs qnmt once per listed kernel backend (rows "qnmt-fp32 wasm" …), interleaved with the
 * others in every round; "× first backend" is each row's speed relative to the first listed backend's row
 * of the same precision (e.g. --backends onednn,wasm gives wasm ÷ onednn).
 *
 * --sweep times `qnmt sweep` on the fixture (1000 lines, beam 10, examples/*.yaml, calibration included)
 * into a temporary folder and prints the seconds of each row.
 *
 * Debian's python3-torch has no MKL: its matmuls go to the system libblas.so.3, the slow reference BLAS unless
 * OpenBLAS is installed (apt-get install -y libopenblas0-openmp). The torch rows print their matmul GFLOPS
 * (~100 per thread on an idle Zen 4 core) so an unfair baseline is visible.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixtureDir, repoRoot, sharedDir } from '../test/paths.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '1' },
    only: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    work: { type: 'string', default: join(tmpdir(), 'qnmt-bench') },
    backends: { type: 'string', default: 'auto' },
  },
});

const threads = Number(opts.threads);
const repeat = Number(opts.repeat);
if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`--threads: expected a positive integer, found ${opts.threads}`);
if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`--repeat: expected a positive integer, found ${opts.repeat}`);
const work = opts.work;
mkdirSync(work, { recursive: true });

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const probe = join(here, 'rss-probe.js');
const python = '/usr/bin/python3';
const torchScript = join(repoRoot, 'tools', 'bench_e2e_torch.py');
const timeBin = '/usr/bin/time';
/** What bench/rss-probe.ts prints on exit. */
const rssMarker = 'QNMT_BENCH_MAX_RSS_KB';
const int8Config = join(repoRoot, 'examples', 'int8-asym-pc-avg.yaml');
const withTorch = !opts['no-torch'] && existsSync(python) && existsSync(torchScript);
const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };

/** 'torch-fp32', 'torch-int8', or 'qnmt-fp32' / 'qnmt-int8' followed by ' BACKEND' unless it is auto. */
type Impl = string;
const backends = opts.backends.split(',').filter(Boolean);
const backendOf = (impl: Impl): string => impl.split(' ')[1] ?? 'auto';
const qnmtImpls = (precision: 'fp32' | 'int8'): Impl[] => backends.map((b) => (b === 'auto' ? `qnmt-${precision}` : `qnmt-${precision} ${b}`));

interface Scenario {
  name: string;
  model: string;
  input: string;
  beam: number;
  /** Activation stats for qnmt INT8: made on demand (untimed) right before the first INT8 run, cached. */
  stats: () => string;
}

interface Run {
  scenario: string;
  impl: Impl;
  seconds: number;
  sentences: number;
  tokens: number;
  maxRssKb: number;
  output: string;
  info: Record<string, unknown>;
}

interface ChildResult {
  stdout: string;
  stderr: string;
  maxRssKb: number;
  wallSeconds: number;
}

const fmtLoad = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');

/** Run a child to completion; peak RSS from /usr/bin/time -f %M, else from the child's own report. */
function runChild(cmd: string, args: string[], what: string): ChildResult {
  const rssFile = join(work, `rss-${process.pid}.txt`);
  const useTime = existsSync(timeBin);
  const [c, a] = useTime ? [timeBin, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const p = spawnSync(c, a, { cwd: repoRoot, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (p.status !== 0) {
    throw new Error(`${what} failed (${p.error?.message ?? `status ${p.status}`}): ${cmd} ${args.join(' ')}\n${p.stderr}`);
  }
  let maxRssKb = NaN;
  if (useTime) {
    maxRssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    rmSync(rssFile, { force: true });
  } else {
    const m = new RegExp(`${rssMarker} (\\d+)`).exec(p.stderr);
    if (m) maxRssKb = Number(m[1]);
  }
  return { stdout: p.stdout, stderr: p.stderr, maxRssKb, wallSeconds };
}

function qnmtArgs(sub: string, rest: string[]): string[] {
  const pre = existsSync(timeBin) ? [] : ['--import', probe];
  return [...pre, cli, sub, ...rest];
}

function readLinesOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function countTokens(lines: string[]): number {
  let n = 0;
  for (const l of lines) {
    const t = l.trim();
    if (t) n += t.split(/\s+/).length;
  }
  return n;
}

/** The first n lines of src, written once into the work folder. */
function slice(src: string, n: number, name: string): string {
  const path = join(work, name);
  const lines = readLinesOf(src).slice(0, n);
  if (lines.length < n) throw new Error(`${src}: expected at least ${n} lines, found ${lines.length}`);
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}

function measure(s: Scenario, impl: Impl, round: number): Run {
  const output = join(work, `${s.name}.${impl.replace(' ', '.')}.r${round}.bpe.de`);
  const search = ['--beam', String(s.beam), '--batch', '128', '--max-len', '80'];
  let seconds: number;
  let sentences: number;
  let info: Record<string, unknown>;
  let child: ChildResult;
  if (impl.startsWith('qnmt')) {
    const quant = impl.startsWith('qnmt-int8') ? ['--quant', int8Config, '--stats', s.stats()] : [];
    const args = ['-m', s.model, '-i', s.input, '-o', output, '--output-format', 'bpe', ...search, ...quant, '--threads', String(threads), '--json', '-q'];
    args.push('--backend', backendOf(impl));
    child = runChild(process.execPath, qnmtArgs('translate', args), `${s.name} ${impl}`);
    const j = JSON.parse(child.stdout) as { seconds: number; sentences: number; backend: string; threads: number; quant: string | null };
    ({ seconds, sentences } = j);
    info = { backend: j.backend, threads: j.threads, quant: j.quant };
  } else {
    const mode = impl === 'torch-int8' ? 'int8' : 'fp32';
    const args = [torchScript, '-m', s.model, '-i', s.input, '-o', output, '--mode', mode, ...search, '--threads', String(threads)];
    child = runChild(python, args, `${s.name} ${impl}`);
    const j = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { seconds: number; sentences: number; max_rss_kb: number };
    ({ seconds, sentences } = j);
    info = j;
    if (!Number.isFinite(child.maxRssKb)) child.maxRssKb = j.max_rss_kb;
  }
  const tokens = countTokens(readLinesOf(output));
  return { scenario: s.name, impl, seconds, sentences, tokens, maxRssKb: child.maxRssKb, output, info };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function lineMatch(a: string, b: string): number {
  const x = readLinesOf(a);
  const y = readLinesOf(b);
  let same = 0;
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] === y[i]) same++;
  return same / Math.max(x.length, y.length, 1);
}

// ------------------------------------------------------------------------------------------------ scenarios

function fixtureScenarios(): Scenario[] {
  const model = join(fixtureDir, 'model_best.pth');
  const src = join(fixtureDir, 'data', 'test2016.tok.bpe.en');
  const stats = () => join(fixtureDir, 'calibration', 'model_stats.yaml');
  if (opts.quick) return [{ name: 'fixture-q128-b5', model, input: slice(src, 128, 'test2016.first128.bpe.en'), beam: 5, stats }];
  const input = slice(src, 1000, 'test2016.1000.bpe.en');
  return [
    { name: 'fixture-b10', model, input, beam: 10, stats },
    { name: 'fixture-b5', model, input, beam: 5, stats },
  ];
}

function fullScenario(): Scenario | undefined {
  const candidates = [join(sharedDir, 'data', 'bpe-mlperf'), '/work/shared/data/bpe-mlperf'];
  const dir = candidates.find((d) => existsSync(join(d, 'newstest2014.tok.bpe.32000.en')));
  if (!dir) {
    console.log(`# full-b5 skipped: newstest2014.tok.bpe.32000.en not found in ${candidates.join(' or ')}`);
    return undefined;
  }
  if (!withTorch && !existsSync(join(work, 'full.pth'))) {
    console.log('# full-b5 skipped: making the full-size checkpoint needs /usr/bin/python3 with torch');
    return undefined;
  }
  const model = join(work, 'full.pth');
  if (!existsSync(model)) {
    console.log(`# making ${model} (full-size random-weight GNMT, once)`);
    runChild(python, [join(repoRoot, 'tools', 'make_fixtures.py'), '--full', model], 'make_fixtures --full');
  }
  const lines = 256;
  const beam = 5;
  const input = slice(join(dir, 'newstest2014.tok.bpe.32000.en'), lines, `newstest2014.first${lines}.bpe.en`);
  let statsPath: string | undefined;
  const stats = (): string => {
    if (statsPath) return statsPath;
    const p = join(work, `full.stats.first${lines}.b${beam}.yaml`);
    if (!existsSync(p)) {
      console.log(`# calibrating the full-size model on the same ${lines} lines (not timed) → ${p}`);
      const args = ['-m', model, '-i', input, '-o', p, '--beam', String(beam), '--batch', '128', '--max-len', '80', '--threads', String(threads), '-q'];
      const c = runChild(process.execPath, qnmtArgs('calibrate', args), 'qnmt calibrate (full)');
      console.log(`#   done in ${c.wallSeconds.toFixed(0)} s`);
    }
    return (statsPath = p);
  };
  return { name: 'full-b5', model, input, beam, stats };
}

// ------------------------------------------------------------------------------------------------ report

const impls: Impl[] = [...qnmtImpls('fp32'), ...(withTorch ? ['torch-fp32'] : []), ...qnmtImpls('int8'), ...(withTorch ? ['torch-int8'] : [])];

interface Row {
  scenario: string;
  impl: Impl;
  sentences: number;
  seconds: number;
  sentPerS: number;
  tokPerS: number;
  rssMb: number;
  output: string;
}

function summarize(runs: Run[]): Row[] {
  const rows: Row[] = [];
  for (const impl of impls) {
    const rs = runs.filter((r) => r.impl === impl);
    if (!rs.length) continue;
    const seconds = median(rs.map((r) => r.seconds));
    rows.push({
      scenario: rs[0]!.scenario,
      impl,
      sentences: rs[0]!.sentences,
      seconds,
      sentPerS: rs[0]!.sentences / seconds,
      tokPerS: median(rs.map((r) => r.tokens / r.seconds)),
      rssMb: median(rs.map((r) => r.maxRssKb)) / 1024,
      output: rs[0]!.output,
    });
  }
  return rows;
}

const tableHeader =
  '| scenario | impl | sentences/s | target tokens/s | peak RSS (MB) | seconds | × torch FP32 | × torch INT8 | × first backend | = torch FP32 lines |\n' +
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|';

function tableLines(rows: Row[]): string[] {
  const byImpl = (i: Impl) => rows.find((r) => r.impl === i);
  const tf = byImpl('torch-fp32');
  const ti = byImpl('torch-int8');
  const ratio = (r: Row, base: Row | undefined) => (base ? `${(r.sentPerS / base.sentPerS).toFixed(2)}×` : '–');
  return rows.map((r) => {
    const match = tf && r !== tf ? `${(100 * lineMatch(r.output, tf.output)).toFixed(1)} %` : '–';
    return (
      `| ${r.scenario} | ${r.impl} | ${r.sentPerS.toFixed(2)} | ${r.tokPerS.toFixed(0)} | ${r.rssMb.toFixed(0)} | ${r.seconds.toFixed(1)} | ` +
      `${ratio(r, tf)} | ${ratio(r, ti)} | ${r.impl.startsWith('qnmt') ? ratio(r, byImpl(qnmtImpls(r.impl.startsWith('qnmt-int8') ? 'int8' : 'fp32')[0]!)) : '–'} | ${match} |`
    );
  });
}

function e2e(): void {
  console.log(`# e2e bench: load average at start ${fmtLoad()}; threads ${threads}; repeat ${repeat}; torch ${withTorch ? 'on' : 'off'}; work ${work}`);
  const keep = opts.only ? new Set(opts.only.split(',')) : undefined;
  // The full-size model first: it is the headline (the real model's shapes); the fixture rows follow.
  const full = !opts.quick && (!keep || keep.has('full-b5')) ? fullScenario() : undefined;
  const scenarios = [...(full ? [full] : []), ...fixtureScenarios()].filter((s) => !keep || keep.has(s.name));
  const allRows: Row[] = [];
  const torchInfo: Record<string, unknown>[] = [];
  for (const s of scenarios) {
    const runs: Run[] = [];
    for (let round = 0; round < repeat; round++) {
      for (const impl of impls) {
        process.stderr.write(`e2e: ${s.name} ${impl} round ${round + 1}/${repeat} (load ${fmtLoad()}) … `);
        const r = measure(s, impl, round);
        process.stderr.write(`${r.seconds.toFixed(1)} s, ${(r.maxRssKb / 1024).toFixed(0)} MB\n`);
        runs.push(r);
        if (impl.startsWith('torch') && round === 0) torchInfo.push({ scenario: s.name, ...r.info });
      }
    }
    const rows = summarize(runs);
    allRows.push(...rows);
    console.log(`\n${tableHeader}\n${tableLines(rows).join('\n')}`);
  }
  if (scenarios.length > 1) {
    console.log('\nAll scenarios:\n');
    console.log(tableHeader);
    for (const s of scenarios) console.log(tableLines(allRows.filter((r) => r.scenario === s.name)).join('\n'));
  }
  console.log(`\n# load average at the end: ${fmtLoad()}`);
  if (torchInfo.length) {
    const gf = torchInfo.map((t) => Number(t['matmul_gflops']).toFixed(0)).join(', ');
    console.log(`# PyTorch ${String(torchInfo[0]!['torch'])}, torch.set_num_threads(${String(torchInfo[0]!['threads'])}); matmul sanity 640×1024×4096 F.linear: ${gf} GFLOPS`);
    const q = torchInfo.find((t) => t['quantized_engine']);
    if (q) {
      const mods = (q['quantized_modules'] as string[]).join(', ');
      console.log(`# PyTorch INT8 = quantize_dynamic({nn.Linear, nn.LSTM}, qint8), engine ${String(q['quantized_engine'])}; swapped: ${mods}`);
    }
  }
  writeFileSync(join(work, 'e2e-results.json'), JSON.stringify({ load_end: loadavg(), threads, repeat, rows: allRows, torch: torchInfo }, null, 2));
}

// ------------------------------------------------------------------------------------------------ sweep

function sweep(): void {
  console.log(`# sweep bench: load average at start ${fmtLoad()}; threads ${threads}`);
  const n = opts.quick ? 128 : 1000;
  const beam = opts.quick ? 5 : 10;
  const input = slice(join(fixtureDir, 'data', 'test2016.tok.bpe.en'), n, `test2016.${n}.bpe.en`);
  const ref = slice(join(fixtureDir, 'data', 'test2016.raw.de'), n, `test2016.${n}.raw.de`);
  const configs = readdirSync(join(repoRoot, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(repoRoot, 'examples', f));
  const out = mkdtempSync(join(work, 'sweep-'));
  try {
    const args = ['-m', join(fixtureDir, 'model_best.pth'), '-i', input, '-r', ref, '-c', ...configs, '-o', out];
    args.push('--beam', String(beam), '--batch', '128', '--max-len', '80', '--threads', String(threads), '--json');
    process.stderr.write(`sweep: ${n} lines, beam ${beam}, ${configs.length} configs + FP32 + calibration …\n`);
    const c = runChild(process.execPath, qnmtArgs('sweep', args), 'qnmt sweep');
    const table = JSON.parse(c.stdout) as { rows: { config: string; bleu: number; seconds: number }[] };
    const calib = /calibration: done in ([\d.]+) s/.exec(c.stderr);
    console.log(`\n| row | BLEU | seconds |\n|---|---:|---:|`);
    if (calib) console.log(`| calibration | – | ${Number(calib[1]).toFixed(1)} |`);
    for (const r of table.rows) console.log(`| ${r.config} | ${r.bleu.toFixed(2)} | ${r.seconds.toFixed(1)} |`);
    console.log(`| **whole sweep (wall, incl. loading)** | | **${c.wallSeconds.toFixed(1)}** |`);
    console.log(`\n# ${n} lines, beam ${beam}, batch 128, max 80; configs ${configs.map((p) => basename(p)).join(', ')}`);
    console.log(`# peak RSS ${(c.maxRssKb / 1024).toFixed(0)} MB; load average at the end: ${fmtLoad()}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (opts.sweep) sweep();
else e2e();
