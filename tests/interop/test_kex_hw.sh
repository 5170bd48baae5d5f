#!/bin/bash
# hsshd with its key exchange computed in hardware (issue 5, KexProvider), against Debian's ssh 9.2.
# The host key is a plain file; the ECDH ephemeral and shared secret come from a softhsm2 token
# (C_GenerateKeyPair + C_DeriveKey with CKM_ECDH1_DERIVE) through the monitor, so the sandboxed
# network processes never load the module:
#  1. -T: KexProvider and KexProviderFallback, the reduced KexAlgorithms, one line per provider;
#     KexProvider with no hardware method left refuses to start;
#  2. hsshd -D: ecdh-sha2-nistp256 and -nistp384 logins, each logged as computed by pkcs11;
#     curve25519-sha256 is not offered without fallback (ssh finds no common method);
#  3. rekeys after authentication (ssh RekeyLimit) also run in the token;
#  4. KexProviderFallback yes: curve25519-sha256 is offered and computed by soft, nistp256 still
#     by pkcs11;
#  5. neither the listener, the monitor nor the pre-auth child maps libsofthsm2;
#  6. hsshd -d (one connection, keys and KEX in the per-connection process): a nistp256 login,
#     computed by pkcs11;
#  7. a client ECDH value off the curve: refused by the token, the connection ends cleanly and the
#     server keeps serving;
#  8. through pkcs11-spy: each KEX makes one key pair and one derivation in the token and destroys
#     every object it made (no ephemeral is left behind).
# softhsm2 is in .ci/packages: missing, the test fails, never skips.
. "$(dirname "$0")/lib.sh"
hs_init kex_hw

MODULE=$HS_P11MODULE
# the token; softhsm2's OpenSSL state in the processes that load it is suppressed (see lib.sh)
hs_softhsm_tokens hs-kex
KEXURI="pkcs11:token=hs-kex?module-path=$MODULE&pin-source=file:$T/pin"

hs_keygen ssh-ed25519 "$T/hostkey"
hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
U="$HS_USER@127.0.0.1"

# hs_ssh PORT ARGS...: Debian ssh pinned to the file host key.
hs_ssh()
{
	local port=$1
	shift
	hs_ssh_pinned "$port" "$T/kh_$port" "$@"
}

# kex_lines LOG METHOD PROVIDER: how many KEXes of METHOD the log says PROVIDER computed (-d
# writes its stderr lines with "\r\n").
kex_lines()
{
	tr -d '\r' <"$1" | grep -c "KEX $2 for 127.0.0.1 port [0-9]* computed by $3\$"
}

# login NAME PORT LOG KEX PROVIDER: an ssh login with KexAlgorithms=KEX; the server log must gain
# exactly one "computed by PROVIDER" line for it.
login()
{
	local name=$1 port=$2 log=$3 kex=$4 prov=$5 before out
	before=$(kex_lines "$log" "$kex" "$prov")
	out=$(hs_ssh "$port" -o "KexAlgorithms=$kex" "$U" echo ok </dev/null 2>"$T/ssh_$name.err")
	hs_expect "$name: $kex login + echo ok" ok "$out"
	[ "$out" = ok ] || hs_show_log "$T/ssh_$name.err"
	sleep 0.3	# the monitor's line reaches the log file
	hs_expect "$name: $kex computed by $prov (log)" $((before + 1)) \
		"$(kex_lines "$log" "$kex" "$prov")"
}

# --- 1. -T and the start-up check -----------------------------------------------------------
hs_server_config "$T/dump.cfg" 22 "$T/hostkey"
"$HSSHD" -T -f "$T/dump.cfg" -o "KexProvider=$KEXURI" >"$T/dump.out" 2>&1
hs_expect "-T with KexProvider pkcs11: exit 0" 0 $?
hs_expect "-T: kexprovider" 1 "$(grep -cxF "kexprovider $KEXURI" "$T/dump.out")"
hs_expect "-T: kexproviderfallback no" 1 "$(grep -cx 'kexproviderfallback no' "$T/dump.out")"
hs_expect "-T: KexAlgorithms reduced to what hardware computes" 1 \
	"$(grep -cx 'kexalgorithms ecdh-sha2-nistp256,ecdh-sha2-nistp384' "$T/dump.out")"
