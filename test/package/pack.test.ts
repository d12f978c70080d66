/**
 * The package as a user gets it: `npm pack` from a copy of the tracked tree (no dist/, no built addon,
 * as a fresh clone) → install the tarball into an empty project, offline → a strict TypeScript consumer
 * (the example at the top of src/index.ts plus the rest of the one-call API) compiles, runs, and is on
 * the same backend `selectBackend('auto')` picks in this process.
 *
 * Offline install: the consumer gets a package-lock.json built from this repo's lock, so `npm ci
 * --offline` takes every dependency from npm's cache (filled by this repo's own `npm ci`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixtureDir, repoRoot } from '../paths.js';
import { selectBackend } from '../../src/tensor/backend.js';
import { loadTranslator } from '../../src/eval/translator.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const model = join(fixtureDir, 'model_best.pth');
const codes = join(fixtureDir, 'bpe.codes');

interface PackInfo {
  filename: string;
  size: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

/** The tracked files a clone would have (fixtures/, test/, bench/ and tools/ play no part in packing). */
function copyTrackedTree(to: string): void {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && !/^(fixtures|test|bench|tools)\//.test(f));
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    try {
      cpSync(join(repoRoot, f), join(to, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted in the working tree
    }
  }
  // prepack compiles with the repo's TypeScript (a clone runs `npm ci` first).
  symlinkSync(join(repoRoot, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/** package.json + package-lock.json for a project depending on the tarball, resolved from this repo's lock. */
function writeConsumerProject(dir: string, tarball: string): void {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    bin: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const dependencies = { qnmt: `file:${tarball}`, '@types/node': pkg.devDependencies['@types/node']! };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies },
    'node_modules/qnmt': { version: pkg.version, resolved: `file:${tarball}`, hasInstallScript: true, dependencies: pkg.dependencies, bin: pkg.bin },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    const wanted = key !== '' && (entry['dev'] !== true || key === 'node_modules/@types/node' || key === 'node_modules/undici-types');
    if (!wanted) continue;
    const { dev: _dev, ...rest } = entry;
    packages[key] = rest;
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }, null, 2));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true, skipLibCheck: false, types: ['node'], outDir: 'out',
      },
      include: ['*.ts'],
    }),
  );
}

/** The ```ts example of src/index.ts's header, pointed at the bundled fixture. */
function indexExample(): string {
  const source = readFileSync(join(repoRoot, 'src', 'index.ts'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(source);
  assert.ok(block, 'src/index.ts has a ```ts example');
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/^ \* ?/, ''))
    .join('\n')
    .replace("'model_best.pth'", JSON.stringify(model))
    .replace("'bpe.32000'", JSON.stringify(codes));
}

const API_TOUR = `
import { loadTranslator, corpusBleu, QnmtError, type StreamedTranslation } from 'qnmt';
import { mosesTokenize } from 'qnmt/text';
import { SEARCH_DEFAULTS } from 'qnmt/decode';

const t = await loadTranslator({ model: ${JSON.stringify(model)}, bpeCodes: ${JSON.stringify(codes)}, beam: 3, threads: 1 });
const raw = ['A man is riding a bike.', 'Two dogs play in the snow.', 'A girl in a red dress.'];
const text = await t.translate(raw);
const bpe = await t.translateBpe([mosesTokenize('A man is riding a bike.', 'en')]);
const streamed: StreamedTranslation[] = [];
for await (const r of t.stream(raw)) streamed.push(r);
const bleu = corpusBleu(text, text, { lowercase: true, tokenize: 'intl' });
let internal = 'exported';
try {
  await import('qnmt/' + 'dist/src/eval/atomic-file.js');
} catch (e) {
  internal = (e as NodeJS.ErrnoException).code ?? 'error';
}
t.close();
let closed = '';
try {
  await t.translate(raw);
} catch (e) {
  closed = e instanceof QnmtError ? e.code : 'other';
}
console.log(JSON.stringify({ backend: t.backend.name, text, bpe, order: streamed.map((r) => r.index), bleu: bleu.score, internal, closed, beam: SEARCH_DEFAULTS.beam }));
`;

test('npm pack → offline install → strict TypeScript consumer on the fast backend', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'qnmt-pack-'));
  try {
    const tree = join(root, 'clone');
    copyTrackedTree(tree);
    const packed = spawnSync(npm, ['pack', '--json', '--pack-destination', root], { cwd: tree, encoding: 'utf8' });
    assert.equal(packed.status, 0, packed.stderr);
    const info = (JSON.parse(packed.stdout) as PackInfo[])[0]!;
    const paths = info.files.map((f) => f.path);
    assert.ok(paths.includes('dist/src/index.js') && paths.includes('dist/src/index.d.ts'), 'prepack built dist/ with declarations');
    assert.ok(paths.includes('dist/src/cli/main.js') && paths.includes('native/src/qnmt_native.cc'));
    const strays = paths.filter((p) => /^(test|bench|tools|fixtures|dist\/test|dist\/bench)\/|\.map$|\.ts$/.test(p) && !p.endsWith('.d.ts'));
    assert.deepEqual(strays, [], 'no tests, benchmarks, tools, fixtures, sources or source maps in the package');
    assert.ok(info.size < 1_000_000, `tarball is ${info.size} bytes`);

    const consumer = join(root, 'consumer');
    mkdirSync(consumer);
    writeConsumerProject(consumer, join(root, info.filename));
    const install = spawnSync(npm, ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: consumer, encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);

    writeFileSync(join(consumer, 'example.ts'), indexExample());
    writeFileSync(join(consumer, 'tour.ts'), API_TOUR);
    const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

    const expectedBackend = await selectBackend('auto', 1);
    const example = spawnSync(process.execPath, [join(consumer, 'out', 'example.js')], { cwd: consumer, encoding: 'utf8' });
    assert.equal(example.status, 0, example.stderr);
    assert.match(example.stdout, new RegExp(`^\\S.* \\(${expectedBackend}\\)\\n$`), 'the example prints a translation and the backend');

    const tour = spawnSync(process.execPath, [join(consumer, 'out', 'tour.js')], { cwd: consumer, encoding: 'utf8' });
    assert.equal(tour.status, 0, tour.stderr);
    const got = JSON.parse(tour.stdout) as { backend: string; text: string[]; bpe: string[]; order: number[]; bleu: number; internal: string; closed: string; beam: number };
    assert.equal(got.backend, expectedBackend, 'the installed package chose the backend by itself');
    const local = await loadTranslator({ model, bpeCodes: codes, beam: 3, threads: 1 });
    assert.deepEqual(got.text, await local.translate(['A man is riding a bike.', 'Two dogs play in the snow.', 'A girl in a red dress.']));
    assert.equal(got.text.length, 3);
    assert.ok(got.text.every((l) => l.length > 0));
    assert.equal(got.bpe.length, 1);
    assert.deepEqual(got.order, [0, 1, 2]);
    assert.ok(Math.abs(got.bleu - 100) < 1e-9, `self-BLEU ${got.bleu}`);
    assert.equal(got.internal, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
    assert.equal(got.closed, 'translator/closed');

    const bin = spawnSync(join(consumer, 'node_modules', '.bin', 'qnmt'), ['--version'], { encoding: 'utf8' });
    assert.equal(bin.status, 0, bin.stderr);
    assert.match(bin.stdout, /^\d+\.\d+\.\d+/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
