# tests/interop/lib.sh: shared harness for the interop shell tests. Source it, call hs_init NAME,
# use the helpers, end with hs_finish.
#
# Environment:
#   HS_SRCDIR   repository root (default: two levels above this file)
#   HS_BINDIR   where hsshd, hssh, hssh-keygen live (default: $HS_SRCDIR/build/bin)
#   HS_IMPL     "hardssh" (default) runs our programs; "openssh" puts Debian's sshd/ssh in their
#               place so the harness itself can be proven OpenSSH-against-OpenSSH.
#   HS_KEEP=1   keep the temporary directory (logs) after the test.
#   HS_VERBOSE=1  print the log of every failed command.
#
# Rules (see the assignment): tests run as root, every daemon started here is killed by the EXIT
# trap, every client command runs under `timeout`, a missing binary is a failure and never a skip,
# and every script ends by printing "N passed, M failed" and exits non-zero when M > 0.

set -u
unset SSH_AUTH_SOCK

HS_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${HS_SRCDIR:=$(cd "$HS_LIBDIR/../.." && pwd)}"
: "${HS_BINDIR:=$HS_SRCDIR/build/bin}"
: "${HS_IMPL:=hardssh}"
: "${HS_KEEP:=0}"
: "${HS_VERBOSE:=0}"
export HS_SRCDIR HS_BINDIR HS_IMPL

HS_USER=hsshtest		# public-key test user
HS_PWUSER=hsshpw		# password test user
HS_PW='hs-Test-pw-4711'	# throwaway password of a throwaway account
HS_TIMEOUT=20			# seconds for any single client command
HS_LOCK=/run/lock/hardssh-tests.lock

SSH=/usr/bin/ssh
SSHD=/usr/sbin/sshd
SSHKEYGEN=/usr/bin/ssh-keygen
HS_PASS=0
HS_FAILED=0
HS_PIDS=()
HS_AKFILES=()
HS_TAG="hs-test-$$"

# Which program plays hardssh's part: ours, or OpenSSH's when proving the harness.
if [ "$HS_IMPL" = openssh ]; then
	HSSHD=$SSHD
	HSSH=$SSH
else
	HSSHD=$HS_BINDIR/hsshd
	HSSH=$HS_BINDIR/hssh
fi
HSSH_KEYGEN=$HS_BINDIR/hssh-keygen

# The algorithm sets hardssh implements (the assignment's list); the matrices iterate over these.
HS_KEXES="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384
ecdh-sha2-nistp521 diffie-hellman-group14-sha256 diffie-hellman-group16-sha512"
HS_AEAD_CIPHERS="aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com"
HS_CTR_CIPHERS="aes128-ctr aes192-ctr aes256-ctr"
HS_MACS="hmac-sha2-256 hmac-sha2-512 hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com"
# host key algorithm -> ssh-keygen arguments of the key that serves it
HS_HOSTKEY_ALGS="ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521
rsa-sha2-256 rsa-sha2-512"

hs_keygen_args()
{
	case "$1" in
	ssh-ed25519|ed25519)			echo "-t ed25519" ;;
	ecdsa-sha2-nistp256|ecdsa256)		echo "-t ecdsa -b 256" ;;
	ecdsa-sha2-nistp384|ecdsa384)		echo "-t ecdsa -b 384" ;;
	ecdsa-sha2-nistp521|ecdsa521)		echo "-t ecdsa -b 521" ;;
	rsa-sha2-256|rsa-sha2-512|rsa)		echo "-t rsa -b 3072" ;;
	*)					return 1 ;;
	esac
}

# Short key file name for a host key algorithm (both RSA signature algorithms share one key).
hs_key_name()
{
	case "$1" in
	rsa-sha2-*)	echo rsa ;;
	*)		echo "${1#ecdsa-sha2-}" | sed 's/^ssh-//' ;;
	esac
}

hs_log()  { printf '%s\n' "$*" >&2; }

hs_init()
{
	HS_NAME=$1
	[ "$(id -u)" = 0 ] || { echo "interop tests must run as root (they create test users)"; exit 2; }
	T=$(mktemp -d "/tmp/hs-$HS_NAME.XXXXXX")
	chmod 755 "$T"
	trap hs_cleanup EXIT
	trap 'exit 130' INT TERM
	mkdir -p /run/sshd /run/lock
	chmod 755 /run/sshd
	hs_log "== $HS_NAME (impl: $HS_IMPL, bindir: $HS_BINDIR, tmp: $T)"
	hs_ensure_users
}

