/**
 * Quantizer configuration: Distiller's YAML schedule format, unchanged, converted here (the one
 * parse boundary) into a typed QuantConfig.
 *
 * ```yaml
 * quantizers:
 *   post_train_quantizer:
 *     class: PostTrainLinearQuantizer
 *     mode: ASYMMETRIC_SIGNED
 *     bits_activations: 8
 *     bits_parameters: 8
 *     bits_accum: 32
 *     per_channel_wts: True
 *     clip_acts: AVG
 *     overrides:
 *       '.*att_rnn.attn.*':
 *         clip_acts: NONE
 * ```
 *
 * Defaults are R's `PostTrainLinearQuantizer` defaults (spec §1): 8/8/32 bits, SYMMETRIC, NONE, no
 * per-channel, no overrides, no stats path, fp16 off, clip_n_stds and scale_approx_mult_bits None.
 */
import { dirname, resolve } from 'node:path';
import { QnmtError } from '../errors.js';
import {
  CLIP_MODES, MAX_ACCUM_BITS, MAX_BITS, MIN_ACCUM_BITS, MIN_BITS, QUANT_MODES, type ClipMode, type QuantMode,
} from './qtypes.js';
import { OVERRIDE_KEYS, compilePattern, type OverrideEntry, type OverrideSettings } from './overrides.js';
import { mapEntries, parseYamlText, readYamlFile, scalarValue, type YamlFile } from './yaml-file.js';
import { stringify, type Node } from 'yaml';

export interface QuantConfig {
  /** The quantizer's name under `quantizers:` ('default' when built in code). */
  readonly name: string;
  /** The file it came from, or null. */
  readonly file: string | null;
  readonly mode: QuantMode;
  readonly bitsActivations: number;
  readonly bitsParameters: number;
  readonly bitsAccum: number;
  readonly perChannelWts: boolean;
  readonly clipActs: ClipMode;
  readonly clipNStds: number | null;
  readonly scaleApproxMultBits: number | null;
  readonly overrides: readonly OverrideEntry[];
  /** `model_activation_stats` resolved against the config file's folder, or null. */
  readonly modelActivationStats: string | null;
}

/** The keys a quantizer entry may have (R `PostTrainLinearQuantizer.__init__` arguments + `class`). */
export const QUANTIZER_KEYS = [
  'class', 'mode', 'bits_activations', 'bits_parameters', 'bits_accum', 'per_channel_wts', 'clip_acts', 'clip_n_stds',
  'scale_approx_mult_bits', 'overrides', 'model_activation_stats', 'fp16',
] as const;
const TOP_KEYS = ['quantizers', 'version'];
const QUANTIZER_CLASS = 'PostTrainLinearQuantizer';

/** R defaults, with optional changes (for code and tests; files go through loadQuantConfig). */
export function defaultQuantConfig(changes: Partial<QuantConfig> = {}): QuantConfig {
  return {
    name: 'default', file: null, mode: 'SYMMETRIC', bitsActivations: 8, bitsParameters: 8, bitsAccum: 32,
    perChannelWts: false, clipActs: 'NONE', clipNStds: null, scaleApproxMultBits: null, overrides: [],
    modelActivationStats: null, ...changes,
  };
}

/** Read a Distiller schedule YAML with one PostTrainLinearQuantizer. */
export function loadQuantConfig(path: string): QuantConfig {
  return configFromYaml(readYamlFile(path, 'quant-config'), resolve(dirname(path)));
}

/** Parse schedule YAML text (`file` names it in messages; relative stats paths resolve against `baseDir`). */
export function parseQuantConfig(text: string, file = '<config>', baseDir = process.cwd()): QuantConfig {
  return configFromYaml(parseYamlText(text, file, 'quant-config'), baseDir);
}

