#!/usr/bin/env bash
# Start a one-node SLURM "cluster" on this machine, for tests/test_slurm.py.
#
#   sudo tests/slurm/start-cluster.sh     # root: installs packages, writes /etc/slurm
#   sudo tests/slurm/stop-cluster.sh      # stops exactly what this script started
#
# What it does:
#   1. installs Debian's slurm-wlm and munge when sbatch / munged are missing;
#   2. writes /etc/slurm/slurm.conf for one node on 127.0.0.1 with this machine's
#      CPUs and memory (from `slurmd -C`; at least 2 CPUs and 8 GB, so that the
#      profile's requests fit a small machine), no cgroup plugins (proctrack/linuxproc,
#      task/none) and no accounting storage (so `sacct` has nothing: use squeue);
#   3. creates a munge key if there is none, starts munged (unless a munged already
#      answers), slurmctld and slurmd, and waits until `sinfo` shows the node idle;
#   4. records the PIDs of the daemons it started in $STATE_DIR/pids
#      ("name pid" a line), which stop-cluster.sh reads.
#
# It refuses to overwrite a slurm.conf it did not write (a real SLURM node), unless
# RNNINFO_SLURM_OVERWRITE=1. If the cluster it wrote is already up, it starts
# nothing and says so ("already running"). Exit status 0 = the node is idle.
set -euo pipefail

STATE_DIR=${RNNINFO_SLURM_STATE:-/run/rnninfo-slurm}
CONF=/etc/slurm/slurm.conf
MARKER="# Written by rnninfo tests/slurm/start-cluster.sh"
LOG_DIR=/var/log/slurm
TIMEOUT=${RNNINFO_SLURM_TIMEOUT:-60}

say() { echo "start-cluster: $*"; }
die() { echo "start-cluster: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, writes /etc/slurm, starts daemons)"

# ---- 1. packages -----------------------------------------------------------
if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null \
    || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || die "slurm/munge missing and no apt-get to install them"
    say "installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

# ---- already up? ------------------------------------------------------------
node_state() { timeout 10 sinfo -h -N -o %t 2>/dev/null | head -n1 || true; }
if [ -f "$CONF" ] && grep -qxF "$MARKER" "$CONF" && [ "$(node_state)" = "idle" ]; then
    say "already running (node idle); nothing started"
    exit 0
fi

# ---- 2. configuration -------------------------------------------------------
if [ -f "$CONF" ] && ! grep -qxF "$MARKER" "$CONF" && [ "${RNNINFO_SLURM_OVERWRITE:-0}" != 1 ]; then
    die "$CONF exists and was not written by this script; not overwriting (set RNNINFO_SLURM_OVERWRITE=1)"
fi
HOST=$(hostname -s)
# This machine as slurm sees it (`slurmd -C`: CPUs=... RealMemory=... in MB), with
# floors of 2 CPUs and 8 GB so that the slurm profile's requests (group jobs ask
# for 2 CPUs and up to 4 GB) can be scheduled on a small CI machine; the tiny
# test configuration uses far less. config_overrides makes slurmd accept the
# configured values instead of draining the node.
DETECTED=$(slurmd -C | grep '^NodeName=') || die "slurmd -C failed"
CPUS=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$DETECTED")
MEM=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$DETECTED")
[ -n "$CPUS" ] && [ -n "$MEM" ] || die "could not read CPUs / RealMemory from: $DETECTED"
[ "$CPUS" -ge 2 ] || CPUS=2
[ "$MEM" -ge 8192 ] || MEM=8192
NODE_LINE="NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN"
mkdir -p /etc/slurm "$LOG_DIR" /var/lib/slurm/rnninfo-ctld /var/lib/slurm/rnninfo-d /run/slurm "$STATE_DIR"
cat >"$CONF" <<EOF
$MARKER
# A one-node test cluster on localhost: no cgroups, no accounting storage.
ClusterName=rnninfo
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmdParameters=config_overrides
# Finished jobs stay visible to squeue for an hour: Snakemake's slurm plugin reads
# job states with squeue when there is no accounting (slurm-status-command), and
# the test checks every job it submitted at the end of the run.
MinJobAge=3600
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/lib/slurm/rnninfo-ctld
SlurmdSpoolDir=/var/lib/slurm/rnninfo-d
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
$NODE_LINE
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
say "wrote $CONF ($NODE_LINE)"

# ---- 3. munge and the daemons -------------------------------------------------
PIDS="$STATE_DIR/pids"
touch "$PIDS"
record() { echo "$1 $2" >>"$PIDS"; say "started $1 (pid $2)"; }

# Wait for a daemon's pid file to name a live process; echo the pid.
wait_pid() {
    local file=$1 i pid
    for i in $(seq 1 100); do
        if [ -s "$file" ]; then
            pid=$(tr -dc '0-9' <"$file")
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
        fi
        sleep 0.1
    done
    return 1
}

if [ ! -s /etc/munge/munge.key ]; then
    say "creating a munge key"
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then
        mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "munged already answers; using it"
else
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    rm -f /run/munge/munged.pid
    # munged must not run as root; setpriv execs it (no wrapper process left behind).
    setpriv --reuid=munge --regid=munge --init-groups munged --pid-file=/run/munge/munged.pid \
        </dev/null >/dev/null 2>&1 || die "munged failed to start (see /var/log/munge/munged.log)"
    pid=$(wait_pid /run/munge/munged.pid) || die "munged wrote no pid file"
    record munged "$pid"
fi

start_daemon() {  # name pidfile command...
    local name=$1 pidfile=$2 pid
    shift 2
    if [ -s "$pidfile" ] && kill -0 "$(tr -dc '0-9' <"$pidfile")" 2>/dev/null \
        && grep -q "$name" "/proc/$(tr -dc '0-9' <"$pidfile")/comm" 2>/dev/null; then
        die "$name is already running (pid $(cat "$pidfile")) but the node is not idle; stop it first"
    fi
    rm -f "$pidfile"
    "$@" </dev/null >/dev/null 2>&1 || die "$name failed to start; tail of $LOG_DIR/$name.log:
$(tail -n 20 "$LOG_DIR/$name.log" 2>/dev/null)"
    pid=$(wait_pid "$pidfile") || die "$name wrote no pid file; tail of $LOG_DIR/$name.log:
$(tail -n 20 "$LOG_DIR/$name.log" 2>/dev/null)"
    record "$name" "$pid"
}
# -c: start from a clean state (no jobs left over from an earlier test run).
start_daemon slurmctld /run/slurm/slurmctld.pid slurmctld -c
start_daemon slurmd /run/slurm/slurmd.pid slurmd

# ---- 4. wait for the node --------------------------------------------------
for i in $(seq 1 $((TIMEOUT * 2))); do
    state=$(node_state)
    case "$state" in
        idle) say "node $HOST is idle; cluster ready (pids in $PIDS)"; exit 0 ;;
        drain*|down*)
            # ReturnToService=2 brings a node back when it registers; nudge once.
            scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
done
echo "start-cluster: ERROR: node not idle after ${TIMEOUT}s (state: '${state:-none}')" >&2
sinfo -N -l >&2 || true
tail -n 20 "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" >&2 || true
exit 1
