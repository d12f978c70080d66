/**
 * The long fuzz run (not a test): mutated checkpoints and YAML files (configs and stats), each case in a
 * worker process with a time limit and an RSS cap, plus a sample of cases through the real `qnmt` CLI.
 *
 *   node dist/bench/fuzz.js [--checkpoints 10000] [--yaml 1000] [--seed 1] [--workers 2]
 *                           [--hang-ms 10000] [--kill-ms 60000] [--rss-cap-mb 1536] [--cli-every 50]
 *                           [--out fuzz-results.jsonl]
 *
 * Every case's outcome is appended to --out as one JSON line as it finishes; running the same command
 * again resumes (cases already in the file are skipped). At the end it prints the counts: cases that
 * loaded, clean errors (one-line QnmtError), internal errors (anything else: what the CLI would print
 * with a stack trace), hangs (> --hang-ms), cases killed at --kill-ms or over the RSS cap, worker
 * crashes, the peak RSS of any case (VmHWM, reset before each case), and the CLI sample's checks
 * (exit code 0 or 1, exactly one `qnmt: error:` line on stderr for 1, no stack trace).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseInput, checkpointSeeds, runCase, yamlContext, type CaseKind, type Outcome, type YamlContext } from '../test/fuzz/cases.js';
import { repoRoot } from '../test/paths.js';

interface CaseSpec { kind: CaseKind; index: number }
interface CaseResult {
  kind: CaseKind;
  index: number;
  outcome: 'ok' | 'clean' | 'internal' | 'killed-time' | 'killed-rss' | 'crash';
  code?: string;
  error?: string;
  ms: number;
  peakKB: number;
  applied?: string[];
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const seed = Number(opt('--seed', '1'));

if (args.includes('--worker')) await worker();
else await parent();

// ---------------------------------------------------------------- worker: runs cases in-process

function procStatus(pid: number | 'self', field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function worker(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qnmt-fuzz-'));
  let ctx: YamlContext | undefined;
  process.on('message', async (spec: CaseSpec) => {
    if (spec.kind !== 'checkpoint') ctx ??= await yamlContext();
    const { bytes, applied } = caseInput(spec.kind, seed, spec.index);
    try {
      writeFileSync('/proc/self/clear_refs', '5'); // reset VmHWM: the peak below is this case's own
    } catch {
      /* not Linux or not allowed: the peak is then the worker's so far */
    }
    const t0 = performance.now();
    const o: Outcome = await runCase(spec.kind, bytes, dir, ctx, spec.index);
    const ms = performance.now() - t0;
    const peakKB = procStatus('self', 'VmHWM');
    const result: CaseResult = {
      kind: spec.kind, index: spec.index, outcome: o.kind, ms, peakKB, applied,
      ...(o.kind === 'clean' ? { code: o.code } : {}),
      ...(o.kind === 'internal' ? { error: o.error.split('\n').slice(0, 6).join(' | ') } : {}),
    };
    process.send!(result);
  });
  process.send!({ ready: true });
}

// ---------------------------------------------------------------- parent: schedules, limits, reports