function configFromYaml(y: YamlFile, baseDir: string): QuantConfig {
  const fail = (code: string, node: unknown, msg: string): never => {
    throw new QnmtError(`quant/${code}`, `${y.where(node)}: ${msg}`);
  };
  const top = mapEntries(y.doc.contents);
  if (!top) fail('config-shape', y.doc.contents, `expected a mapping with 'quantizers:' (Distiller schedule format).`);
  let quantizers: ReturnType<typeof mapEntries> = null;
  let quantizersNode: unknown = y.doc.contents;
  for (const e of top!) {
    if (!TOP_KEYS.includes(String(e.key))) fail('unknown-key', e.keyNode, `unknown key '${String(e.key)}' (allowed: ${TOP_KEYS.join(', ')}).`);
    if (e.key === 'quantizers') {
      quantizers = mapEntries(e.value);
      quantizersNode = e.keyNode;
      if (!quantizers) fail('config-shape', e.keyNode, `'quantizers' must map a quantizer name to its settings.`);
    }
  }
  if (!quantizers || quantizers.length !== 1) {
    fail('config-shape', quantizersNode, `expected exactly one quantizer under 'quantizers:', found ${quantizers?.length ?? 0}.`);
  }
  const q = quantizers![0]!;
  const name = String(q.key);
  const entries = mapEntries(q.value);
  if (!entries) fail('config-shape', q.keyNode, `quantizer '${name}' must be a mapping of settings.`);

  const values = new Map<string, { value: unknown; node: Node | null; keyNode: Node }>();
  for (const e of entries!) {
    const key = String(e.key);
    if (!(QUANTIZER_KEYS as readonly string[]).includes(key)) {
      fail('unknown-key', e.keyNode, `unknown quantizer key '${key}' (allowed: ${QUANTIZER_KEYS.join(', ')}).`);
    }
    values.set(key, { value: scalarValue(e.value), node: e.value, keyNode: e.keyNode });
  }
  const at = (key: string): unknown => values.get(key)?.node ?? values.get(key)?.keyNode ?? q.keyNode;
  const get = (key: string): unknown => values.get(key)?.value;

  const cls = get('class');
  if (cls !== QUANTIZER_CLASS) fail('unknown-class', at('class'), `quantizer '${name}': class must be ${QUANTIZER_CLASS}, found ${JSON.stringify(cls ?? null)}.`);

  const v = new Validator(fail, at);
  const fp16 = values.has('fp16') ? v.bool('fp16', get('fp16')) : false;
  if (fp16) fail('unsupported', at('fp16'), `fp16: True is not supported by qnmt (set it to False or remove it).`);
  const stats = values.has('model_activation_stats') ? get('model_activation_stats') : null;
  if (stats !== null && typeof stats !== 'string') fail('bad-value', at('model_activation_stats'), `model_activation_stats must be a file path, found ${JSON.stringify(stats)}.`);

  const config = defaultQuantConfig({
    name,
    file: y.file,
    ...(values.has('mode') && { mode: v.mode('mode', get('mode')) }),
    ...(values.has('bits_activations') && { bitsActivations: v.bits('bits_activations', get('bits_activations'), false)! }),
    ...(values.has('bits_parameters') && { bitsParameters: v.bits('bits_parameters', get('bits_parameters'), false)! }),
    ...(values.has('bits_accum') && { bitsAccum: v.int('bits_accum', get('bits_accum'), MIN_ACCUM_BITS, MAX_ACCUM_BITS, false)! }),
    ...(values.has('per_channel_wts') && { perChannelWts: v.bool('per_channel_wts', get('per_channel_wts')) }),
    ...(values.has('clip_acts') && { clipActs: v.clip('clip_acts', get('clip_acts')) }),
    ...(values.has('clip_n_stds') && { clipNStds: v.positive('clip_n_stds', get('clip_n_stds')) }),
    ...(values.has('scale_approx_mult_bits') && { scaleApproxMultBits: v.int('scale_approx_mult_bits', get('scale_approx_mult_bits'), 1, 32, true) }),
    ...(values.has('overrides') && { overrides: parseOverrides(y, values.get('overrides')!.node, fail) }),
    modelActivationStats: stats === null ? null : resolve(baseDir, stats as string),
  });
  if (config.clipActs === 'N_STD' && config.clipNStds === null) {
    fail('missing-clip-n-stds', at('clip_acts'), `clip_acts N_STD needs clip_n_stds (a number of standard deviations).`);
  }
  return config;
}

