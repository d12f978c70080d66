/**
 * Argument checks of the kernels (sizes and ranges as src/tensor/kernels.ts documents them), shared by
 * the js reference and the wasm backend so that both refuse the same calls with the same messages.
 */
import type { AllKernels } from '../kernels.js';

type Args<K extends keyof AllKernels> = Parameters<AllKernels[K]>;

export function checkSize(what: string, actual: number, expected: number): void {
  if (actual < expected) throw new RangeError(`${what}: array length ${actual} is smaller than the required ${expected}.`);
}

export function checkLstmCell(...[m, h, gatesX, gatesH, cPrev, hOut, cOut]: Args<'lstmCellF32'>): void {
  checkSize('lstmCellF32 gatesX', gatesX.length, m * 4 * h);
  if (gatesH) checkSize('lstmCellF32 gatesH', gatesH.length, m * 4 * h);
  if (cPrev) checkSize('lstmCellF32 cPrev', cPrev.length, m * h);
  checkSize('lstmCellF32 hOut', hOut.length, m * h);
  checkSize('lstmCellF32 cOut', cOut.length, m * h);
}

export function checkQuantize(x: Float32Array, count: number, lo: number, hi: number, offset: number, out: Uint8Array): void {
  checkSize('quantizeU8 x', x.length, count);
  checkSize('quantizeU8 out', out.length, count);
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(offset) && lo <= hi && lo + offset >= 0 && hi + offset <= 255)) {
    throw new RangeError(
      `quantizeU8: need integers lo <= hi with 0 <= lo + offset and hi + offset <= 255, got lo ${lo}, hi ${hi}, offset ${offset}.`,
    );
  }
}

export function checkRequantize(
  acc: Int32Array,
  m: number,
  n: number,
  add: Int32Array | null,
  rowTerm: Int32Array | null,
  colMul: Int32Array | null,
  factor: Float32Array,
  lo: number,
  hi: number,
  out: Float32Array,
): void {
  checkSize('requantizeF32 acc', acc.length, m * n);
  checkSize('requantizeF32 out', out.length, m * n);
  if (add) checkSize('requantizeF32 add', add.length, n);
  if ((rowTerm === null) !== (colMul === null)) throw new TypeError('requantizeF32: pass both rowTerm and colMul, or neither.');
  if (rowTerm) checkSize('requantizeF32 rowTerm', rowTerm.length, m);
  if (colMul) checkSize('requantizeF32 colMul', colMul.length, n);
  if (factor.length !== 1) checkSize('requantizeF32 factor', factor.length, n);
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi && lo >= -4194304 && hi <= 4194304)) {
    throw new RangeError(`requantizeF32: need integers lo <= hi within ±2^22, got lo ${lo}, hi ${hi}.`);
  }
}

export function checkAttention(...[rows, T, U, H, query, keys, bias, att, context, lengths, rowSentence, probs, out]: Args<'attentionF32'>): void {
  const S = lengths.length;
  checkSize('attentionF32 query', query.length, rows * U);
  checkSize('attentionF32 keys', keys.length, S * T * U);
  checkSize('attentionF32 bias', bias.length, U);
  checkSize('attentionF32 att', att.length, U);
  checkSize('attentionF32 context', context.length, S * T * H);
  checkSize('attentionF32 rowSentence', rowSentence.length, rows);
  checkSize('attentionF32 probs', probs.length, rows * T);
  checkSize('attentionF32 out', out.length, rows * H);
  for (let r = 0; r < rows; r++) {
    const s = rowSentence[r]!;
    if (!(s >= 0 && s < S)) throw new RangeError('attentionF32: rowSentence out of range');
    const len = lengths[s]!;
    if (!(len >= 0 && len <= T)) throw new RangeError('attentionF32: lengths must be within [0, T]');
  }
}

export function checkLogSoftmaxTopK(...[logits, rows, vocab, k, ids, logprobs]: Args<'logSoftmaxTopKF32'>): void {
  if (!(Number.isInteger(k) && k >= 1 && k <= vocab)) throw new RangeError(`logSoftmaxTopKF32: need 1 <= k <= vocab, got k ${k}, vocab ${vocab}.`);
  checkSize('logSoftmaxTopKF32 logits', logits.length, rows * vocab);
  checkSize('logSoftmaxTopKF32 ids', ids.length, rows * k);
  checkSize('logSoftmaxTopKF32 logprobs', logprobs.length, rows * k);
}

export function checkPairLookup(...[u0, p0, u1, p1, count, table, out]: Args<'pairLookupF32'>): void {
  if (!(Number.isInteger(p0) && Number.isInteger(p1) && p0 >= 1 && p1 >= 1)) {
    throw new RangeError(`pairLookupF32: p0 and p1 must be integers >= 1, got ${p0}, ${p1}.`);
  }
  checkSize('pairLookupF32 u0', u0.length, Math.min(count, p0));
  checkSize('pairLookupF32 u1', u1.length, Math.min(count, p1));
  checkSize('pairLookupF32 table', table.length, 65536);
  checkSize('pairLookupF32 out', out.length, count);
}

export function checkAttentionScores(...[R, T, U, uq, uk, rowSentence, lengths, ub, codes, chain, ut]: Args<'attentionScoresU8'>): void {
  checkSize('attentionScoresU8 uq', uq.length, R * U);
  checkSize('attentionScoresU8 rowSentence', rowSentence.length, R);
  checkSize('attentionScoresU8 ub', ub.length, U);
  checkSize('attentionScoresU8 codes', codes.length, 65536);
  checkSize('attentionScoresU8 chain', chain.length, 65536);
  checkSize('attentionScoresU8 ut', ut.length, R * T * U);
  const S = T * U > 0 ? Math.floor(uk.length / (T * U)) : 0;
  for (let r = 0; r < R; r++) {
    const s = rowSentence[r]!;
    if (T * U > 0 && !(s >= 0 && s < S)) throw new RangeError(`attentionScoresU8: rowSentence[${r}] = ${s} is outside the ${S} sentences of uk.`);
    if (lengths && !(s < lengths.length)) throw new RangeError(`attentionScoresU8: rowSentence[${r}] = ${s} has no entry in lengths (length ${lengths.length}).`);
  }
}

export function checkLstmTail(...[n, H, ux, uh, uc, gateCodes, forgetCodes, inputCodes, cellCodes, cValues, hValues, hOut, cOut]: Args<'lstmTailU8'>): void {
  const G = 4 * H;
  checkSize('lstmTailU8 ux', ux.length, n * G);
  checkSize('lstmTailU8 uh', uh.length, n * G);
  checkSize('lstmTailU8 uc', uc.length, n * H);
  for (const [what, t] of [['gateCodes', gateCodes], ['forgetCodes', forgetCodes], ['inputCodes', inputCodes], ['cellCodes', cellCodes], ['hValues', hValues]] as const) {
    checkSize(`lstmTailU8 ${what}`, t.length, 65536);
  }
  checkSize('lstmTailU8 cValues', cValues.length, 256);
  checkSize('lstmTailU8 hOut', hOut.length, n * H);
  checkSize('lstmTailU8 cOut', cOut.length, n * H);
}
