#!/bin/bash
# A real Slurm on this one machine, running the deploy example over the bundled fixture with N shards,
# checked against an unsharded run of the same study.
#
#   bench/slurm-local.sh            [env: N=3 LINES=1000 BEAM=10 BATCH=128 CONFIGS="examples/int8-sym.yaml …"]
#
# Starts munged and a single-node slurmctld + slurmd from Debian's munge and slurm-wlm packages (installed
# with apt-get when missing and running as root), with proctrack/linuxproc and task/none so no cgroups are
# needed, and select/cons_tres so array tasks share the node's CPUs. Everything (config, spool, state,
# logs, results) lives in one temporary folder; the daemons this script started are stopped at the end.
# Then: examples/deploy/slurm/submit.sh (calibration array → merge → sweep array → table), wait, and
# compare the statistics, the table (all but its Time column) and every hypothesis file with an
# unsharded `qnmt calibrate` + `qnmt sweep` of the same lines. Exit 0 only if they are identical.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-3}
LINES=${LINES:-1000}
BEAM=${BEAM:-10}
BATCH=${BATCH:-128}
CONFIGS=${CONFIGS:-"$repo/examples/int8-sym.yaml $repo/examples/int8-asym-pc-avg-noattn-nocls.yaml"}
fixture=$repo/fixtures/multi30k-gnmt256
work=${WORK:-$(mktemp -d /tmp/qnmt-slurm-XXXXXX)}
host=$(hostname -s)
cpus=$(nproc)
pids=()
log() { printf 'slurm-local: %s\n' "$*" >&2; }
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  [ "$(id -u)" = 0 ] || { log "slurm-wlm and munge are not installed and this is not root: apt-get install slurm-wlm munge"; exit 1; }
  log "installing slurm-wlm and munge (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
[ -f "$repo/dist/src/cli/main.js" ] || (cd "$repo" && npm run build >/dev/null)
QNMT="node $repo/dist/src/cli/main.js"

# munge: a key of our own and a daemon on our own socket.
mkdir -p "$work/munge" "$work/spool" "$work/state" "$work/log" "$work/run"
chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
munged --key-file="$work/munge/munge.key" --socket="$socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/log/munged.log" --seed-file="$work/munge/seed" --force
pids+=("$(cat "$work/munge/munged.pid")")

mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat >"$work/slurm.conf" <<CONF
ClusterName=qnmt-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -i
sleep 1
pids+=("$(cat "$work/run/slurmctld.pid")")
slurmd
sleep 1
pids+=("$(cat "$work/run/slurmd.pid")")
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break; sleep 1; done
sinfo -h -o '%P %D %T %c' | sed 's/^/slurm-local: node: /' >&2
sinfo -h -o %T | grep -qE '^(idle|mixed)' || { log "the node did not come up; see $work/log"; tail -5 "$work/log/slurmctld.log" "$work/log/slurmd.log" >&2; exit 1; }

# The study's data: the first LINES lines of the fixture's test set.
head -n "$LINES" "$fixture/data/test2016.tok.bpe.en" >"$work/input.en"
head -n "$LINES" "$fixture/data/test2016.raw.de" >"$work/ref.de"
export MODEL=$fixture/model_best.pth INPUT=$work/input.en REF=$work/ref.de CONFIGS OUT=$work/sharded QNMT N BEAM BATCH
log "submitting N=$N over $LINES lines, beam $BEAM, batch $BATCH"
t0=$(date +%s.%N)
ids=$("$repo/examples/deploy/slurm/submit.sh")
log "$ids"
table_id=${ids##*table=}
while squeue -h | grep -q .; do sleep 2; done
t1=$(date +%s.%N)
state=$(scontrol show job "$table_id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || echo 'JobState=unknown (purged)')
log "all jobs left the queue after $(awk "BEGIN{print $t1 - $t0}") s; table job $state"
[ -f "$OUT/study/table.json" ] || { log "no merged table; job logs:"; tail -n 5 "$OUT"/qnmt-*.out >&2; exit 1; }

log "unsharded reference run"
read -r -a config_files <<<"$CONFIGS"
u0=$(date +%s.%N)
$QNMT calibrate -m "$MODEL" -i "$INPUT" -o "$work/unsharded/stats.yaml" --beam "$BEAM" --batch "$BATCH" --threads 1 -q
$QNMT sweep -m "$MODEL" -i "$INPUT" -r "$REF" --stats "$work/unsharded/stats.yaml" -c "${config_files[@]}" \
  -o "$work/unsharded/study" --beam "$BEAM" --batch "$BATCH" --threads 1 -q >/dev/null
u1=$(date +%s.%N)
log "unsharded: $(awk "BEGIN{print $u1 - $u0}") s; sharded on Slurm: $(awk "BEGIN{print $t1 - $t0}") s (one machine with $cpus CPUs)"

node - "$work/unsharded" "$OUT" <<'JS'
const { readFileSync, readdirSync } = require('node:fs');
const [a, b] = process.argv.slice(2);
const stats = (d) => readFileSync(`${d}/stats.yaml`, 'utf8');
const table = (d) => JSON.parse(readFileSync(`${d}/study/table.json`, 'utf8')).rows.map(({ config, bleu, bleu_line }) => ({ config, bleu, bleu_line }));
let bad = 0;
const check = (ok, what) => { console.log(`${ok ? 'same' : 'DIFFERENT'}: ${what}`); if (!ok) bad++; };
check(stats(a) === stats(b), 'statistics file (byte for byte)');
check(JSON.stringify(table(a)) === JSON.stringify(table(b)), `table rows (config, BLEU, score line): ${table(b).map((r) => `${r.config} ${r.bleu.toFixed(2)}`).join(', ')}`);
for (const f of readdirSync(`${a}/study/hyp`)) check(readFileSync(`${a}/study/hyp/${f}`, 'utf8') === readFileSync(`${b}/study/hyp/${f}`, 'utf8'), `hypotheses ${f}`);
process.exit(bad ? 1 : 0);
JS
cat "$OUT/study/table.md"
log "results in $work"
