#!/bin/bash
# Submit the study on N machines as four dependent Slurm jobs and print their ids:
#   N calibration shards → merge → N sweep shards (--dependency=afterok) → the table.
# Environment: N (default 8), MODEL, INPUT, REF, CONFIGS, OUT (a folder every node sees), optional
# BEAM, BATCH, QNMT (the qnmt command) and SBATCH_ARGS (e.g. "--partition=cpu --time=2:00:00").
set -euo pipefail
N=${N:-8}
script="$(cd "$(dirname "$0")" && pwd)/study.sbatch"
mkdir -p "$OUT"
submit() { # STAGE [sbatch flags...] → job id
  local stage=$1; shift
  # shellcheck disable=SC2086
  sbatch --parsable --job-name="qnmt-$stage" --chdir="$OUT" --export=ALL,QNMT_STAGE="$stage" ${SBATCH_ARGS:-} "$@" "$script" | cut -d';' -f1
}
calibrate=$(submit calibrate --array=0-$((N - 1)))
merge=$(submit calibrate-merge --dependency=afterok:"$calibrate" --output=%x-%j.out)
sweep=$(submit sweep --array=0-$((N - 1)) --dependency=afterok:"$merge")
table=$(submit table --dependency=afterok:"$sweep" --output=%x-%j.out)
echo "calibrate=$calibrate calibrate-merge=$merge sweep=$sweep table=$table"
