#!/usr/bin/env bash
# Evaluates one bundle on one benchmark as a Slurm job array of SHARDS tasks, then merges.
#   RUN_ROOT=/shared/runs/gqa-xformer SHARDS=8 DATA=/shared/gqa MODEL=/shared/ckpt ./submit.sh
# Prints the merge job's id; its output names the merged run folder ($RUN_ROOT/merged).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHARDS=${SHARDS:-4}
: "${RUN_ROOT:?set RUN_ROOT to a folder every node sees}"
mkdir -p "$RUN_ROOT"
export RUN_ROOT SHARDS DATASET DATA MODEL XFBENCH DEVICE
array=$(sbatch --parsable --chdir "$RUN_ROOT" --array "0-$((SHARDS - 1))" --export ALL "$here/eval-array.sbatch")
sbatch --parsable --chdir "$RUN_ROOT" --dependency "afterok:$array" --export ALL "$here/merge.sbatch"
