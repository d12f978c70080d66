/**
 * qnmt as a library: MLPerf's GNMT and Distiller's post-training quantization in TypeScript.
 *
 * ```ts
 * import { openCheckpoint, fp32Model, translateLines, scoreJoined } from 'qnmt';
 * const ckpt = await openCheckpoint('model_best.pth');
 * const { joined } = await translateLines(fp32Model(ckpt), ckpt.vocab, bpeLines, { beam: 10 });
 * console.log(scoreJoined(joined, references).bleu.formatted);
 * ```
 */
export * from './tensor/index.js';
export * from './io/index.js';
export * from './text/index.js';
export * from './metrics/index.js';
export * from './model/index.js';
export * from './decode/index.js';
export * from './quant/index.js';
export * from './eval/index.js';
export { QnmtError } from './errors.js';