# Stop every daemon this test started (by pid), politely first.
hs_stop_servers()
{
	local p
	for p in "${HS_PIDS[@]+"${HS_PIDS[@]}"}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${HS_PIDS[@]+"${HS_PIDS[@]}"}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	HS_PIDS=()
}

hs_cleanup()
{
	local f
	hs_stop_servers
	for f in "${HS_AKFILES[@]+"${HS_AKFILES[@]}"}"; do
		[ -f "$f" ] || continue
		(
			flock 9
			grep -v " $HS_TAG\$" "$f" >"$f.tmp.$$"
			cat "$f.tmp.$$" >"$f"
			rm -f "$f.tmp.$$"
		) 9>"$HS_LOCK"
	done
	if [ "$HS_KEEP" = 1 ] || [ "$HS_FAILED" -gt 0 ]; then
		rm -f "$T"/*.data "$T"/*.copy
		hs_log "logs kept in $T"
	else
		rm -rf "$T"
	fi
}

# Create the test users once: hsshtest (publickey) and hsshpw (password).
hs_ensure_users()
{
	(
		flock 9
		if ! getent passwd "$HS_USER" >/dev/null; then
			useradd -m -s /bin/sh "$HS_USER"
		fi
		# useradd leaves the account locked ('!'); sshd refuses even key logins to locked accounts.
		usermod -p '*' "$HS_USER"
		if ! getent passwd "$HS_PWUSER" >/dev/null; then
			useradd -m -s /bin/sh "$HS_PWUSER"
		fi
		echo "$HS_PWUSER:$HS_PW" | chpasswd
		local u h
		for u in "$HS_USER" "$HS_PWUSER"; do
			h=$(getent passwd "$u" | cut -d: -f6)
			install -d -m 700 -o "$u" -g "$u" "$h/.ssh"
			[ -f "$h/.ssh/authorized_keys" ] || install -m 600 -o "$u" -g "$u" /dev/null \
				"$h/.ssh/authorized_keys"
		done
	) 9>"$HS_LOCK"
	hs_ensure_privsep_user
}

# The system user hsshd's pre-auth network child runs as (chrooted into /run/hsshd, which hsshd
# makes itself); the install step and demo.sh create it the same way.
hs_ensure_privsep_user()
{
	(
		flock 9
		getent passwd hsshd >/dev/null ||
			useradd --system --no-create-home --home-dir /run/hsshd \
				--shell /usr/sbin/nologin hsshd
	) 9>"$HS_LOCK"
}

hs_home() { getent passwd "${1:-$HS_USER}" | cut -d: -f6; }

# hs_authorize PUBFILE [USER]: add a key to the user's authorized_keys; removed again at exit.
hs_authorize()
{
	local ak
	ak="$(hs_home "${2:-$HS_USER}")/.ssh/authorized_keys"
	(
		flock 9
		printf '%s %s\n' "$(cut -d' ' -f1,2 "$1")" "$HS_TAG" >>"$ak"
	) 9>"$HS_LOCK"
	HS_AKFILES+=("$ak")
}

# hs_keygen ALG FILE: an unencrypted OpenSSH-format key made by Debian's ssh-keygen.
hs_keygen()
{
	# shellcheck disable=SC2046
	"$SSHKEYGEN" -q $(hs_keygen_args "$1") -N '' -C "$HS_TAG" -f "$2" </dev/null
}

hs_free_port()
{
	/usr/bin/python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# hs_wait_port PORT [SECONDS] [PID]: wait until something listens, bounded; fail early if PID died.
hs_wait_port()
{
	local port=$1 limit=${2:-10} pid=${3:-} i=0
	while [ "$i" -lt $((limit * 10)) ]; do
		if ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# hs_server_config FILE PORT HOSTKEY... : sshd_config using only keywords hsshd understands.
hs_server_config()
{
	local cfg=$1 port=$2 k
	shift 2
	{
		echo "Port $port"
		echo "ListenAddress 127.0.0.1"
		for k in "$@"; do echo "HostKey $k"; done
		echo "AuthorizedKeysFile .ssh/authorized_keys"
		echo "PermitRootLogin no"
		echo "PubkeyAuthentication yes"
		echo "PasswordAuthentication yes"
		echo "StrictModes no"
		echo "AcceptEnv HS_TEST_*"
		echo "LogLevel VERBOSE"
		echo "LoginGraceTime 30"
		echo "MaxStartups 50"
		echo "PidFile $cfg.pid"
	} >"$cfg"
}

# hs_start_server KIND NAME PORT HOSTKEYS [-o KW=V ...]: start "sshd" (Debian) or "hsshd" (the
# program under test, or sshd in HS_IMPL=openssh mode) in the foreground-daemon mode, log to
# $T/NAME.log. Sets HS_SERVER_PID. Returns non-zero if it does not listen within 10 s.
hs_start_server()
{
	local kind=$1 name=$2 port=$3 keys=$4 bin
	shift 4
	case "$kind" in
	sshd)	bin=$SSHD ;;
	hsshd)	bin=$HSSHD ;;
	esac
	if [ ! -x "$bin" ]; then
		hs_log "missing server binary $bin"
		return 1
	fi
	# shellcheck disable=SC2086
	hs_server_config "$T/$name.cfg" "$port" $keys
	# Tests fail logins on purpose, all from 127.0.0.1; Debian's sshd 9.2 lacks the keyword.
	[ "$bin" = "$HS_BINDIR/hsshd" ] && echo "PerSourcePenalties no" >>"$T/$name.cfg"
	"$bin" -D -f "$T/$name.cfg" -E "$T/$name.log" "$@" </dev/null >"$T/$name.out" 2>&1 &
	HS_SERVER_PID=$!
	HS_PIDS+=("$HS_SERVER_PID")
	if ! hs_wait_port "$port" 10 "$HS_SERVER_PID"; then
		hs_log "$kind ($bin) did not start on port $port; output:"
		sed 's/^/    /' "$T/$name.out" "$T/$name.log" 2>/dev/null | tail -n 20 >&2
		return 1
	fi
	return 0
}

# hs_start_dropbear NAME PORT OPENSSH_HOSTKEY: convert the key and run dropbear in the foreground.
hs_start_dropbear()
{
	local name=$1 port=$2 key=$3
	if ! dropbearconvert openssh dropbear "$key" "$T/$name.dbkey" >"$T/$name.conv" 2>&1; then
		hs_log "dropbearconvert failed: $(cat "$T/$name.conv")"
		return 1
	fi
	/usr/sbin/dropbear -F -E -s -P "$T/$name.pid" -p "127.0.0.1:$port" -r "$T/$name.dbkey" \
		</dev/null >"$T/$name.log" 2>&1 &
	HS_SERVER_PID=$!
	HS_PIDS+=("$HS_SERVER_PID")
	hs_wait_port "$port" 10 "$HS_SERVER_PID"
}

# hs_known_hosts FILE PORT PUBKEY...: pin host keys for 127.0.0.1:PORT.
hs_known_hosts()
{
	local f=$1 port=$2 k
	shift 2
	for k in "$@"; do
		printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$k")" >>"$f"
	done
}

# hs_client_config FILE KNOWN_HOSTS IDENTITY: ssh_config keywords both ssh and hssh accept.
hs_client_config()
{
	{
		echo "Host *"
		echo "  UserKnownHostsFile $2"
		echo "  StrictHostKeyChecking yes"
		echo "  IdentityFile $3"
		echo "  BatchMode yes"
	} >"$1"
}

# Counting. hs_pass NAME; hs_fail NAME [DETAIL]; hs_expect NAME EXPECTED ACTUAL.
hs_pass() { HS_PASS=$((HS_PASS + 1)); printf 'ok   %s\n' "$1"; }
hs_fail()
{
	HS_FAILED=$((HS_FAILED + 1))
	printf 'FAIL %s%s\n' "$1" "${2:+: $2}"
}
hs_expect()
{
	if [ "$2" = "$3" ]; then
		hs_pass "$1"
	else
		hs_fail "$1" "expected '$2', got '$(printf '%s' "$3" | head -c 200)'"
	fi
}
# hs_show_log FILE: the tail of a command log, only in verbose mode.
hs_show_log() { [ "$HS_VERBOSE" = 1 ] && [ -f "$1" ] && tail -n 15 "$1" | sed 's/^/    | /' >&2; true; }

hs_finish()
{
	local f
	hs_stop_servers
	# A sanitizer report on a daemon's stderr (ASan/UBSan builds) fails the test.
	for f in "$T"/*.out; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
			hs_fail "sanitizer report in $(basename "$f")" "$(grep -m1 -E 'Sanitizer|runtime error' "$f")"
		fi
	done
	echo "$HS_PASS passed, $HS_FAILED failed"
	[ "$HS_FAILED" -eq 0 ]
	exit $?
}

# Matrix bookkeeping: hs_cell ROWKEY COLKEY MARK stores a mark; hs_table TITLE ROWS COLS prints it.
declare -A HS_CELLS=()
hs_cell() { HS_CELLS["$1|$2"]=$3; }
hs_abbrev()
{
	printf '%s' "$1" | sed -e 's/@openssh.com//g; s/@libssh.org/@l/;
		s/diffie-hellman-group\([0-9]*\)-sha[0-9]*/dh\1/;
		s/ecdh-sha2-//; s/ssh-ed25519/ed25519/; s/ecdsa-sha2-nistp/ec/; s/rsa-sha2-/rsa/;
		s/curve25519-sha256/c25519/; s/aes\([0-9]*\)-ctr/a\1c/;
		s/aes\([0-9]*\)-gcm/a\1g/; s/hmac-sha2-/h/; s/chacha20-poly1305/chacha/; s/-etm/e/'
}
hs_table()
{
	local title=$1 rows=$2 cols=$3 r c
	printf '\n%s\n%-14s' "$title" ""
	for c in $cols; do printf ' %-8s' "$(hs_abbrev "$c")"; done
	printf '\n'
	for r in $rows; do
		printf '%-14s' "$(hs_abbrev "$r")"
		for c in $cols; do printf ' %-8s' "${HS_CELLS["$r|$c"]:--}"; done
		printf '\n'
	done
	printf '\n'
}

