#!/bin/bash
# bench/run.sh: hardssh and Debian's OpenSSH side by side on this machine, in one run.
#   1. bulk throughput per cipher: SIZE bytes of zeros through `cat` and back (hssh -> hsshd vs
#      ssh -> sshd), the byte count checked, MB/s of payload;
#   2. connections per second: N sequential logins (connect + publickey auth + `true`);
#   3. RSS per idle authenticated connection: K clients running `sleep 60`, the VmRSS of the
#      server-side processes (descendants of the listener, minus the user's shell and sleep) summed
#      from /proc/PID/status, divided by K.
# Prints each figure for both and the ratio hardssh/OpenSSH (>1 means hardssh is faster/larger).
#
# usage: bench/run.sh [--quick] [--size BYTES] [--conns N] [--idle K] [--ciphers "c1 c2"]
#   default size 2 GB (2000000000 bytes), --quick is 200 MB, N=100, K=20.
# Binaries: $HS_BINDIR (default build/bin). Use a build without sanitizers, e.g.
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2
# HS_IMPL=openssh benchmarks OpenSSH against itself (the ratios should be about 1).
# Runs as root (it creates the hsshtest user like the interop tests).
. "$(dirname "$0")/../tests/interop/lib.sh"

SIZE=2000000000
CONNS=100
IDLE=20
CIPHERS="aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com
aes128-ctr aes256-ctr"
MAC=hmac-sha2-256-etm@openssh.com
while [ $# -gt 0 ]; do
	case "$1" in
	--quick)	SIZE=200000000 ;;
	--size)		SIZE=$2; shift ;;
	--conns)	CONNS=$2; shift ;;
	--idle)		IDLE=$2; shift ;;
	--ciphers)	CIPHERS=$2; shift ;;
	*)		echo "usage: $0 [--quick] [--size BYTES] [--conns N] [--idle K] [--ciphers LIST]"
			exit 2 ;;
	esac
	shift
done
HS_TIMEOUT=3600

hs_init bench
if [ "$HS_IMPL" != openssh ] && ldd "$HSSHD" 2>/dev/null | grep -q libasan; then
	echo "warning: $HSSHD is built with sanitizers; its figures will be meaningless"
fi
hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
hs_keygen ssh-ed25519 "$T/host_ed25519"
: >"$T/known_hosts"
hs_client_config "$T/ssh_config" "$T/known_hosts" "$T/id_user"
P_OSSH=$(hs_free_port)
hs_known_hosts "$T/known_hosts" "$P_OSSH" "$T/host_ed25519.pub"
hs_start_server sshd sshd "$P_OSSH" "$T/host_ed25519" || { echo "sshd did not start"; exit 1; }
PID_OSSH=$HS_SERVER_PID
P_HS=$(hs_free_port)
hs_known_hosts "$T/known_hosts" "$P_HS" "$T/host_ed25519.pub"
hs_start_server hsshd hsshd "$P_HS" "$T/host_ed25519" || { echo "hsshd did not start"; exit 1; }
PID_HS=$HS_SERVER_PID

# cl SIDE ARGS...: a client against a server. SIDE is openssh (ssh -> sshd), hardssh
# (hssh -> hsshd), or a cross pair ssh-hsshd / hssh-sshd that shows which side costs what.
cl()
{
	local side=$1
	shift
	case $side in
	openssh)	"$SSH" -F "$T/ssh_config" -p "$P_OSSH" "$@" ;;
	hardssh)	"$HSSH" -F "$T/ssh_config" -p "$P_HS" "$@" ;;
	ssh-hsshd)	"$SSH" -F "$T/ssh_config" -p "$P_HS" "$@" ;;
	hssh-sshd)	"$HSSH" -F "$T/ssh_config" -p "$P_OSSH" "$@" ;;
	esac
}

now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a > 0) printf "%.2f", a / b; else print "n/a" }'; }
declare -A R=()

# --- 1. throughput --------------------------------------------------------------------------
bulk()	# bulk SIDE CIPHER: prints MB/s or 0 on failure
{
	local side=$1 c=$2 t0 t1 n margs=()
	case "$c" in *-ctr) margs=(-m "$MAC") ;; esac
	t0=$(now)
	n=$(head -c "$SIZE" /dev/zero | cl "$side" -c "$c" "${margs[@]}" "$HS_USER@127.0.0.1" cat |
		wc -c)
	t1=$(now)
	if [ "$n" != "$SIZE" ]; then
		echo "  $side $c: got $n of $SIZE bytes" >&2
		echo 0
		return
	fi
	awk -v s="$SIZE" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", s / 1e6 / (b - a) }'
}
echo
echo "1. bulk throughput, $SIZE bytes through cat (MB/s of payload, each way at once)"
printf '%-32s %10s %10s %7s\n' cipher OpenSSH hardssh ratio
for c in $CIPHERS; do
	o=$(bulk openssh "$c")
	h=$(bulk hardssh "$c")
	R[bulk_$c]="$o $h"
	printf '%-32s %10s %10s %7s\n' "$c" "$o" "$h" "$(ratio "$h" "$o")"
done

