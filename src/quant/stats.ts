/**
 * Distiller's activation statistics YAML (spec §3): read, write, copy.
 *
 * Layout: `name: {inputs: {0: rec, 1: rec, …}, output: rec}` with
 * `rec = {min, max, avg_min, avg_max, mean, std, [b], shape}`. Keys stay verbatim (`avg_min`).
 * The reader accepts everything the three known files contain: `.nan`, ±1.7976931348623157e+308,
 * a blank shape (null) or `''`, integer input keys; module order is kept (a Map).
 * Unknown record keys are ignored (later Distiller versions add fields).
 */
import { writeOutputFileSync } from '../io/safe-write.js';
import { QnmtError } from '../errors.js';
import { mapEntries, readYamlFile, parseYamlText, scalarValue, type YamlFile } from './yaml-file.js';

export interface StatsRecord {
  min: number;
  max: number;
  avg_min: number;
  avg_max: number;
  mean: number;
  std: number;
  /** Mean absolute deviation (Distiller ≥ Oct 2019 files); needed by LAPLACE clipping. */
  b?: number;
  /** Shape of the first call, e.g. "(128, 67, 1024)"; '' (or null, from a blank value) if never called. */
  shape: string | null;
  /**
   * The tensor had an integer dtype (token ids into the embedding): Distiller then writes min/max as
   * Python ints (`max: 32103`). Not a YAML key; read from and written to the number format.
   */
  integer?: boolean;
}

export interface ModuleStats {
  /** One record per positional input, index order. Absent for a module that was never called. */
  inputs?: StatsRecord[];
  output: StatsRecord;
}

/** Statistics by dotted module name, in file (module-walk) order. */
export type Stats = Map<string, ModuleStats>;

const NUMBER_KEYS = ['min', 'max', 'avg_min', 'avg_max', 'mean', 'std'] as const;

/** The record Distiller writes for a tensor never seen (spec §3). */
export function initialRecord(): StatsRecord {
  return { min: Number.MAX_VALUE, max: -Number.MAX_VALUE, avg_min: 0, avg_max: 0, mean: 0, std: 0, shape: '' };
}

/** Load a stats YAML file. Errors name the file, the line and the module. */
export function loadStats(path: string): Stats {
  return statsFromYaml(readYamlFile(path, 'stats'));
}

/** Parse stats YAML text (`file` is only used in messages). */
export function parseStats(text: string, file = '<stats>'): Stats {
  return statsFromYaml(parseYamlText(text, file, 'stats'));
}

function statsFromYaml(y: YamlFile): Stats {
  const fail = (node: unknown, msg: string): never => {
    throw new QnmtError('stats/invalid', `${y.where(node)}: ${msg}`);
  };
  const top = mapEntries(y.doc.contents);
  if (!top) fail(y.doc.contents, 'expected a mapping of module names to statistics (Distiller stats YAML).');
  const stats: Stats = new Map();
  for (const { key, keyNode, value } of top!) {
    const name = String(key);
    const entries = mapEntries(value);
    if (!entries) fail(keyNode, `module '${name}': expected a mapping with 'output' (and 'inputs').`);
    let inputs: StatsRecord[] | undefined;
    let output: StatsRecord | undefined;
    for (const e of entries!) {
      if (e.key === 'output') output = readRecord(y, e.value, `${name}.output`, fail);
      else if (e.key === 'inputs') {
        const ins = mapEntries(e.value);
        if (!ins) fail(e.keyNode, `module '${name}': 'inputs' must map input indices 0, 1, … to records.`);
        inputs = [];
        ins!.forEach((ie, i) => {
          if (Number(ie.key) !== i) fail(ie.keyNode, `module '${name}': input keys must be 0, 1, … in order, found '${String(ie.key)}'.`);
          inputs!.push(readRecord(y, ie.value, `${name}.inputs.${i}`, fail));
        });
      }
    }
    if (!output) fail(keyNode, `module '${name}': missing 'output' record.`);
    stats.set(name, inputs ? { inputs, output: output! } : { output: output! });
  }
  return stats;
}