# hs_run_matrix SERVERKIND CLIENTFN LABEL: start one SERVERKIND ("hsshd" or "sshd") per host key and
# run CLIENTFN PORT ARGS... for every host key algorithm x KEX x cipher (x MAC for non-AEAD ciphers),
# each printing its own tag. Needs $T/known_hosts (host keys are pinned there). Prints one table
# per host key algorithm. Leaves HS_PORTS[keyname] for further checks.
declare -A HS_PORTS=()
hs_matrix_server()
{
	local kind=$1 alg=$2 name port
	name=$(hs_key_name "$alg")
	[ -n "${HS_PORTS[$name]:-}" ] && return 0
	hs_keygen "$alg" "$T/host_$name" || return 1
	port=$(hs_free_port)
	HS_PORTS[$name]=$port
	hs_known_hosts "$T/known_hosts" "$port" "$T/host_$name.pub"
	hs_start_server "$kind" "${kind}_$name" "$port" "$T/host_$name"
}

# hs_session_checks CLIENT PORT USER@HOST: what every client/server pairing must get right in a
# session: exit status, stdout and stderr kept apart, 10 MB through cat unchanged, a pty with -t -t
# and none with -T. CLIENT is a function taking PORT then the client's arguments.
hs_session_checks()
{
	local client=$1 port=$2 dest=$3 out want got

	"$client" "$port" "$dest" 'exit 7' </dev/null
	hs_expect "exit status 7 propagates" 7 $?

	"$client" "$port" "$dest" 'echo to-stdout; echo to-stderr >&2' </dev/null >"$T/o" 2>"$T/e"
	hs_expect "stdout carries only stdout" to-stdout "$(cat "$T/o")"
	hs_expect "stderr carries only stderr" to-stderr "$(cat "$T/e")"

	head -c 10485760 /dev/urandom >"$T/10m.data"
	want=$(sha256sum <"$T/10m.data" | cut -d' ' -f1)
	got=$("$client" "$port" "$dest" cat <"$T/10m.data" | sha256sum | cut -d' ' -f1)
	hs_expect "10 MB through cat (sha256)" "$want" "$got"

	out=$("$client" "$port" -t -t "$dest" tty </dev/null 2>/dev/null | tr -d '\r')
	case "$out" in
	/dev/pts/*) hs_pass "pty session (tty: $out)" ;;
	*) hs_fail "pty session" "tty printed '$out'" ;;
	esac
	out=$("$client" "$port" -T "$dest" tty </dev/null 2>/dev/null)
	hs_expect "no pty with -T" "not a tty" "$out"
}

hs_run_matrix()
{
	local kind=$1 client=$2 label=$3 hk k col c m tag out port start n=0 cols=""
	local -a margs
	for c in $HS_AEAD_CIPHERS; do cols="$cols $c/aead"; done
	for c in $HS_CTR_CIPHERS; do for m in $HS_MACS; do cols="$cols $c/$m"; done; done
	start=$(date +%s)
	for hk in $HS_HOSTKEY_ALGS; do
		hs_matrix_server "$kind" "$hk" || hs_fail "start $kind for $hk"
		port=${HS_PORTS[$(hs_key_name "$hk")]}
		for k in $HS_KEXES; do
			for col in $cols; do
				c=${col%/*}
				m=${col#*/}
				tag="$k-$c-$m"
				margs=()
				[ "$m" = aead ] || margs=(-m "$m")
				out=$("$client" "$port" -o "HostKeyAlgorithms=$hk" -o "KexAlgorithms=$k" \
					-c "$c" "${margs[@]}" "$HS_USER@127.0.0.1" echo "$tag" \
					</dev/null 2>"$T/last.err")
				if [ "$out" = "$tag" ]; then
					HS_PASS=$((HS_PASS + 1))
					n=$((n + 1))
					hs_cell "$col" "$k" ok
				else
					hs_fail "matrix $hk $tag" "$(tail -n 1 "$T/last.err")"
					hs_cell "$col" "$k" FAIL
				fi
			done
		done
		hs_table "$label, host key $hk" "$cols" "$HS_KEXES"
	done
	echo "matrix $label: $n connections ok in $(( $(date +%s) - start )) s"
}