hs_expect "-T: provider soft line" 1 "$(grep -c '^provider soft yes ' "$T/dump.out")"
hs_expect "-T: provider pkcs11 line" 1 "$(grep -cE '^provider pkcs11 (yes|no) .' "$T/dump.out")"
"$HSSHD" -T -f "$T/dump.cfg" -o "KexProvider=$KEXURI" -o KexAlgorithms=curve25519-sha256 \
	>"$T/dump_none.out" 2>&1
hs_expect "-T: no hardware method left: exit 255" 255 $?
hs_expect "-T: no hardware method left: says why" 1 \
	"$(grep -c 'none of KexAlgorithms (curve25519-sha256) is computed in hardware' "$T/dump_none.out")"

# --- 2. hsshd -D: KEX in the token ----------------------------------------------------------
PORT=$(hs_free_port)
if hs_start_server hsshd kex "$PORT" "$T/hostkey" -o "KexProvider=$KEXURI"; then
	hs_known_hosts "$T/kh_$PORT" "$PORT" "$T/hostkey.pub"
	login kex256 "$PORT" "$T/kex.log" ecdh-sha2-nistp256 pkcs11
	login kex384 "$PORT" "$T/kex.log" ecdh-sha2-nistp384 pkcs11
	out=$(hs_ssh "$PORT" -o KexAlgorithms=curve25519-sha256 "$U" echo ok </dev/null \
		2>"$T/ssh_x25519.err")
	hs_expect "no fallback: curve25519-sha256 is not offered (ssh exits 255)" 255 $?
	hs_expect "no fallback: ssh finds no common method" 1 \
		"$(grep -c 'no matching key exchange method found' "$T/ssh_x25519.err")"

	# --- 3. rekeys after authentication ----------------------------------------------------
	before=$(kex_lines "$T/kex.log" ecdh-sha2-nistp256 pkcs11)
	out=$(head -c 300000 /dev/zero | hs_ssh "$PORT" -o KexAlgorithms=ecdh-sha2-nistp256 \
		-o RekeyLimit=64K "$U" 'wc -c' 2>"$T/ssh_rekey.err")
	hs_expect "rekeys: 300000 bytes through, RekeyLimit 64K" 300000 "$(echo "$out" | tr -d ' ')"
	sleep 0.3
	n=$(( $(kex_lines "$T/kex.log" ecdh-sha2-nistp256 pkcs11) - before ))
	if [ "$n" -ge 3 ]; then hs_pass "rekeys: $n KEXes of the connection computed by pkcs11"; else
		hs_fail "rekeys: KEXes after authentication computed by pkcs11" "only $n"; fi

	# --- 5. no network process maps the module ---------------------------------------------
	hs_maps_check "$HS_SERVER_PID" "$PORT" libsofthsm2 0 ecdh-sha2-nistp256

	# --- 7. a client value off the curve ---------------------------------------------------
	# Raw RFC 5656 4 KEX_ECDH_INIT with Q_C = (1, 1), not a P-256 point: the token refuses it,
	# the monitor answers FAIL (not a violation: no SIGKILL), the child ends the connection, and
	# the server goes on serving.
	/usr/bin/python3 - "$PORT" >"$T/badpoint.out" 2>&1 <<'EOF'
import os, socket, struct, sys
port = int(sys.argv[1])
s32 = lambda b: struct.pack(">I", len(b)) + b
def packet(payload):
    pad = 8 - (5 + len(payload)) % 8
    pad += 8 if pad < 4 else 0
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + bytes(pad)
lists = [b"ecdh-sha2-nistp256", b"ssh-ed25519", b"aes128-ctr", b"aes128-ctr", b"hmac-sha2-256",
         b"hmac-sha2-256", b"none", b"none", b"", b""]
kexinit = bytes([20]) + os.urandom(16) + b"".join(s32(l) for l in lists) + b"\0" + bytes(4)
point = b"\x04" + (1).to_bytes(32, "big") + (1).to_bytes(32, "big")
c = socket.create_connection(("127.0.0.1", port), timeout=20)
c.sendall(b"SSH-2.0-hs_kex_hw_test\r\n" + packet(kexinit) + packet(bytes([30]) + s32(point)))
got = b""
while True:
    try:
        b = c.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not b:
        break
    got += b
