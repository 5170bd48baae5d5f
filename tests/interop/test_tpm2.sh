#!/bin/bash
# The TPM 2.0 provider against Debian's OpenSSH 9.2, with a swtpm started here and keys made by
# tpm2-tools:
#  1. hsshd with HostKey tpm2:handle=0x81000001 (ECDSA P-256, auth file) and the TCTI from
#     TPM2TCTI in its environment; ssh connects with StrictHostKeyChecking yes against a
#     known_hosts line made independently (tpm2_readpublic -f pem | ssh-keygen -i -m PKCS8);
#  2. the same with an RSA-3072 key (tpm2:handle=0x81000003;tcti=... in the URI), rsa-sha2-256 and
#     rsa-sha2-512, and an ECDSA P-384 key loaded from tpm2_create's files (tpm2:blob=...);
#  3. KexProvider tpm2:tcti=...: ecdh-sha2-nistp256/384 computed in the TPM, said by hsshd's log;
#  4. a wrong auth file: hsshd refuses to start and names the URI and the TPM's error;
#  5. client side: hssh -i tpm2:handle=...;auth-file=... logs in to Debian's sshd;
#  6. only the host-key service maps libtss2-esys: not the listener or the pre-auth child.
# swtpm has no resource manager: each hsshd gets a freshly started swtpm (same state directory),
# so transient objects of a stopped server never pile up in it.
# swtpm and tpm2-tools are in .ci/packages: missing, the test fails, never skips.
. "$(dirname "$0")/lib.sh"
hs_init tpm2

for tool in swtpm tpm2_createprimary tpm2_readpublic; do
	command -v "$tool" >/dev/null || { hs_fail "$tool is required (apt-get install swtpm swtpm-tools tpm2-tools)"; hs_finish; }
done

# --- swtpm ----------------------------------------------------------------------------------
TPORT=$(hs_free_port_pair)
TCTI="swtpm:host=127.0.0.1,port=$TPORT"
export TPM2TOOLS_TCTI=$TCTI
SWTPM_PID=

swtpm_start()
{
	hs_swtpm_start "$T/tpm" "$TPORT" || return 1
	SWTPM_PID=$HS_SWTPM_PID
}

swtpm_stop()
{
	[ -n "$SWTPM_PID" ] || return 0
	kill "$SWTPM_PID" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$SWTPM_PID" 2>/dev/null || break
		sleep 0.1
	done
	SWTPM_PID=
}
trap 'swtpm_stop; hs_cleanup' EXIT

swtpm_start || { hs_fail "swtpm starts" "$(tail -n 2 "$T/tpm/swtpm.out")"; hs_finish; }

printf 'tpm-host-key-auth' >"$T/auth"
printf 'wrong' >"$T/badauth"
chmod 600 "$T/auth" "$T/badauth"

# tools NAME CMD...: one tpm2-tools step in $T, logged.
tools()
{
	local name=$1
	shift
	(cd "$T" && "$@") >>"$T/tools_$name.log" 2>&1
}

# mkkey NAME ALG [HANDLE]: a key under the parent 0x81000000, persistent at HANDLE if given;
# $T/NAME.ssh gets OpenSSH's own reading of its public key.
mkkey()
{
	local name=$1 alg=$2 handle=${3:-}
	tools "$name" tpm2_create -Q -C 0x81000000 -G "$alg" -u "$name.pub" -r "$name.priv" \
		-p file:auth && tools "$name" tpm2_flushcontext -t &&
	tools "$name" tpm2_load -Q -C 0x81000000 -u "$name.pub" -r "$name.priv" -c "$name.ctx" ||
		return 1
	if [ -n "$handle" ]; then
		tools "$name" tpm2_evictcontrol -Q -C o -c "$name.ctx" "$handle" &&
		tools "$name" tpm2_flushcontext -t &&
		tools "$name" tpm2_readpublic -Q -c "$handle" -f pem -o "$name.pem" || return 1
	else
		tools "$name" tpm2_readpublic -Q -c "$name.ctx" -f pem -o "$name.pem" &&
		tools "$name" tpm2_flushcontext -t || return 1
	fi
	"$SSHKEYGEN" -i -m PKCS8 -f "$T/$name.pem" >"$T/$name.ssh" 2>>"$T/tools_$name.log"
}

