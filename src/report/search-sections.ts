/** The report sections of `qnmt sensitivity` and `qnmt tune` results found in a folder. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QnmtError } from '../errors.js';
import { SENSITIVITY_FILE, type SensitivityResult } from '../eval/sensitivity.js';
import { TUNING_RESULT_FILE, type TuneResult } from '../eval/tune.js';
import type { ReportSection } from './report-section.js';
import { sensitivitySection } from './sensitivity-section.js';
import { tuningSection } from './tuning-section.js';

export async function loadSearchSections(dir: string): Promise<ReportSection[]> {
  const sections: ReportSection[] = [];
  const sensitivity = await readJson<SensitivityResult>(join(dir, SENSITIVITY_FILE));
  if (sensitivity) sections.push(sensitivitySection(sensitivity));
  const tuning = await readJson<TuneResult>(join(dir, TUNING_RESULT_FILE));
  if (tuning) sections.push(tuningSection(tuning));
  return sections;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new QnmtError('report/bad-json', `${path}: not valid JSON (${(e as Error).message}); rerun the command that wrote it.`);
  }
}
