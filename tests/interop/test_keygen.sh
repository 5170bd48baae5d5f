#!/bin/bash
# test_keygen.sh: hssh-keygen against OpenSSH's ssh-keygen, both ways, for every key type and size,
# with and without a passphrase. Keys made by ssh-keygen are read by hssh-keygen -y/-l; keys made by
# hssh-keygen are read by ssh-keygen -y/-l; a wrong passphrase fails on both. Ends with
# "N passed, M failed" and a non-zero exit on any failure.
set -u

: "${HS_BINDIR:=/work/main/build/bin}"
KG="$HS_BINDIR/hssh-keygen"
SKG=/usr/bin/ssh-keygen
pass=0
fail=0
tmp=$(mktemp -d /tmp/hs-keygen.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# same NAME A B: pass iff A and B are equal and non-empty
same() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then ok; else bad "$1: '$2' != '$3'"; fi
}
# fails NAME CMD...: pass iff the command exits non-zero
fails() {
	local name=$1
	shift
	if "$@" </dev/null >/dev/null 2>&1; then bad "$name: succeeded"; else ok; fi
}

if [ ! -x "$KG" ] || [ ! -x "$SKG" ]; then
	echo "missing $KG or $SKG" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# OpenSSH made the key: hssh-keygen must read it.
from_openssh() {
	local t=$1 b=$2 pw=$3 f="$tmp/o_$4"
	"$SKG" -q -t "$t" ${b:+-b "$b"} -N "$pw" -C "made by ssh-keygen $4" -f "$f" </dev/null ||
		{ bad "ssh-keygen -t $t $b"; return; }
	same "$4 -y" "$("$KG" -y -P "$pw" -f "$f" </dev/null)" "$("$SKG" -y -P "$pw" -f "$f")"
	same "$4 -l" "$("$KG" -l -f "$f")" "$("$SKG" -l -f "$f")"
	same "$4 -l .pub" "$("$KG" -l -f "$f.pub")" "$("$SKG" -l -f "$f.pub")"
	mv "$f.pub" "$f.saved"
	same "$4 -l (no .pub)" "$("$KG" -l -f "$f")" "$("$SKG" -l -f "$f")"
	if [ -n "$pw" ]; then
		fails "$4 hssh-keygen wrong passphrase" "$KG" -y -P "not $pw" -f "$f"
		fails "$4 hssh-keygen no passphrase" "$KG" -y -P "" -f "$f"
	fi
}

# hssh-keygen made the key: OpenSSH must read it.
from_hssh() {
	local t=$1 b=$2 pw=$3 f="$tmp/h_$4"
	"$KG" -q -t "$t" ${b:+-b "$b"} -N "$pw" -C "made by hssh-keygen $4" -f "$f" </dev/null ||
		{ bad "hssh-keygen -t $t $b"; return; }
	same "$4 mode" "$(stat -c %a "$f") $(stat -c %a "$f.pub")" "600 644"
	same "$4 ssh-keygen -y" "$("$SKG" -y -P "$pw" -f "$f")" "$(cat "$f.pub")"
	same "$4 own -y" "$("$KG" -y -P "$pw" -f "$f" </dev/null)" "$(cat "$f.pub")"
	same "$4 -l" "$("$SKG" -l -f "$f")" "$("$KG" -l -f "$f")"
	mv "$f.pub" "$f.saved"
	same "$4 -l (no .pub)" "$("$SKG" -l -f "$f")" "$("$KG" -l -f "$f")"
	case "$t:$b" in
	ed25519:*) want=256 ;; ecdsa:*) want=$b ;; rsa:) want=3072 ;; *) want=$b ;;
	esac
	same "$4 bits" "$("$SKG" -l -f "$f" | cut -d' ' -f1)" "$want"
	if [ -n "$pw" ]; then
		fails "$4 ssh-keygen wrong passphrase" "$SKG" -y -P "not $pw" -f "$f"
		fails "$4 hssh-keygen wrong passphrase" "$KG" -y -P "not $pw" -f "$f"
	else
		same "$4 cipher none" "$(grep -c 'OPENSSH PRIVATE KEY' "$f")" "2"
	fi
}

