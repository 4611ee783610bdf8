#!/usr/bin/env bash
# Stop exactly the daemons tests/slurm/start-cluster.sh started (the PIDs it
# recorded in $STATE_DIR/pids), newest first: slurmd, slurmctld, munged.
# A PID is signalled only while it is still the process that was recorded
# (its /proc/PID/comm names the daemon), never by name.
#
# Then it removes the /etc/slurm/slurm.conf that start-cluster.sh wrote (only that
# one, recognised by its first line): with a slurm.conf naming a controller that is
# not running, every `snakemake` start waits ~10 s (the slurm executor plugin runs
# `scontrol show config` when it is imported).
set -uo pipefail

STATE_DIR=${RNNINFO_SLURM_STATE:-/run/rnninfo-slurm}
PIDS="$STATE_DIR/pids"
CONF=/etc/slurm/slurm.conf
MARKER="# Written by rnninfo tests/slurm/start-cluster.sh"

say() { echo "stop-cluster: $*"; }

remove_conf() {
    if [ -f "$CONF" ] && grep -qxF "$MARKER" "$CONF"; then
        rm -f "$CONF" && say "removed $CONF"
    fi
}

if [ ! -s "$PIDS" ]; then
    say "no recorded daemons ($PIDS); nothing to stop"
    exit 0
fi

is_ours() {  # name pid: the pid is alive and still that daemon
    [ -r "/proc/$2/comm" ] && grep -q "^$1" "/proc/$2/comm"
}

# Newest first.
mapfile -t entries < <(tac "$PIDS")
for entry in "${entries[@]}"; do
    read -r name pid <<<"$entry"
    [ -n "${pid:-}" ] || continue
    if ! is_ours "$name" "$pid"; then
        say "$name (pid $pid) is not running"
        continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        is_ours "$name" "$pid" || break
        sleep 0.1
    done
    if is_ours "$name" "$pid"; then
        say "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $name (pid $pid)"
done
rm -f "$PIDS"
remove_conf
