#!/bin/bash
# test_fipsmode.sh: FIPS mode and the service indicator (issue 6), with real peers.
#  - hsshd FIPSMode yes: Debian ssh offering only curve25519-sha256 cannot negotiate (exit 255, the
#    server logs no matching method); ecdh-sha2-nistp256 + aes256-gcm logs in and the server logs
#    "KEX ... approved=yes";
#  - hsshd FIPSMode yes with "Ciphers chacha20-poly1305@openssh.com" refuses to start (-t and -D,
#    exit 255) naming it; hssh -o FIPSMode=yes -c chacha20... refuses the same way;
#  - hssh -o FIPSMode=yes -v to Debian sshd logs in and prints approved=yes;
#  - without FIPS mode a default Debian ssh connection (curve25519) is logged approved=no naming it;
#  - -T / -G print fipsmode; with the test hooks, HS_FIPS_ENABLED_FILE holding 1 turns it on.
. "$(dirname "$0")/lib.sh"
hs_init fipsmode

[ -x "$HSSHD" ] || hs_fail "missing binary $HSSHD"
[ -x "$HSSH" ] || hs_fail "missing binary $HSSH"

hs_keygen ecdsa-sha2-nistp256 "$T/hostkey"
hs_keygen ecdsa-sha2-nistp256 "$T/id_user"
hs_authorize "$T/id_user.pub"
U="$HS_USER@127.0.0.1"

# ---- hsshd in FIPS mode, Debian's ssh as the client ----
port=$(hs_free_port)
: >"$T/known_hosts"
hs_known_hosts "$T/known_hosts" "$port" "$T/hostkey.pub"
hs_client_config "$T/ssh_config" "$T/known_hosts" "$T/id_user"
if hs_start_server hsshd fips "$port" "$T/hostkey" -o FIPSMode=yes; then
	hs_pass "hsshd FIPSMode yes starts"
	timeout "$HS_TIMEOUT" "$SSH" -F "$T/ssh_config" -p "$port" \
		-o KexAlgorithms=curve25519-sha256 "$U" true </dev/null >"$T/c1.log" 2>&1
	hs_expect "ssh with curve25519-sha256 only: exit 255" 255 "$?"
	timeout "$HS_TIMEOUT" "$SSH" -F "$T/ssh_config" -p "$port" \
		-o KexAlgorithms=ecdh-sha2-nistp256 -c aes256-gcm@openssh.com "$U" echo fips-ok \
		</dev/null >"$T/c2.out" 2>"$T/c2.log"
	hs_expect "ssh ecdh-sha2-nistp256 aes256-gcm: logs in" fips-ok "$(cat "$T/c2.out")"
	sleep 0.5
	if grep -qi "no matching" "$T/fips.log"; then
		hs_pass "hsshd log: no matching method for curve25519"
	else
		hs_fail "hsshd log: no matching method for curve25519"
	fi
	if grep -qE "KEX ecdh-sha2-nistp256 aes256-gcm@openssh.com <implicit> for 127\.0\.0\.1 port [0-9]+: approved=yes" "$T/fips.log"; then
		hs_pass "hsshd log: approved=yes"
	else
		hs_fail "hsshd log: approved=yes" "$(grep -m1 approved= "$T/fips.log")"
	fi
	if grep -q "approved=no" "$T/fips.log"; then
		hs_fail "FIPS mode hsshd never logs approved=no"
	else
		hs_pass "FIPS mode hsshd never logs approved=no"
	fi
	out=$("$HSSHD" -T -f "$T/fips.cfg" -o FIPSMode=yes 2>&1)
	hs_expect "hsshd -T prints fipsmode yes" "fipsmode yes" "$(grep '^fipsmode' <<<"$out")"
	hs_expect "hsshd -T ciphers are the approved ones" \
		"ciphers aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com" \
		"$(grep '^ciphers' <<<"$out")"
else
	hs_fail "hsshd FIPSMode yes starts"
fi

# ---- a non-approved configured algorithm stops hsshd and hssh ----
{ cat "$T/fips.cfg"; echo "FIPSMode yes"; echo "Ciphers chacha20-poly1305@openssh.com"; } \
	>"$T/bad.cfg"
out=$("$HSSHD" -t -f "$T/bad.cfg" 2>&1)
rc=$?
out=$(tr -d "\r" <<<"$out")
hs_expect "hsshd -t with Ciphers chacha20 in FIPS mode: exit 255" 255 "$rc"
hs_expect "hsshd -t names chacha20" \
	"FIPSMode: Ciphers names chacha20-poly1305@openssh.com, which is not approved" \
	"$(grep -o 'FIPSMode: .*' <<<"$out" | head -n1)"
