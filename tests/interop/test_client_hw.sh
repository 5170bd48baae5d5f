#!/bin/bash
# hssh with keys in hardware, against Debian's sshd 9.2 (issue 5):
#  1. a softhsm2 token with an ECDSA P-256 and an RSA-3072 user key made by pkcs11-tool, no
#     certificate: `hssh -i 'pkcs11:...;pin-source=file:...'` logs in (authorized_keys from
#     OpenSSH's own reading of the token, ssh-keygen -D), runs a command, its exit status comes
#     back, and sshd says it accepted exactly that key; a wrong PIN fails cleanly (one C_Login, the
#     CKR name in the message, the PIN never shown) and the right PIN still works after it;
#     IdentityFile in a config file works the same.
#  2. pkcs11-helper: ECDSA P-256, P-384 and RSA-3072 keys with self-signed certificates, made with
#     openssl and imported with pkcs11-tool (same CKA_ID), -> `hssh -I module` logs in with each
#     (PIN from $HSSH_PKCS11_PIN_FILE), tried after the -i identities; a wrong PIN fails cleanly.
#  3. KexProvider: soft says "computed by soft"; pkcs11:... with KexProviderFallback no offers only
#     the ECDH methods the token computes and -v says the KEX was computed by pkcs11; a KEX list
#     the token cannot do is refused before connecting; with fallback yes curve25519 still works.
#  4. `hssh -Q provider` lists soft, pkcs11, tpm2 and pkcs11-helper (and whether each is
#     available); -G prints kexprovider.
#  5. swtpm (started here, keys made by tpm2-tools, public keys read by ssh-keygen -i -m PKCS8):
#     -i tpm2:handle=... (ECDSA P-256 with an auth file) and tpm2:blob=... (RSA-2048) log in; a
#     wrong auth value fails cleanly; KexProvider tpm2:tcti=... computes the ECDH.
# softhsm2, opensc (pkcs11-tool), openssl, libpkcs11-helper1, swtpm and tpm2-tools are in .ci/packages: missing, the
# test fails, never skips.
. "$(dirname "$0")/lib.sh"
hs_init client_hw

MODULE=$HS_P11MODULE
for tool in pkcs11-tool openssl; do
	command -v "$tool" >/dev/null || { hs_fail "$tool is required (apt-get install opensc openssl)"; hs_finish; }
done
[ -x "$HSSH" ] || { hs_fail "missing $HSSH"; hs_finish; }

# two tokens; the leaks of softhsm2 and of the OpenSSL pkcs11-helper links are suppressed (lib.sh)
hs_softhsm_tokens hs-client hs-helper
p11tool() { pkcs11-tool --module "$MODULE" --login --pin "$HS_P11PIN" "$@"; }

# --- token 1: key pairs made in the token, no certificates ------------------------------------
hs_p11_keygen hs-client ec256:01:EC:prime256v1 rsa3072:02:rsa:3072

# --- token 2: software keys with self-signed certificates, for pkcs11-helper ------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/hec.pem" 2>"$T/ossl.log"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/hec384.pem" 2>>"$T/ossl.log"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$T/hrsa.pem" 2>>"$T/ossl.log"
chmod 600 "$T/hec.pem" "$T/hec384.pem" "$T/hrsa.pem"
for k in hec:11 hrsa:12 hec384:13; do
	IFS=: read -r label id <<<"$k"
	openssl req -new -x509 -key "$T/$label.pem" -subj "/CN=hs-$label" -days 30 -outform DER \
		-out "$T/$label.crt" 2>>"$T/ossl.log" &&
	openssl pkcs8 -topk8 -nocrypt -in "$T/$label.pem" -outform DER -out "$T/$label.p8" &&
	p11tool --token-label hs-helper --write-object "$T/$label.p8" --type privkey --id "$id" \
		--label "$label" >"$T/imp_$label.log" 2>&1 &&
	p11tool --token-label hs-helper --write-object "$T/$label.crt" --type cert --id "$id" \
		--label "$label" >>"$T/imp_$label.log" 2>&1 ||
		hs_fail "import $label with its certificate" "$(tail -n 1 "$T/imp_$label.log" "$T/ossl.log")"
	# the fingerprint sshd will log, from the software copy of the key
	"$SSHKEYGEN" -y -f "$T/$label.pem" >"$T/$label.pub" 2>>"$T/ossl.log" ||
		hs_fail "ssh-keygen -y reads $label.pem"
