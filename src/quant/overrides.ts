/**
 * Per-module overrides (spec §7): an ordered list of regular expressions over dotted module names,
 * each with settings that replace the quantizer defaults for the modules it selects.
 *
 * Distiller's matching rules (R `Quantizer.__init__` / `_pre_process_container`):
 * - the first `module.` in a name is removed before matching;
 * - the patterns are combined as `(^p1$)|(^p2$)|…` and matched at the start of the name
 *   (Python `re.match`); here each pattern is tried in order as a sticky `(^p$)`, which selects the
 *   same pattern as the ordered alternation (Distiller's group-index lookup goes wrong for patterns
 *   that contain their own capture groups; qnmt does not reproduce that bug);
 * - a name literally equal to a pattern uses that pattern's entry, otherwise the first match wins;
 * - `.` is the regex wildcard, so `decoder.classifier.classifier` also matches `decoderXclassifier…`.
 *
 * Patterns run on RE2 (re2js), which matches in time linear in the name: a pattern such as
 * `([a-z_.0-9]+)+!` cannot backtrack for minutes. RE2 has no backreferences or lookarounds; such a
 * pattern is refused with an error (Distiller configs do not use them).
 */
import { RE2JS } from 're2js';
import { QnmtError } from '../errors.js';
import { limitError, limits } from '../limits.js';
import type { ClipMode, QuantMode, WrapperType } from './qtypes.js';

/** Settings an override may carry; keys as in the file, converted at the parse boundary. */
export interface OverrideSettings {
  bitsActivations?: number | null;
  bitsWeights?: number | null;
  bitsBias?: number | null;
  mode?: QuantMode;
  perChannelWts?: boolean;
  clipActs?: ClipMode;
  clipNStds?: number | null;
  scaleApproxMultBits?: number | null;
  fp16?: boolean;
}

export interface OverrideEntry {
  /** The pattern exactly as written in the file. */
  readonly pattern: string;
  /** `(^pattern$)`, matched against the whole name (Python `re.match` of the anchored pattern). */
  readonly regex: NamePattern;
  readonly settings: OverrideSettings;
  /** The file keys given (verbatim, e.g. `clip_acts`), for error messages. */
  readonly keys: readonly string[];
  /** Where it was defined ("file:line"), for messages. */
  readonly where: string;
}

/** Every key an override may contain (spec §7). */
export const OVERRIDE_KEYS = [
  'bits_activations', 'bits_weights', 'bits_bias', 'mode', 'per_channel_wts', 'clip_acts', 'clip_n_stds',
  'scale_approx_mult_bits', 'fp16',
] as const;

const BITS_KEYS = ['bits_activations', 'bits_weights', 'bits_bias'];

/**
 * Keys each wrapper type accepts besides the bit widths (R replacement-function arguments):
 * Linear takes mode/per-channel/clipping; Eltwise*, Matmul, BatchMatmul and Concat no `mode` and no
 * `per_channel_wts`; the embedding only `fp16`.
 */
export const ALLOWED_OVERRIDE_KEYS: Readonly<Record<WrapperType, readonly string[]>> = {
  Linear: ['per_channel_wts', 'mode', 'clip_acts', 'clip_n_stds', 'scale_approx_mult_bits', 'fp16'],
  EltwiseAdd: ['clip_acts', 'clip_n_stds', 'scale_approx_mult_bits', 'fp16'],
  EltwiseMult: ['clip_acts', 'clip_n_stds', 'scale_approx_mult_bits', 'fp16'],
  Matmul: ['clip_acts', 'clip_n_stds', 'scale_approx_mult_bits', 'fp16'],
  BatchMatmul: ['clip_acts', 'clip_n_stds', 'scale_approx_mult_bits', 'fp16'],
  Concat: ['clip_acts', 'clip_n_stds', 'scale_approx_mult_bits', 'fp16'],
  Embedding: ['fp16'],
};

/** A compiled override pattern: its anchored source and a linear-time full-name test. */
export interface NamePattern {
  readonly source: string;
  test(name: string): boolean;
}

/** Compile a pattern the way Distiller anchors it; a bad or unsupported regex → QnmtError naming it. */
export function compilePattern(pattern: string, where: string): NamePattern {
  if (pattern.length > limits().overridePatternLength) {
    throw limitError('quant/bad-override-pattern', where, 'overridePatternLength', 'override pattern length in characters', pattern.length);
  }
  const source = `(^${pattern}$)`;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    const shown = pattern.length > 80 ? `${pattern.slice(0, 77)}…` : pattern;
    throw new QnmtError(
      'quant/bad-override-pattern',
      `${where}: override pattern '${shown}' is not a valid regular expression (${(e as Error).message.split('\n')[0]}); note that backreferences and lookarounds are not supported.`,
    );
  }
  return { source, test: (name) => re.matcher(name).matches() };
}

/** Distiller's name normalisation before matching: drop the first `module.`. */
export function nameToMatch(name: string): string {
  return name.replace('module.', '');
}

function matches(entry: OverrideEntry, name: string): boolean {
  return entry.regex.test(name);
}

/** The override entry that applies to a module name, or undefined. */
export function resolveOverride(overrides: readonly OverrideEntry[], name: string): OverrideEntry | undefined {
  const n = nameToMatch(name);
  const first = overrides.find((o) => matches(o, n));
  if (!first) return undefined;
  return overrides.find((o) => o.pattern === n) ?? first;
}

/** Patterns that match none of the given names (the caller reports them as warnings). */
export function unmatchedOverrides(overrides: readonly OverrideEntry[], names: Iterable<string>): OverrideEntry[] {
  const all = [...names].map(nameToMatch);
  return overrides.filter((o) => !all.some((n) => matches(o, n)));
}

/**
 * Reject override keys the module's wrapper does not accept (R fails with an unexpected keyword
 * argument); the message lists the allowed ones.
 */
export function checkOverrideKeys(entry: OverrideEntry, type: WrapperType, moduleName: string): void {
  const allowed = ALLOWED_OVERRIDE_KEYS[type];
  for (const k of entry.keys) {
    if (BITS_KEYS.includes(k) || allowed.includes(k)) continue;
    throw new QnmtError(
      'quant/override-key-not-allowed',
      `${entry.where}: override '${entry.pattern}' sets '${k}' for ${moduleName} (${type}), which does not accept it; allowed keys for ${type}: ${[...BITS_KEYS, ...allowed].join(', ')}.`,
    );
  }
}
