#!/usr/bin/python3
"""Faults of hardware host keys (issue 5), against Debian's ssh with strict host key checking.

The token is a softhsm2 token made in the test's temp dir, served through `p11-kit server` so that
it can be taken away and brought back while hsshd runs: hsshd loads p11-kit-client.so with
P11_KIT_SERVER_ADDRESS pointing at the server's socket. Between p11-kit server and softhsm2 sits
OpenSC's pkcs11-spy, whose log counts the C_Login calls that really reach the token. Cases:
 1. token absent at start: with the token key alone hsshd refuses to start and its log names the
    URI and the reason ("no matching token" or a CKR_ code); beside a file Ed25519 key it starts,
    logs the key it skips and serves the file key;
 2. token removed while serving (p11-kit server and its per-client p11-kit-remote killed): a
    connection pinned to the token key fails cleanly (ssh exits non-zero, hsshd logs a pkcs11 line,
    the listener lives, no sanitizer report), the file key still works; token back (a new p11-kit
    server at the same socket): the token key works again without restarting hsshd;
 3. wrong PIN: hsshd refuses to start with CKR_PIN_INCORRECT and without showing the PIN; beside a
    file key it starts, and connections do not make it try the PIN again (pkcs11-spy's C_Login
    count); afterwards the token is not locked and the right PIN still logs in.
 4. swtpm killed and restarted while hsshd serves an ECDSA P-256 key persistent in it
    (tpm2:handle=...;tcti=swtpm:...): the TPM key's connections fail cleanly meanwhile, the file
    key serves, and once swtpm is back (same state directory and port) the TPM key works again
    without restarting hsshd. Runs when the tree has a tpm2 provider (hw/provider_tpm2.c).

Facts about p11-kit-client this test relies on (measured with p11-kit 0.24.1): p11-kit server forks
one p11-kit-remote per client connection, so killing the listener alone leaves existing clients
served; a client that calls into a vanished server gets SIGPIPE unless it ignores it, then
CKR_DEVICE_REMOVED or CKR_DEVICE_ERROR; and it sees the server again only after C_Finalize +
C_Initialize (until then C_GetSlotList lists no slot).
softhsm2 sets "user PIN count low" after any failed C_Login and clears it after a good one; it
never locks the user PIN, so "not locked" is checked as: no "PIN locked"/"final try" flag, and
the right PIN logs in.
"""
import atexit
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402
from hslib import wait_for  # noqa: E402

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
P11DIR = "/usr/lib/x86_64-linux-gnu/pkcs11"
CLIENT = P11DIR + "/p11-kit-client.so"
SPY = P11DIR + "/pkcs11-spy.so"
TOKEN = "hs-fault"
PIN = "1234"
BADPIN = "9999"
TIMEOUT = 30
SANITIZER = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer")
CRASH = re.compile(r"signal (11|6|7)\b|SIGSEGV|SIGABRT|SIGBUS|core dumped", re.I)


def run(argv, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, **kw)


class TokenServer:
    """`p11-kit server` in the foreground on one socket, softhsm2 behind pkcs11-spy."""

    def __init__(self, h):
        self.h = h
        self.sock = h.path("p11.sock")
        self.proc = None
        self.n = 0

    def start(self):
        self.n += 1
        self.spylog = self.h.path("spy.%d.log" % self.n)
        env = dict(os.environ, PKCS11SPY=SOFTHSM, PKCS11SPY_OUTPUT=self.spylog)
        self.proc = subprocess.Popen(["p11-kit", "server", "-f", "-n", self.sock, "--provider",
                                      SPY, "pkcs11:token=" + TOKEN], env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=open(self.h.path("p11srv.%d.out" % self.n), "w"),
                                     stderr=subprocess.STDOUT)
        up = wait_for(lambda: self.proc.poll() is not None or self.lists_token(), 10, 0.2)
        return self.proc.poll() is None and bool(up)

    def lists_token(self):
        r = run(["pkcs11-tool", "--module", CLIENT, "-L"])
        return "token label        : " + TOKEN in r.stdout

    def kill(self):
        """Take the token away: the listener and every p11-kit-remote it forked, by pid."""
        if self.proc is None:
            return
        victims = [self.proc.pid] + hslib.proc_children(self.proc.pid)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc = None
        wait_for(lambda: not any(hslib.proc_stat(p) for p in victims[1:]), 5)

    def logins(self):
        """C_Login calls that reached softhsm2 through this server instance."""
        try:
            with open(self.spylog, errors="replace") as f:
                return len(re.findall(r"^\d+: C_Login\b", f.read(), re.M))
        except OSError:
            return 0


