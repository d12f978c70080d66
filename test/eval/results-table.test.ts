import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeClip, renderCsv, renderJson, renderMarkdown, renderTable, tableRows } from '../../src/eval/results-table.js';
import type { ResultRow } from '../../src/eval/results-store.js';

/**
 * The six configurations of spec/results-table.md §4 with the README BLEU values of §1 as inputs
 * (published numbers, used here only as table input; the times are made up).
 */
function studyRows(): ResultRow[] {
  const att = { '.*att_rnn.attn.*': { clip_acts: 'NONE' } };
  const attCls = { '.*att_rnn.attn.*': { clip_acts: 'NONE' }, 'decoder.classifier.classifier': { clip_acts: 'NONE' } };
  const base = { bleu_line: '', hyp_path: '', finished_at: '2024-01-01T00:00:00Z', settings_hash: 'h' };
  return [
    { ...base, config: 'fp32', precision: 'FP32', mode: null, per_channel: null, clip_acts: null, overrides: null, bleu: 22.16, seconds: 54 },
    { ...base, config: 'sym', precision: 'INT8', mode: 'SYMMETRIC', per_channel: false, clip_acts: 'NONE', overrides: null, bleu: 18.05, seconds: 829 },
    { ...base, config: 'asym', precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: false, clip_acts: 'NONE', overrides: null, bleu: 18.52, seconds: 865 },
    { ...base, config: 'avg', precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: true, clip_acts: 'AVG', overrides: null, bleu: 9.63, seconds: 838 },
    { ...base, config: 'avg-att', precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: true, clip_acts: 'AVG', overrides: att, bleu: 16.94, seconds: 834 },
    { ...base, config: 'avg-att-cls', precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: true, clip_acts: 'AVG', overrides: attCls, bleu: 21.49, seconds: 794 },
  ];
}

test('table rows use the README wording and compute vs FP32', () => {
  const t = tableRows(studyRows());
  assert.deepEqual(t.map((r) => [r.precision, r.mode, r.per_channel, r.clip_activations]), [
    ['FP32', 'N/A', 'N/A', 'N/A'],
    ['INT8', 'Symmetric', 'No', 'No'],
    ['INT8', 'Asymmetric', 'No', 'No'],
    ['INT8', 'Asymmetric', 'Yes', 'AVG in all layers'],
    ['INT8', 'Asymmetric', 'Yes', 'AVG in all layers except attention block'],
    ['INT8', 'Asymmetric', 'Yes', 'AVG in all layers except attention block and final classifier'],
  ]);
  assert.deepEqual(t.map((r) => r.vs_fp32), [0, -4.11, -3.64, -12.53, -5.22, -0.67]);
});

test('markdown table', () => {
  const md = renderMarkdown(studyRows()).split('\n');
  assert.equal(md[0], '| Precision | Mode | Per-Channel | Clip Activations | BLEU | Time (s) | vs FP32 |');
  assert.equal(md[2], '| FP32 | N/A | N/A | N/A | 22.16 | 54.0 | — |');
  assert.equal(md[7], '| INT8 | Asymmetric | Yes | AVG in all layers except attention block and final classifier | 21.49 | 794.0 | -0.67 |');
  assert.equal(md.length, 9);
  assert.equal(renderTable(studyRows(), 'md'), renderMarkdown(studyRows()));
});

test('JSON and CSV tables', () => {
  const j = JSON.parse(renderJson(studyRows())) as { fp32_bleu: number; rows: { config: string; bleu: number; seconds: number; vs_fp32: number }[] };
  assert.equal(j.fp32_bleu, 22.16);
  assert.deepEqual(j.rows.map((r) => r.config), ['fp32', 'sym', 'asym', 'avg', 'avg-att', 'avg-att-cls']);
  assert.equal(j.rows[3]!.vs_fp32, -12.53);
  const csv = renderCsv(studyRows()).trimEnd().split('\n');
  assert.equal(csv[0], 'config,precision,mode,per_channel,clip_activations,bleu,seconds,vs_fp32,settings_hash');
  assert.equal(csv[6], 'avg-att-cls,INT8,Asymmetric,Yes,AVG in all layers except attention block and final classifier,21.49,794.000,-0.67,h');
  // Cells with commas or quotes are quoted.
  const odd = studyRows().slice(0, 1).map((r) => ({ ...r, config: 'a,"b"' }));
  assert.equal(renderCsv(odd).split('\n')[1]!.split(',"')[0], '"a');
  assert.match(renderCsv(odd), /^"a,""b""",FP32/m);
});

test('no FP32 row: vs FP32 is N/A; unknown override patterns are shown verbatim', () => {
  const rows = studyRows().slice(1);
  assert.deepEqual(tableRows(rows).map((r) => r.vs_fp32), [null, null, null, null, null]);
  assert.match(renderMarkdown(rows), /\| 18\.05 \| 829\.0 \| N\/A \|/);
  assert.equal(describeClip('AVG', { 'encoder\\..*': { clip_acts: 'NONE' }, 'x': { bits_activations: 16 } }), 'AVG in all layers except encoder\\..*');
  assert.equal(describeClip('NONE', { 'decoder.classifier.classifier': { clip_acts: 'AVG' } }), 'No clipping; AVG in final classifier');
});
