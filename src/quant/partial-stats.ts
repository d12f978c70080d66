/**
 * Partial activation statistics: what one shard of a calibration keeps so that the shards' parts
 * merge into exactly the Distiller records a single process would have built.
 *
 * Distiller's records are order-dependent running values (per-call means, R's incremental std with
 * the module's global call number n), so a part cannot keep finished records. It keeps, per batch of
 * the unsharded plan and per module, the number of calls and, per tensor slot (inputs…, output), the
 * batch's extremes, its first shape, and per call (call number within the batch, numel, sum, m2,
 * avg_min, avg_max). Merging replays those calls in batch order through the same `applySummary`
 * the collector uses, so the merged file equals the unsharded one.
 *
 * The state is plain data and serialises to JSON (the per-call numbers as base64 float64, so every
 * value survives exactly, NaN and ±Infinity included). Loading it never executes anything.
 */
import { QnmtError } from '../errors.js';
import { applySummary, type TensorSummary } from './call-summary.js';
import type { CallObserver, ObservedCall } from './collector.js';
import { initialRecord, type Stats, type StatsRecord } from './stats.js';

/** Numbers kept per call of one slot. */
const PER_CALL = 6; // call-in-batch, numel, sum, m2, avgMin, avgMax

interface SlotCalls {
  min: number;
  max: number;
  /** Shape of the first non-empty call in this batch. */
  shape: string;
  entries: number[];
}

interface ModuleCalls {
  calls: number;
  inputCount: number;
  integerInput: boolean;
  /** Input slots 0…inputCount−1, then the output. */
  inputs: SlotCalls[];
  output: SlotCalls;
}

type BatchCalls = Map<string, ModuleCalls>;

/** The JSON form of a part's statistics. */
export interface PartialStatsJson {
  format: 'qnmt-partial-stats';
  version: 1;
  modules: string[];
  batches: { index: number; modules: Record<string, ModuleCallsJson> }[];
}

interface ModuleCallsJson {
  calls: number;
  integer_input?: true;
  inputs: SlotJson[];
  output: SlotJson;
}

/** shape, and base64 of float64 [min, max, …entries]. */
type SlotJson = [string, string];

const newSlot = (): SlotCalls => ({ min: Infinity, max: -Infinity, shape: '', entries: [] });

/** Collects the calls of the batches this shard runs (`beginBatch` before each). */
export class PartialStats {
  private readonly batches = new Map<number, BatchCalls>();
  private current: BatchCalls | undefined;

  constructor(readonly modules: readonly string[]) {}

  /** Calls observed from now on belong to batch `index` of the unsharded plan. */
  beginBatch(index: number): void {
    if (this.batches.has(index)) throw new Error(`batch ${index} observed twice`);
    this.current = new Map();
    this.batches.set(index, this.current);
  }

  /** The observer to hand to the collector. */
  readonly observe: CallObserver = (module: string, call: ObservedCall): void => {
    if (!this.current) throw new Error('PartialStats: a call was observed before beginBatch()');
    let mc = this.current.get(module);
    if (!mc) {
      mc = { calls: 0, inputCount: 0, integerInput: call.integerInput, inputs: [], output: newSlot() };
      this.current.set(module, mc);
    }
    mc.calls++;
    while (mc.inputs.length < call.inputs.length) mc.inputs.push(newSlot());
    mc.inputCount = mc.inputs.length;
    call.inputs.forEach((s, i) => addCall(mc!.inputs[i]!, mc!.calls, s));
    addCall(mc.output, mc.calls, call.output);
  };

  batchIndices(): number[] {
    return [...this.batches.keys()].sort((a, b) => a - b);
  }

  toJson(): PartialStatsJson {
    return {
      format: 'qnmt-partial-stats',
      version: 1,
      modules: [...this.modules],
      batches: this.batchIndices().map((index) => ({
        index,
        modules: Object.fromEntries(
          [...this.batches.get(index)!].map(([name, mc]) => [
            name,
            {
              calls: mc.calls,
              ...(mc.integerInput ? { integer_input: true as const } : {}),
              inputs: mc.inputs.map(slotJson),
              output: slotJson(mc.output),
            },
          ]),
        ),
      })),
    };
  }