print("closed", len(got) > 0)
EOF
	hs_expect "off-curve Q_C: the server closes the connection" 1 \
		"$(grep -c '^closed True' "$T/badpoint.out")"
	sleep 0.5
	hs_expect "off-curve Q_C: the monitor logs the refused shared secret" 1 \
		"$(grep -c 'KEX ecdh-sha2-nistp256 for 127.0.0.1 port [0-9]*: no shared secret from pkcs11' "$T/kex.log")"
	hs_expect "off-curve Q_C: not treated as a request violation" 0 \
		"$(grep -c 'monitor: refused' "$T/kex.log")"
	login after_bad "$PORT" "$T/kex.log" ecdh-sha2-nistp256 pkcs11
else
	hs_fail "hsshd -D starts with KexProvider $KEXURI"
fi
hs_stop_servers

# --- 4. KexProviderFallback yes -------------------------------------------------------------
PORT=$(hs_free_port)
if hs_start_server hsshd kexfb "$PORT" "$T/hostkey" -o "KexProvider=$KEXURI" \
	-o KexProviderFallback=yes; then
	hs_known_hosts "$T/kh_$PORT" "$PORT" "$T/hostkey.pub"
	login fb25519 "$PORT" "$T/kexfb.log" curve25519-sha256 soft
	login fb256 "$PORT" "$T/kexfb.log" ecdh-sha2-nistp256 pkcs11
else
	hs_fail "hsshd -D starts with KexProvider and KexProviderFallback yes"
fi
hs_stop_servers

# --- 8. no ephemeral stays in the token --------------------------------------------------------
# The same token behind OpenSC's pkcs11-spy, whose log shows every call that reaches it: each KEX
# makes one key pair (session objects), derives once, and destroys all three objects it made.
SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
if [ -r "$SPY" ]; then
	PORT=$(hs_free_port)
	SPYURI="pkcs11:token=hs-kex?module-path=$SPY&pin-source=file:$T/pin"
	if PKCS11SPY=$MODULE PKCS11SPY_OUTPUT=$T/spy.log hs_start_server hsshd kexspy "$PORT" \
		"$T/hostkey" -o "KexProvider=$SPYURI"; then
		hs_known_hosts "$T/kh_$PORT" "$PORT" "$T/hostkey.pub"
		spy_count() { grep -cE "^[0-9]+: $1\$" "$T/spy.log"; }
		g0=$(spy_count C_GenerateKeyPair) d0=$(spy_count C_DeriveKey)
		x0=$(spy_count C_DestroyObject)
		for i in 1 2 3; do
			login "spy$i" "$PORT" "$T/kexspy.log" ecdh-sha2-nistp256 pkcs11
		done
		hs_expect "token: 3 KEXes, 3 C_GenerateKeyPair" 3 $(( $(spy_count C_GenerateKeyPair) - g0 ))
		hs_expect "token: 3 KEXes, 3 C_DeriveKey" 3 $(( $(spy_count C_DeriveKey) - d0 ))
		hs_expect "token: 3 KEXes, 9 C_DestroyObject (pair and secret of each)" 9 \
			$(( $(spy_count C_DestroyObject) - x0 ))
	else
		hs_fail "hsshd -D starts with KexProvider through pkcs11-spy"
	fi
	hs_stop_servers
else
	hs_fail "$SPY is required (apt-get install opensc-pkcs11)"
fi

# --- 6. hsshd -d: one connection, served in the debug process -------------------------------
PORT=$(hs_free_port)
hs_server_config "$T/kexd.cfg" "$PORT" "$T/hostkey"
echo "PerSourcePenalties no" >>"$T/kexd.cfg"
# (its log on stderr: with -E the re-executed -d process would take the log file's descriptor for
# the listener's notification pipe, fd 3)
"$HSSHD" -d -f "$T/kexd.cfg" -o "KexProvider=$KEXURI" </dev/null >"$T/kexd.out" 2>"$T/kexd.log" &
HS_PIDS+=("$!")
if hs_wait_port "$PORT" 10 "$!"; then
	hs_known_hosts "$T/kh_$PORT" "$PORT" "$T/hostkey.pub"
	login debug256 "$PORT" "$T/kexd.log" ecdh-sha2-nistp256 pkcs11
else
	hs_fail "hsshd -d starts with KexProvider $KEXURI" "$(tail -n 2 "$T/kexd.out" "$T/kexd.log")"
fi
hs_finish
