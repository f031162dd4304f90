#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for saturn's tests: munged,
# slurmctld and slurmd from Debian's packages (munge, slurmctld, slurmd,
# slurm-client), on private ports and a private munge socket, with every
# file (config, state, spool, logs, pid files) under DIR and GPUS fake GPUs
# as character devices (mknod c 1 3: Slurm sets CUDA_VISIBLE_DEVICES from
# them; regular files would leave it empty). NODES nodes, node1..nodeN, each
# its own slurmd on its own port, all on this host. Nothing outside DIR is
# touched and `stop` kills only the daemons whose pids `start` recorded.
#
# Usage: scripts/slurm/local-cluster.sh start DIR [GPUS] [CPUS] [NODES]
#          per node: GPUS default 4, CPUS (declared, may exceed the real
#          ones) default 8; NODES default 1.
#          Prints the line to eval: export SLURM_CONF=DIR/slurm.conf
#        scripts/slurm/local-cluster.sh stop DIR
# Exit 77 with one line saying why where the cluster cannot start here (not
# root, packages missing, a daemon that does not come up); tests skip then.
set -uo pipefail

skip() { echo "local-cluster: $*" >&2; exit 77; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [GPUS] [CPUS]" >&2; exit 64; }

stop_cluster() {
  local d=$1
  [ -d "$d" ] || return 0
  if [ -f "$d/slurm.conf" ] && [ -f "$d/run/slurmctld.pid" ]; then
    # Jobs first, so no slurmstepd outlives its slurmd.
    SLURM_CONF=$d/slurm.conf timeout 10 scancel --quiet --full --state=RUNNING,PENDING --partition=test 2>/dev/null
    for _ in $(seq 50); do
      [ -z "$(SLURM_CONF=$d/slurm.conf timeout 5 squeue -h 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  local f pid
  for f in "$d"/run/slurmd-*.pid "$d/run/slurmctld.pid" "$d/run/munged.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    rm -f "$f"
  done
  return 0
}

if [ "$cmd" = stop ]; then
  stop_cluster "$dir"
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR [GPUS] [CPUS]" >&2; exit 64; }
gpus=${3:-4}
cpus=${4:-8}
nodes=${5:-1}

[ "$(id -u)" = 0 ] || skip "needs root (slurmd runs job steps as their user; fake GPUs need mknod)"
for c in munged slurmctld slurmd srun sbatch scontrol squeue scancel; do
  command -v "$c" >/dev/null || skip "$c not found (Debian packages munge slurmctld slurmd slurm-client)"
done

mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
rm -rf "$dir/run" "$dir/state" "$dir/spool" "$dir/log" "$dir/dev"
mkdir -p "$dir/run" "$dir/state" "$dir/spool" "$dir/log" "$dir/dev" "$dir/munge"
chmod 700 "$dir/munge" "$dir/run"
host=$(hostname -s)

# Fake GPUs: character devices (the null device) named like NVIDIA's.
for ((i = 0; i < gpus; i++)); do
  mknod "$dir/dev/nvidia$i" c 1 3 2>/dev/null || skip "mknod failed: fake GPUs need character devices"
done

# Free TCP ports on loopback: slurmctld, srun's range start, one per slurmd.
ports=$(python3 - "$nodes" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(2 + int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
) || skip "cannot find free ports"
read -r ctld_port srun_port rest <<<"$ports"
read -r -a node_ports <<<"$rest"

head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
  >"$dir/log/munged.out" 2>&1 || skip "munged did not start: $(tail -n 2 "$dir/log/munged.out" "$dir/log/munged.log" 2>/dev/null | tr '\n' ' ')"

gres_file="$dir/dev/nvidia[0-$((gpus - 1))]"
[ "$gpus" = 1 ] && gres_file="$dir/dev/nvidia0"
cat >"$dir/slurm.conf" <<EOF
# written by scripts/slurm/local-cluster.sh: a private one-node test cluster
ClusterName=saturntest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SrunPortRange=$srun_port-$((srun_port + 50))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
KillWait=10
MinJobAge=600
InactiveLimit=0
$(for ((n = 1; n <= nodes; n++)); do
  echo "NodeName=node$n NodeHostname=$host NodeAddr=127.0.0.1 Port=${node_ports[n - 1]} CPUs=$cpus Gres=gpu:$gpus RealMemory=4096 State=UNKNOWN"
done)
PartitionName=test Nodes=node[1-$nodes] Default=YES MaxTime=INFINITE State=UP
EOF
echo "NodeName=node[1-$nodes] Name=gpu File=$gres_file" >"$dir/gres.conf"
: >"$dir/plugstack.conf"
export SLURM_CONF=$dir/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
echo $! >"$dir/run/slurmctld.pid"
for ((n = 1; n <= nodes; n++)); do
  mkdir -p "$dir/spool/node$n"
  slurmd -D -N "node$n" -f "$SLURM_CONF" >"$dir/log/slurmd-node$n.out" 2>&1 &
  echo $! >"$dir/run/slurmd-node$n.pid"
done

for _ in $(seq 150); do
  idle=$(timeout 5 sinfo -h -N -t idle -o %N 2>/dev/null | wc -l)
  [ "$idle" = "$nodes" ] && break
  sleep 0.2
done
if [ "$idle" != "$nodes" ]; then
  state=$(timeout 5 sinfo -h -N -o "%N:%T" 2>/dev/null | tr '\n' ' ')
  why=$(cat "$dir"/log/*.log "$dir"/log/*.out 2>/dev/null | grep -v '^$' | tail -n 4 | tr '\n' ' ')
  stop_cluster "$dir"
  skip "the nodes did not come up (${state:-no state}): $why"
fi
echo "export SLURM_CONF=$dir/slurm.conf"