  /** Read a part's JSON form back (`where` names the file in errors). */
  static fromJson(json: unknown, where: string): PartialStats {
    const bad = (what: string): never => {
      throw new QnmtError('stats/bad-part', `${where}: ${what}; it is not a qnmt calibration part (remake it with 'qnmt calibrate --shard I/N').`);
    };
    const j = json as Partial<PartialStatsJson> | null;
    if (!j || j.format !== 'qnmt-partial-stats' || j.version !== 1) bad('unknown partial statistics format');
    if (!Array.isArray(j!.modules) || !j!.modules.every((m) => typeof m === 'string')) bad("'modules' must be a list of names");
    if (!Array.isArray(j!.batches)) bad("'batches' must be a list");
    const p = new PartialStats(j!.modules!);
    const known = new Set(j!.modules);
    for (const b of j!.batches!) {
      if (!Number.isInteger(b?.index) || b.index < 0) bad('a batch index is not a non-negative integer');
      p.beginBatch(b.index);
      for (const [name, m] of Object.entries(b.modules ?? {})) {
        if (!known.has(name)) bad(`batch ${b.index} names an unknown module '${name}'`);
        if (!Number.isInteger(m?.calls) || m.calls < 1 || !Array.isArray(m.inputs)) bad(`batch ${b.index}, module '${name}': malformed call record`);
        const inputs = m.inputs.map((s) => readSlot(s, m.calls, bad));
        p.current!.set(name, { calls: m.calls, inputCount: inputs.length, integerInput: m.integer_input === true, inputs, output: readSlot(m.output, m.calls, bad) });
      }
    }
    return p;
  }

  /**
   * Merge parts into Distiller records. Together the parts must hold every batch 0…batchCount−1 once;
   * calls are replayed in batch order, so call numbers are the ones a single process would have used.
   */
  static merge(parts: readonly PartialStats[], batchCount: number): Stats {
    const modules = parts[0]?.modules ?? [];
    const byBatch = new Map<number, BatchCalls>();
    for (const p of parts) {
      if (p.modules.length !== modules.length || p.modules.some((m, i) => m !== modules[i])) {
        throw new QnmtError('stats/part-mismatch', 'the parts were collected on models with different module lists; they cannot be merged.');
      }
      for (const [i, b] of p.batches) {
        if (byBatch.has(i)) throw new QnmtError('stats/part-overlap', `batch ${i} is in more than one part.`);
        byBatch.set(i, b);
      }
    }
    for (let i = 0; i < batchCount; i++) if (!byBatch.has(i)) throw new QnmtError('stats/part-missing', `batch ${i} is in no part.`);

    const stats: Stats = new Map();
    for (const name of modules) {
      let calls = 0;
      let inputs: StatsRecord[] | undefined;
      const output = initialRecord();
      for (let i = 0; i < batchCount; i++) {
        const mc = byBatch.get(i)!.get(name);
        if (!mc) continue;
        inputs ??= [];
        while (inputs.length < mc.inputCount) {
          const r = initialRecord();
          if (inputs.length === 0 && mc.integerInput) r.integer = true;
          inputs.push(r);
        }
        mc.inputs.forEach((slot, k) => replaySlot(inputs![k]!, slot, calls));
        replaySlot(output, mc.output, calls);
        calls += mc.calls;
      }
      stats.set(name, inputs ? { inputs, output } : { output });
    }
    return stats;
  }
}

function addCall(slot: SlotCalls, callInBatch: number, s: TensorSummary | undefined): void {
  if (!s) return;
  slot.min = Math.min(slot.min, s.callMin);
  slot.max = Math.max(slot.max, s.callMax);
  if (slot.entries.length === 0) slot.shape = s.shape;
  slot.entries.push(callInBatch, s.numel, s.sum, s.m2, s.avgMin, s.avgMax);
}

/** Apply a batch's calls of one slot to the merged record; `before` = the module's calls in earlier batches. */
function replaySlot(rec: StatsRecord, slot: SlotCalls, before: number): void {
  const e = slot.entries;
  for (let j = 0; j < e.length; j += PER_CALL) {
    const first = j === 0;
    const s: TensorSummary = {
      numel: e[j + 1]!,
      sum: e[j + 2]!,
      m2: e[j + 3]!,
      avgMin: e[j + 4]!,
      avgMax: e[j + 5]!,
      // Extremes are order-free: the batch's own, once.
      callMin: first ? slot.min : Infinity,
      callMax: first ? slot.max : -Infinity,
      shape: first ? slot.shape : '',
    };
    applySummary(rec, s, before + e[j]!);
  }
}

function slotJson(s: SlotCalls): SlotJson {
  const f = new Float64Array(2 + s.entries.length);
  f[0] = s.min;
  f[1] = s.max;
  f.set(s.entries, 2);
  return [s.shape, Buffer.from(f.buffer).toString('base64')];
}

function readSlot(j: unknown, calls: number, bad: (what: string) => never): SlotCalls {
  if (!Array.isArray(j) || j.length !== 2 || typeof j[0] !== 'string' || typeof j[1] !== 'string') return bad('a slot is not [shape, data]');
  const bytes = Buffer.from(j[1] as string, 'base64');
  if (bytes.length % 8 !== 0 || bytes.length < 16 || (bytes.length / 8 - 2) % PER_CALL !== 0) bad('a slot has a truncated call list');
  const f = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const entries = Array.from(f.subarray(2));
  for (let k = 0; k < entries.length; k += PER_CALL) {
    const c = entries[k]!;
    if (!Number.isInteger(c) || c < 1 || c > calls || !(entries[k + 1]! >= 1)) bad('a slot has an invalid call number or element count');
  }
  return { min: f[0]!, max: f[1]!, shape: j[0] as string, entries };
}
