/**
 * Part files of a sharded run: each shard writes its own file(s), atomically, next to the output the
 * unsharded run would write, and records which plan it belongs to (what it computed, model and input
 * hashes, the settings, N and the number of batches). A merge reads the parts, checks that they belong
 * to one plan and cover every shard once, and otherwise names what is missing or mismatched together
 * with the command that makes it.
 *
 * Part names: `<output>.part-<I>-of-<N>.json` (I counts from 0, as array task ids do).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { QnmtError } from '../errors.js';
import { TEMP_SUFFIX, writeFileAtomic } from './atomic-file.js';
import { settingsHash } from './results-store.js';
import type { ShardSpec } from './shard-plan.js';

export const PART_FORMAT = 'qnmt-shard-part';

/** What a plan is made of: two parts merge only if all of it is equal. */
export interface PlanIdentity {
  /** What the shards compute, e.g. 'calibration', 'translation', 'sweep-row:<config>'. */
  kind: string;
  model_sha256: string;
  input_sha256: string;
  /** Everything else the result depends on (beam, batch, max length, config and stats hashes, …). */
  settings: Record<string, unknown>;
  shards: number;
  batches: number;
}

export interface PartFile<P> {
  format: typeof PART_FORMAT;
  version: 1;
  plan: PlanIdentity;
  plan_hash: string;
  shard: number;
  /** Batches of the unsharded run this part holds, ascending. */
  batches: number[];
  /** The command that makes this part, without its --shard flag (to name in merge errors). */
  command: string[];
  /** Seconds spent computing this part. */
  seconds: number;
  finished_at: string;
  payload: P;
}

export function planHash(plan: PlanIdentity): string {
  return settingsHash(plan);
}

export function partPath(output: string, shard: ShardSpec): string {
  return `${output}.part-${shard.index}-of-${shard.count}.json`;
}

/**
 * Remove what an interrupted earlier run of this shard left (its temp files); only this shard ever
 * writes this part, so anything temporary with its name is a half-written leftover.
 */
export function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX)) rmSync(join(dir, n), { force: true });
}

export async function writePart<P>(output: string, shard: ShardSpec, part: Omit<PartFile<P>, 'format' | 'version' | 'plan_hash' | 'shard' | 'finished_at'>): Promise<string> {
  const path = partPath(output, shard);
  const file: PartFile<P> = {
    format: PART_FORMAT,
    version: 1,
    plan: part.plan,
    plan_hash: planHash(part.plan),
    shard: shard.index,
    batches: part.batches,
    command: part.command,
    seconds: part.seconds,
    finished_at: new Date().toISOString(),
    payload: part.payload,
  };
  await writeFileAtomic(path, JSON.stringify(file) + '\n');
  return path;
}

/** The part files that exist for `output` (any N), sorted by name. */
export function findParts(output: string): string[] {
  const dir = dirname(output);
  const re = new RegExp(`^${escapeRegExp(basename(output))}\\.part-\\d+-of-\\d+\\.json$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
}

/** Read one part; `kind` is what the caller expects (a prefix match, e.g. 'calibration'). */
export function readPart<P>(path: string, kind: string): PartFile<P> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ? (e as Error).message : `not JSON (${(e as Error).message})`;
    throw new QnmtError('shard/bad-part', `cannot read part ${path}: ${why}.`);
  }
  const p = json as Partial<PartFile<P>> | null;
  const plan = p?.plan;
  if (
    !p || p.format !== PART_FORMAT || p.version !== 1 || !plan || typeof plan.kind !== 'string' ||
    !Number.isInteger(plan.shards) || plan.shards < 1 || !Number.isInteger(plan.batches) ||
    !Number.isInteger(p.shard) || p.shard! < 0 || p.shard! >= plan.shards || !Array.isArray(p.batches) || !Array.isArray(p.command)
  ) {
    throw new QnmtError('shard/bad-part', `${path} is not a qnmt part file (remake it with the shard's command).`);
  }
  if (plan.kind !== kind) throw new QnmtError('shard/wrong-kind', `${path} holds a ${plan.kind} part, not a ${kind} part.`);
  if (p.plan_hash !== planHash(plan)) throw new QnmtError('shard/bad-part', `${path}: its plan does not match its plan hash (edited or damaged); rerun its shard.`);
  return p as PartFile<P>;
}

/** The shell command that makes shard `index` of a part's plan. */
export function shardCommand(part: Pick<PartFile<unknown>, 'command' | 'plan'>, index: number): string {
  return ['qnmt', ...part.command, '--shard', `${index}/${part.plan.shards}`].map(shellWord).join(' ');
}

/**
 * Check that `parts` are the N parts of one plan, one per shard. Errors name the mismatched part and
 * the plan it differs from, or the missing shards and the command that makes each.
 */
export function checkComplete<P>(
  parts: readonly { path: string; part: PartFile<P> }[],
  expected?: { plan: PlanIdentity; what: string; command: string[] },
): void {
  if (parts.length === 0) throw new QnmtError('shard/no-parts', 'no part files were given or found.');
  const first = parts[0]!;
  const ref = expected ? planHash(expected.plan) : first.part.plan_hash;
  const remake = (index: number): string => (expected ? shardCommand({ command: expected.command, plan: expected.plan }, index) : shardCommand(first.part, index));
  for (const { path, part } of parts) {
    if (part.plan_hash !== ref) {
      throw new QnmtError(
        'shard/plan-mismatch',
        `${path} belongs to another plan than ${expected ? expected.what : first.path} (${describeDifference(part.plan, expected?.plan ?? first.part.plan)}); ` +
          `remove it, or remake it with: ${remake(part.shard)}`,
      );
    }
  }
  const n = first.part.plan.shards;
  const seen = new Map<number, string>();
  for (const { path, part } of parts) {
    const other = seen.get(part.shard);
    if (other) throw new QnmtError('shard/duplicate-part', `${path} and ${other} are both shard ${part.shard}/${n}; keep one.`);
    seen.set(part.shard, path);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    // One line, as every error (commands separated by '; ' so each can be copied).
    const cmds = missing.map(remake).join('; ');
    throw new QnmtError('shard/missing-parts', `missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} of ${n}; make ${missing.length > 1 ? 'them' : 'it'} with: ${cmds}`);
  }
  const batches = parts.flatMap((p) => p.part.batches).sort((a, b) => a - b);
  if (batches.length !== first.part.plan.batches || batches.some((b, i) => b !== i)) {
    throw new QnmtError('shard/bad-part', `the parts do not hold batches 0…${first.part.plan.batches - 1} exactly once; rerun the shards.`);
  }
}

function describeDifference(a: PlanIdentity, b: PlanIdentity): string {
  const diffs: string[] = [];
  if (a.kind !== b.kind) diffs.push(`kind ${a.kind} vs ${b.kind}`);
  if (a.model_sha256 !== b.model_sha256) diffs.push('another model');
  if (a.input_sha256 !== b.input_sha256) diffs.push('another input');
  if (a.shards !== b.shards) diffs.push(`N = ${a.shards} vs ${b.shards}`);
  if (settingsHash(a.settings) !== settingsHash(b.settings)) {
    const keys = new Set([...Object.keys(a.settings), ...Object.keys(b.settings)]);
    for (const k of keys) if (settingsHash(a.settings[k] ?? null) !== settingsHash(b.settings[k] ?? null)) diffs.push(`${k} ${JSON.stringify(a.settings[k])} vs ${JSON.stringify(b.settings[k])}`);
  }
  return diffs.join(', ') || 'different plan';
}

function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