n=0
for spec in ed25519: ecdsa:256 ecdsa:384 ecdsa:521 rsa:2048 rsa: rsa:4096; do
	for pw in "" "correct horse 9"; do
		n=$((n + 1))
		from_openssh "${spec%%:*}" "${spec#*:}" "$pw" "$n"
		from_hssh "${spec%%:*}" "${spec#*:}" "$pw" "$n"
	done
done

# The chatty form prints what ssh-keygen prints, and the same randomart as ssh-keygen -lv.
out=$("$KG" -t ecdsa -N "" -C "art" -f "$tmp/art" </dev/null)
same "banner" "$(echo "$out" | sed -n 1,3p)" "Generating public/private ecdsa key pair.
Your identification has been saved in $tmp/art
Your public key has been saved in $tmp/art.pub"
same "fingerprint line" "$(echo "$out" | sed -n 5p)" "$("$SKG" -l -f "$tmp/art" | cut -d' ' -f2,3)"
same "randomart" "$(echo "$out" | tail -n 11)" "$("$SKG" -lv -f "$tmp/art" | tail -n 11)"
# Without -f: ~/.ssh/id_<type>, creating ~/.ssh with mode 700.
mkdir "$tmp/home"
HOME="$tmp/home" "$KG" -q -t ed25519 -N "" </dev/null
same "default path" "$(stat -c %a "$tmp/home/.ssh") $(stat -c %a "$tmp/home/.ssh/id_ed25519")" \
	"700 600"
same "default comment" "$(cut -d' ' -f3 "$tmp/home/.ssh/id_ed25519.pub")" "$(id -un)@$(hostname)"

# Refuse to overwrite without a terminal to ask; the file must be unchanged.
before=$(sha256sum "$tmp/h_1")
fails "overwrite refused" "$KG" -q -t ed25519 -N "" -f "$tmp/h_1"
same "overwrite left the file" "$(sha256sum "$tmp/h_1")" "$before"
# On a terminal (script(1) gives us one) it asks: overwrite y/n, and the passphrase twice.
onpty() { printf "$1" | script -qec "$2" /dev/null >/dev/null 2>&1; }
onpty 'n\n' "'$KG' -q -t ed25519 -N '' -f '$tmp/h_1'"
same "overwrite declined on a tty" "$? $(sha256sum "$tmp/h_1")" "1 $before"
onpty 'y\n' "'$KG' -q -t ed25519 -N '' -f '$tmp/h_1'"
same "overwrite accepted on a tty" "$?" "0"
[ "$(sha256sum "$tmp/h_1")" != "$before" ] && ok || bad "overwrite accepted: file unchanged"
onpty 'tty pw\ntty pw\n' "'$KG' -q -t ecdsa -f '$tmp/tty'"
same "passphrase asked twice" "$("$SKG" -y -P "tty pw" -f "$tmp/tty")" "$(cat "$tmp/tty.pub")"
onpty 'tty pw\nother\n' "'$KG' -q -t ecdsa -f '$tmp/tty2'"
same "differing passphrases refused" "$? $(ls "$tmp/tty2" 2>/dev/null)" "1 "
onpty 'tty pw\n' "'$KG' -y -f '$tmp/tty' > '$tmp/tty.y'"
same "-y asks for the passphrase" "$(tr -d '\r' < "$tmp/tty.y")" "$(cat "$tmp/tty.pub")"
# Bad sizes are refused, like ssh-keygen.
fails "ecdsa -b 300" "$KG" -q -t ecdsa -b 300 -N "" -f "$tmp/bad1"
fails "rsa -b 1024" "$KG" -q -t rsa -b 1024 -N "" -f "$tmp/bad2"
fails "-l on a non-key" "$KG" -l -f /etc/hostname
# A private key readable by others is refused, as ssh-keygen refuses it.
cp "$tmp/o_1" "$tmp/open" && chmod 644 "$tmp/open"
fails "-y 0644 key" "$KG" -y -P "" -f "$tmp/open"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
