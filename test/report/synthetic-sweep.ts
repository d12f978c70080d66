/**
 * SYNTHETIC RENDERING INPUT — NOT A RESULT. A hand-written sweep results folder for the report tests:
 * the BLEU values, times and module errors below are invented to exercise the page layout; they were
 * not computed by any model. The stats YAML copied in is real (the bundled fixture's Distiller
 * calibration output, fixtures/multi30k-gnmt256/calibration/model_stats.yaml).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { settingsHash, writeRow, type ResultRow } from '../../src/eval/results-store.js';
import { fixtureDir } from '../paths.js';

export const syntheticStatsSource = join(fixtureDir, 'calibration', 'model_stats.yaml');

export async function writeSyntheticSweep(dir: string): Promise<ResultRow[]> {
  const hash = settingsHash({ note: 'synthetic rendering input, not a result' });
  const att = { '.*att_rnn.attn.*': { clip_acts: 'NONE' } };
  const base = { bleu_line: 'SYNTHETIC (not a result)', hyp_path: 'synthetic/none.de', finished_at: '2000-01-01T00:00:00.000Z', settings_hash: hash };
  const errs = (scale: number): Record<string, number> => ({
    'encoder.embedder': 0.010 * scale,
    'encoder.rnn_layers.0.cells.0.fc_gate_x': 0.020 * scale,
    'decoder.att_rnn.attn.matmul_score': 0.050 * scale,
    'decoder.att_rnn.attn.context_matmul': 0.030 * scale,
    'decoder.classifier.classifier': 0.080 * scale,
  });
  const rows: ResultRow[] = [
    { ...base, config: 'synthetic-fp32', order: 0, precision: 'FP32', mode: null, per_channel: null, clip_acts: null, overrides: null, bleu: 30, seconds: 10 },
    { ...base, config: 'synthetic-sym', order: 1, precision: 'INT8', mode: 'SYMMETRIC', per_channel: false, clip_acts: 'NONE', overrides: null, bleu: 25, seconds: 20, module_errors: errs(1.5) },
    { ...base, config: 'synthetic-asym', order: 2, precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: false, clip_acts: 'NONE', overrides: null, bleu: 26, seconds: 21, module_errors: errs(1.2) },
    { ...base, config: 'synthetic-avg', order: 3, precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: true, clip_acts: 'AVG', overrides: null, bleu: 12, seconds: 22, module_errors: errs(3) },
    { ...base, config: 'synthetic-avg-att', order: 4, precision: 'INT8', mode: 'ASYMMETRIC_SIGNED', per_channel: true, clip_acts: 'AVG', overrides: att, bleu: 22, seconds: 21 },
  ];
  for (const r of rows) await writeRow(dir, r);
  await mkdir(join(dir, 'calibration'), { recursive: true });
  await copyFile(syntheticStatsSource, join(dir, 'calibration', 'model_stats.yaml'));
  return rows;
}
