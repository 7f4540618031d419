#!/usr/bin/env bash
# A real single-node Slurm cluster from Debian's packages (slurm-wlm, munge), started without
# systemd for the tests: munged (unless one answers already), then slurmctld and slurmd with a
# slurm.conf generated in DIR (one node with this machine's cores). Everything it starts is
# recorded in DIR and stopped by `stop`.
#
#   tests/slurm/cluster.sh start DIR   # prints the SLURM_CONF to export
#   tests/slurm/cluster.sh stop DIR
#
# Needs root (slurmd runs jobs as their users) and the packages slurm-wlm and munge.
set -euo pipefail
cmd="${1:?start or stop}"
dir="$(realpath -m "${2:?a folder for the cluster state}")"

stop() {
  for name in slurmd slurmctld munged; do
    if [ -f "$dir/$name.started" ]; then
      pid="$(cat "$dir/$name.started")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$name.started"
    fi
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install slurm-wlm munge" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "a Slurm node's daemons run as root: run the tests as root" >&2; exit 1; }
mkdir -p "$dir/state" "$dir/spool"
trap 'stop' ERR

# munge: the key Debian's package made; a daemon of our own unless one answers.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged --pid-file="/run/munge/munged.pid"
  for _ in $(seq 50); do [ -f /run/munge/munged.pid ] && break; sleep 0.1; done
  cat /run/munge/munged.pid > "$dir/munged.started"
  munge -n | unmunge >/dev/null
fi

host="$(hostname -s)"
cpus="$(nproc)"
port_base=$(( 20000 + (RANDOM % 20000) ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=sarscope-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=$port_base
SlurmdPort=$((port_base + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" -i
for _ in $(seq 100); do [ -f "$dir/slurmctld.pid" ] && break; sleep 0.1; done
cat "$dir/slurmctld.pid" > "$dir/slurmctld.started"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do [ -f "$dir/slurmd.pid" ] && break; sleep 0.1; done
cat "$dir/slurmd.pid" > "$dir/slurmd.started"
# The node is up when sinfo says it is idle.
for _ in $(seq 150); do
  state="$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)"
  [ "$state" = idle ] && break
  sleep 0.2
done
if [ "$state" != idle ]; then
  echo "the Slurm node did not come up (state '$state'); slurmctld.log:" >&2
  tail -20 "$dir/slurmctld.log" >&2 || true
  tail -20 "$dir/slurmd.log" >&2 || true
  stop
  exit 1
fi
echo "$SLURM_CONF"