# ---- hardware fixtures: softhsm2 tokens, swtpm ports, who maps which library ----
HS_P11MODULE=/usr/lib/softhsm/libsofthsm2.so
HS_P11PIN=1234

# hs_softhsm_tokens LABEL...: a softhsm2 token store in $T/tokens with one token per LABEL (user
# PIN $HS_P11PIN), SOFTHSM2_CONF exported so that the servers and clients started later find it,
# $T/pin ($HS_P11PIN) and $T/badpin (9999), mode 600. softhsm2 leaves a few bytes of OpenSSL state
# unfreed (as does the OpenSSL pkcs11-helper links) in the processes that load it; hardssh links
# no libcrypto, so only those libraries' leaks are suppressed for LeakSanitizer. softhsm2 is in
# .ci/packages: missing, the test fails and ends here, never skips.
hs_softhsm_tokens()
{
	local tok
	if ! command -v softhsm2-util >/dev/null || [ ! -r "$HS_P11MODULE" ]; then
		hs_fail "softhsm2-util and $HS_P11MODULE are required (apt-get install softhsm2)"
		hs_finish
	fi
	printf 'leak:libcrypto.so\nleak:libsofthsm2.so\n' >"$T/lsan.supp"
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp"
	export SOFTHSM2_CONF=$T/softhsm2.conf
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$T" >"$SOFTHSM2_CONF"
	mkdir -p "$T/tokens"
	for tok in "$@"; do
		softhsm2-util --init-token --free --label "$tok" --pin "$HS_P11PIN" --so-pin 5678 \
			>"$T/init_$tok.log" 2>&1 ||
			hs_fail "softhsm2-util --init-token $tok" "$(tail -n 1 "$T/init_$tok.log")"
	done
	printf '%s\n' "$HS_P11PIN" >"$T/pin"
	printf '9999\n' >"$T/badpin"
	chmod 600 "$T/pin" "$T/badpin"
}