done

# Public keys as OpenSSH reads them from both tokens: "type base64 label" lines.
"$SSHKEYGEN" -D "$MODULE" >"$T/keygen_d.txt" 2>"$T/keygen_d.err" ||
	hs_fail "ssh-keygen -D reads the tokens" "$(tail -n 1 "$T/keygen_d.err")"
for label in ec256 rsa3072; do
	awk -v l="$label" '$3 == l { print $1, $2 }' "$T/keygen_d.txt" >"$T/tok_$label.pub"
	[ -s "$T/tok_$label.pub" ] || hs_fail "ssh-keygen -D lists $label"
	hs_authorize "$T/tok_$label.pub"
done
for label in hec hec384 hrsa; do
	if grep -qF "$(cut -d' ' -f2 "$T/$label.pub")" "$T/keygen_d.txt"; then
		hs_pass "ssh-keygen -D lists the certificate key $label"
	else
		hs_fail "ssh-keygen -D lists the certificate key $label"
	fi
	hs_authorize "$T/$label.pub"
done
# fingerprint of a public key file as sshd logs it
fp() { "$SSHKEYGEN" -lf "$1" | awk '{ print $2 }'; }

hs_keygen ssh-ed25519 "$T/host"
port=$(hs_free_port)
hs_start_server sshd sshd "$port" "$T/host" || { hs_fail "sshd starts"; hs_finish; }
hs_known_hosts "$T/known_hosts" "$port" "$T/host.pub"
U="$HS_USER@127.0.0.1"

# hs_uri OBJECT [PINFILE]: the key URI of one object of token 1.
hs_uri()
{
	printf 'pkcs11:token=hs-client;object=%s?module-path=%s&pin-source=file:%s' \
		"$1" "$MODULE" "${2:-$T/pin}"
}

# hssh_run ARGS...: hssh with no config file, strict host key checking, no agent, bounded.
hssh_run()
{
	timeout "$HS_TIMEOUT" "$HSSH" -F none -p "$port" -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$T/known_hosts" \
		-o IdentityAgent=none "$@"
}

# accepted FINGERPRINT SINCE_LINE: did sshd log "Accepted publickey" with this key after the line?
accepted()
{
	tail -n +"$(($2 + 1))" "$T/sshd.log" | grep 'Accepted publickey' | grep -qF "$1"
}
loglines() { wc -l <"$T/sshd.log"; }

# --- 1. -i with a key URI (raw PKCS#11 provider) ---------------------------------------------
for label in ec256 rsa3072; do
	n=$(loglines)
	out=$(hssh_run -i "$(hs_uri "$label")" "$U" 'echo ok-$USER; exit 3' </dev/null \
		2>"$T/uri_$label.err")
	rc=$?
	hs_expect "-i pkcs11 URI $label: command ran" "ok-$HS_USER" "$out"
	hs_expect "-i pkcs11 URI $label: exit status 3 came back" 3 "$rc"
	if accepted "$(fp "$T/tok_$label.pub")" "$n"; then
		hs_pass "-i pkcs11 URI $label: sshd accepted the token key"
	else
		hs_fail "-i pkcs11 URI $label: sshd accepted the token key" "$(tail -n 3 "$T/sshd.log")"
	fi
	[ "$out" = "ok-$HS_USER" ] || hs_show_log "$T/uri_$label.err"
done

# hssh -v names the key it offered by its URI, and reads no .pub file for it
hssh_run -v -i "$(hs_uri ec256)" "$U" true </dev/null 2>"$T/uri_v.err"
if grep -q "Offering public key: pkcs11:token=hs-client;object=ec256" "$T/uri_v.err"; then
	hs_pass "-v: the key URI is offered"
