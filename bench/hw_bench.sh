#!/bin/bash
# bench/hw_bench.sh: issue 5's hardware host-key figures. Reports ratios; asserts no timing.
#   a. ECDSA P-256 signatures/s through our provider (bench/hs_signbench: hs_key_open + hs_key_sign)
#      against a plain C_SignInit + C_Sign loop (bench/p11_rawsign) on the same softhsm2 key, one
#      thread, ROUNDS alternating runs of SECS seconds each, medians (goal >= 0.9x);
#   b. logins with a softhsm2 ECDSA P-256 host key against the same hsshd with a file ECDSA P-256
#      host key: N sequential `ssh ... true` logins (ssh pinned to ecdsa-sha2-nistp256 and
#      curve25519-sha256), logins/s and the server CPU per login (user+sys of the listener's whole
#      process tree, reaped and live: bench/run.sh's method, plus long-lived helpers such as the
#      host-key service), the two servers measured alternately (goal >= 0.9x);
#   c. TPM signing queue under 20 parallel connections: only once a tpm2 provider exists
#      (hw/provider_tpm2.c); the script says so and skips it otherwise.
#
# usage: bench/hw_bench.sh [--secs S] [--rounds R] [--conns N] [--sections abc]
#   defaults 5, 3, 100, all three sections
# Binaries: $HS_BINDIR (hsshd) and $HS_BENCHDIR (default $HS_BINDIR/../bench) from a release build
# without sanitizers, e.g.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && \
#     cmake --build build-rel --target hsshd hs_signbench p11_rawsign -j2
#   HS_BINDIR=build-rel/bin bench/hw_bench.sh
# Runs as root (it creates the hsshtest user like the interop tests). Needs softhsm2 and opensc.
. "$(dirname "$0")/../tests/interop/lib.sh"

SECS=5
ROUNDS=3
CONNS=100
SECTIONS=abc
while [ $# -gt 0 ]; do
	case "$1" in
	--secs)		SECS=$2; shift ;;
	--rounds)	ROUNDS=$2; shift ;;
	--conns)	CONNS=$2; shift ;;
	--sections)	SECTIONS=$2; shift ;;
	*)		echo "usage: $0 [--secs S] [--rounds R] [--conns N] [--sections abc]"; exit 2 ;;
	esac
	shift
done
HS_TIMEOUT=3600
: "${HS_BENCHDIR:=$HS_BINDIR/../bench}"
MODULE=/usr/lib/softhsm/libsofthsm2.so
PIN=1234

hs_init hw_bench
for f in "$HSSHD" "$HS_BENCHDIR/hs_signbench" "$HS_BENCHDIR/p11_rawsign"; do
	[ -x "$f" ] || { echo "missing $f (build hsshd hs_signbench p11_rawsign)"; exit 1; }
done
[ -r "$MODULE" ] && command -v pkcs11-tool >/dev/null ||
	{ echo "softhsm2 and opensc are required"; exit 1; }
if ldd "$HSSHD" 2>/dev/null | grep -q libasan; then
	echo "warning: $HSSHD is built with sanitizers; its figures will be meaningless"
fi

# --- the token: one softhsm2 token in $T with an ECDSA P-256 key -------------------------------
export SOFTHSM2_CONF=$T/softhsm2.conf
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" \
	>"$SOFTHSM2_CONF"
mkdir "$T/tokens"
softhsm2-util --init-token --free --label hs-bench --pin "$PIN" --so-pin 5678 >"$T/init.log" 2>&1 &&
pkcs11-tool --module "$MODULE" --token-label hs-bench --login --pin "$PIN" --keypairgen \
	--key-type EC:prime256v1 --label ec256 --id 01 >"$T/gen.log" 2>&1 ||
	{ echo "cannot make the softhsm2 token"; cat "$T/init.log" "$T/gen.log"; exit 1; }
printf '%s\n' "$PIN" >"$T/pin"
chmod 600 "$T/pin"
URI="pkcs11:token=hs-bench;object=ec256?module-path=$MODULE&pin-source=file:$T/pin"
"$SSHKEYGEN" -D "$MODULE" 2>/dev/null | awk '$3 == "ec256" { print $1, $2 }' >"$T/tok.pub"
[ -s "$T/tok.pub" ] || { echo "ssh-keygen -D does not list the token key"; exit 1; }

