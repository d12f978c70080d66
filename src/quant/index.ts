/** Distiller post-training range-linear quantization (spec/quantization.md, version R). */
export * from './qtypes.js';
export { type QParams, symmetricParams, asymmetricParams, paramsFromRange, weightParams, quantizeBias, approxScale } from './qparams.js';
export { saturationRange, clipRecord, adjustLstmGateStats, ACIQ_GAUSS, ACIQ_LAPLACE, type ClipSettings } from './clip.js';
export { type Stats, type StatsRecord, type ModuleStats, loadStats, parseStats, saveStats, formatStats, cloneStats, initialRecord } from './stats.js';
export { StatsCollector, collectStats } from './collector.js';
export { type QuantConfig, loadQuantConfig, parseQuantConfig, defaultQuantConfig } from './config.js';
export { type OverrideEntry, type OverrideSettings, resolveOverride, ALLOWED_OVERRIDE_KEYS } from './overrides.js';
export { prepareModel, quantizableModules, lstmCellNames, moduleSettings, type PrepareResult } from './prepare.js';
export * from './wrappers/index.js';