def make_token(h):
    os.environ["SOFTHSM2_CONF"] = h.path("softhsm2.conf")
    os.makedirs(h.path("tokens"))
    with open(os.environ["SOFTHSM2_CONF"], "w") as f:
        f.write("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
                % h.path("tokens"))
    r = run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN,
             "--so-pin", "5678"])
    if not h.check("softhsm2 token made", r.returncode == 0, r.stdout + r.stderr):
        return None
    r = run(["pkcs11-tool", "--module", SOFTHSM, "--token-label", TOKEN, "--login", "--pin", PIN,
             "--keypairgen", "--key-type", "EC:prime256v1", "--label", "ec256", "--id", "01"])
    if not h.check("pkcs11-tool makes an ECDSA P-256 key", r.returncode == 0, r.stderr):
        return None
    # OpenSSH's own reading of the token key (ssh-keygen -D), straight from softhsm2.
    r = run(["ssh-keygen", "-D", SOFTHSM])
    pub = [ln.split()[:2] for ln in r.stdout.splitlines() if ln.split()[2:3] == ["ec256"]]
    if not h.check("ssh-keygen -D reads the token key", len(pub) == 1, r.stdout + r.stderr):
        return None
    for name, pin in (("pin", PIN), ("badpin", BADPIN)):
        with open(h.path(name), "w") as f:
            f.write(pin + "\n")
        os.chmod(h.path(name), 0o600)
    return " ".join(pub[0])


def uri(h, pinfile="pin"):
    return ("pkcs11:token=%s;object=ec256?module-path=%s&pin-source=file:%s"
            % (TOKEN, CLIENT, h.path(pinfile)))


class Server:
    def __init__(self, h, name, hostkeys, kh_lines):
        self.h = h
        self.name = name
        self.port, self.log, self.proc = hslib.start_server_args(h, name, hostkeys)
        self.kh = h.path(name + ".known_hosts")
        with open(self.kh, "w") as f:
            for line in kh_lines:
                f.write("[127.0.0.1]:%d %s\n" % (self.port or 0, line))

    def ssh(self, alg, cmd="echo in"):
        argv = ["timeout", str(TIMEOUT), hslib.SSH, "-F", "/dev/null", "-p", str(self.port),
                "-i", self.h.path("id_user"), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + self.kh,
                "-o", "HostKeyAlgorithms=" + alg, hslib.USER + "@127.0.0.1", cmd]
        return run(argv)

    def logs_in(self, alg):
        r = self.ssh(alg)
        return r.returncode == 0 and r.stdout == "in\n", r

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def refuses_to_start(h, name, hostkeys):
    """hsshd with these keys must exit non-zero by itself; (exit code or None, log + output)."""
    port = h.free_port()
    cfg = h.server_config(name, port, hostkeys)
    log, out = h.path(name + ".log"), h.path(name + ".out")
    p = subprocess.Popen([hslib.HSSHD, "-D", "-f", cfg, "-E", log], stdin=subprocess.DEVNULL,
                         stdout=open(out, "w"), stderr=subprocess.STDOUT)
    try:
        rc = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = None
    text = ""
    for f in (log, out):
        if os.path.exists(f):
            with open(f, errors="replace") as fh:
                text += fh.read()
    return rc, text


def outside_uri(text):
    """The log with every pkcs11: URI blanked, so a reason is not found inside the URI itself."""
    return re.sub(r"pkcs11:[^\s\"]*", "<uri>", text)