median()
{
	sort -g | awk '{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a > 0) printf "%.2f", a / b; else print "n/a" }'
}
# rates: "wall cpu" signatures per second from a p11_rawsign / hs_signbench line
rates() { sed -n 's|.*signatures/s \([0-9.]*\).*signatures/cpu-s \([0-9.]*\).*|\1 \2|p'; }

# --- clients: a user key, one known_hosts file, ssh pinned to ECDSA P-256 host keys ---------
hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
hs_keygen ecdsa-sha2-nistp256 "$T/host_ec256"
: >"$T/known_hosts"
hs_client_config "$T/ssh_config" "$T/known_hosts" "$T/id_user"

login()	# login PORT: one pinned login running `true`
{
	"$SSH" -F "$T/ssh_config" -p "$1" -o HostKeyAlgorithms=ecdsa-sha2-nistp256 \
	    -o KexAlgorithms=curve25519-sha256 "$HS_USER@127.0.0.1" true </dev/null 2>>"$T/ssh.err"
}

if [[ $SECTIONS == *a* ]]; then
# --- a. signatures per second ----------------------------------------------------------------
echo
echo "a. ECDSA P-256 signatures/s on one softhsm2 key, 1 thread" \
    "($ROUNDS x ${SECS}s each, alternating, medians)"
: >"$T/raw.txt"
: >"$T/prov.txt"
for i in $(seq 1 "$ROUNDS"); do
	"$HS_BENCHDIR/p11_rawsign" "$MODULE" hs-bench ec256 "$T/pin" "$SECS" | rates >>"$T/raw.txt"
	"$HS_BENCHDIR/hs_signbench" "$URI" "$SECS" | rates >>"$T/prov.txt"
done
# Wall clock, and per second of the process's own CPU time: on a machine shared with other jobs
# the second counts the work of a signature, not the wait for a CPU.
rw=$(cut -d' ' -f1 "$T/raw.txt" | median)
pw=$(cut -d' ' -f1 "$T/prov.txt" | median)
rc=$(cut -d' ' -f2 "$T/raw.txt" | median)
pc=$(cut -d' ' -f2 "$T/prov.txt" | median)
printf '%-44s %10s %10s\n' "" "per s" "per CPU-s"
printf '%-44s %10s %10s\n' "plain C_Sign loop (p11_rawsign)" "$rw" "$rc"
printf '%-44s %10s %10s\n' "hs_key_sign via provider (hs_signbench)" "$pw" "$pc"
printf '%-44s %10s %10s   (goal >= 0.9)\n' "ratio provider / raw" "$(ratio "$pw" "$rw")" \
    "$(ratio "$pc" "$rc")"
printf '  runs raw: %s; provider: %s\n' "$(tr '\n' ',' <"$T/raw.txt")" \
    "$(tr '\n' ',' <"$T/prov.txt")"

fi

if [[ $SECTIONS == *b* ]]; then
# --- b. logins with a token host key vs a file host key ---------------------------------------
P_FILE=$(hs_free_port)
hs_known_hosts "$T/known_hosts" "$P_FILE" "$T/host_ec256.pub"
hs_start_server hsshd file "$P_FILE" "$T/host_ec256" ||
	{ echo "hsshd (file key) did not start"; exit 1; }
PID_FILE=$HS_SERVER_PID
P_TOK=$(hs_free_port)
hs_known_hosts "$T/known_hosts" "$P_TOK" "$T/tok.pub"
hs_start_server hsshd token "$P_TOK" "$URI" || { echo "hsshd (token key) did not start"; exit 1; }
PID_TOK=$HS_SERVER_PID