function readRecord(y: YamlFile, node: unknown, what: string, fail: (n: unknown, m: string) => never): StatsRecord {
  const entries = mapEntries(node);
  if (!entries) fail(node, `${what}: expected a record {min, max, avg_min, avg_max, mean, std, shape}.`);
  const raw = new Map(entries!.map((e) => [String(e.key), e] as const));
  const num = (k: string, required: boolean): number | undefined => {
    const e = raw.get(k);
    if (!e) {
      if (required) fail(node, `${what}: missing '${k}'.`);
      return undefined;
    }
    const v = scalarValue(e.value);
    if (typeof v !== 'number') fail(e.value ?? e.keyNode, `${what}.${k}: expected a number, found ${JSON.stringify(v)}.`);
    return v as number;
  };
  const rec: StatsRecord = {
    min: num('min', true)!,
    max: num('max', true)!,
    avg_min: num('avg_min', true)!,
    avg_max: num('avg_max', true)!,
    mean: num('mean', true)!,
    std: num('std', true)!,
    shape: null,
  };
  const intText = (k: string): boolean => /^-?\d+$/.test(String((raw.get(k)?.value as { source?: unknown } | null)?.source ?? ''));
  if (intText('min') && intText('max')) rec.integer = true;
  const b = num('b', false);
  if (b !== undefined) rec.b = b;
  const shape = raw.get('shape');
  if (shape) {
    const v = scalarValue(shape.value);
    if (v !== null && typeof v !== 'string') fail(shape.value, `${what}.shape: expected a string like "(1, 1024)".`);
    rec.shape = v as string | null;
  }
  void y;
  return rec;
}

/** A deep copy (prepareModel edits its copy; the caller's stats never change). */
export function cloneStats(stats: Stats): Stats {
  const out: Stats = new Map();
  for (const [name, m] of stats) {
    out.set(name, m.inputs ? { inputs: m.inputs.map((r) => ({ ...r })), output: { ...m.output } } : { output: { ...m.output } });
  }
  return out;
}

/**
 * Distiller's YAML text for the stats (PyYAML style: Python float repr, `.nan`, `''` for an empty
 * shape; the initial zeros of a never-called record are written as the integer 0 as Distiller does).
 */
export function formatStats(stats: Stats): string {
  const lines: string[] = [];
  const rec = (r: StatsRecord, indent: string): void => {
    const untouched = r.min === Number.MAX_VALUE && r.max === -Number.MAX_VALUE;
    for (const k of NUMBER_KEYS) {
      const v = r[k];
      const asInt = (untouched && v === 0) || (r.integer === true && (k === 'min' || k === 'max') && Number.isInteger(v));
      lines.push(`${indent}${k}: ${asInt ? String(v) : pyFloat(v)}`);
    }
    if (r.b !== undefined) lines.push(`${indent}b: ${untouched && r.b === 0 ? '0' : pyFloat(r.b)}`);
    lines.push(`${indent}shape: ${r.shape === null ? '' : r.shape === '' ? "''" : r.shape}`);
  };
  for (const [name, m] of stats) {
    lines.push(`${name}:`);
    if (m.inputs) {
      lines.push('  inputs:');
      m.inputs.forEach((r, i) => {
        lines.push(`    ${i}:`);
        rec(r, '      ');
      });
    }
    lines.push('  output:');
    rec(m.output, '    ');
  }
  return lines.join('\n') + '\n';
}

export function saveStats(stats: Stats, path: string): void {
  writeOutputFileSync(path, formatStats(stats));
}

/**
 * PyYAML's float representation: Python `repr` (shortest round-trip digits, fixed notation for
 * 1e-4 ≤ |x| < 1e16, otherwise `d.ddde±XX`), '.0' inserted before 'e' when there is no '.'.
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const e = Number(expText);
  const digits = mant.replace('.', '');
  let s: string;
  if (e >= -4 && e < 16) {
    if (e >= 0) s = `${digits.slice(0, e + 1).padEnd(e + 1, '0')}.${digits.slice(e + 1) || '0'}`;
    else s = `0.${'0'.repeat(-e - 1)}${digits}`;
  } else {
    s = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : '.0'}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return (x < 0 ? '-' : '') + s;
}

/** Distiller's `size2str`: "(d0, d1, …)". */
export function shapeString(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}
