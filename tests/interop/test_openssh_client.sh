#!/bin/bash
# Debian's OpenSSH client (ssh 9.2) against hsshd: every KEX x cipher (x MAC for the non-AEAD
# ciphers) x host key algorithm, then exit status, stderr separation, 10 MB through cat, a pty,
# environment passing, password authentication and a refused key.
# One hsshd per host key, connections in sequence; each prints its own tag, which we check.
. "$(dirname "$0")/lib.sh"
hs_init openssh_client

hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
hs_keygen ssh-ed25519 "$T/id_stranger"
: >"$T/known_hosts"
hs_client_config "$T/ssh_config" "$T/known_hosts" "$T/id_user"
hs_client_config "$T/ssh_config_stranger" "$T/known_hosts" "$T/id_stranger"

# hs_ssh PORT ARGS...: Debian ssh with our config and a bounded run time.
hs_ssh()
{
	local port=$1
	shift
	timeout "$HS_TIMEOUT" "$SSH" -F "$T/ssh_config" -p "$port" "$@"
}

hs_run_matrix hsshd hs_ssh "ssh -> hsshd"

# Behaviour checks against the ed25519 server.
port=${HS_PORTS[ed25519]:-0}
U="$HS_USER@127.0.0.1"

hs_session_checks hs_ssh "$port" "$U"

out=$(HS_TEST_VAR=hello-env hs_ssh "$port" -o SendEnv=HS_TEST_VAR "$U" \
	'echo "${HS_TEST_VAR:-unset}"' </dev/null)
hs_expect "SendEnv/AcceptEnv passes HS_TEST_VAR" hello-env "$out"
out=$(HSX_OTHER=leak hs_ssh "$port" -o SendEnv=HSX_OTHER "$U" 'echo "${HSX_OTHER:-unset}"' </dev/null)
hs_expect "variable outside AcceptEnv is dropped" unset "$out"

printf '#!/bin/sh\necho "%s"\n' "$HS_PW" >"$T/askpass"
chmod 755 "$T/askpass"
out=$(SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none hs_ssh "$port" \
	-o BatchMode=no -o PubkeyAuthentication=no -o PreferredAuthentications=password \
	"$HS_PWUSER@127.0.0.1" 'id -un' </dev/null 2>"$T/pw.err")
hs_expect "password authentication" "$HS_PWUSER" "$out"

timeout "$HS_TIMEOUT" "$SSH" -F "$T/ssh_config_stranger" -p "$port" "$U" true </dev/null 2>/dev/null
hs_expect "unauthorized key is refused (ssh exit 255)" 255 $?

hs_finish