async function parent(): Promise<void> {
  const nCkpt = Number(opt('--checkpoints', '10000'));
  const nYaml = Number(opt('--yaml', '1000'));
  const workers = Number(opt('--workers', '2'));
  const hangMs = Number(opt('--hang-ms', '10000'));
  const killMs = Number(opt('--kill-ms', '60000'));
  const rssCapKB = Number(opt('--rss-cap-mb', '1536')) * 1024;
  const cliEvery = Number(opt('--cli-every', '50'));
  const out = resolve(opt('--out', 'fuzz-results.jsonl'));

  const done = new Set<string>();
  const results: CaseResult[] = [];
  if (existsSync(out)) {
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as CaseResult;
      done.add(`${r.kind}:${r.index}`);
      results.push(r);
    }
  }
  const queue: CaseSpec[] = [];
  for (let i = 0; i < nCkpt; i++) queue.push({ kind: 'checkpoint', index: i });
  for (let i = 0; i < nYaml; i++) queue.push({ kind: i % 2 === 0 ? 'config' : 'stats', index: i });
  const todo = queue.filter((s) => !done.has(`${s.kind}:${s.index}`));
  const total = todo.length;
  console.log(`qnmt fuzz: ${nCkpt} checkpoints + ${nYaml} YAML files (seed ${seed}), ${results.length} already in ${out}, ${total} to run on ${workers} workers`);
  const t0 = performance.now();
  let finished = 0;

  const record = (r: CaseResult): void => {
    results.push(r);
    appendFileSync(out, `${JSON.stringify(r)}\n`);
    finished++;
    if (finished % 200 === 0 || finished === total) {
      const s = (performance.now() - t0) / 1000;
      console.log(`  ${finished}/${total} cases, ${s.toFixed(0)} s`);
    }
  };

  const self = fileURLToPath(import.meta.url);
  const runWorker = async (): Promise<void> => {
    let child: ChildProcess | undefined;
    let current: { spec: CaseSpec; start: number } | undefined;
    let resolveCase: ((r: CaseResult) => void) | undefined;
    const start = (): Promise<void> =>
      new Promise((ready) => {
        child = fork(self, ['--worker', '--seed', String(seed)], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
        child.on('message', (m: CaseResult | { ready: true }) => {
          if ('ready' in m) ready();
          else resolveCase?.(m);
        });
        child.on('exit', (code, signal) => {
          if (current && resolveCase) {
            resolveCase({ kind: current.spec.kind, index: current.spec.index, outcome: 'crash', error: `worker exited (${signal ?? code})`, ms: performance.now() - current.start, peakKB: 0 });
          }
          child = undefined;
        });
      });
    for (;;) {
      const spec = todo.shift();
      if (!spec) break;
      if (!child) await start();
      current = { spec, start: performance.now() };
      const result = await new Promise<CaseResult>((res) => {
        let settled = false;
        resolveCase = (r) => {
          if (settled) return;
          settled = true;
          clearInterval(watch);
          res(r);
        };
        const pid = child!.pid!;
        const watch = setInterval(() => {
          const elapsed = performance.now() - current!.start;
          const rss = procStatus(pid, 'VmRSS');
          if (elapsed > killMs || rss > rssCapKB) {
            const outcome = elapsed > killMs ? 'killed-time' : 'killed-rss';
            const r: CaseResult = { kind: spec.kind, index: spec.index, outcome, ms: elapsed, peakKB: Math.max(rss, procStatus(pid, 'VmHWM')) };
            resolveCase?.(r);
            child?.kill('SIGKILL');
          }
        }, 100);
        child!.send(spec);
      });
      current = undefined;
      record(result);
      if (result.outcome === 'killed-time' || result.outcome === 'killed-rss' || result.outcome === 'crash') {
        child?.kill('SIGKILL');
        child = undefined;
      }
    }
    child?.kill();
  };
  await Promise.all(Array.from({ length: workers }, runWorker));

  // A sample through the real CLI: exit code, stderr lines, stack traces.
  const cli = cliSample(results, cliEvery);
  summarize(results, hangMs, cli, (performance.now() - t0) / 1000);
}

interface CliCheck { cases: number; exit0: number; exit1: number; bad: string[] }