# hs_p11_keygen TOKEN LABEL:ID:KEYTYPE...: key pairs made in a token of hs_softhsm_tokens by
# pkcs11-tool (KEYTYPE as its --key-type: EC:prime256v1, rsa:3072, ...); a failure for each key
# that cannot be made.
hs_p11_keygen()
{
	local tok=$1 k label id ktype
	shift
	for k in "$@"; do
		IFS=: read -r label id ktype <<<"$k"
		pkcs11-tool --module "$HS_P11MODULE" --token-label "$tok" --login --pin "$HS_P11PIN" \
			--keypairgen --key-type "$ktype" --label "$label" --id "$id" \
			>"$T/gen_$label.log" 2>&1 ||
			hs_fail "pkcs11-tool makes $label" "$(tail -n 1 "$T/gen_$label.log")"
	done
}

# hs_free_port_pair: a free loopback port P with P+1 free as well (swtpm: the TPM on P and its
# control channel, where tss2's swtpm TCTI looks for it, on P+1). Both are bound, not only looked
# up among listeners: a client's ephemeral port blocks a bind as well.
hs_free_port_pair()
{
	/usr/bin/python3 - <<'EOF'
import socket
for _ in range(100):
    a, b = socket.socket(), socket.socket()
    try:
        a.bind(("127.0.0.1", 0))
        p = a.getsockname()[1]
        b.bind(("127.0.0.1", p + 1))
        print(p)
        break
    except OSError:
        pass
    finally:
        a.close()
        b.close()
EOF
}

