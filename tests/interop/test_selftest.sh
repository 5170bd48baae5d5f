#!/bin/bash
# test_selftest.sh: the FIPS-oriented power-on self-tests of issue 6, with the real programs.
#  - `--self-test` of hsshd, hssh and hssh-keygen prints one pass line per KAT and exits 0;
#    `--self-test --json` is valid JSON with passed=true and the same tests;
#  - a server started normally logs the POST summary, and hssh -v prints it;
#  - fault injection (binaries built with -DHS_FIPS_TEST_HOOKS=ON, recognised by the string
#    HS_FIPS_CORRUPT in the binary): for every KAT named by --self-test, HS_FIPS_CORRUPT=<name>
#    makes hsshd -D exit 255 without listening and hsshd -t exit 1, both logging
#    "self-test failed: <name> on <backend>"; hssh refuses to connect (the server sees no
#    connection) and hssh-keygen refuses to make a key, with the same message; --self-test exits
#    1 with FAIL on exactly that row. Without the hooks the variable must change nothing.
#  - when the build stamped hsshd (integrity test), a copy with one bit flipped refuses to start.
. "$(dirname "$0")/lib.sh"
hs_init selftest

PROGS="$HSSHD $HSSH $HSSH_KEYGEN"
for p in $PROGS; do
	[ -x "$p" ] || hs_fail "missing binary $p"
done

# kat_names PROGRAM: the KAT names from its JSON report, one per line.
kat_names()
{
	"$1" --self-test --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    print(t["test"])'
}

# check_json FILE PROGRAM NTESTS FAILED_NAME: the report is valid JSON of the right shape; with
# FAILED_NAME empty every test passed, else exactly that one failed.
check_json()
{
	/usr/bin/python3 - "$@" <<'EOF'
import json, sys
path, prog, n, bad = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = json.load(open(path))
assert r["program"] == prog, r["program"]
assert r["version"].startswith("hardssh"), r["version"]
assert r["validated"] is False and isinstance(r["fips_mode"], bool)
assert len(r["tests"]) == n, (len(r["tests"]), n)
for t in r["tests"]:
    assert t["backend"] and isinstance(t["approved"], bool) and isinstance(t["usec"], int)
    assert t["result"] == ("fail" if t["test"] == bad else "pass"), t
assert r["passed"] is (bad == ""), r["passed"]
approved = r["approved_algorithms"]
assert "ecdh-sha2-nistp256" in approved and "aes256-gcm@openssh.com" in approved
assert not any("curve25519" in a or "chacha" in a or "ed25519" in a for a in approved)
EOF
}

# ---- the reports ----
# Each program's own list (an integrity row comes first in a program the build stamped).
for p in $PROGS; do
	kat_names "$p" >"$T/names_$(basename "$p")"
