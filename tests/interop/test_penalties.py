#!/usr/bin/python3
"""PerSourcePenalties on a live hsshd (issue 4), with OpenSSH's ssh as the client.

Each case starts its own server with penalties given on the command line (-o lines come before
the harness's "PerSourcePenalties no" in the file, and the first value wins):
- authfail: a failed login makes the next connection from 127.0.0.1 be dropped before the banner,
  logged with the reason; the listener keeps running;
- the penalty ends: with a short one the same source logs in again once it ran out;
- min: a penalty shorter than min: is recorded but not enforced;
- PerSourcePenaltyExemptList: an exempt source is never refused;
- noauth: a connection closed without trying to authenticate;
- crash: a pre-auth child killed by the sandbox (test-hook build: user hstest-syscall-socket).
"""
import os
import re
import socket
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402
from hslib import wait_for  # noqa: E402

TIMEOUT = 20
DROP = re.compile(r"drop connection #\d+ from \[127\.0\.0\.1\]:\d+ .*penalty")
# The listener's VERBOSE line for a penalty that refuses connections (not "not enforced yet").
ENFORCED = re.compile(r"penalty on 127\.0\.0\.1/32 .*, enforced$", re.M)


class Server:
    def __init__(self, h, name, host, penalties, extra_args=()):
        self.h = h
        args = ["-o", "PerSourcePenalties=" + penalties] + list(extra_args)
        self.port, self.log, self.proc = hslib.start_server_args(h, name, [host], args=args)
        if self.port is not None:
            with open(h.path("known_hosts"), "a") as f, open(host + ".pub") as k:
                f.write("[127.0.0.1]:%d %s\n" % (self.port, " ".join(k.read().split()[:2])))
            # hslib.wait_port's probe connection closes without authenticating: let its end
            # (a noauth penalty where noauth is on) settle before the case starts.
            time.sleep(0.5)

    def ssh(self, user, ident, cmd="echo in"):
        argv = ["timeout", str(TIMEOUT), hslib.SSH, "-F", "/dev/null", "-p", str(self.port),
                "-i", ident, "-o", "UserKnownHostsFile=" + self.h.path("known_hosts"),
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", user + "@127.0.0.1", cmd]
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)

    def banner(self):
        """The server's first line, or "" when it closes the connection before sending one."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as s:
            data = b""
            while b"\n" not in data:
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\n")[0].decode(errors="replace").strip()

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def logs_in(r):
    return r.returncode == 0 and r.stdout == "in\n"


def case_authfail(h, host, ident, wrong):
    srv = Server(h, "authfail", host, "authfail:30 noauth:0 crash:0 grace-exceeded:0 min:15")
    if srv.port is None:
        return h.fail("start hsshd (authfail)")
    h.check("authfail: a good login works first", logs_in(srv.ssh(hslib.USER, ident)))
    r = srv.ssh(hslib.USER, wrong)
    h.check("authfail: the wrong key is refused", r.returncode == 255, "exit %d" % r.returncode)
    # The listener learns the outcome when it reaps the connection's process.
    penalised = wait_for(lambda: ENFORCED.search(srv.logtext()), 5)
    h.check("authfail: penalty on 127.0.0.1/32 logged", penalised, srv.log)
    h.expect("authfail: next connection closed before the banner", "", srv.banner())
    r = srv.ssh(hslib.USER, ident)
    h.check("authfail: even the right key is refused now", r.returncode == 255,
            "exit %d, %s" % (r.returncode, r.stdout))
    h.check("authfail: the drop is logged with the reason", DROP.search(srv.logtext()), srv.log)
    h.check("authfail: listener still alive", srv.alive())


def case_expiry(h, host, ident, wrong):
    srv = Server(h, "expiry", host, "authfail:3 noauth:0 crash:0 grace-exceeded:0 min:2")
    if srv.port is None:
        return h.fail("start hsshd (expiry)")
    srv.ssh(hslib.USER, wrong)
    wait_for(lambda: "penalty on 127.0.0.1" in srv.logtext(), 5)
    h.expect("expiry: refused while the 3 s penalty runs", "", srv.banner())
    time.sleep(3.5)
    h.check("expiry: logs in again once it ran out", logs_in(srv.ssh(hslib.USER, ident)))


def case_min(h, host, ident, wrong):
    # Three 5 s penalties add up to a little under 15 s left (time passes between them).
    srv = Server(h, "min", host, "authfail:5 noauth:0 crash:0 grace-exceeded:0 min:12")
    if srv.port is None:
        return h.fail("start hsshd (min)")
    srv.ssh(hslib.USER, wrong)
    wait_for(lambda: "penalty on 127.0.0.1" in srv.logtext(), 5)
    h.check("min: one 5 s penalty under min:12 is not enforced",
            logs_in(srv.ssh(hslib.USER, ident)))
    srv.ssh(hslib.USER, wrong)
    srv.ssh(hslib.USER, wrong)
    wait_for(lambda: ENFORCED.search(srv.logtext()), 5)
    h.expect("min: three of them (~14 s left) are", "", srv.banner())


def case_exempt(h, host, ident, wrong):
    srv = Server(h, "exempt", host, "authfail:30 noauth:0 crash:0 grace-exceeded:0 min:15",
                 ["-o", "PerSourcePenaltyExemptList=127.0.0.0/8"])
    if srv.port is None:
        return h.fail("start hsshd (exempt)")
    srv.ssh(hslib.USER, wrong)
    srv.ssh(hslib.USER, wrong)
    h.check("exempt: 127.0.0.0/8 still logs in after failures",
            logs_in(srv.ssh(hslib.USER, ident)))
    h.check("exempt: nothing dropped", not DROP.search(srv.logtext()), srv.log)


def case_noauth(h, host, ident):
    # noauth:10 under min:15: the harness's port probe (a connection that never authenticated)
    # is recorded but not enforced; a second such connection makes 20 s, which is.
    srv = Server(h, "noauth", host, "noauth:10 authfail:0 crash:0 grace-exceeded:0 min:15")
    if srv.port is None:
        return h.fail("start hsshd (noauth)")
    first = srv.banner()
    h.check("noauth: one such connection is let in (below min:)", first.startswith("SSH-2.0-"),
            first)
    h.check("noauth: the second makes the penalty enforced",
            wait_for(lambda: ENFORCED.search(srv.logtext()), 5), srv.log)
    h.expect("noauth: a source that never authenticates is refused", "", srv.banner())


def case_crash(h, host, ident):
    with open(hslib.HSSHD, "rb") as f:
        if not h.check("crash: hsshd built with -DHS_SANDBOX_TEST_HOOKS=ON (tests/run-all.sh "
                       "does)", b"hstest-syscall-" in f.read()):
            return
    srv = Server(h, "crash", host, "crash:30 authfail:0 noauth:0 grace-exceeded:0 min:15")
    if srv.port is None:
        return h.fail("start hsshd (crash)")
    h.check("crash: a good login works first", logs_in(srv.ssh(hslib.USER, ident)))
    srv.ssh("hstest-syscall-socket", ident)
    h.check("crash: the child died in the sandbox",
            wait_for(lambda: "sandbox violation" in srv.logtext(), 5), srv.log)
    wait_for(lambda: ENFORCED.search(srv.logtext()), 5)
    h.expect("crash: the source is refused afterwards", "", srv.banner())
    h.check("crash: listener still alive", srv.alive())


def main():
    h = hslib.Harness("penalties")
    ident = h.keygen("ssh-ed25519", "id_user")
    wrong = h.keygen("ssh-ed25519", "id_wrong")
    h.authorize(ident + ".pub")
    host = h.keygen("ssh-ed25519", "host_ed25519")
    if hslib.IMPL == "openssh":
        h.fail("Debian's sshd 9.2 has no PerSourcePenalties: nothing to compare against")
        h.finish()
    for label, fn in [("authfail", lambda: case_authfail(h, host, ident, wrong)),
                      ("expiry", lambda: case_expiry(h, host, ident, wrong)),
                      ("min", lambda: case_min(h, host, ident, wrong)),
                      ("exempt", lambda: case_exempt(h, host, ident, wrong)),
                      ("noauth", lambda: case_noauth(h, host, ident)),
                      ("crash", lambda: case_crash(h, host, ident))]:
        print("-- " + label, flush=True)
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            h.fail(label, repr(e))
        h.stop_servers()
    h.finish()


if __name__ == "__main__":
    main()