# hs_swtpm_start DIR PORT: a swtpm (TPM 2.0) daemon on 127.0.0.1:PORT with its control channel on
# PORT+1 (see hs_free_port_pair), its state in DIR/state (kept when it is started again), and
# DIR/swtpm.pid, swtpm.log, swtpm.out. HS_SWTPM_PID is its pid, also stopped with the servers.
# Returns non-zero when it does not start or listen within 10 s.
hs_swtpm_start()
{
	local d=$1 port=$2
	HS_SWTPM_PID=
	mkdir -p "$d/state"
	swtpm socket --tpm2 --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
		--ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" --tpmstate "dir=$d/state" \
		--flags startup-clear --daemon --pid "file=$d/swtpm.pid" --log "file=$d/swtpm.log" \
		>"$d/swtpm.out" 2>&1 || return 1
	HS_SWTPM_PID=$(cat "$d/swtpm.pid")
	HS_PIDS+=("$HS_SWTPM_PID")
	hs_wait_port "$port" 10
}

# hs_ssh_pinned PORT KNOWN_HOSTS ARGS...: Debian's ssh to 127.0.0.1:PORT with the identity
# $T/id_user only, the host key checked strictly against KNOWN_HOSTS, batch mode, bounded.
hs_ssh_pinned()
{
	local port=$1 kh=$2
	shift 2
	timeout "$HS_TIMEOUT" "$SSH" -F /dev/null -p "$port" -i "$T/id_user" -o IdentitiesOnly=yes \
		-o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$kh" "$@"
}

# hs_maps_check LISTENER PORT LIB [KEYD] [KEX]: while a paramiko client is parked after its key
# exchange (KEX only, if given) on hsshd's PORT, neither the listener, nor that connection's
# monitor, nor its pre-auth child maps the shared library LIB; with KEYD=1 the host-key service
# (exactly one other child of the listener) does. The report: $T/maps_LIB.out.
hs_maps_check()
{
	local listener=$1 port=$2 lib=$3 keyd=${4:-0} kex=${5:-} out=$T/maps_$3.out p
	HS_INTEROP_DIR=$HS_LIBDIR /usr/bin/python3 -c '
import os, sys
sys.path.insert(0, os.environ["HS_INTEROP_DIR"])
import hslib
sys.exit(hslib.maps_report(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]))' \
		"$listener" "$port" "$lib" "$kex" >"$out" 2>&1
	hs_expect "pre-auth child found while parked${kex:+ (paramiko, $kex)}" 0 $?
	if [ "$keyd" = 1 ]; then
		hs_expect "the host-key service maps $lib" 1 "$(grep -c "^keyd .*$lib: True" "$out")"
	fi
	for p in listener monitor child; do
		hs_expect "$p does not map $lib" 1 "$(grep -c "^$p .*$lib: False" "$out")"
	done
	[ "$HS_VERBOSE" = 1 ] && sed 's/^/    | /' "$out" >&2
	true
}