def case_absent(h, host, tok_pub, host_pub):
    rc, text = refuses_to_start(h, "absent_only", [uri(h)])
    h.check("absent token, token key only: hsshd refuses to start", rc not in (None, 0),
            "exit %r" % rc)
    h.check("absent token: the log names the URI",
            "pkcs11:token=%s;object=ec256" % TOKEN in text, text[-400:])
    h.check("absent token: the log says why (no token / CKR_)",
            re.search(r"no (matching )?token|CKR_\w+", outside_uri(text), re.I), text[-400:])
    h.check("absent token: no crash or sanitizer report", not SANITIZER.search(text) and
            not CRASH.search(text), text[-400:])

    srv = Server(h, "absent_mixed", [host, uri(h)], [host_pub, tok_pub])
    if not h.check("absent token beside a file key: hsshd starts", srv.port is not None):
        return
    text = srv.logtext()
    h.check("absent token beside a file key: the log names the skipped key",
            "pkcs11:token=%s;object=ec256" % TOKEN in text, text[-400:])
    ok, r = srv.logs_in("ssh-ed25519")
    h.check("absent token beside a file key: the file key serves", ok, r.stderr[-300:])
    r = srv.ssh("ecdsa-sha2-nistp256")
    h.check("absent token: a connection pinned to the token key fails",
            r.returncode != 0 and "in" not in r.stdout, "exit %d" % r.returncode)
    h.check("absent token: listener alive", srv.alive())


def device_gone(h, srv, what, logpat, kill):
    """kill() the device under srv's hardware key; a connection pinned to that key must fail at
    once and cleanly (logged, no crash), the listener and the file key carry on."""
    kill()
    mark = len(srv.logtext())
    t0 = time.monotonic()
    r = srv.ssh("ecdsa-sha2-nistp256")
    took = time.monotonic() - t0
    h.check("%s: a connection pinned to its key fails (ssh exit 255)" % what,
            r.returncode == 255 and "in" not in r.stdout,
            "exit %d %s" % (r.returncode, r.stderr[-200:]))
    h.check("%s: it fails at once, not at a timeout (%.1f s)" % (what, took), took < 10)
    time.sleep(0.5)
    after = srv.logtext()[mark:]
    h.check("%s: hsshd logs a line saying so" % what, re.search(logpat, after, re.I),
            after[-400:])
    h.check("%s: no crash or sanitizer report" % what,
            not SANITIZER.search(after) and not CRASH.search(after), after[-400:])
    h.check("%s: listener alive" % what, srv.alive())
    ok, r = srv.logs_in("ssh-ed25519")
    h.check("%s: the file key still serves" % what, ok, r.stderr[-300:])


def device_back(h, srv, what):
    """The device is back: its key serves again without restarting hsshd. Returns the try that
    worked (1..3), 0 if none did."""
    for tries in range(1, 4):
        ok, r = srv.logs_in("ecdsa-sha2-nistp256")
        if ok:
            break
        time.sleep(1)
    h.check("%s: the key works again without restarting hsshd (try %d of 3)" % (what, tries),
            ok, r.stderr[-300:])
    h.check("%s: listener alive (same process)" % what, srv.alive())
    return tries if ok else 0


def case_removed(h, tsrv, host, tok_pub, host_pub):
    if not h.check("p11-kit server serves the token", tsrv.start()):
        return
    srv = Server(h, "removed", [host, uri(h)], [host_pub, tok_pub])
    if not h.check("token + file key: hsshd starts", srv.port is not None):
        return
    ok, r = srv.logs_in("ecdsa-sha2-nistp256")
    h.check("token present: login with the token key (ecdsa-sha2-nistp256)", ok, r.stderr[-300:])
    ok, r = srv.logs_in("ssh-ed25519")
    h.check("token present: login with the file key", ok, r.stderr[-300:])

    def remove():
        tsrv.kill()
        h.check("token removed: pkcs11-tool no longer lists it", not tsrv.lists_token())
    device_gone(h, srv, "token removed",
                r"pkcs11.*(no (matching )?token|CKR_\w+|not found|removed)", remove)
    if not h.check("token back: p11-kit server restarted at the same socket", tsrv.start()):
        return
    tries = device_back(h, srv, "token back")
    # a module re-initialised less than a second before waits out the second, it does not fail
    h.check("token back: on the first connection", tries == 1, "try %d" % tries)
    text = srv.logtext()
    h.check("removal and return: no sanitizer report in the log", not SANITIZER.search(text))
    h.stop_servers()
    tsrv.kill()