# tree_ticks PID: CPU clock ticks of PID's whole tree: utime+stime+cutime+cstime of every live
# process in it. A reaped process is in its parent's cutime/cstime; a long-lived one (hsshd's
# host-key service, which signs for every connection) only in its own utime/stime.
tree_ticks()
{
	local pids=$1 p kids
	kids=$1
	while [ -n "$kids" ]; do
		# shellcheck disable=SC2086
		kids=$(for p in $kids; do cat /proc/"$p"/task/*/children 2>/dev/null; done)
		pids="$pids $kids"
	done
	# shellcheck disable=SC2086
	for p in $pids; do cat "/proc/$p/stat" 2>/dev/null; done |
		sed 's/^.*) //' | awk '{ s += $12 + $13 + $14 + $15 } END { print s + 0 }'
}
# measure PORT PID: "logins/s cpu-ms/login" for N sequential logins (failures count 0)
measure()
{
	local port=$1 pid=$2 i ok=0 t0 t1 a b
	a=$(tree_ticks "$pid")
	t0=$(date +%s.%N)
	for i in $(seq 1 "$CONNS"); do
		login "$port" && ok=$((ok + 1))
	done
	t1=$(date +%s.%N)
	sleep 1		# the last connection's processes are reaped and charged to the listener
	b=$(tree_ticks "$pid")
	[ "$ok" = "$CONNS" ] || echo "  port $port: only $ok of $CONNS logins succeeded" >&2
	awk -v n="$ok" -v a="$t0" -v b="$t1" -v d="$((b - a))" -v c="$CONNS" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f %.1f\n", n / (b - a), d * 1000 / hz / c }'
}
login "$P_FILE" && login "$P_TOK" || { echo "a first login failed:"; tail -n 3 "$T/ssh.err"; }
: >"$T/file.txt"
: >"$T/tok.txt"
for i in $(seq 1 "$ROUNDS"); do
	measure "$P_FILE" "$PID_FILE" >>"$T/file.txt"
	measure "$P_TOK" "$PID_TOK" >>"$T/tok.txt"
done
fl=$(cut -d' ' -f1 "$T/file.txt" | median)
tl=$(cut -d' ' -f1 "$T/tok.txt" | median)
fc=$(cut -d' ' -f2 "$T/file.txt" | median)
tc=$(cut -d' ' -f2 "$T/tok.txt" | median)
echo
echo "b. $CONNS sequential logins x $ROUNDS rounds" \
    "(ssh, ecdsa-sha2-nistp256 host key, curve25519), medians"
printf '%-44s %10s %10s %7s\n' "" "file key" "softhsm2" "ratio"
printf '%-44s %10s %10s %7s   (goal >= 0.9)\n' "logins/s" "$fl" "$tl" "$(ratio "$tl" "$fl")"
printf '%-44s %10s %10s %7s\n' "server CPU ms/login" "$fc" "$tc" "$(ratio "$tc" "$fc")"
printf '%-44s %10s %10s %7s   (goal >= 0.9)\n' "capacity, logins per server CPU-second" \
    "$(awk -v c="$fc" 'BEGIN { printf "%.0f", 1000 / c }')" \
    "$(awk -v c="$tc" 'BEGIN { printf "%.0f", 1000 / c }')" "$(ratio "$fc" "$tc")"
printf '  rounds file: %s; softhsm2: %s\n' "$(tr '\n' ',' <"$T/file.txt")" \
    "$(tr '\n' ',' <"$T/tok.txt")"
hs_stop_servers
fi

# --- c. TPM signing queue --------------------------------------------------------------------
# WAVES waves of PAR parallel logins against an ECDSA P-256 key persistent in a swtpm (and, for
# scale, the same against the file key): client-side wall time per login, p50/p99, and hsshd's
# own VERBOSE "signing queue of ..." line (latency of the key's queue, max depth, refusals).
PAR=20
WAVES=3
# parallel PORT NAME: WAVES waves of PAR logins; "ok p50 p99" (ms, ssh wall time per login)
parallel()
{
	local port=$1 name=$2
	: >"$T/par_$name.txt"
	for _ in $(seq 1 "$WAVES"); do
		for _ in $(seq 1 "$PAR"); do
			(
				a=$(date +%s%N)
				login "$port" && rc=0 || rc=1
				b=$(date +%s%N)
				echo "$rc $(((b - a) / 1000000))"
			) >>"$T/par_$name.txt" &
		done
		wait
	done
	awk '$1 == 0 { print $2 }' "$T/par_$name.txt" | sort -n | awk -v all="$((PAR * WAVES))" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "0/" all " n/a n/a"; exit }
			i50 = int((NR - 1) / 2) + 1; i99 = int((NR * 99 + 99) / 100)
			printf "%d/%d %d %d\n", NR, all, v[i50], v[i99]
		}'
}
tpm_setup()	# swtpm on free ports in $T/tpm, an ECDSA P-256 key at 0x81000002; sets TPM_URI
{
	local port ctrl
	command -v swtpm >/dev/null && command -v tpm2_createprimary >/dev/null ||
		{ echo "   swtpm and tpm2-tools are required"; return 1; }
	port=$(hs_free_port)
	ctrl=$((port + 1))	# tss2's swtpm TCTI finds the control channel at port + 1
	mkdir -p "$T/tpm/state"
	swtpm socket --tpm2 --server "type=tcp,port=$port" --ctrl "type=tcp,port=$ctrl" \
		--tpmstate "dir=$T/tpm/state" --flags not-need-init,startup-clear \
		>"$T/tpm/swtpm.out" 2>&1 &
	HS_PIDS+=("$!")
	hs_wait_port "$port" 10 "$!" || { echo "   swtpm did not start"; return 1; }
	export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
	# swtpm has no resource manager: flush every transient object after each step.
	(
		cd "$T/tpm" &&
		tpm2_createprimary -Q -C o -g sha256 -G ecc256 -c prim.ctx && tpm2_flushcontext -t &&
		tpm2_create -Q -C prim.ctx -G ecc256:ecdsa-sha256 -u k.pub -r k.priv &&
		tpm2_flushcontext -t && tpm2_load -Q -C prim.ctx -u k.pub -r k.priv -c k.ctx &&
		tpm2_evictcontrol -Q -C o -c k.ctx 0x81000002 && tpm2_flushcontext -t &&
		tpm2_readpublic -Q -c 0x81000002 -f pem -o k.pem &&
		"$SSHKEYGEN" -i -m PKCS8 -f k.pem >k.ssh.pub
	) >"$T/tpm/setup.log" 2>&1 ||
		{ echo "   TPM key setup failed"; tail -n 3 "$T/tpm/setup.log"; return 1; }
	TPM_URI="tpm2:handle=0x81000002;tcti=swtpm:host=127.0.0.1,port=$port"
}
echo
if [[ $SECTIONS != *c* ]]; then
	:
elif echo "c. $PAR parallel logins x $WAVES waves, ECDSA P-256 host key in swtpm vs in a file" &&
    [ ! -f "$HS_SRCDIR/hw/provider_tpm2.c" ]; then
	echo "   not measured: no tpm2 provider in this tree (hw/provider_tpm2.c)"
elif tpm_setup; then
	P_TPM=$(hs_free_port)
	hs_known_hosts "$T/known_hosts" "$P_TPM" "$T/tpm/k.ssh.pub"
	if hs_start_server hsshd tpm "$P_TPM" "$TPM_URI"; then
		P_FILE=$(hs_free_port)
		hs_known_hosts "$T/known_hosts" "$P_FILE" "$T/host_ec256.pub"
		hs_start_server hsshd file2 "$P_FILE" "$T/host_ec256" || echo "   hsshd (file) did not start"
		login "$P_TPM" || { echo "   a first login with the TPM key failed:"; tail -n 3 "$T/ssh.err"; }
		read -r tok tp50 tp99 <<<"$(parallel "$P_TPM" tpm)"
		read -r fok fp50 fp99 <<<"$(parallel "$P_FILE" file)"
		printf '   %-41s %10s %10s %10s\n' "" "ok" "p50 ms" "p99 ms"
		printf '   %-41s %10s %10s %10s\n' "swtpm host key (client wall time)" "$tok" "$tp50" "$tp99"
		printf '   %-41s %10s %10s %10s\n' "file host key (client wall time)" "$fok" "$fp50" "$fp99"
	else
		echo "   hsshd with the TPM key did not start: $(tail -n 2 "$T/tpm.log")"
	fi
	hs_stop_servers		# the host-key service logs its queue figures when it stops
	q=$(grep -h "signing queue of" "$T/tpm.log" 2>/dev/null | tail -n 1)
	echo "   hsshd: ${q:-no \"signing queue\" line in its VERBOSE log}"
fi
echo
echo "hsshd: $HSSHD; $(nproc) CPUs; $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg);" \
    "$(date -u '+%F %H:%M UTC')"
HS_PASS=1
hs_finish
