#!/bin/bash
# demo.sh: install, build and show hardssh working, on a fresh Debian 12 machine, as root.
#   1. apt-get install everything in .ci/packages, test peers included (skip with --no-install);
#   2. cmake build into ./build;
#   3. throwaway host and user keys made with hssh-keygen in a temporary directory;
#   4. hsshd on a free loopback port, with the user key authorized through a temporary file;
#   5. hssh runs a remote command and prints its output; the server is stopped and the keys wiped.
set -euo pipefail

SRC=$(cd "$(dirname "$0")" && pwd)
JOBS=${HS_JOBS:-2}
BUILD=${HS_BUILD_DIR:-$SRC/build}
install=1
[ "${1:-}" = --no-install ] && install=0

if [ "$install" = 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "demo.sh: run as root to install packages, or pass --no-install" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	# Everything, tests included, so that ./tests/run-all.sh works next.
	apt-get install -y --no-install-recommends $(grep -v '^#' "$SRC/.ci/packages")
fi

echo "== building into $BUILD"
cmake -S "$SRC" -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target hsshd hssh hssh-keygen
BIN=$BUILD/bin

T=$(mktemp -d /tmp/hardssh-demo.XXXXXX)
SERVER_PID=
cleanup()
{
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p /run/sshd 2>/dev/null || true
# hsshd's pre-auth network child runs as this system user, chrooted into /run/hsshd (which hsshd
# creates at start-up); the install step makes it, as for sshd's user "sshd".
if ! getent passwd hsshd >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		useradd --system --no-create-home --home-dir /run/hsshd --shell /usr/sbin/nologin hsshd
	else
		echo "demo.sh: the system user hsshd is missing; run as root once to create it" >&2
	fi
fi

echo "== throwaway keys (hssh-keygen) in $T"
"$BIN/hssh-keygen" -q -t ed25519 -N '' -C demo-host -f "$T/host_ed25519"
"$BIN/hssh-keygen" -q -t ed25519 -N '' -C demo-user -f "$T/id_ed25519"
"$BIN/hssh-keygen" -l -f "$T/host_ed25519.pub"
cp "$T/id_ed25519.pub" "$T/authorized_keys"

USER_NAME=$(id -un)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/hsshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/host_ed25519
AuthorizedKeysFile $T/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
PermitRootLogin prohibit-password
StrictModes no
LogLevel INFO
EOF
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$T/host_ed25519.pub")" >"$T/known_hosts"
cat >"$T/ssh_config" <<EOF
Host *
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking yes
  IdentityFile $T/id_ed25519
  BatchMode yes
EOF

echo "== starting hsshd on 127.0.0.1:$PORT"
"$BIN/hsshd" -D -f "$T/hsshd_config" -E "$T/hsshd.log" </dev/null &
SERVER_PID=$!
for _ in $(seq 1 50); do
	ss -Hltn "sport = :$PORT" | grep -q LISTEN && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$T/hsshd.log"; exit 1; }
	sleep 0.1
done

echo "== hssh $USER_NAME@127.0.0.1 (remote command output follows)"
if timeout 30 "$BIN/hssh" -F "$T/ssh_config" -p "$PORT" "$USER_NAME@127.0.0.1" \
	'echo "hello from $(id -un)@$(hostname) over hardssh"; uname -sr' </dev/null; then
	rc=0
	echo "== ok"
else
	rc=$?
	echo "== hssh failed with exit $rc; server log:"
	cat "$T/hsshd.log"
fi
echo "== stopping hsshd"
exit "$rc"