function cliSample(results: CaseResult[], every: number): CliCheck {
  const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const dir = mkdtempSync(join(tmpdir(), 'qnmt-fuzz-cli-'));
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'a man runs\n');
  const check: CliCheck = { cases: 0, exit0: 0, exit1: 0, bad: [] };
  const sample = results.filter((r) => r.index % every === 0 && r.outcome !== 'killed-time' && r.outcome !== 'killed-rss');
  for (const r of sample) {
    const { bytes } = caseInput(r.kind, seed, r.index);
    const file = join(dir, r.kind === 'checkpoint' ? 'case.pth' : 'case.yaml');
    writeFileSync(file, bytes);
    const argv = r.kind === 'checkpoint'
      ? ['translate', '-m', file, '-i', input, '-o', '/dev/null', '-q', '--beam', '2', '--backend', 'js']
      : r.kind === 'config'
        ? ['translate', '-m', checkpointSeeds[0]!, '-i', input, '-o', '/dev/null', '-q', '--beam', '2', '--backend', 'js', '--quant', file, '--stats', join(repoRoot, 'fixtures', 'multi30k-gnmt256', 'calibration', 'model_stats.yaml')]
        : ['translate', '-m', checkpointSeeds[0]!, '-i', input, '-o', '/dev/null', '-q', '--beam', '2', '--backend', 'js', '--quant', join(repoRoot, 'examples', 'int8-asym.yaml'), '--stats', file];
    const p = spawnSync(process.execPath, [main, ...argv], { encoding: 'utf8', timeout: 120_000 });
    check.cases++;
    const lines = p.stderr.trimEnd() === '' ? [] : p.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('qnmt: warning:'));
    if (p.status === 0) check.exit0++;
    else if (p.status === 1) check.exit1++;
    const ok = (p.status === 0 && lines.length === 0) || (p.status === 1 && lines.length === 1 && lines[0]!.startsWith('qnmt: error: '));
    if (!ok || /\n\s+at /.test(p.stderr)) check.bad.push(`${r.kind} ${r.index}: exit ${p.status ?? p.signal}, ${lines.length} stderr lines: ${p.stderr.slice(0, 300)}`);
  }
  return check;
}

function summarize(results: CaseResult[], hangMs: number, cli: CliCheck, seconds: number): void {
  const by = (kind: string): CaseResult[] => results.filter((r) => (kind === 'yaml' ? r.kind !== 'checkpoint' : r.kind === kind));
  const rows = ['checkpoint', 'yaml'].map((k) => {
    const rs = by(k);
    const count = (o: string): number => rs.filter((r) => r.outcome === o).length;
    return {
      set: k === 'yaml' ? 'YAML (configs + stats)' : 'checkpoints',
      cases: rs.length,
      ok: count('ok'),
      clean: count('clean'),
      internal: count('internal'),
      hangs: rs.filter((r) => r.ms > hangMs).length,
      killed: count('killed-time') + count('killed-rss'),
      crashes: count('crash'),
      maxSeconds: Math.max(0, ...rs.map((r) => r.ms)) / 1000,
      peakMB: Math.max(0, ...rs.map((r) => r.peakKB)) / 1024,
    };
  });
  console.log('\n| set | cases | loaded/ran | clean error | internal error | > hang limit | killed | crashes | slowest case | peak RSS |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.set} | ${r.cases} | ${r.ok} | ${r.clean} | ${r.internal} | ${r.hangs} | ${r.killed} | ${r.crashes} | ${r.maxSeconds.toFixed(2)} s | ${r.peakMB.toFixed(0)} MB |`);
  }
  const codes = new Map<string, number>();
  for (const r of results) if (r.code) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  console.log(`\nerror codes: ${[...codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  console.log(`CLI sample: ${cli.cases} cases, exit 0: ${cli.exit0}, exit 1: ${cli.exit1}, bad (other exit, extra stderr lines or a stack trace): ${cli.bad.length}`);
  for (const b of cli.bad.slice(0, 10)) console.log(`  ${b}`);
  for (const r of results.filter((x) => x.outcome === 'internal' || x.outcome === 'crash').slice(0, 10)) console.log(`  ${r.outcome} ${r.kind} ${r.index} [${r.applied?.join(',')}]: ${r.error}`);
  console.log(`\n${results.length} cases in ${seconds.toFixed(0)} s (this run)`);
}