done
mapfile -t NAMES <"$T/names_hsshd"
N=${#NAMES[@]}
if [ "$N" -ge 1 ]; then
	hs_pass "hsshd --self-test --json names $N tests"
else
	hs_fail "hsshd --self-test --json names the tests" "none"
fi
# has_test PROGRAM NAME: the program runs that test.
has_test() { grep -qxF -- "$2" "$T/names_$(basename "$1")"; }

for p in $PROGS; do
	b=$(basename "$p")
	mapfile -t NAMES <"$T/names_$b"
	N=${#NAMES[@]}
	"$p" --self-test >"$T/$b.report" 2>"$T/$b.report.err"
	hs_expect "$b --self-test exits 0" 0 $?
	hs_expect "$b --self-test: one pass line per KAT" "$N" \
		"$(grep -cE ' pass +[0-9]+$' "$T/$b.report")"
	hs_expect "$b --self-test: no FAIL line" 0 "$(grep -c ' FAIL ' "$T/$b.report")"
	for name in "${NAMES[@]}"; do
		grep -qE "^$(printf '%s' "$name" | sed 's/[][().*+?^$|\\/]/\\&/g') +[a-z0-9]+ +pass" \
			"$T/$b.report" || hs_fail "$b --self-test: row '$name'"
	done
	grep -q "^self-tests passed: $N tests" "$T/$b.report"
	hs_expect "$b --self-test: summary line" 0 $?
	"$p" --self-test --json >"$T/$b.json" 2>/dev/null
	hs_expect "$b --self-test --json exits 0" 0 $?
	/usr/bin/python3 -m json.tool "$T/$b.json" >/dev/null 2>&1
	hs_expect "$b --self-test --json is valid JSON" 0 $?
	check_json "$T/$b.json" "$b" "$N" "" 2>"$T/$b.json.err"
	hs_expect "$b --self-test --json: passed, $N tests, approved list" 0 $?
	"$p" --self-test --bogus >/dev/null 2>&1
	hs_expect "$b --self-test with another argument exits 1" 1 $?
done

mapfile -t NAMES <"$T/names_hsshd"
N=${#NAMES[@]}
K=$(grep -vcxF integrity "$T/names_hsshd")

# ---- a server and a client that passed their POST ----
hs_keygen ecdsa-sha2-nistp256 "$T/host_ecdsa"
hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
: >"$T/known_hosts"
hs_client_config "$T/ssh_config" "$T/known_hosts" "$T/id_user"
PORT=$(hs_free_port)
hs_known_hosts "$T/known_hosts" "$PORT" "$T/host_ecdsa.pub"
U="$HS_USER@127.0.0.1"
if hs_start_server hsshd good "$PORT" "$T/host_ecdsa"; then
	hs_pass "hsshd starts after its self-tests"
else
	hs_fail "hsshd starts after its self-tests"
fi
grep -q "FIPS self-tests passed ($N tests, " "$T/good.log"
hs_expect "hsshd logs 'FIPS self-tests passed ($N tests, X ms)'" 0 $?
grep -q "self-tests passed: $K KATs on soft in [0-9]* us" "$T/good.log"
hs_expect "hsshd at VERBOSE logs the POST summary" 0 $?
out=$(timeout "$HS_TIMEOUT" "$HSSH" -v -F "$T/ssh_config" -p "$PORT" "$U" echo reached \
	</dev/null 2>"$T/hssh_good.err")
hs_expect "hssh connects after its self-tests" reached "$out"
grep -q "self-tests passed: $(grep -vcxF integrity "$T/names_hssh") KATs on soft" \
	"$T/hssh_good.err"
hs_expect "hssh -v prints the POST summary" 0 $?
conns=$(grep -c "Connection from" "$T/good.log")
hs_expect "the server saw the good client's connection" 1 "$conns"
# The per-connection re-execution does not run (or log) the whole set again.
hs_expect "one POST in the log after a connection" "1 1" \
	"$(grep -c "FIPS self-tests passed" "$T/good.log") $(grep -c "self-tests passed: $K KATs" \
	"$T/good.log")"

hs_server_config "$T/bad.cfg" "$(hs_free_port)" "$T/host_ecdsa"
echo "PerSourcePenalties no" >>"$T/bad.cfg"
bad_port=$(sed -n 's/^Port //p' "$T/bad.cfg")

# ---- a changed program file (only when the build stamped hsshd) ----
if has_test "$HSSHD" integrity; then
	cp "$HSSHD" "$T/hsshd.copy"
	/usr/bin/python3 -c '
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[-1] ^= 0x01  # the section header table: not loaded, so only the integrity test sees it
open(p, "wb").write(d)' "$T/hsshd.copy"
	timeout 10 "$T/hsshd.copy" -D -f "$T/bad.cfg" -E "$T/flip.log" </dev/null >"$T/flip.out" 2>&1
	rc=$?
	if [ "$rc" = 255 ] && grep -qF "self-test failed: integrity on soft" "$T/flip.log"; then
		hs_pass "hsshd with the last bit of its file flipped refuses to start"
	else
		hs_fail "hsshd with the last bit of its file flipped refuses to start" "exit $rc"
	fi
else
	hs_log "hsshd is not stamped by the build: no integrity test to check"
fi

# ---- fault injection ----
hooks=0
grep -qa HS_FIPS_CORRUPT "$HSSHD" && grep -qa HS_FIPS_CORRUPT "$HSSH" &&
	grep -qa HS_FIPS_CORRUPT "$HSSH_KEYGEN" && hooks=1
if [ "$hooks" = 0 ]; then
	hs_log "binaries built without HS_FIPS_TEST_HOOKS: HS_FIPS_CORRUPT must change nothing"
	HS_FIPS_CORRUPT="${NAMES[0]:-SHA-256}" "$HSSHD" --self-test >/dev/null 2>&1
	hs_expect "without the hooks HS_FIPS_CORRUPT is ignored" 0 $?
	hs_finish
fi


# Each check runs with HS_FIPS_CORRUPT=$name exported; $msg is the line that must be logged.
check_server()
{
	timeout 10 "$HSSHD" -D -f "$T/bad.cfg" -E "$T/bad_$i.log" </dev/null >"$T/bad_$i.out" 2>&1
	rc=$?
	if [ "$rc" = 255 ] && grep -qF "$msg" "$T/bad_$i.log" &&
		! grep -q "Server listening" "$T/bad_$i.log" &&
		! ss -Hltn "sport = :$bad_port" | grep -q LISTEN; then
		hs_pass "[$name] hsshd -D exits 255 without listening, logs the failure"
	else
		hs_fail "[$name] hsshd -D refuses to start" "exit $rc, log: $(tail -n 2 "$T/bad_$i.log")"
	fi
	timeout 10 "$HSSHD" -t -f "$T/bad.cfg" </dev/null >"$T/badt_$i.out" 2>&1
	rc=$?
	if [ "$rc" = 1 ] && grep -qF "$msg" "$T/badt_$i.out"; then
		hs_pass "[$name] hsshd -t exits 1 and says so"
	else
		hs_fail "[$name] hsshd -t exits 1 and says so" "exit $rc"
	fi
}

check_client()
{
	out=$(timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config" -p "$PORT" "$U" echo reached \
		</dev/null 2>"$T/hssh_$i.err")
	rc=$?
	if [ "$rc" = 255 ] && [ -z "$out" ] && grep -qF "$msg" "$T/hssh_$i.err"; then
		hs_pass "[$name] hssh refuses to connect and says so"
	else
		hs_fail "[$name] hssh refuses to connect" "exit $rc, out '$out'"
	fi
}

check_keygen()
{
	timeout 10 "$HSSH_KEYGEN" -q -t ecdsa -N '' -f "$T/key_$i" </dev/null >/dev/null \
		2>"$T/keygen_$i.err"
	rc=$?
	if [ "$rc" != 0 ] && [ ! -e "$T/key_$i" ] && grep -qF "$msg" "$T/keygen_$i.err"; then
		hs_pass "[$name] hssh-keygen refuses to make a key and says so"
	else
		hs_fail "[$name] hssh-keygen refuses to make a key" "exit $rc"
	fi
}

# check_report PROGRAM: --self-test exits 1 with FAIL on that row only, as text and as JSON.
check_report()
{
	local p=$1 b n line rest
	b=$(basename "$p")
	n=$(wc -l <"$T/names_$b")
	"$p" --self-test >"$T/rep_$i.txt" 2>"$T/rep_$i.err"
	rc=$?
	line=$(grep ' FAIL ' "$T/rep_$i.txt")
	rest=${line#"$name"}
	if [ "$rc" = 1 ] && [ "$(grep -c ' FAIL ' "$T/rep_$i.txt")" = 1 ] &&
		[ "$rest" != "$line" ] && [[ "$rest" =~ ^\ +soft\ +FAIL\ +[0-9]+$ ]] &&
		[ "$(grep -cE ' pass +[0-9]+$' "$T/rep_$i.txt")" = $((n - 1)) ] &&
		grep -qF "$msg" "$T/rep_$i.err"; then
		hs_pass "[$name] $b --self-test exits 1, FAIL on that row only"
	else
		hs_fail "[$name] $b --self-test exits 1, FAIL on that row only" "exit $rc, '$line'"
	fi
	"$p" --self-test --json >"$T/rep_$i.json" 2>/dev/null
	rc=$?
	if [ "$rc" = 1 ] && check_json "$T/rep_$i.json" "$b" "$n" "$name" 2>"$T/rep_$i.jerr"; then
		hs_pass "[$name] $b --self-test --json: passed=false, that row failed"
	else
		hs_fail "[$name] $b --self-test --json" "exit $rc, $(tail -n 1 "$T/rep_$i.jerr")"
	fi
}

read -r -a PROG_LIST <<<"$PROGS"
i=0
for name in "${NAMES[@]}"; do
	i=$((i + 1))
	msg="self-test failed: $name on soft"
	export HS_FIPS_CORRUPT="$name"
	check_server
	has_test "$HSSH" "$name" && check_client
	has_test "$HSSH_KEYGEN" "$name" && check_keygen
	# --self-test of one program per test, in turn (hsshd if that one lacks the test).
	p=${PROG_LIST[$(((i - 1) % 3))]}
	has_test "$p" "$name" || p=$HSSHD
	check_report "$p"
	unset HS_FIPS_CORRUPT
done

hs_expect "no refused client reached the server" "$conns" \
	"$(grep -c "Connection from" "$T/good.log")"
hs_finish