type Fail = (code: string, node: unknown, msg: string) => never;

/** Value checks shared by quantizer keys and override keys; messages name key, expected and found. */
class Validator {
  constructor(private readonly fail: Fail, private readonly at: (key: string) => unknown) {}

  mode(key: string, v: unknown): QuantMode {
    if (typeof v !== 'string' || !(QUANT_MODES as readonly string[]).includes(v)) {
      this.fail('unknown-mode', this.at(key), `${key}: unknown mode ${JSON.stringify(v)} (allowed: ${QUANT_MODES.join(', ')}).`);
    }
    return v as QuantMode;
  }

  clip(key: string, v: unknown): ClipMode {
    if (typeof v !== 'string' || !(CLIP_MODES as readonly string[]).includes(v)) {
      this.fail('unknown-clip-mode', this.at(key), `${key}: unknown clip mode ${JSON.stringify(v)} (allowed: ${CLIP_MODES.join(', ')}).`);
    }
    return v as ClipMode;
  }

  bool(key: string, v: unknown): boolean {
    if (typeof v !== 'boolean') this.fail('bad-value', this.at(key), `${key}: expected True or False, found ${JSON.stringify(v)}.`);
    return v as boolean;
  }

  /** A bit width in [MIN_BITS, MAX_BITS]; null (or Python's `None` spelled as a string) if `nullable`. */
  bits(key: string, v: unknown, nullable: boolean): number | null {
    return this.int(key, v, MIN_BITS, MAX_BITS, nullable);
  }

  int(key: string, v: unknown, min: number, max: number, nullable: boolean): number | null {
    if (nullable && (v === null || v === 'None')) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail('bits-out-of-range', this.at(key), `${key}: expected an integer in [${min}, ${max}]${nullable ? ' or null' : ''}, found ${JSON.stringify(v)}.`);
    }
    return v as number;
  }

  positive(key: string, v: unknown): number | null {
    if (v === null || v === 'None') return null;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail('bad-value', this.at(key), `${key}: expected a positive number, found ${JSON.stringify(v)}.`);
    return v as number;
  }
}

function parseOverrides(y: YamlFile, node: Node | null, fail: Fail): OverrideEntry[] {
  if (node === null || scalarValue(node) === null) return [];
  const entries = mapEntries(node);
  if (!entries) fail('config-shape', node, `'overrides' must map module-name patterns to settings.`);
  return entries!.map((e) => {
    const pattern = String(e.key);
    const where = y.where(e.keyNode);
    const settingsEntries = mapEntries(e.value);
    if (!settingsEntries) fail('config-shape', e.keyNode, `override '${pattern}' must be a mapping of settings.`);
    const nodes = new Map(settingsEntries!.map((s) => [String(s.key), s] as const));
    const at = (key: string): unknown => nodes.get(key)?.value ?? nodes.get(key)?.keyNode;
    const v = new Validator(fail, at);
    const settings: OverrideSettings = {};
    const keys: string[] = [];
    for (const [key, s] of nodes) {
      const val = scalarValue(s.value);
      switch (key) {
        case 'bits_activations': settings.bitsActivations = v.bits(key, val, true); break;
        case 'bits_weights': settings.bitsWeights = v.bits(key, val, true); break;
        case 'bits_bias': settings.bitsBias = v.int(key, val, MIN_BITS, MAX_ACCUM_BITS, true); break;
        case 'mode': settings.mode = v.mode(key, val); break;
        case 'per_channel_wts': settings.perChannelWts = v.bool(key, val); break;
        case 'clip_acts': settings.clipActs = v.clip(key, val); break;
        case 'clip_n_stds': settings.clipNStds = v.positive(key, val); break;
        case 'scale_approx_mult_bits': settings.scaleApproxMultBits = v.int(key, val, 1, 32, true); break;
        case 'fp16':
          settings.fp16 = v.bool(key, val);
          if (settings.fp16) fail('unsupported', at(key), `override '${pattern}': fp16: True is not supported by qnmt.`);
          break;
        default:
          fail('unknown-key', s.keyNode, `override '${pattern}': unknown key '${key}' (allowed: ${OVERRIDE_KEYS.join(', ')}).`);
      }
      keys.push(key);
    }
    return { pattern, regex: compilePattern(pattern, where), settings, keys, where };
  });
}