sed -i "s/^Port .*/Port $(hs_free_port)/" "$T/bad.cfg"
timeout "$HS_TIMEOUT" "$HSSHD" -D -f "$T/bad.cfg" </dev/null >"$T/bad.out" 2>&1
hs_expect "hsshd -D with Ciphers chacha20 in FIPS mode: exit 255" 255 "$?"
out=$(timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config" -o FIPSMode=yes \
	-c chacha20-poly1305@openssh.com -p 1 "$U" true 2>&1 </dev/null)
hs_expect "hssh FIPSMode=yes -c chacha20: exit 255" 255 "$?"
hs_expect "hssh names chacha20" \
	"hssh: FIPSMode: Ciphers names chacha20-poly1305@openssh.com, which is not approved" \
	"$(grep FIPSMode <<<"$out" | head -n1)"

# ---- hssh in FIPS mode to Debian's sshd ----
sport=$(hs_free_port)
: >"$T/known_hosts_s"
hs_known_hosts "$T/known_hosts_s" "$sport" "$T/hostkey.pub"
hs_client_config "$T/ssh_config_s" "$T/known_hosts_s" "$T/id_user"
if hs_start_server sshd deb "$sport" "$T/hostkey"; then
	out=$(timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config_s" -o FIPSMode=yes -v -p "$sport" \
		"$U" echo fips-client-ok 2>"$T/hc.log" </dev/null)
	hs_expect "hssh -o FIPSMode=yes to sshd logs in" fips-client-ok "$out"
	if grep -qE "KEX (ecdh-sha2-nistp|diffie-hellman-group1[46]-sha).* for 127\.0\.0\.1 port $sport: approved=yes" "$T/hc.log"; then
		hs_pass "hssh -v prints approved=yes"
	else
		hs_fail "hssh -v prints approved=yes" "$(grep -m1 'approved=' "$T/hc.log")"
	fi
	out=$("$HSSH" -G -o FIPSMode=yes x 2>&1)
	hs_expect "hssh -G prints fipsmode yes" "fipsmode yes" "$(grep '^fipsmode' <<<"$out")"
	if grep -q '^kexalgorithms .*curve25519' <<<"$out"; then
		hs_fail "hssh -G FIPS kexalgorithms without curve25519"
	else
		hs_pass "hssh -G FIPS kexalgorithms without curve25519"
	fi
else
	hs_fail "Debian sshd starts"
fi

# ---- the indicator outside FIPS mode ----
nport=$(hs_free_port)
: >"$T/known_hosts_n"
hs_known_hosts "$T/known_hosts_n" "$nport" "$T/hostkey.pub"
hs_client_config "$T/ssh_config_n" "$T/known_hosts_n" "$T/id_user"
if hs_start_server hsshd plain "$nport" "$T/hostkey"; then
	out=$(timeout "$HS_TIMEOUT" "$SSH" -F "$T/ssh_config_n" -p "$nport" "$U" echo plain-ok \
		</dev/null 2>"$T/n.log")
	hs_expect "default ssh to hsshd (no FIPS mode) logs in" plain-ok "$out"
	sleep 0.5
	if grep -qE "KEX curve25519-sha256 .* for 127\.0\.0\.1 port [0-9]+: approved=no \(curve25519-sha256 is not approved\)" "$T/plain.log"; then
		hs_pass "hsshd log: approved=no naming curve25519-sha256"
	else
		hs_fail "hsshd log: approved=no naming curve25519-sha256" \
			"$(grep -m1 'approved=' "$T/plain.log")"
	fi
	hs_expect "hsshd -T prints fipsmode no" "fipsmode no" \
		"$("$HSSHD" -T -f "$T/plain.cfg" 2>&1 | grep '^fipsmode')"
else
	hs_fail "hsshd without FIPS mode starts"
fi

# ---- the kernel flag (a test file in builds with the test hooks) ----
echo 1 >"$T/fips_enabled"
got=$(HS_FIPS_ENABLED_FILE="$T/fips_enabled" "$HSSHD" -T -f "$T/plain.cfg" 2>&1 | grep '^fipsmode')
if grep -qa HS_FIPS_ENABLED_FILE "$HSSHD"; then
	hs_expect "fips_enabled=1 (test file) switches hsshd to FIPS mode" "fipsmode yes" "$got"
	echo 0 >"$T/fips_enabled"
	hs_expect "fips_enabled=0 (test file) leaves it off" "fipsmode no" \
		"$(HS_FIPS_ENABLED_FILE="$T/fips_enabled" "$HSSHD" -T -f "$T/plain.cfg" 2>&1 |
			grep '^fipsmode')"
else
	hs_expect "without the test hooks HS_FIPS_ENABLED_FILE changes nothing" "fipsmode no" "$got"
fi

hs_finish
