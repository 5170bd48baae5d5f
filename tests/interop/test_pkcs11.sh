#!/bin/bash
# hsshd with host keys in a PKCS#11 token (softhsm2), against Debian's ssh 9.2:
#  1. one hsshd per token key (ECDSA P-256, P-384, RSA-3072, Ed25519) as its only HostKey; the
#     client pins the public key that OpenSSH's own PKCS#11 code (ssh-keygen -D) reads from the
#     token, so the key hsshd signs with is checked independently of hardssh's code. OpenSSH 9.2's
#     ssh-keygen -D skips Ed25519 keys: that one is pinned from pkcs11-tool's export instead.
#  2. a wrong pinned key is refused;
#  3. faults: wrong PIN, unknown object beside a file key, missing module;
#  4. only the host-key service maps the module: not the listener, the monitor or the pre-auth
#     child.
# softhsm2 and opensc (pkcs11-tool) are in .ci/packages: missing, the test fails, never skips.
. "$(dirname "$0")/lib.sh"
hs_init pkcs11

MODULE=$HS_P11MODULE
command -v pkcs11-tool >/dev/null || { hs_fail "pkcs11-tool is required (apt-get install opensc)"; hs_finish; }

# The token lives in $T; hsshd (started below) inherits SOFTHSM2_CONF.
hs_softhsm_tokens hs-test
hs_p11_keygen hs-test ec256:01:EC:prime256v1 ec384:02:EC:secp384r1 rsa3072:03:rsa:3072 \
	ed25519:04:EC:edwards25519
install -m 644 "$T/pin" "$T/openpin"

# hs_uri OBJECT [PINFILE] [MODULE]: the HostKey URI of one token object.
hs_uri()
{
	printf 'pkcs11:token=hs-test;object=%s?module-path=%s&pin-source=file:%s' \
		"$1" "${3:-$MODULE}" "${2:-$T/pin}"
}

# Public keys as OpenSSH reads them from the token: "type base64 label" lines.
"$SSHKEYGEN" -D "$MODULE" >"$T/keygen_d.txt" 2>"$T/keygen_d.err" ||
	hs_fail "ssh-keygen -D reads the token" "$(tail -n 1 "$T/keygen_d.err")"
for label in ec256 ec384 rsa3072; do
	awk -v l="$label" '$3 == l { print $1, $2 }' "$T/keygen_d.txt" >"$T/tok_$label.pub"
	[ -s "$T/tok_$label.pub" ] || hs_fail "ssh-keygen -D lists $label"
done
# Ed25519: SubjectPublicKeyInfo from pkcs11-tool; its last 32 bytes are the RFC 8032 public key.
pkcs11-tool --module "$MODULE" --token-label hs-test --read-object --type pubkey --label ed25519 \
	-o "$T/ed25519.spki" >"$T/read_ed.log" 2>&1 || hs_fail "pkcs11-tool exports ed25519"
/usr/bin/python3 - "$T/ed25519.spki" >"$T/tok_ed25519.pub" <<'EOF'
import base64, struct, sys
raw = open(sys.argv[1], "rb").read()
if raw.startswith(b"-----"):
    raw = base64.b64decode(b"".join(l for l in raw.splitlines() if not l.startswith(b"-----")))
assert len(raw) == 44 and raw[:12] == bytes.fromhex("302a300506032b6570032100"), raw.hex()
s = lambda b: struct.pack(">I", len(b)) + b
print("ssh-ed25519", base64.b64encode(s(b"ssh-ed25519") + s(raw[12:])).decode())
EOF
[ -s "$T/tok_ed25519.pub" ] || hs_fail "ed25519 public key converted"

hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
U="$HS_USER@127.0.0.1"