else
	hs_fail "-v: the key URI is offered" "$(grep -m1 Offering "$T/uri_v.err")"
fi

# IdentityFile in a config file (quoted: ';' '&' '?' are not special there, but '#' would be)
{
	echo "Host *"
	echo "  IdentityFile \"$(hs_uri rsa3072)\""
	echo "  IdentitiesOnly yes"
} >"$T/cfg_uri"
out=$(timeout "$HS_TIMEOUT" "$HSSH" -F "$T/cfg_uri" -p "$port" -o BatchMode=yes \
	-o "UserKnownHostsFile=$T/known_hosts" -o IdentityAgent=none "$U" echo cfg-ok \
	</dev/null 2>"$T/cfg_uri.err")
hs_expect "IdentityFile pkcs11: URI in ssh_config logs in" cfg-ok "$out"

# wrong PIN: a clean failure naming the CKR code, one login attempt, the PIN not shown
out=$(hssh_run -i "$(hs_uri ec256 "$T/badpin")" -o PasswordAuthentication=no \
	-o KbdInteractiveAuthentication=no "$U" echo ok </dev/null 2>"$T/badpin.err")
rc=$?
hs_expect "wrong PIN: hssh exits 255" 255 "$rc"
hs_expect "wrong PIN: no command ran" "" "$out"
if grep -q 'CKR_PIN_INCORRECT' "$T/badpin.err"; then
	hs_pass "wrong PIN: the error names CKR_PIN_INCORRECT"
else
	hs_fail "wrong PIN: the error names CKR_PIN_INCORRECT" "$(head -n 3 "$T/badpin.err")"
fi
hs_expect "wrong PIN: C_Login tried once" 1 "$(grep -c 'C_Login' "$T/badpin.err")"
if grep -q 9999 "$T/badpin.err"; then hs_fail "wrong PIN: the PIN is not shown"; else
	hs_pass "wrong PIN: the PIN is not shown"; fi
out=$(hssh_run -i "$(hs_uri ec256)" "$U" echo again </dev/null 2>"$T/after_bad.err")
hs_expect "right PIN after a wrong one still logs in (token not locked)" again "$out"

# a missing object: a clear message naming it, other identities still tried
out=$(hssh_run -i "$(hs_uri nosuchkey)" -i "$(hs_uri ec256)" "$U" echo second </dev/null \
	2>"$T/nokey.err")
hs_expect "unknown object: the next identity logs in" second "$out"
if grep -q 'nosuchkey' "$T/nokey.err"; then hs_pass "unknown object: named in the message"; else
	hs_fail "unknown object: named in the message" "$(head -n 2 "$T/nokey.err")"; fi

