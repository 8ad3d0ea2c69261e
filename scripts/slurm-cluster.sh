#!/bin/bash
# A one-node Slurm cluster for tests, as root, without systemd (../shared/notes/slurm.md):
#   scripts/slurm-cluster.sh start DIR   writes DIR/slurm.conf, starts munged, slurmctld and slurmd,
#                                        waits until sinfo shows the node idle; prints SLURM_CONF=…
#   scripts/slurm-cluster.sh stop DIR    stops them by their pid files (and munged if it started it)
# Needs the Debian packages slurm-wlm and munge (scripts/install-system-deps.sh installs them).
set -euo pipefail
cmd=${1:?usage: slurm-cluster.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: slurm-cluster.sh start|stop DIR}" && cd "$2" && pwd)
conf="$dir/slurm.conf"

stop_pidfile() {
  local f=$1
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

if [ "$cmd" = stop ]; then
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  [ -f "$dir/munged.started" ] && stop_pidfile /run/munge/munged.pid && rm -f "$dir/munged.started"
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: slurm-cluster.sh start|stop DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm-cluster.sh: needs root (slurmd runs jobs as their user)" >&2; exit 1; }
for b in munged slurmctld slurmd sinfo; do
  command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || { echo "slurm-cluster.sh: $b not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done

# munge: one key, owned by the munge user; started unless one is already running.
mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; chmod 400 /etc/munge/munge.key; }
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
if ! { [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; }; then
  runuser -u munge -- /usr/sbin/munged
  touch "$dir/munged.started"
fi

host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cat > "$conf" <<CONF
ClusterName=seglab
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
KillWait=10
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
/usr/sbin/slurmctld -f "$conf"
/usr/sbin/slurmd -f "$conf"
for _ in $(seq 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -q idle; then echo "SLURM_CONF=$conf"; exit 0; fi
  sleep 0.5
done
echo "slurm-cluster.sh: the node did not become idle in 30 s; logs in $dir/log" >&2
sinfo >&2 || true
exit 1
