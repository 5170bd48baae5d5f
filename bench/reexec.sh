#!/bin/bash
# bench/reexec.sh: what re-executing hsshd per connection would cost (issue 4: sshd re-execs each
# connection for a fresh address-space layout; a cheaper design must keep that property and show
# the figure). Measures, in one run on this machine:
#   fork      - fork + _exit: the connection child hsshd makes today;
#   reexec    - fork + execve(hsshd -t -f CFG): a fresh image that loads its config and host key,
#               about what a re-executed per-connection monitor does before it talks to the peer;
#   sshd -t   - the same for Debian's sshd, for scale.
# Prints microseconds per operation (median of 5 runs of N operations each).
# usage: bench/reexec.sh [N]   (default 200); binaries from $HS_BINDIR (default build/bin).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${HS_BINDIR:-$SRC/build/bin}
N=${1:-200}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$BIN/hssh-keygen" -q -t ed25519 -N '' -f "$T/host"
printf 'HostKey %s/host\nListenAddress 127.0.0.1\n' "$T" >"$T/hsshd_config"
printf 'HostKey %s/host\nListenAddress 127.0.0.1\n' "$T" >"$T/sshd_config"
mkdir -p /run/sshd

/usr/bin/python3 - "$N" "$BIN/hsshd" "$T/hsshd_config" "$T/sshd_config" <<'EOF'
import os
import statistics
import sys
import time

n, hsshd, hcfg, scfg = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
null = os.open(os.devnull, os.O_RDWR)


def run(child):
    """us per fork+child+wait, median of 5 runs of n."""
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                child()
                os._exit(0)
            _, st = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(st) != 0:
                sys.exit("child failed: %d" % os.waitstatus_to_exitcode(st))
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(runs)


def execv(argv):
    def child():
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.execv(argv[0], argv)
    return child


fork = run(lambda: None)
reexec = run(execv([hsshd, "-t", "-f", hcfg]))
sshd = run(execv(["/usr/sbin/sshd", "-t", "-f", scfg]))
print("%-44s %10s" % ("operation (median of 5 x %d)" % n, "us/op"))
print("%-44s %10.0f" % ("fork + _exit (today's connection child)", fork))
print("%-44s %10.0f" % ("fork + execve hsshd -t (config + host key)", reexec))
print("%-44s %10.0f" % ("fork + execve sshd -t (same, for scale)", sshd))
print("re-exec adds %.0f us per connection to hsshd" % (reexec - fork))
EOF
