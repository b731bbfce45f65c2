#!/usr/bin/env bash
# Brings up a one-node Slurm cluster from Debian's packages (slurm-wlm, munge; as root), submits
# examples/slurm/submit.sh for gqa-mini with 4 array tasks and a merge job, waits, and checks that the
# merged run equals a run made in one piece (predictions byte for byte, and every figure).
#   sudo bash scripts/slurm-test.sh        (npm run test:slurm)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "slurm-test: run as root (it starts munged, slurmctld and slurmd)" >&2; exit 2; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
start=$(date +%s)
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))

# munge: a key of our own, the daemon in the background
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || munged --force

mkdir -p /etc/slurm /var/spool/slurmd /var/spool/slurmctld /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=xfbench-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
pkill -x slurmctld 2>/dev/null || true
pkill -x slurmd 2>/dev/null || true
sleep 1
slurmctld
slurmd
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed' && break; sleep 1; done
sinfo -h -o '%N %T %c' | sed 's/^/slurm-test: node /'
echo "slurm-test: cluster up in $(( $(date +%s) - start )) s"

work=$(mktemp -d /tmp/xfbench-slurm-XXXXXX)
export RUN_ROOT=$work/gqa SHARDS=4 XFBENCH="node $root/bin/run.js" DEVICE=cpu
merge=$("$root/examples/slurm/submit.sh")
echo "slurm-test: submitted; merge job $merge"
for _ in $(seq 600); do [ -z "$(squeue -h)" ] && break; sleep 1; done
state=$(sacct -n -X -j "$merge" -o State 2>/dev/null | tr -d ' ' || true)
[ -f "$RUN_ROOT/merged/run.json" ] || { echo "slurm-test: no merged run (merge job state: ${state:-unknown})" >&2; tail -n 20 "$RUN_ROOT"/xfbench-*.out >&2 || true; exit 1; }

node "$root/bin/run.js" run gqa --out "$work/whole" --device cpu --quiet --json >/dev/null
cmp "$work/whole/predictions.jsonl" "$RUN_ROOT/merged/predictions.jsonl"
node -e '
const a = require(process.argv[1]), b = require(process.argv[2]);
if (JSON.stringify(a.metrics) !== JSON.stringify(b.metrics)) { console.error("slurm-test: the figures differ"); process.exit(1); }
console.log(`slurm-test: merged run of ${b.dataset.evaluated} questions from ${b.timings.shards} shards equals the run made in one piece`);
' "$work/whole/run.json" "$RUN_ROOT/merged/run.json"
echo "slurm-test: passed in $(( $(date +%s) - start )) s"