# --- 2. connections per second ----------------------------------------------------------
cps()	# cps SIDE: N sequential logins running `true`; prints connections/s (failures count 0)
{
	local side=$1 i ok=0 t0 t1
	t0=$(now)
	for i in $(seq 1 "$CONNS"); do
		# The same KEX on both sides: OpenSSH 9.2 would otherwise pick sntrup761x25519, which
		# hardssh does not have yet, and the figure would compare key exchanges, not servers.
		cl "$side" -o KexAlgorithms=curve25519-sha256 "$HS_USER@127.0.0.1" true </dev/null \
		    2>/dev/null && ok=$((ok + 1))
	done
	t1=$(now)
	[ "$ok" = "$CONNS" ] || echo "  $side: only $ok of $CONNS logins succeeded" >&2
	awk -v n="$ok" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }'
}
echo
echo "2. connections per second ($CONNS sequential logins, publickey, \`true\`)"
o=$(cps openssh)
h=$(cps hardssh)
printf '%-32s %10s %10s %7s\n' "(curve25519-sha256 both sides)" OpenSSH hardssh ratio
printf '%-32s %10s %10s %7s\n' "logins/s" "$o" "$h" "$(ratio "$h" "$o")"
# Cross pairs: the server ratio with OpenSSH's client held fixed, and the client ratio with
# OpenSSH's server held fixed.
xs=$(cps ssh-hsshd)
xc=$(cps hssh-sshd)
printf '%-32s %10s %10s %7s\n' "ssh -> sshd vs ssh -> hsshd" "$o" "$xs" "$(ratio "$xs" "$o")"
printf '%-32s %10s %10s %7s\n' "ssh -> sshd vs hssh -> sshd" "$o" "$xc" "$(ratio "$xc" "$o")"

# Server capacity: sequential logins mostly measure the client's and the network's waits
# (OpenSSH's ssh spends ~180 ms of a login idle, here and against either server). What limits how
# many connections a server accepts per second is the CPU it spends on each: the user+sys time of
# the listener's whole process tree (children are charged to it when reaped), per login. Both
# sides run the same user's `true` through the same shell, which is in both figures.
tree_ticks()	# tree_ticks PID: utime+stime+cutime+cstime of PID, in clock ticks
{
	awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"
}
cpu_per_login()	# cpu_per_login SIDE PID: ms of server CPU per login (ssh as the client)
{
	local side=$1 pid=$2 a b i
	a=$(tree_ticks "$pid")
	for i in $(seq 1 "$CONNS"); do
		cl "$side" -o KexAlgorithms=curve25519-sha256 "$HS_USER@127.0.0.1" true </dev/null \
		    2>/dev/null
	done
	sleep 1
	b=$(tree_ticks "$pid")
	awk -v d="$((b - a))" -v n="$CONNS" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.1f", d * 1000 / hz / n }'
}
co=$(cpu_per_login openssh "$PID_OSSH")
ch=$(cpu_per_login ssh-hsshd "$PID_HS")
printf '%-32s %10s %10s %7s\n' "server CPU ms/login (ssh client)" "$co" "$ch" "$(ratio "$ch" "$co")"
printf '%-32s %10s %10s %7s\n' "capacity, logins per CPU-second" \
    "$(awk -v c="$co" 'BEGIN { printf "%.0f", 1000 / c }')" \
    "$(awk -v c="$ch" 'BEGIN { printf "%.0f", 1000 / c }')" "$(ratio "$co" "$ch")"

# --- 3. RSS per idle connection -----------------------------------------------------------
# server_rss PID: kB of VmRSS summed over the descendants of PID, minus the users' programs.
server_rss()
{
	ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
		{ parent[$1] = $2; name[$1] = $3 }
		END {
			for (p in parent) {
				if (name[p] == "sleep" || name[p] == "sh" || name[p] == "bash" || name[p] == "dash")
					continue
				q = parent[p]
				while (q > 1 && q != root) q = parent[q]
				if (q == root) print p
			}
		}' | while read -r p; do
		awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}
idle()	# idle SIDE PID: prints kB per connection
{
	local side=$1 pid=$2 i base total pids=() rpids n=0
	base=$(server_rss "$pid")
	for i in $(seq 1 "$IDLE"); do
		# the remote shell prints its pid, then becomes the sleep: we end exactly those later
		cl "$side" "$HS_USER@127.0.0.1" 'echo $$; exec sleep 60' </dev/null \
			>"$T/idle.$side.$i" 2>/dev/null &
		pids+=($!)
	done
	for i in $(seq 1 100); do	# wait until all K sessions are up (bounded)
		n=$(cat "$T"/idle."$side".* 2>/dev/null | wc -l)
		[ "$n" -ge "$IDLE" ] && break
		sleep 0.2
	done
	sleep 1
	total=$(server_rss "$pid")
	[ "$n" -ge "$IDLE" ] || echo "  $side: only $n of $IDLE sessions came up" >&2
	rpids=$(cat "$T"/idle."$side".* 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$rpids" ] && kill $rpids 2>/dev/null
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	awk -v t="$total" -v b="$base" -v k="$IDLE" 'BEGIN { printf "%.0f", (t - b) / k }'
}
echo
echo "3. server RSS per idle authenticated connection ($IDLE clients running sleep 60, kB)"
o=$(idle openssh "$PID_OSSH")
sleep 1
h=$(idle hardssh "$PID_HS")
printf '%-32s %10s %10s %7s\n' "" OpenSSH hardssh ratio
printf '%-32s %10s %10s %7s\n' "kB per connection" "$o" "$h" "$(ratio "$h" "$o")"
echo
echo "impl: $HS_IMPL; hardssh binaries: $HS_BINDIR; $(nproc) CPUs; $(uname -r)"
HS_PASS=1
hs_finish
