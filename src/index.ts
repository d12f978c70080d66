/**
 * qnmt as a library: MLPerf's GNMT (WMT16 English→German) and Distiller's post-training INT8
 * quantization in TypeScript. The root holds the one-call API; the building blocks are under
 * subpaths: qnmt/text, qnmt/metrics, qnmt/model, qnmt/decode, qnmt/quant, qnmt/eval, qnmt/io,
 * qnmt/tensor, qnmt/report, qnmt/data.
 *
 * ```ts
 * import { loadTranslator } from 'qnmt';
 *
 * const translator = await loadTranslator({ model: 'model_best.pth', bpeCodes: 'bpe.32000' });
 * const [german] = await translator.translate(['A man is riding a bike.']);
 * console.log(german, `(${translator.backend.name})`);
 * translator.close();
 * ```
 */
export { loadTranslator } from './eval/translator.js';
export type { Translator, TranslatorOptions, StreamOptions, StreamedTranslation } from './eval/translator.js';
export { quantizationStudy } from './eval/study.js';
export type { StudyOptions, StudyResult } from './eval/study.js';
export type { SweepEvent } from './eval/sweep.js';
export type { ResultRow } from './eval/results-store.js';
export { collectActivationStats } from './eval/calibration.js';
export type { CalibrationOptions } from './eval/calibration.js';
export { loadQuantConfig } from './quant/config.js';
export type { QuantConfig } from './quant/config.js';
export { loadStats, saveStats } from './quant/stats.js';
export type { Stats } from './quant/stats.js';
export { corpusBleu } from './metrics/bleu.js';
export type { BleuOptions, BleuResult } from './metrics/bleu.js';
export { QnmtError } from './errors.js';