class Tpm:
    """swtpm in the foreground on a free port (control channel at port + 1, where tss2's swtpm
    TCTI looks for it), state kept in one directory across restarts."""

    def __init__(self, h):
        self.h = h
        self.state = h.path("tpmstate")
        os.makedirs(self.state, exist_ok=True)
        self.port = h.free_port()
        self.proc = None
        self.n = 0
        self.tcti = "swtpm:host=127.0.0.1,port=%d" % self.port

    def start(self):
        self.n += 1
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--server", "type=tcp,port=%d,bindaddr=127.0.0.1"
             % self.port, "--ctrl", "type=tcp,port=%d,bindaddr=127.0.0.1" % (self.port + 1),
             "--tpmstate", "dir=" + self.state, "--flags", "not-need-init,startup-clear"],
            stdin=subprocess.DEVNULL, stdout=open(self.h.path("swtpm.%d.out" % self.n), "w"),
            stderr=subprocess.STDOUT)
        return self.h.wait_port(self.port + 1, 10, self.proc)

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def tools(self, *argv):
        env = dict(os.environ, TPM2TOOLS_TCTI=self.tcti)
        return subprocess.run(list(argv), cwd=self.state + "/..", env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)

    def make_key(self, handle):
        """An ECDSA P-256 signing key under a primary, made persistent at handle; its public key
        as OpenSSH reads it (tpm2_readpublic PEM through ssh-keygen -i), or None."""
        # swtpm has no resource manager: flush transient objects after each step.
        steps = [["tpm2_createprimary", "-Q", "-C", "o", "-g", "sha256", "-G", "ecc256",
                  "-c", "tprim.ctx"], ["tpm2_flushcontext", "-t"],
                 ["tpm2_create", "-Q", "-C", "tprim.ctx", "-G", "ecc256:ecdsa-sha256",
                  "-u", "tk.pub", "-r", "tk.priv"], ["tpm2_flushcontext", "-t"],
                 ["tpm2_load", "-Q", "-C", "tprim.ctx", "-u", "tk.pub", "-r", "tk.priv",
                  "-c", "tk.ctx"],
                 ["tpm2_evictcontrol", "-Q", "-C", "o", "-c", "tk.ctx", handle],
                 ["tpm2_flushcontext", "-t"],
                 ["tpm2_readpublic", "-Q", "-c", handle, "-f", "pem", "-o", "tk.pem"],
                 ["ssh-keygen", "-i", "-m", "PKCS8", "-f", "tk.pem"]]
        r = None
        for argv in steps:
            r = self.tools(*argv)
            if r.returncode != 0:
                self.h.fail("TPM key setup: " + argv[0], r.stderr[-300:])
                return None
        return " ".join(r.stdout.split()[:2])


def case_tpm(h, host, host_pub):
    for tool in ("swtpm", "tpm2_createprimary"):
        if not h.check("%s is installed" % tool, run(["which", tool]).returncode == 0):
            return
    tpm = Tpm(h)
    atexit.register(tpm.kill)
    if not h.check("swtpm starts", tpm.start()):
        return
    handle = "0x81000002"
    tpm_pub = tpm.make_key(handle)
    if tpm_pub is None:
        return
    h.ok("TPM ECDSA P-256 key persistent at " + handle)
    turi = "tpm2:handle=%s;tcti=%s" % (handle, tpm.tcti)
    srv = Server(h, "tpm", [host, turi], [host_pub, tpm_pub])
    if not h.check("swtpm key + file key: hsshd starts", srv.port is not None):
        return
    ok, r = srv.logs_in("ecdsa-sha2-nistp256")
    h.check("swtpm up: login with the TPM key", ok, r.stderr[-300:])

    device_gone(h, srv, "swtpm killed", r"tpm2", tpm.kill)
    if not h.check("swtpm restarted with the same state and port", tpm.start()):
        return
    device_back(h, srv, "swtpm back")
    h.stop_servers()
    tpm.kill()


def token_flags():
    r = run(["pkcs11-tool", "--module", CLIENT, "-L"])
    m = re.search(r"token flags\s*:\s*(.*)", r.stdout)
    return m.group(1) if m else ""


