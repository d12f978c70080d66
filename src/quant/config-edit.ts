/**
 * Configs derived from a base config by per-module overrides, as a search writes them: each named
 * module gets an override with its exact name, placed before the base's own overrides (so it wins
 * both by order and by Distiller's literal-name rule), keeping the base's settings for that module
 * unless replaced. The result is an ordinary QuantConfig, written to YAML like any other.
 */
import { FP32_OVERRIDE, defaultQuantConfig, makeOverride, overrideFileSettings, type QuantConfig } from './config.js';
import { resolveOverride, type OverrideEntry } from './overrides.js';

export type FileSettings = Readonly<Record<string, unknown>>;

/** True when file-form settings leave the module FP32. */
export function isFp32Settings(settings: FileSettings): boolean {
  return settings['bits_activations'] === null && settings['bits_weights'] === null;
}

/** The base's own file-form settings for a module (what its matching override says, bit widths kept only if FP32). */
export function baseModuleSettings(base: QuantConfig, name: string): Record<string, unknown> {
  const entry = resolveOverride(base.overrides, name);
  return entry ? overrideFileSettings(entry) : {};
}

/** `base` with the given modules' settings replaced (FP32_OVERRIDE leaves a module FP32). */
export function withModuleSettings(base: QuantConfig, perModule: ReadonlyMap<string, FileSettings>): QuantConfig {
  const added: OverrideEntry[] = [];
  for (const [name, settings] of perModule) {
    const own = baseModuleSettings(base, name);
    const merged = isFp32Settings(settings) ? settings : { ...withoutBits(own), ...settings };
    added.push(makeOverride(name, merged, `setting for ${name}`));
  }
  const names = new Set(perModule.keys());
  return { ...base, overrides: [...added, ...base.overrides.filter((o) => !names.has(o.pattern))] };
}

/** `base` with every module of `all` but `name` left FP32 (one exact-name override each). */
export function onlyModuleQuantized(base: QuantConfig, name: string, all: readonly string[]): QuantConfig {
  const own = baseModuleSettings(base, name);
  return {
    ...base,
    overrides: [
      makeOverride(name, isFp32Settings(own) ? {} : own, `setting for ${name}`),
      ...all.filter((n) => n !== name).map((n) => makeOverride(n, FP32_OVERRIDE, `all modules but ${name}`)),
    ],
  };
}

function withoutBits(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([k, v]) => !(k.startsWith('bits_') && v === null)));
}


/**
 * The fully quantized config a sensitivity scan or a tuner starts from when none is given: every
 * module INT8, asymmetric, per-channel weights, activations clipped at the average min/max (the
 * study's "AVG in all layers" row, before any hand-made exception).
 */
export function defaultSearchBase(): QuantConfig {
  return defaultQuantConfig({ name: 'post_train_quantizer', mode: 'ASYMMETRIC_SIGNED', perChannelWts: true, clipActs: 'AVG' });
}
