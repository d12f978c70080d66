/**
 * What every quantized wrapper shares (spec §6.1): the wrapper holds the untouched FP32 op as
 * `wrapped`, quantizes each input with that module's own input statistics, computes an integer
 * accumulator, requantizes it to the output's integers (`forwardQ`) and dequantizes (`forward`).
 */
import { Tensor } from '../../tensor/tensor.js';
import { Op } from '../../model/module.js';
import { QnmtError } from '../../errors.js';
import { saturationRange } from '../clip.js';
import { approxScale, paramsFromRange, type QParams } from '../qparams.js';
import { type ClipMode, type IntRange, type QuantMode, type WrapperType, accumRange, dequantize, intRange, quantize } from '../qtypes.js';
import type { StatsRecord } from '../stats.js';

/** Effective settings of one module: quantizer defaults with its override applied (spec §5.2, §7). */
export interface ModuleQuantSettings {
  readonly mode: QuantMode;
  readonly bitsActivations: number;
  readonly bitsWeights: number;
  readonly bitsAccum: number;
  readonly perChannelWts: boolean;
  readonly clipActs: ClipMode;
  readonly clipNStds: number | null;
  readonly scaleApproxMultBits: number | null;
}

/** Integers of a quantized tensor (values within the activation range) and its shape. */
export interface QTensor {
  readonly data: Int32Array;
  readonly shape: readonly number[];
}

/** Uniform JSON form of one (scale, zero point) pair, as in spec/data/gnmt_expected_act_qparams_aug2019.json. */
export interface QParamsJson {
  sat_min: number;
  sat_max: number;
  scale: number;
  zero_point: number;
}

/** `describe()` output: the qparams of a wrapper, JSON-able (tests compare it with the spec's vectors). */
export interface WrapperDescription {
  wrapper: WrapperType;
  mode: QuantMode;
  clip_acts: ClipMode | 'NONE (embedding ignores clip_acts)';
  inputs?: Record<string, QParamsJson>;
  output?: QParamsJson;
  per_channel_weights?: boolean;
  input_requant_scales?: number[];
  accum_scale?: number;
  output_requant_scale?: number;
  weight_qparams_from_output_stats?: QParamsJson;
}

export function qparamsJson(p: QParams): QParamsJson {
  return { sat_min: p.satMin, sat_max: p.satMax, scale: p.scale, zero_point: p.zeroPoint };
}

/**
 * Activation parameters of one stats record (spec §2.2, §4, §2.4): saturation range by clip mode,
 * scale and zero point by mode, then the optional scale approximation (the zero point keeps the exact
 * scale, as in R).
 */
export function activationParams(rec: StatsRecord, s: ModuleQuantSettings, where: string): QParams {
  const [m, M] = saturationRange(rec, { clipActs: s.clipActs, clipNStds: s.clipNStds, bits: s.bitsActivations, mode: s.mode }, where);
  let p: QParams;
  try {
    p = paramsFromRange(s.mode, m, M, s.bitsActivations);
  } catch (e) {
    throw new QnmtError('quant/bad-range', `${where}: cannot derive quantization parameters: ${(e as Error).message}.`);
  }
  return s.scaleApproxMultBits === null ? p : { ...p, scale: approxScale(p.scale, s.scaleApproxMultBits) };
}

/**
 * The parameters of a product of quantized inputs (EltwiseMult §6.4, Matmul/BatchMatmul §6.5): each
 * input's and the output's activation params, the accumulator scale s_a = Π s_i (float32 product in
 * input order), the requantization factor s_y / s_a (float32 division, then the optional §2.4
 * approximation) and the integer ranges.
 */
export interface ProductParams {
  readonly inputParams: readonly QParams[];
  readonly outputParams: QParams;
  readonly accumScale: number;
  readonly requantScale: number;
  readonly actRange: IntRange;
  readonly accRange: IntRange;
}

export function productParams(
  moduleName: string,
  settings: ModuleQuantSettings,
  stats: { inputs: readonly StatsRecord[]; output: StatsRecord },
): ProductParams {
  const inputParams = stats.inputs.map((r, i) => activationParams(r, settings, `${moduleName}.inputs.${i}`));
  const outputParams = activationParams(stats.output, settings, `${moduleName}.output`);
  const accumScale = inputParams.slice(1).reduce((acc, p) => Math.fround(acc * p.scale), inputParams[0]?.scale ?? 1);
  return {
    inputParams,
    outputParams,
    accumScale,
    requantScale: approxScale(Math.fround(outputParams.scale / accumScale), settings.scaleApproxMultBits),
    actRange: intRange(settings.mode, settings.bitsActivations),
    accRange: accumRange(settings.bitsAccum),
  };
}

/** Q(x) of every element (spec §2.1). */
export function quantizeArray(x: Float32Array, p: QParams, r: IntRange): Int32Array {
  const out = new Int32Array(x.length);
  const { scale, zeroPoint } = p;
  for (let i = 0; i < x.length; i++) out[i] = quantize(x[i]!, scale, zeroPoint, r.lo, r.hi);
  return out;
}

/** D(q) of every element into a float tensor (spec §2.1). */
export function dequantizeQ(q: QTensor, p: QParams): Tensor {
  const out = new Float32Array(q.data.length);
  const { scale, zeroPoint } = p;
  for (let i = 0; i < out.length; i++) out[i] = dequantize(q.data[i]!, scale, zeroPoint);
  return new Tensor(out, q.shape);
}

/**
 * Base of the seven wrappers. `wrapped` is the FP32 op, never modified; `forward` = D(forwardQ(…)).
 */
export abstract class QuantWrapper<T extends Op = Op> extends Op {
  abstract readonly type: WrapperType;

  constructor(
    readonly wrapped: T,
    /** Dotted name the wrapper was built for (first name of a shared module). */
    readonly moduleName: string,
    readonly settings: ModuleQuantSettings,
  ) {
    super();
  }

  /** The output integers (spec §6.1 steps 1–3). */
  abstract forwardQ(...inputs: Tensor[]): QTensor;

  /**
   * Row independence: with fixed (calibrated) quantization parameters, output row i depends only on
   * input row i (batch element i for BatchMatmul), so a decoder may leave out rows whose outputs it
   * ignores without changing any number (the FP32 ops' property that `Gnmt.rowsIndependent` uses).
   */
  readonly rowsIndependent = true;

  /** Output quantization parameters (s_y, z_y). */
  abstract readonly outputParams: QParams;

  forward(...inputs: Tensor[]): Tensor {
    return dequantizeQ(this.forwardQ(...inputs), this.outputParams);
  }

  abstract describe(): WrapperDescription;

  /** The description fields every activation-quantizing wrapper shares (spec §6.1: its input and output params). */
  protected describeActivations(inputParams: readonly QParams[]): WrapperDescription {
    return {
      wrapper: this.type,
      mode: this.settings.mode,
      clip_acts: this.settings.clipActs,
      inputs: Object.fromEntries(inputParams.map((p, i) => [String(i), qparamsJson(p)])),
      output: qparamsJson(this.outputParams),
    };
  }

  protected checkInputCount(inputs: readonly Tensor[], expected: number): void {
    if (inputs.length !== expected) {
      throw new RangeError(`${this.type} wrapper ${this.moduleName}: got ${inputs.length} inputs, its statistics have ${expected}`);
    }
  }
}