# --- 1. logins with each token key -----------------------------------------------------------
declare -A PORTS=()
for pair in ec256:ecdsa-sha2-nistp256 ec384:ecdsa-sha2-nistp384 \
	rsa3072:rsa-sha2-256,rsa-sha2-512 ed25519:ssh-ed25519; do
	label=${pair%%:*}
	algs=${pair#*:}
	port=$(hs_free_port)
	if ! hs_start_server hsshd "p11_$label" "$port" "$(hs_uri "$label")"; then
		hs_fail "hsshd starts with token key $label"
		continue
	fi
	PORTS[$label]=$port
	hs_known_hosts "$T/kh_$label" "$port" "$T/tok_$label.pub"
	for alg in ${algs//,/ }; do
		out=$(hs_ssh_pinned "$port" "$T/kh_$label" -o "HostKeyAlgorithms=$alg" "$U" echo ok \
			</dev/null 2>"$T/ssh_${label}_$alg.err")
		hs_expect "token key $label, $alg: login + echo ok" ok "$out"
		[ "$out" = ok ] || hs_show_log "$T/ssh_${label}_$alg.err"
	done
done

# --- 2. a wrong pinned key is refused --------------------------------------------------------
port=${PORTS[ec256]:-}
if [ -n "$port" ]; then
	hs_keygen ecdsa-sha2-nistp256 "$T/other_ec256"
	hs_known_hosts "$T/kh_wrong" "$port" "$T/other_ec256.pub"
	out=$(hs_ssh_pinned "$port" "$T/kh_wrong" -o HostKeyAlgorithms=ecdsa-sha2-nistp256 \
		"$U" echo ok </dev/null 2>"$T/wrong.err")
	hs_expect "wrong pinned key: ssh exits 255" 255 $?
	hs_expect "wrong pinned key: no command ran" "" "$out"
	if grep -qE 'REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed' "$T/wrong.err"; then
		hs_pass "wrong pinned key: ssh reports the changed host key"
	else
		hs_fail "wrong pinned key: ssh reports the changed host key" "$(tail -n 1 "$T/wrong.err")"
	fi
else
	hs_fail "wrong pinned key check (no ec256 server)"
fi

# --- 4. the pre-auth child never maps the module ---------------------------------------------
# (before the faults, while the ec256 server is surely up)
if [ -n "$port" ]; then
	hs_maps_check "${HS_PIDS[0]}" "$port" libsofthsm2 1
fi
hs_stop_servers

# --- 3. faults -------------------------------------------------------------------------------
# hs_refuses NAME URI WANT_IN_LOG: hsshd with URI as its only key must exit non-zero at start,
# and its log/output must name the URI and, outside the URI, WANT_IN_LOG (an extended regex).
hs_refuses()
{
	local name=$1 uri=$2 want=$3 port rc
	port=$(hs_free_port)
	hs_server_config "$T/$name.cfg" "$port" "$uri"
	echo "PerSourcePenalties no" >>"$T/$name.cfg"
	"$HSSHD" -D -f "$T/$name.cfg" -E "$T/$name.log" </dev/null >"$T/$name.out" 2>&1 &
	local pid=$!
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		HS_PIDS+=("$pid")
		hs_fail "$name: hsshd refuses to start" "still running after 10 s"
		return
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 0 ]; then hs_pass "$name: hsshd refuses to start (exit $rc)"; else
		hs_fail "$name: hsshd refuses to start" "exit 0"; fi
	if cat "$T/$name.log" "$T/$name.out" 2>/dev/null | grep -qF "${uri%%\?*}"; then
		hs_pass "$name: the log names the URI"
	else
		hs_fail "$name: the log names the URI" "$(tail -n 2 "$T/$name.log" "$T/$name.out" 2>/dev/null)"
	fi
	# the error must be said outside the URI (which itself holds "pin" and the module path)
	if cat "$T/$name.log" "$T/$name.out" 2>/dev/null | sed 's|pkcs11:[^" ]*|<uri>|g' |
		grep -qiE "$want"; then
		hs_pass "$name: the log names the error"
	else
		hs_fail "$name: the log names the error /$want/" \
			"$(tail -n 2 "$T/$name.log" "$T/$name.out" 2>/dev/null)"
	fi
}

hs_refuses badpin "$(hs_uri ec256 "$T/badpin")" 'PIN_INCORRECT|incorrect PIN|wrong PIN'
if cat "$T/badpin.log" "$T/badpin.out" 2>/dev/null | grep -q 9999; then
	hs_fail "badpin: the log does not show the PIN"
else
	hs_pass "badpin: the log does not show the PIN"
fi
hs_refuses openpin "$(hs_uri ec256 "$T/openpin")" 'PIN file .*(group|others|mode 0)'
hs_refuses nomodule "$(hs_uri ec256 "$T/pin" /nonexistent/libnope.so)" \
	'/nonexistent/libnope\.so.*(no such file|cannot open)'

# An unknown object beside a file key: hsshd starts, says which key it skips, serves the file key.
hs_keygen ssh-ed25519 "$T/host_file"
port=$(hs_free_port)
bad=$(hs_uri nosuchkey)
if hs_start_server hsshd mixed "$port" "$T/host_file $bad"; then
	hs_pass "unknown object beside a file key: hsshd starts"
	if grep -qF 'object=nosuchkey' "$T/mixed.log" "$T/mixed.out"; then
		hs_pass "unknown object: the log names the unusable key"
	else
		hs_fail "unknown object: the log names the unusable key" "$(tail -n 2 "$T/mixed.log")"
	fi
	hs_known_hosts "$T/kh_mixed" "$port" "$T/host_file.pub"
	out=$(hs_ssh_pinned "$port" "$T/kh_mixed" -o HostKeyAlgorithms=ssh-ed25519 "$U" echo ok \
		</dev/null 2>"$T/mixed.err")
	hs_expect "unknown object: the file key still serves (echo ok)" ok "$out"
else
	hs_fail "unknown object beside a file key: hsshd starts"
fi

hs_finish