# --- 2. -I MODULE through pkcs11-helper ------------------------------------------------------
for pair in hec:ecdsa-sha2-nistp256 hec384:ecdsa-sha2-nistp384 hrsa:rsa-sha2-512 hrsa:rsa-sha2-256; do
	label=${pair%%:*}
	alg=${pair#*:}
	n=$(loglines)
	out=$(HSSH_PKCS11_PIN_FILE=$T/pin hssh_run -v -I "$MODULE" -o IdentitiesOnly=yes \
		-o "PubkeyAcceptedAlgorithms=$alg" -o PasswordAuthentication=no \
		-o KbdInteractiveAuthentication=no "$U" 'echo helper-ok; exit 5' </dev/null \
		2>"$T/helper_$alg.err")
	rc=$?
	hs_expect "-I module, $label $alg: command ran" helper-ok "$out"
	hs_expect "-I module, $label $alg: exit status 5 came back" 5 "$rc"
	if accepted "$(fp "$T/$label.pub")" "$n"; then
		hs_pass "-I module, $label $alg: sshd accepted the certificate's key"
	else
		hs_fail "-I module, $label $alg: sshd accepted the certificate's key" "$(tail -n 3 "$T/sshd.log")"
	fi
	hs_expect "-I module, $label $alg: signed with $alg" 1 \
		"$(grep -c "Offering public key: /CN=hs-$label .* $alg explicit" "$T/helper_$alg.err")"
	[ "$out" = helper-ok ] || hs_show_log "$T/helper_$alg.err"
done

# -i identities come first: with both, the URI key is the one accepted
n=$(loglines)
out=$(HSSH_PKCS11_PIN_FILE=$T/pin hssh_run -v -I "$MODULE" -i "$(hs_uri rsa3072)" "$U" echo order \
	</dev/null 2>"$T/order.err")
hs_expect "-i and -I together log in" order "$out"
if accepted "$(fp "$T/tok_rsa3072.pub")" "$n"; then
	hs_pass "-i identity tried before the -I keys"
else
	hs_fail "-i identity tried before the -I keys" "$(grep Offering "$T/order.err" | head -n 3)"
fi

# the PIN typed at the terminal (no $HSSH_PKCS11_PIN_FILE, no BatchMode): hssh runs on a pty
cat >"$T/ptyrun.py" <<'EOF'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
buf, sent, deadline = b"", 0, time.time() + 20
while time.time() < deadline:
    if fd not in select.select([fd], [], [], 0.5)[0]:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    buf += data
    if buf.count(b"Enter PIN for 'hs-helper': ") > sent:
        sent += 1
        os.write(fd, b"1234\n")
_, st = os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace").replace("\r", ""))
print("prompts:", sent)
sys.exit(os.waitstatus_to_exitcode(st))
EOF
n=$(loglines)
env -u HSSH_PKCS11_PIN_FILE /usr/bin/python3 "$T/ptyrun.py" "$HSSH" -F none -p "$port" \
	-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$T/known_hosts" -o IdentityAgent=none \
	-o IdentitiesOnly=yes -o PubkeyAcceptedAlgorithms=ecdsa-sha2-nistp256 \
	-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -I "$MODULE" "$U" \
	echo tty-pin-ok >"$T/helper_tty.err" 2>&1
hs_expect "-I, PIN typed at the terminal: hssh exits 0" 0 $?
hs_expect "-I, PIN typed at the terminal: command ran" 1 "$(grep -c '^tty-pin-ok$' "$T/helper_tty.err")"
hs_expect "-I, PIN typed at the terminal: asked once" 1 \
	"$(grep -c "Enter PIN for 'hs-helper'" "$T/helper_tty.err")"
if grep -q 1234 "$T/helper_tty.err"; then hs_fail "-I, PIN typed at the terminal: not echoed"; else
	hs_pass "-I, PIN typed at the terminal: not echoed"; fi
if accepted "$(fp "$T/hec.pub")" "$n"; then
	hs_pass "-I, PIN typed at the terminal: sshd accepted the certificate's key"
else
	hs_fail "-I, PIN typed at the terminal: sshd accepted the certificate's key" "$(tail -n 3 "$T/sshd.log")"
fi

# PKCS11Provider in ssh_config with a wrong PIN file: a clean refusal, the PIN asked once
out=$(HSSH_PKCS11_PIN_FILE=$T/badpin hssh_run -v -o "PKCS11Provider=$MODULE" -o IdentitiesOnly=yes \
	-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no "$U" echo ok </dev/null \
	2>"$T/helper_bad.err")
rc=$?
hs_expect "-I wrong PIN: hssh exits 255" 255 "$rc"
hs_expect "-I wrong PIN: no command ran" "" "$out"
# the three certificate keys are accepted by sshd, so each would sign: the file's PIN goes to the
# token once in all
hs_expect "-I wrong PIN: three keys offered and accepted" 3 "$(grep -c 'Server accepts key' "$T/helper_bad.err")"
hs_expect "-I wrong PIN: the PIN file is presented once" 1 "$(grep -c 'PIN for token' "$T/helper_bad.err")"
if grep -q 'not retrying' "$T/helper_bad.err"; then
	hs_pass "-I wrong PIN: a PIN from a file is not retried"
else
	hs_fail "-I wrong PIN: a PIN from a file is not retried" "$(head -n 3 "$T/helper_bad.err")"
fi
out=$(HSSH_PKCS11_PIN_FILE=$T/pin hssh_run -I /nonexistent/libnope.so -i "$(hs_uri ec256)" "$U" \
	echo still </dev/null 2>"$T/helper_nomod.err")
hs_expect "-I missing module: the -i key still logs in" still "$out"
if grep -q '/nonexistent/libnope.so' "$T/helper_nomod.err"; then
	hs_pass "-I missing module: named in the message"
else
	hs_fail "-I missing module: named in the message" "$(head -n 2 "$T/helper_nomod.err")"
fi

# --- 3. KexProvider ---------------------------------------------------------------------------
KEXURI="pkcs11:token=hs-client?module-path=$MODULE&pin-source=file:$T/pin"
out=$(hssh_run -v -i "$(hs_uri ec256)" -o KexProvider=soft "$U" echo soft </dev/null 2>"$T/kex_soft.err")
hs_expect "KexProvider soft: logs in" soft "$out"
if grep -qE '^KEX [^ ]+ computed by soft' "$T/kex_soft.err"; then
	hs_pass "KexProvider soft: -v says computed by soft"
else
	hs_fail "KexProvider soft: -v says computed by soft" "$(grep -m1 KEX "$T/kex_soft.err")"
fi
for k in ecdh-sha2-nistp256 ecdh-sha2-nistp384; do
	out=$(hssh_run -v -i "$(hs_uri ec256)" -o "KexProvider=$KEXURI" -o "KexAlgorithms=$k" "$U" \
		echo hwkex </dev/null 2>"$T/kex_$k.err")
	hs_expect "KexProvider pkcs11, $k: logs in" hwkex "$out"
	if grep -q "^KEX $k computed by pkcs11" "$T/kex_$k.err"; then
		hs_pass "KexProvider pkcs11, $k: -v says computed by pkcs11"
	else
		hs_fail "KexProvider pkcs11, $k: -v says computed by pkcs11" \
			"$(grep -m1 -E 'KEX|KexProvider|pkcs11' "$T/kex_$k.err")"
	fi
done
# default KexAlgorithms, no fallback: only what the token computes is offered
out=$(hssh_run -v -i "$(hs_uri ec256)" -o "KexProvider=$KEXURI" "$U" echo filtered </dev/null \
	2>"$T/kex_filter.err")
hs_expect "KexProvider pkcs11, default list: logs in" filtered "$out"
if grep -qE '^KEX ecdh-sha2-nistp[0-9]+ computed by pkcs11' "$T/kex_filter.err"; then
	hs_pass "KexProvider pkcs11, default list: an ECDH method computed by pkcs11"
else
	hs_fail "KexProvider pkcs11, default list: an ECDH method computed by pkcs11" \
		"$(grep -m1 -E '^KEX' "$T/kex_filter.err")"
fi
out=$(hssh_run -i "$(hs_uri ec256)" -o "KexProvider=$KEXURI" -o KexAlgorithms=curve25519-sha256 \
	"$U" echo nope </dev/null 2>"$T/kex_none.err")
rc=$?
hs_expect "KexProvider pkcs11 + curve25519 only, no fallback: refused (255)" 255 "$rc"
if grep -q 'computes none of KexAlgorithms' "$T/kex_none.err"; then
	hs_pass "no usable KEX method: the reason is printed"
else
	hs_fail "no usable KEX method: the reason is printed" "$(head -n 2 "$T/kex_none.err")"
fi
out=$(hssh_run -v -i "$(hs_uri ec256)" -o "KexProvider=$KEXURI" -o KexProviderFallback=yes \
	-o KexAlgorithms=curve25519-sha256 "$U" echo fallback </dev/null 2>"$T/kex_fb.err")
hs_expect "KexProviderFallback yes: curve25519 in software logs in" fallback "$out"
if grep -q '^KEX curve25519-sha256 computed by soft' "$T/kex_fb.err"; then
	hs_pass "KexProviderFallback yes: -v says computed by soft"
else
	hs_fail "KexProviderFallback yes: -v says computed by soft" "$(grep -m1 '^KEX' "$T/kex_fb.err")"
fi
out=$(hssh_run -i "$(hs_uri ec256)" -o "KexProvider=pkcs11:token=nosuch?module-path=$MODULE" \
	"$U" echo nope </dev/null 2>"$T/kex_bad.err")
hs_expect "KexProvider with no such token: refused (255)" 255 $?
if grep -q 'KexProvider' "$T/kex_bad.err"; then hs_pass "KexProvider with no such token: said"; else
	hs_fail "KexProvider with no such token: said" "$(head -n 2 "$T/kex_bad.err")"; fi

# --- 5. keys and KEX in a TPM (swtpm started here) ---------------------------------------------
tpm_section()
{
	local d=$T/tpm tport tcti uri i
	command -v swtpm >/dev/null && command -v tpm2_createprimary >/dev/null ||
		{ hs_fail "swtpm and tpm2-tools are required (apt-get install swtpm swtpm-tools tpm2-tools)"; return; }
	tport=$(hs_free_port_pair)
	hs_swtpm_start "$d" "$tport" ||
		{ hs_fail "swtpm starts and listens on $tport" "$(tail -n 2 "$d/swtpm.out")"; return; }
	tcti="swtpm:host=127.0.0.1,port=$tport"
	printf 'hs-tpm-auth' >"$d/auth"
	printf 'wrong-auth' >"$d/badauth"
	chmod 600 "$d/auth" "$d/badauth"
	# a persistent ECDSA P-256 key with an auth value, and an RSA-2048 key loaded from its blobs
	if ! (cd "$d" && export TPM2TOOLS_TCTI=$tcti &&
		tpm2_dictionarylockout -Q -s -n 100 -t 1 -l 1 &&
		tpm2_createprimary -Q -C o -G ecc -c prim.ctx &&
		tpm2_evictcontrol -Q -C o -c prim.ctx 0x81000000 && tpm2_flushcontext -t &&
		tpm2_create -Q -C 0x81000000 -G ecc256 -u ec.pub -r ec.priv -p file:auth &&
		tpm2_load -Q -C 0x81000000 -u ec.pub -r ec.priv -c ec.ctx &&
		tpm2_evictcontrol -Q -C o -c ec.ctx 0x81000001 && tpm2_flushcontext -t &&
		tpm2_readpublic -Q -c 0x81000001 -f pem -o ec.pem &&
		tpm2_create -Q -C 0x81000000 -G rsa2048 -u rsa.pub -r rsa.priv &&
		tpm2_load -Q -C 0x81000000 -u rsa.pub -r rsa.priv -c rsa.ctx &&
		tpm2_readpublic -Q -c rsa.ctx -f pem -o rsa.pem && tpm2_flushcontext -t) \
		>"$d/tools.log" 2>&1; then
		hs_fail "tpm2-tools make the TPM keys" "$(tail -n 2 "$d/tools.log")"
		return
	fi
	# the independent reading of the public keys: OpenSSH's own PKCS#8 import
	for k in ec rsa; do
		"$SSHKEYGEN" -i -m PKCS8 -f "$d/$k.pem" >"$T/tpm_$k.pub" 2>>"$d/tools.log" ||
			hs_fail "ssh-keygen imports the TPM $k key"
		hs_authorize "$T/tpm_$k.pub"
	done
	for pair in "ec:tpm2:handle=0x81000001;auth-file=$d/auth;tcti=$tcti" \
		"rsa:tpm2:blob=$d/rsa.pub,$d/rsa.priv;parent=0x81000000;tcti=$tcti"; do
		k=${pair%%:*}
		uri=${pair#*:}
		n=$(loglines)
		out=$(hssh_run -i "$uri" "$U" 'echo tpm-ok; exit 4' </dev/null 2>"$T/tpm_$k.err")
		rc=$?
		hs_expect "-i tpm2 URI $k: command ran" tpm-ok "$out"
		hs_expect "-i tpm2 URI $k: exit status 4 came back" 4 "$rc"
		if accepted "$(fp "$T/tpm_$k.pub")" "$n"; then
			hs_pass "-i tpm2 URI $k: sshd accepted the TPM key"
		else
			hs_fail "-i tpm2 URI $k: sshd accepted the TPM key" "$(tail -n 2 "$T/tpm_$k.err")"
		fi
	done
	out=$(hssh_run -i "tpm2:handle=0x81000001;auth-file=$d/badauth;tcti=$tcti" \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no "$U" echo ok \
		</dev/null 2>"$T/tpm_badauth.err")
	hs_expect "tpm2 wrong auth value: hssh exits 255" 255 $?
	hs_expect "tpm2 wrong auth value: no command ran" "" "$out"
	# The TCTI from the configuration (TPM2TCTI) instead of the URI
	out=$(hssh_run -o "TPM2TCTI=$tcti" -i "tpm2:handle=0x81000001;auth-file=$d/auth" \
		"$U" echo tpm-cfg </dev/null 2>"$T/tpm_cfg.err")
	hs_expect "-i tpm2 URI without tcti=, TPM2TCTI from -o: logs in" tpm-cfg "$out"
	out=$(TPM2TCTI=swtpm:host=127.0.0.1,port=1 hssh_run -o "TPM2TCTI=$tcti" \
		-i "tpm2:handle=0x81000001;auth-file=$d/auth" "$U" echo tpm-cfg2 </dev/null \
		2>"$T/tpm_cfg2.err")
	hs_expect "TPM2TCTI in the configuration wins over \$TPM2TCTI" tpm-cfg2 "$out"
	out=$(hssh_run -v -i "tpm2:handle=0x81000001;auth-file=$d/auth;tcti=$tcti" \
		-o "KexProvider=tpm2:tcti=$tcti" "$U" echo tpm-kex </dev/null 2>"$T/tpm_kex.err")
	hs_expect "KexProvider tpm2: logs in" tpm-kex "$out"
	if grep -qE '^KEX ecdh-sha2-nistp(256|384) computed by tpm2' "$T/tpm_kex.err"; then
		hs_pass "KexProvider tpm2: -v says computed by tpm2"
	else
		hs_fail "KexProvider tpm2: -v says computed by tpm2" "$(grep -m1 -E '^KEX|tpm2' "$T/tpm_kex.err")"
	fi
}
tpm_section

# --- 4. -Q provider, -G ----------------------------------------------------------------------
"$HSSH" -Q provider >"$T/q.txt" 2>&1
hs_expect "-Q provider exits 0" 0 $?
for p in soft pkcs11 tpm2 pkcs11-helper; do
	if grep -qE "^$p (yes|no) " "$T/q.txt"; then hs_pass "-Q provider lists $p"; else
		hs_fail "-Q provider lists $p" "$(cat "$T/q.txt")"; fi
done
hs_expect "-Q provider: soft is available" 1 "$(grep -c '^soft yes ' "$T/q.txt")"
hs_expect "-Q provider: pkcs11-helper is available" 1 "$(grep -c '^pkcs11-helper yes ' "$T/q.txt")"
out=$("$HSSH" -F none -G -o "KexProvider=$KEXURI" h | grep '^kexprovider ')
hs_expect "-G prints kexprovider" "kexprovider $KEXURI" "$out"
out=$("$HSSH" -F none -G h | grep '^kexprovider ')
hs_expect "-G: kexprovider defaults to soft" "kexprovider soft" "$out"

# hssh's own stderr (ASan/UBSan builds): any sanitizer report in any client run fails the test
if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.err >"$T/san.txt" 2>/dev/null; then
	hs_fail "sanitizer report in hssh's stderr" "$(tr '\n' ' ' <"$T/san.txt")"
else
	hs_pass "no sanitizer report in any hssh run"
fi

hs_finish
