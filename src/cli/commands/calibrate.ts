/** `qnmt calibrate`: collect Distiller's activation statistics during an FP32 evaluation (whole, sharded, or merged). */
import type { Command } from 'commander';
import { calibrate } from '../../eval/sweep.js';
import { fp32Model, openCheckpoint } from '../../eval/models.js';
import { checkOutputPath } from '../../io/safe-write.js';
import { calibrateBatches, calibrationPlan, mergeCalibrationParts } from '../../eval/sharded-calibration.js';
import { planBatches, shardBatches, describeShard } from '../../eval/shard-plan.js';
import { findParts, partPath, removeStaleTemps, writePart } from '../../eval/shard-parts.js';
import { linesSha256 } from '../../eval/text-hash.js';
import { writeFileAtomic } from '../../eval/atomic-file.js';
import { hashFile } from '../../data/hash-file.js';
import { formatStats } from '../../quant/stats.js';
import { readLines } from '../../text/text-lines.js';
import { activeBackend } from '../../tensor/backend.js';
import { QnmtError } from '../../errors.js';
import { log, warn } from '../log.js';
import { addRuntimeOptions, progressBar, searchSettings, useBackend, type RuntimeFlags } from '../options.js';
import { addShardOption, commandWithoutShard, resolveShard } from '../shard-option.js';

interface CalibrateFlags extends RuntimeFlags {
  model?: string;
  input?: string;
  output: string;
  shard?: string;
  merge?: string[] | true;
}

export function register(program: Command): void {
  const command = program
    .command('calibrate')
    .description("Collect activation statistics (Distiller's QuantCalibrationStatsCollector, Aug-2019 semantics) while translating a BPE'd file in FP32.")
    .option('-m, --model <file>', 'checkpoint (model_best.pth)')
    .option('-i, --input <file>', "BPE'd source, one sentence per line")
    .requiredOption('-o, --output <file>', 'statistics YAML to write (Distiller format)')
    .option('--merge [parts...]', 'merge the shards\' part files (default: every OUTPUT.part-I-of-N.json) into OUTPUT');
  addShardOption(command);
  addRuntimeOptions(command)
    .addHelpText(
      'after',
      `
The notebook calibrates on the evaluated set itself with the evaluation's own settings (beam 10, batch 128,
max 80); the statistics depend on them (per-call averages), so keep them when comparing with Distiller.

Sharding: with --shard I/N (or inside a Slurm array / Kubernetes Indexed Job) the process runs only its
share of whole batches and writes OUTPUT.part-I-of-N.json; 'calibrate --merge -o OUTPUT' then writes the
same statistics as one unsharded run (within 1e-9), provided every shard used the same settings.

Examples:
  qnmt calibrate --model fixtures/multi30k-gnmt256/model_best.pth \\
    --input fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en --output stats.yaml
  for i in 0 1 2; do qnmt calibrate -m model_best.pth -i test.bpe.en -o stats.yaml --shard $i/3 & done; wait
  qnmt calibrate --merge -o stats.yaml`,
    )
    .action(async (flags: CalibrateFlags) => {
      if (flags.merge) return mergeParts(flags);
      const { model: modelPath, input } = requireInputs(flags);
      const search = searchSettings(flags);
      const resolved = resolveShard(flags.shard);
      checkOutputPath(flags.output);
      await useBackend(flags);
      const lines = readLines(input, (path) => warn(`${path}: invalid UTF-8 bytes were replaced by U+FFFD.`));
      const ckpt = await openCheckpoint(modelPath);
      const plan = planBatches(lines, search.batch);
      const batches = resolved ? shardBatches(plan, resolved.shard) : undefined;
      const sentences = batches ? batches.reduce((n, b) => n + plan.ranges[b]![1] - plan.ranges[b]![0], 0) : lines.length;
      if (resolved) {
        log(`shard ${describeShard(resolved.shard)} (${resolved.source}): batches ${batches!.join(', ') || 'none'} of ${plan.ranges.length}, ${sentences} sentences`);
        removeStaleTemps(partPath(flags.output, resolved.shard));
      }
      const bar = progressBar('calibrating', flags.quiet);
      bar?.start(sentences, 0);
      const t0 = performance.now();
      const options = { ...search, onProgress: (done: number) => bar?.update(done), onWarning: warn };
      let written: string;
      let modules: number;
      try {
        if (resolved) {
          const partial = await calibrateBatches(fp32Model(ckpt), ckpt.vocab, lines, batches!, options);
          bar?.stop();
          const modelSha = (await hashFile(modelPath)).sha256;
          written = await writePart(flags.output, resolved.shard, {
            plan: calibrationPlan(modelSha, linesSha256(lines), search, resolved.shard.count, plan.ranges.length),
            batches: batches!,
            command: commandWithoutShard(),
            seconds: (performance.now() - t0) / 1000,
            payload: partial.toJson(),
          });
          modules = partial.modules.length;
        } else {
          const stats = await calibrate(fp32Model(ckpt), ckpt.vocab, lines, options);
          bar?.stop();
          await writeFileAtomic(flags.output, formatStats(stats));
          written = flags.output;
          modules = stats.size;
        }
      } finally {
        bar?.stop();
      }
      const seconds = (performance.now() - t0) / 1000;
      const backend = activeBackend();
      log(`collected statistics of ${modules} modules over ${sentences} sentences in ${seconds.toFixed(1)} s (backend ${backend.name}) → ${written}`);
      if (flags.json) {
        const shard = resolved ? { shard: resolved.shard.index, shards: resolved.shard.count, batches } : {};
        process.stdout.write(`${JSON.stringify({ output: written, modules, sentences, seconds, ...search, ...shard }, null, 2)}\n`);
      }
    });
}

function requireInputs(flags: CalibrateFlags): { model: string; input: string } {
  if (!flags.model || !flags.input) {
    throw new QnmtError('cli/missing-flag', 'calibrate needs --model FILE and --input FILE (or --merge to combine shard parts).');
  }
  return { model: flags.model, input: flags.input };
}

/** `calibrate --merge [PARTS…] -o OUTPUT`: the shards' partial statistics → one Distiller file. */
async function mergeParts(flags: CalibrateFlags): Promise<void> {
  if (flags.shard !== undefined) throw new QnmtError('cli/bad-flag', '--merge and --shard do not go together: merge once, after every shard is done.');
  const t0 = performance.now();
  const paths = flags.merge === true || flags.merge!.length === 0 ? findParts(flags.output) : flags.merge!;
  if (paths.length === 0) {
    throw new QnmtError('shard/no-parts', `no parts ${flags.output}.part-I-of-N.json found; run 'qnmt calibrate … -o ${flags.output} --shard I/N' for each shard first, or name the parts after --merge.`);
  }
  const { stats, parts } = mergeCalibrationParts(paths);
  await writeFileAtomic(flags.output, formatStats(stats));
  const seconds = (performance.now() - t0) / 1000;
  const shardSeconds = parts.map((p) => p.seconds);
  log(`merged ${parts.length} parts (${parts[0]!.plan.batches} batches, shard times ${shardSeconds.map((s) => s.toFixed(1)).join(' / ')} s) in ${seconds.toFixed(2)} s → ${flags.output}`);
  if (flags.json) process.stdout.write(`${JSON.stringify({ output: flags.output, parts: paths, modules: stats.size, merge_seconds: seconds, shard_seconds: shardSeconds }, null, 2)}\n`);
}

