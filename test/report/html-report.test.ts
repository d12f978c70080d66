import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chartIds, renderReportHtml } from '../../src/report/html-report.js';
import { loadReportInput } from '../../src/report/load-report-input.js';
import { writeSyntheticSweep } from './synthetic-sweep.js';

const run = promisify(execFile);
const mainJs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

function findChromium(): string | undefined {
  const env = process.env['QNMT_CHROMIUM'];
  if (env) return env;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const p = join(dir, name);
      if (dir && existsSync(p)) return p;
    }
  }
  return undefined;
}

const chromium = findChromium();
const ci = process.env['CI'] === 'true';
// In CI a missing browser must fail loudly; on a developer machine the browser test is skipped.
const browserSkip = chromium || ci ? false : 'chromium not installed (apt-get install -y chromium); CI=true makes this a failure';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'qnmt-report-'));
}

test('report page: self-contained, table and chart data from the results folder', async () => {
  const dir = await tempDir();
  try {
    const rows = await writeSyntheticSweep(dir);
    const input = await loadReportInput(dir);
    assert.equal(input.rows.length, rows.length);
    assert.match(input.stats!.path, /calibration[/\\]model_stats\.yaml$/);
    const content = { title: 'T <&>', rows: input.rows, stats: input.stats! };
    assert.deepEqual(chartIds(content), ['chart-bleu', 'chart-ranges', 'chart-errors']);
    const html = renderReportHtml(content);
    assert.ok(!/<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/i.test(html), 'no external resources');
    assert.match(html, /<title>T &lt;&amp;&gt;<\/title>/);
    assert.match(html, /<td>synthetic-avg-att<\/td><td>INT8<\/td><td>Asymmetric<\/td><td>Yes<\/td><td>AVG in all layers except attention block<\/td><td class="num">22\.00<\/td>/);
    assert.match(html, /Chart\.js v4/);
    // A hostile config name cannot close the data script.
    const evil = renderReportHtml({ ...content, rows: [{ ...input.rows[0]!, config: '</script><script>alert(1)</script>' }] });
    assert.equal(evil.split('</script>').length - 1, html.split('</script>').length - 1);
    // Without module_errors and stats, only the BLEU chart is drawn.
    const plain = { title: 't', rows: input.rows.map(({ module_errors: _m, ...r }) => r) };
    assert.deepEqual(chartIds(plain), ['chart-bleu']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('headless Chromium draws every chart of the report', { skip: browserSkip, timeout: 120_000 }, async () => {
  assert.ok(chromium, 'chromium not found on PATH: install it (apt-get install -y chromium) or set QNMT_CHROMIUM; the report rendering test needs it in CI');
  const dir = await tempDir();
  const profile = await tempDir();
  try {
    await writeSyntheticSweep(dir);
    const out = join(dir, 'report.html');
    const cli = await run(process.execPath, [mainJs, 'report', dir, '-o', out, '--json']);
    const summary = JSON.parse(cli.stdout) as { charts: string[]; rows: number; stats: string };
    assert.deepEqual(summary.charts, ['chart-bleu', 'chart-ranges', 'chart-errors']);
    assert.equal(summary.rows, 5);

    const { stdout: dom } = await run(
      chromium!,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--window-size=1200,900', '--dump-dom', pathToFileURL(out).href,
      ],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const status = JSON.parse(/<pre id="render-status">([^<]*)<\/pre>/.exec(dom)?.[1] || '{}') as Record<string, number>;
    for (const id of summary.charts) {
      const canvas = new RegExp(`<canvas id="${id}"[^>]*>`).exec(dom)?.[0] ?? '';
      assert.match(canvas, /data-rendered="true"/, `${id} was not drawn`);
      const pixels = Number(/data-drawn-pixels="(\d+)"/.exec(canvas)?.[1]);
      // Axes and labels alone paint a few thousand pixels; bars add far more.
      assert.ok(pixels > 5000, `${id}: only ${pixels} pixels drawn`);
      assert.equal(status[id], pixels);
    }
    // The ranges chart has one bar pair per module that ran, so it paints more than the BLEU chart.
    assert.ok(status['chart-ranges']! > status['chart-bleu']!);
    assert.match(dom, /data-charts-rendered="3"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
});

test('report CLI: --table prints the table, missing folder and empty folder are user errors', async () => {
  const dir = await tempDir();
  try {
    await writeSyntheticSweep(dir);
    const md = await run(process.execPath, [mainJs, 'report', dir, '--table', 'md', '--quiet']);
    assert.match(md.stdout, /^\| INT8 \| Symmetric \| No \| No \| 25\.00 \| 20\.0 \| -5\.00 \|$/m);
    assert.equal(md.stderr, '');
    assert.ok((await readFile(join(dir, 'report.html'), 'utf8')).startsWith('<!DOCTYPE html>'));
    await assert.rejects(run(process.execPath, [mainJs, 'report', join(dir, 'nope')]), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /^qnmt: error: results folder .*nope does not exist/);
      return true;
    });
    await assert.rejects(run(process.execPath, [mainJs, 'report', join(dir, 'calibration'), '--stats', join(dir, 'rows', 'synthetic-fp32.json')]), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /not a Distiller activation-stats file/);
      return true;
    });
    const empty = await tempDir();
    try {
      await assert.rejects(run(process.execPath, [mainJs, 'report', empty]), /nothing to report in .*Run 'qnmt sweep --out DIR' first/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