if tools prim tpm2_dictionarylockout -Q -s -n 100 -t 1 -l 1 &&
	tools prim tpm2_createprimary -Q -C o -G ecc -c prim.ctx &&
	tools prim tpm2_evictcontrol -Q -C o -c prim.ctx 0x81000000 &&
	tools prim tpm2_flushcontext -t; then
	hs_pass "tpm2-tools: storage parent 0x81000000"
else
	hs_fail "tpm2-tools: storage parent 0x81000000" "$(tail -n 2 "$T/tools_prim.log")"
fi
for k in ec256:ecc256:0x81000001 rsa3072:rsa3072:0x81000003 ec384:ecc384: user256:ecc256:0x81000004; do
	IFS=: read -r name alg handle <<<"$k"
	if mkkey "$name" "$alg" "$handle"; then hs_pass "tpm2-tools: key $name ($alg)"; else
		hs_fail "tpm2-tools: key $name ($alg)" "$(tail -n 2 "$T/tools_$name.log")"; fi
done

hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
U="$HS_USER@127.0.0.1"

# stop_server: the hsshd, then a fresh swtpm for the next (see the header).
stop_server()
{
	hs_stop_servers
	swtpm_stop
	swtpm_start || hs_fail "swtpm starts again" "$(tail -n 2 "$T/tpm/swtpm.out")"
}

# serve NAME HOSTKEY PUBFILE ALGS...: hsshd with one TPM host key; one login per algorithm.
serve()
{
	local name=$1 key=$2 pub=$3 port alg out
	shift 3
	port=$(hs_free_port)
	if ! TPM2TCTI=$TCTI hs_start_server hsshd "$name" "$port" "$key"; then
		hs_fail "$name: hsshd starts with $key"
		return 1
	fi
	hs_known_hosts "$T/kh_$name" "$port" "$pub"
	for alg in "$@"; do
		out=$(hs_ssh_pinned "$port" "$T/kh_$name" -o "HostKeyAlgorithms=$alg" "$U" echo ok \
			</dev/null 2>"$T/ssh_${name}_$alg.err")
		hs_expect "$name: $alg host key in the TPM, login + echo ok" ok "$out"
		[ "$out" = ok ] || hs_show_log "$T/ssh_${name}_$alg.err"
	done
	PORT=$port
}

# --- 1. ECDSA P-256, persistent, TCTI from the environment ------------------------------------
if serve ec256 "tpm2:handle=0x81000001;auth-file=$T/auth" "$T/ec256.ssh" ecdsa-sha2-nistp256; then
	# a key ssh has not pinned is refused: the TPM key is what signs
	hs_keygen ecdsa-sha2-nistp256 "$T/other"
	hs_known_hosts "$T/kh_wrong" "$PORT" "$T/other.pub"
	out=$(hs_ssh_pinned "$PORT" "$T/kh_wrong" -o HostKeyAlgorithms=ecdsa-sha2-nistp256 \
		"$U" echo ok </dev/null 2>"$T/wrong.err")
	hs_expect "wrong pinned key: ssh exits 255" 255 $?
	# --- 6. only the host-key service maps libtss2-esys ---
	hs_maps_check "$HS_SERVER_PID" "$PORT" libtss2-esys 1
	stop_server
fi

# --- 2. RSA-3072 persistent (TCTI in the URI), ECDSA P-384 from tpm2_create's files -----------
if serve rsa3072 "tpm2:handle=0x81000003;auth-file=$T/auth;tcti=$TCTI" "$T/rsa3072.ssh" \
	rsa-sha2-256 rsa-sha2-512; then
	stop_server
fi
if serve ec384 "tpm2:blob=$T/ec384.pub,$T/ec384.priv;parent=0x81000000;auth-file=$T/auth" \
	"$T/ec384.ssh" ecdsa-sha2-nistp384; then
	stop_server
fi
# the TCTI from sshd_config (TPM2TCTI) wins over an environment that points elsewhere
port=$(hs_free_port)
if TPM2TCTI=swtpm:host=127.0.0.1,port=1 hs_start_server hsshd tcticfg "$port" \
	"tpm2:blob=$T/ec384.pub,$T/ec384.priv;parent=0x81000000;auth-file=$T/auth" \
	-o "TPM2TCTI=$TCTI"; then
	hs_known_hosts "$T/kh_tcticfg" "$port" "$T/ec384.ssh"
	out=$(hs_ssh_pinned "$port" "$T/kh_tcticfg" -o HostKeyAlgorithms=ecdsa-sha2-nistp384 \
		"$U" echo ok </dev/null 2>"$T/ssh_tcticfg.err")
	hs_expect "TPM2TCTI in the configuration: login + echo ok" ok "$out"
	stop_server