/**
 * The Distiller schedule YAML of a config: what `loadQuantConfig` reads back to an equal config, with
 * only keys Distiller's `PostTrainLinearQuantizer` accepts (every setting written out, so the file
 * says what it does without knowing the defaults; keys whose value is None are left out).
 */
export function formatQuantConfig(config: QuantConfig): string {
  const quantizer: Record<string, unknown> = {
    class: QUANTIZER_CLASS,
    mode: config.mode,
    bits_activations: config.bitsActivations,
    bits_parameters: config.bitsParameters,
    bits_accum: config.bitsAccum,
    per_channel_wts: config.perChannelWts,
    clip_acts: config.clipActs,
    ...(config.clipNStds !== null && { clip_n_stds: config.clipNStds }),
    ...(config.scaleApproxMultBits !== null && { scale_approx_mult_bits: config.scaleApproxMultBits }),
    ...(config.modelActivationStats !== null && { model_activation_stats: config.modelActivationStats }),
    ...(config.overrides.length > 0 && { overrides: Object.fromEntries(config.overrides.map((o) => [o.pattern, overrideFileSettings(o)])) }),
  };
  return stringify({ quantizers: { [config.name]: quantizer } }, { lineWidth: 0 });
}

/** An override's settings with the file's key names (`clip_acts: NONE`), in the order they were given. */
export function overrideFileSettings(entry: OverrideEntry): Record<string, unknown> {
  const byFileKey: Record<(typeof OVERRIDE_KEYS)[number], unknown> = {
    bits_activations: entry.settings.bitsActivations,
    bits_weights: entry.settings.bitsWeights,
    bits_bias: entry.settings.bitsBias,
    mode: entry.settings.mode,
    per_channel_wts: entry.settings.perChannelWts,
    clip_acts: entry.settings.clipActs,
    clip_n_stds: entry.settings.clipNStds,
    scale_approx_mult_bits: entry.settings.scaleApproxMultBits,
    fp16: entry.settings.fp16,
  };
  return Object.fromEntries(entry.keys.map((k) => [k, byFileKey[k as keyof typeof byFileKey]]));
}

/** The override keys that leave a module in FP32 (Distiller: all bit widths None). */
export const FP32_OVERRIDE: Readonly<Record<string, null>> = { bits_activations: null, bits_weights: null, bits_bias: null };

/**
 * An override built in code from file-form settings (`{ clip_acts: 'NONE' }`), the inverse of
 * `overrideFileSettings`; `where` names its origin in messages.
 */
export function makeOverride(pattern: string, fileSettings: Readonly<Record<string, unknown>>, where = 'generated'): OverrideEntry {
  const settings: OverrideSettings = {};
  const set: Record<(typeof OVERRIDE_KEYS)[number], (v: never) => void> = {
    bits_activations: (v) => (settings.bitsActivations = v),
    bits_weights: (v) => (settings.bitsWeights = v),
    bits_bias: (v) => (settings.bitsBias = v),
    mode: (v) => (settings.mode = v),
    per_channel_wts: (v) => (settings.perChannelWts = v),
    clip_acts: (v) => (settings.clipActs = v),
    clip_n_stds: (v) => (settings.clipNStds = v),
    scale_approx_mult_bits: (v) => (settings.scaleApproxMultBits = v),
    fp16: (v) => (settings.fp16 = v),
  };
  for (const [k, v] of Object.entries(fileSettings)) {
    const apply = set[k as keyof typeof set];
    if (!apply) throw new TypeError(`makeOverride: unknown override key '${k}'`);
    apply(v as never);
  }
  return { pattern, regex: compilePattern(pattern, where), settings, keys: Object.keys(fileSettings), where };
}
