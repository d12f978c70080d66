/**
 * Limits: one policy for every input qnmt reads, so that a hostile or broken file (a checkpoint, a
 * config, a stats file, an input line) costs bounded memory and time and ends in one clear error.
 *
 * Each limit is far above what a real GNMT checkpoint, a Distiller YAML file or a sentence needs;
 * where raising one makes sense, its error says how (the `QNMT_LIMIT_*` environment variable).
 *
 * | limit                    | default      | why                                                            |
 * |--------------------------|--------------|----------------------------------------------------------------|
 * | pickleBytes              | 256 MiB      | a checkpoint's pickle (data.pkl, the legacy header) is small   |
 * | pickleOpcodes            | 50 000 000   | linear time in the pickle                                      |
 * | pickleDepth              | 200          | nesting of lists/dicts/tuples/objects (torch uses < 10)        |
 * | pickleMemo               | 4 194 304    | memo entries                                                   |
 * | pickleStack              | 4 194 304    | values on the pickle stack (all marks together)                |
 * | pickleIntDigits          | 4300         | decimal digits of a text INT/LONG (CPython's own default)      |
 * | pickleIntBytes           | 1024         | bytes of a binary LONG1/LONG4 (torch needs ≤ 8)                |
 * | deflateRatio             | 1032         | deflate's largest possible expansion; a zip entry claiming more is corrupt |
 * | inputBytes               | 256 MiB      | one text input file (newstest2014 is 0.3 MiB)                  |
 * | yamlBytes                | 4 MiB        | the full model's stats file is 75 KiB                         |
 * | yamlNodes                | 500 000      | keys + values in one YAML file                                 |
 * | (YAML aliases)           | none         | `*a` is refused: expanding aliases is how small YAML grows huge |
 * | overridePatternLength    | 1000         | characters of one override regular expression                  |
 * | tokensPerLine            | 256          | tokens of one input sentence (longer: truncated with a warning) |
 * | charsPerLine             | 65 536       | characters of one raw input line before tokenization (same)    |
 * | beam                     | 64           | --beam                                                         |
 * | batch                    | 4096         | --batch                                                        |
 * | maxLen                   | 1024         | --max-len                                                      |
 * | threadsPerCore           | 4            | --threads ≤ 4 × the machine's cores                            |
 */
import { availableParallelism } from 'node:os';
import { QnmtError } from './errors.js';

export interface Limits {
  readonly pickleBytes: number;
  readonly pickleOpcodes: number;
  readonly pickleDepth: number;
  readonly pickleMemo: number;
  readonly pickleStack: number;
  readonly pickleIntDigits: number;
  readonly pickleIntBytes: number;
  readonly deflateRatio: number;
  readonly inputBytes: number;
  readonly yamlBytes: number;
  readonly yamlNodes: number;
  readonly overridePatternLength: number;
  readonly tokensPerLine: number;
  readonly charsPerLine: number;
  readonly beam: number;
  readonly batch: number;
  readonly maxLen: number;
  readonly threadsPerCore: number;
}

const defaults: Limits = {
  pickleBytes: 256 << 20,
  pickleOpcodes: 50_000_000,
  pickleDepth: 200,
  pickleMemo: 1 << 22,
  pickleStack: 1 << 22,
  pickleIntDigits: 4300,
  pickleIntBytes: 1024,
  deflateRatio: 1032,
  inputBytes: 256 << 20,
  yamlBytes: 4 << 20,
  yamlNodes: 500_000,
  overridePatternLength: 1000,
  tokensPerLine: 256,
  charsPerLine: 65_536,
  beam: 64,
  batch: 4096,
  maxLen: 1024,
  threadsPerCore: 4,
};

/** Environment variable that raises (or lowers) one limit, e.g. QNMT_LIMIT_TOKENS_PER_LINE. */
export function limitEnvName(name: keyof Limits): string {
  return `QNMT_LIMIT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function fromEnv(): Limits {
  const out: Record<string, number> = { ...defaults };
  for (const name of Object.keys(defaults) as (keyof Limits)[]) {
    const raw = process.env[limitEnvName(name)];
    if (raw === undefined || raw === '') continue;
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new QnmtError('limits/bad-env', `${limitEnvName(name)}=${JSON.stringify(raw)} is not a positive integer; unset it or give a number such as ${defaults[name]}.`);
    }
    out[name] = v;
  }
  return out as unknown as Limits;
}

let current: Limits | undefined;

/** The limits in force: the defaults above, each overridable by its QNMT_LIMIT_* variable. */
export function limits(): Limits {
  current ??= fromEnv();
  return current;
}

/** Tests and library users may set limits directly (undefined restores the defaults + environment). */
export function setLimits(overrides: Partial<Limits> | undefined): void {
  current = overrides === undefined ? undefined : { ...fromEnv(), ...overrides };
}

/**
 * The error for an exceeded limit: what was exceeded, by what, and how to raise it when raising is
 * reasonable (`raisable` false for limits that only a corrupt or hostile file can reach).
 */
export function limitError(code: string, where: string, name: keyof Limits, what: string, found: number | string, raisable = true): QnmtError {
  const limit = limits()[name];
  const how = raisable ? ` If the input is genuine, raise the limit with ${limitEnvName(name)}=N.` : ' The file is corrupt or not what it claims to be.';
  return new QnmtError(code, `${where}: ${what} (${found}) exceeds qnmt's limit of ${limit}.${how}`);
}

/** The largest --threads value accepted on this machine. */
export function maxThreads(): number {
  return Math.max(1, availableParallelism()) * limits().threadsPerCore;
}