else
	hs_fail "hsshd starts with TPM2TCTI in its configuration (environment elsewhere)"
fi

# --- 3. KexProvider tpm2: -----------------------------------------------------------------
hs_keygen ssh-ed25519 "$T/host_file"
port=$(hs_free_port)
if TPM2TCTI=$TCTI hs_start_server hsshd kex "$port" "$T/host_file" -o "KexProvider=tpm2:tcti=$TCTI" \
	-o LogLevel=DEBUG1; then
	hs_known_hosts "$T/kh_kex" "$port" "$T/host_file.pub"
	for kex in ecdh-sha2-nistp256 ecdh-sha2-nistp384; do
		out=$(hs_ssh_pinned "$port" "$T/kh_kex" -o "KexAlgorithms=$kex" "$U" echo ok </dev/null \
			2>"$T/ssh_kex_$kex.err")
		hs_expect "KexProvider tpm2:tcti=..., $kex: login + echo ok" ok "$out"
	done
	for kex in ecdh-sha2-nistp256 ecdh-sha2-nistp384; do
		if grep -qE "KEX $kex .*computed by tpm2" "$T/kex.log"; then
			hs_pass "KexProvider tpm2:tcti=...: hsshd logs $kex as computed by tpm2"
		else
			hs_fail "KexProvider tpm2:tcti=...: hsshd logs $kex as computed by tpm2" \
				"$(grep -E "KEX $kex" "$T/kex.log" | tail -n 1)"
		fi
	done
	stop_server
else
	hs_fail "KexProvider tpm2:tcti=...: hsshd starts"
fi

# --- 4. a wrong auth value: hsshd refuses to start, naming the URI and the TPM's error ---------
port=$(hs_free_port)
uri="tpm2:handle=0x81000001;auth-file=$T/badauth"
hs_server_config "$T/badauth.cfg" "$port" "$uri"
echo "PerSourcePenalties no" >>"$T/badauth.cfg"
TPM2TCTI=$TCTI timeout 30 "$HSSHD" -D -f "$T/badauth.cfg" -E "$T/badauth.log" </dev/null \
	>"$T/badauth.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then hs_pass "wrong auth: hsshd refuses to start (exit $rc)"; else
	hs_fail "wrong auth: hsshd refuses to start" "exit $rc"; fi
if cat "$T/badauth.log" "$T/badauth.out" 2>/dev/null | grep -qF "$uri"; then
	hs_pass "wrong auth: the log names the URI"
else
	hs_fail "wrong auth: the log names the URI" "$(tail -n 2 "$T/badauth.log" "$T/badauth.out")"
fi
if cat "$T/badauth.log" "$T/badauth.out" 2>/dev/null | grep -qiE 'authorization HMAC check failed'; then
	hs_pass "wrong auth: the log gives the TPM's error"
else
	hs_fail "wrong auth: the log gives the TPM's error" "$(tail -n 2 "$T/badauth.log")"
fi
swtpm_stop
swtpm_start || hs_fail "swtpm starts again" "$(tail -n 2 "$T/tpm/swtpm.out")"

# --- 5. client side: hssh -i tpm2:... to Debian's sshd ----------------------------------------
hs_keygen ssh-ed25519 "$T/sshd_host"
port=$(hs_free_port)
hs_authorize "$T/user256.ssh"
if hs_start_server sshd sshd "$port" "$T/sshd_host"; then
	hs_known_hosts "$T/kh_sshd" "$port" "$T/sshd_host.pub"
	out=$(TPM2TCTI=$TCTI timeout "$HS_TIMEOUT" "$HSSH" -F /dev/null -p "$port" \
		-i "tpm2:handle=0x81000004;auth-file=$T/auth" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$T/kh_sshd" "$U" echo ok \
		</dev/null 2>"$T/hssh.err")
	hs_expect "hssh -i tpm2:handle=0x81000004 (ECDSA P-256) to Debian sshd: echo ok" ok "$out"
	[ "$out" = ok ] || hs_show_log "$T/hssh.err"
else
	hs_fail "Debian sshd starts"
fi

hs_finish
