#!/bin/bash
# Dropbear 2022.83 both ways.
#   dbclient -> hsshd: one hsshd per host key type, every cipher dbclient offers, exit status, 1 MB.
#   hssh -> dropbear:  one dropbear per host key type, every KEX/cipher dropbear and hardssh share.
# dbclient cannot choose its KEX or host key algorithm, so the host key is varied on the server.
. "$(dirname "$0")/lib.sh"
hs_init dropbear

hs_keygen ssh-ed25519 "$T/id_user"
hs_authorize "$T/id_user.pub"
if ! dropbearconvert openssh dropbear "$T/id_user" "$T/id_user.db" >"$T/conv.log" 2>&1; then
	hs_fail "convert user key to dropbear format" "$(cat "$T/conv.log")"
fi
: >"$T/known_hosts"
hs_client_config "$T/ssh_config" "$T/known_hosts" "$T/id_user"
export HOME=$T		# dbclient keeps its known_hosts in $HOME/.ssh
mkdir -p "$T/.ssh"

DB_CIPHERS="chacha20-poly1305@openssh.com aes128-ctr aes256-ctr"
DB_HOSTKEYS="ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 rsa-sha2-256"
# Dropbear's KEX list intersected with ours (it has no group16 by default).
DB_KEXES="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384
ecdh-sha2-nistp521 diffie-hellman-group14-sha256"

hs_dbclient()
{
	local port=$1
	shift
	timeout "$HS_TIMEOUT" dbclient -y -i "$T/id_user.db" -p "$port" "$@"
}

# --- dbclient -> hsshd ----------------------------------------------------------------------
for hk in $DB_HOSTKEYS; do
	name=$(hs_key_name "$hk")
	hs_keygen "$hk" "$T/host_$name"
	port=$(hs_free_port)
	hs_start_server hsshd "hsshd_$name" "$port" "$T/host_$name" || hs_fail "start hsshd ($hk)"
	for c in $DB_CIPHERS; do
		tag="db-$name-$c"
		out=$(hs_dbclient "$port" -c "$c" -m hmac-sha2-256 "$HS_USER@127.0.0.1" echo "$tag" \
			</dev/null 2>"$T/last.err")
		if [ "$out" = "$tag" ]; then
			HS_PASS=$((HS_PASS + 1))
			hs_cell "$c" "$hk" ok
		else
			hs_fail "dbclient -> hsshd $hk $c" "$(tail -n 1 "$T/last.err")"
			hs_cell "$c" "$hk" FAIL
		fi
	done
	if [ "$hk" = ssh-ed25519 ]; then
		hs_dbclient "$port" "$HS_USER@127.0.0.1" 'exit 7' </dev/null 2>/dev/null
		hs_expect "dbclient -> hsshd: exit status 7" 7 $?
		head -c 1048576 /dev/urandom >"$T/1m.data"
		want=$(sha256sum <"$T/1m.data" | cut -d' ' -f1)
		got=$(hs_dbclient "$port" "$HS_USER@127.0.0.1" cat <"$T/1m.data" 2>/dev/null |
			sha256sum | cut -d' ' -f1)
		hs_expect "dbclient -> hsshd: 1 MB through cat" "$want" "$got"
	fi
done
hs_table "dbclient -> hsshd (rows: cipher, columns: host key)" "$DB_CIPHERS" "$DB_HOSTKEYS"

# --- hssh -> dropbear -----------------------------------------------------------------------
[ -x "$HSSH" ] || hs_fail "client binary $HSSH missing"
for hk in $DB_HOSTKEYS; do
	name=$(hs_key_name "$hk")
	port=$(hs_free_port)
	hs_known_hosts "$T/known_hosts" "$port" "$T/host_$name.pub"
	hs_start_dropbear "dropbear_$name" "$port" "$T/host_$name" || hs_fail "start dropbear ($hk)"
	for k in $DB_KEXES; do
		for c in $DB_CIPHERS; do
			tag="$name-$k-$c"
			out=$(timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config" -p "$port" \
				-o "HostKeyAlgorithms=$hk" -o "KexAlgorithms=$k" -c "$c" -m hmac-sha2-256 \
				"$HS_USER@127.0.0.1" echo "$tag" </dev/null 2>"$T/last.err")
			if [ "$out" = "$tag" ]; then
				HS_PASS=$((HS_PASS + 1))
				hs_cell "$hk/$c" "$k" ok
			else
				hs_fail "hssh -> dropbear $tag" "$(tail -n 1 "$T/last.err")"
				hs_cell "$hk/$c" "$k" FAIL
			fi
		done
	done
	if [ "$hk" = ssh-ed25519 ]; then
		timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config" -p "$port" "$HS_USER@127.0.0.1" \
			'exit 7' </dev/null 2>/dev/null
		hs_expect "hssh -> dropbear: exit status 7" 7 $?
		got=$(timeout "$HS_TIMEOUT" "$HSSH" -F "$T/ssh_config" -p "$port" \
			"$HS_USER@127.0.0.1" cat <"$T/1m.data" 2>/dev/null | sha256sum | cut -d' ' -f1)
		hs_expect "hssh -> dropbear: 1 MB through cat" "$want" "$got"
	fi
done
rows=""
for hk in $DB_HOSTKEYS; do for c in $DB_CIPHERS; do rows="$rows $hk/$c"; done; done
hs_table "hssh -> dropbear (rows: host key/cipher, columns: KEX)" "$rows" "$DB_KEXES"

hs_finish
