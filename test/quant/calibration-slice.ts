/** The calibration slice the tests run (bench/calibration-full.ts writes its committed statistics). */
export const CALIBRATION_SLICE = {
  input: 'data/test2016.tok.bpe.en',
  lines: 32,
  /** The notebook's evaluation settings, which calibration uses. */
  beam: 10,
  batch: 128,
  maxLen: 80,
  stats: 'calibration-test2016-first32.yaml',
} as const;

/**
 * Relative bound on every statistic. qnmt vs Distiller's own file on the full set: 2.1e-5 at worst
 * (bench/logs/calibration-full.log); float32 kernels of other backends or thread counts move values
 * by less.
 */
export const CALIBRATION_REL_BOUND = 1e-4;
