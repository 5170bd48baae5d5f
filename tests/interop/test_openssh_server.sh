#!/bin/bash
# hssh against Debian's OpenSSH server (sshd 9.2): every KEX x cipher (x MAC for the non-AEAD
# ciphers) x host key algorithm, then exit status, stderr separation, 10 MB through cat, a pty, a
# changed host key and a refused user key. One sshd per host key, connections in sequence.
. "$(dirname "$0")/lib.sh"
hs_init openssh_server

hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
hs_keygen ssh-ed25519 "$T/id_stranger"
: >"$T/known_hosts"
hs_client_config "$T/ssh_config" "$T/known_hosts" "$T/id_user"
hs_client_config "$T/ssh_config_stranger" "$T/known_hosts" "$T/id_stranger"

[ -x "$HSSH" ] || hs_fail "client binary $HSSH missing"

# hs_hssh PORT ARGS...: the client under test with our config and a bounded run time.
hs_hssh()
{
	local port=$1
	shift
	timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config" -p "$port" "$@"
}

hs_run_matrix sshd hs_hssh "hssh -> sshd"

port=${HS_PORTS[ed25519]:-0}
U="$HS_USER@127.0.0.1"

hs_session_checks hs_hssh "$port" "$U"

timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config_stranger" -p "$port" "$U" true </dev/null \
	2>/dev/null
hs_expect "unauthorized key is refused (exit 255)" 255 $?

# A host key that does not match the pinned one must stop the connection before auth.
hs_keygen ssh-ed25519 "$T/host_other"
sed "s|^\[127.0.0.1\]:$port .*|[127.0.0.1]:$port $(cut -d' ' -f1,2 "$T/host_other.pub")|" \
	"$T/known_hosts" >"$T/known_hosts_bad"
hs_client_config "$T/ssh_config_bad" "$T/known_hosts_bad" "$T/id_user"
out=$(timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config_bad" -p "$port" \
	-o HostKeyAlgorithms=ssh-ed25519 "$U" echo reached </dev/null 2>/dev/null)
rc=$?
if [ "$rc" = 255 ] && [ -z "$out" ]; then
	hs_pass "changed host key is refused"
else
	hs_fail "changed host key is refused" "exit $rc, output '$out'"
fi

hs_finish