def case_badpin(h, tsrv, host, tok_pub, host_pub):
    if not h.check("badpin: p11-kit server serves the token", tsrv.start()):
        return
    rc, text = refuses_to_start(h, "badpin_only", [uri(h, "badpin")])
    h.check("wrong PIN, token key only: hsshd refuses to start", rc not in (None, 0),
            "exit %r" % rc)
    h.check("wrong PIN: the log says CKR_PIN_INCORRECT", "CKR_PIN_INCORRECT" in text,
            text[-400:])
    h.check("wrong PIN: the log names the URI", "pkcs11:token=%s;object=ec256" % TOKEN in text,
            text[-400:])
    h.check("wrong PIN: the log does not show the PIN", BADPIN not in outside_uri(text))
    n_only = tsrv.logins()
    h.check("wrong PIN: hsshd tried the PIN at most twice before exiting (C_Login calls: %d)"
            % n_only, 1 <= n_only <= 2)

    srv = Server(h, "badpin_mixed", [host, uri(h, "badpin")], [host_pub, tok_pub])
    if not h.check("wrong PIN beside a file key: hsshd starts", srv.port is not None):
        return
    h.check("wrong PIN beside a file key: CKR_PIN_INCORRECT logged",
            "CKR_PIN_INCORRECT" in srv.logtext(), srv.logtext()[-400:])
    time.sleep(1)
    n_start = tsrv.logins() - n_only
    h.check("wrong PIN beside a file key: at most two C_Login calls at start-up (%d)" % n_start,
            1 <= n_start <= 2)
    good = 0
    for _ in range(3):
        good += srv.logs_in("ssh-ed25519")[0]
        srv.ssh("ecdsa-sha2-nistp256")
    h.expect("wrong PIN: the file key serves 3 logins", 3, good)
    time.sleep(1)
    n_conn = tsrv.logins() - n_only - n_start
    h.expect("wrong PIN: 6 connections cause no further C_Login (no retry loop)", 0, n_conn)
    h.check("wrong PIN: listener alive", srv.alive())
    h.stop_servers()

    flags = token_flags()
    h.check("wrong PIN: the token is not locked (flags: %s)" % flags,
            flags and not re.search(r"locked|final try", flags, re.I))
    r = run(["pkcs11-tool", "--module", CLIENT, "--token-label", TOKEN, "--login", "--pin", PIN,
             "--list-objects", "--type", "privkey"])
    h.check("wrong PIN: afterwards the right PIN logs in and finds the key",
            r.returncode == 0 and "ec256" in r.stdout, r.stderr[-300:])
    h.check("wrong PIN: after a good login softhsm2 clears 'user PIN count low'",
            "count low" not in token_flags(), token_flags())
    tsrv.kill()


def main():
    h = hslib.Harness("hw_faults")
    for tool in ("p11-kit", "pkcs11-tool", "softhsm2-util"):
        if not h.check("%s is installed" % tool, run(["which", tool]).returncode == 0):
            h.finish()
    for lib in (SOFTHSM, CLIENT, SPY):
        if not h.check("%s is installed" % lib, os.path.exists(lib)):
            h.finish()
    # hsshd never loads libsofthsm2 here (p11-kit server does), so it needs no LSan suppression.
    tsrv = TokenServer(h)
    atexit.register(tsrv.kill)
    os.environ["P11_KIT_SERVER_ADDRESS"] = "unix:path=" + tsrv.sock
    tok_pub = make_token(h)
    if tok_pub is None:
        h.finish()
    host = h.keygen("ssh-ed25519", "host_ed25519")
    with open(host + ".pub") as f:
        host_pub = " ".join(f.read().split()[:2])
    h.keygen("ssh-ed25519", "id_user")
    h.authorize(h.path("id_user.pub"))

    case_absent(h, host, tok_pub, host_pub)
    h.stop_servers()
    case_removed(h, tsrv, host, tok_pub, host_pub)
    h.stop_servers()
    case_badpin(h, tsrv, host, tok_pub, host_pub)
    h.stop_servers()
    if os.path.exists(os.path.join(hslib.SRCDIR, "hw", "provider_tpm2.c")):
        case_tpm(h, host, host_pub)
    else:
        print("note: no hw/provider_tpm2.c in %s: swtpm faults not run" % hslib.SRCDIR)
    # Every .log too: a re-executed connection process may write its report there.
    for name in sorted(os.listdir(h.tmp)):
        if name.endswith(".log") and not name.startswith("spy."):
            with open(h.path(name), errors="replace") as f:
                m = SANITIZER.search(f.read())
            if m:
                h.fail("sanitizer report in " + name, m.group(0))
    h.finish()


if __name__ == "__main__":
    main()
