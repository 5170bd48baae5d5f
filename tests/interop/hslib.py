"""tests/interop/hslib.py: the Python side of the interop harness (the shell side is lib.sh).

Same environment and rules as lib.sh: HS_SRCDIR, HS_BINDIR, HS_IMPL=hardssh|openssh, HS_KEEP=1.
Tests run as root; every daemon started here is killed at exit; a missing binary is a failure;
the script ends by printing "N passed, M failed" and exits non-zero when M > 0.
"""
import atexit
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

LIBDIR = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("HS_SRCDIR") or os.path.abspath(os.path.join(LIBDIR, "..", ".."))
BINDIR = os.environ.get("HS_BINDIR") or os.path.join(SRCDIR, "build", "bin")
IMPL = os.environ.get("HS_IMPL", "hardssh")
SSHD = "/usr/sbin/sshd"
SSH = "/usr/bin/ssh"
HSSHD = SSHD if IMPL == "openssh" else os.path.join(BINDIR, "hsshd")
USER = "hsshtest"
PWUSER = "hsshpw"
PASSWORD = "hs-Test-pw-4711"  # must match lib.sh
LOCK = "/run/lock/hardssh-tests.lock"

KEYGEN_ARGS = {
    "ssh-ed25519": ["-t", "ed25519"],
    "ecdsa-sha2-nistp256": ["-t", "ecdsa", "-b", "256"],
    "ecdsa-sha2-nistp384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa-sha2-nistp521": ["-t", "ecdsa", "-b", "521"],
    "rsa": ["-t", "rsa", "-b", "3072"],
}


class Harness:
    def __init__(self, name):
        if os.geteuid() != 0:
            print("interop tests must run as root (they create test users)")
            sys.exit(2)
        self.name = name
        self.tag = "hs-test-%d" % os.getpid()
        self.passed = 0
        self.failed = 0
        self.procs = []
        self.akfiles = []
        self.tmp = tempfile.mkdtemp(prefix="hs-%s." % name)
        os.chmod(self.tmp, 0o755)
        os.makedirs("/run/sshd", exist_ok=True)
        atexit.register(self.cleanup)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        print("== %s (impl: %s, bindir: %s, tmp: %s)" % (name, IMPL, BINDIR, self.tmp), flush=True)
        # One place creates the users: lib.sh's hs_ensure_users.
        subprocess.run(["/bin/bash", "-c", '. "$0"; hs_ensure_users',
                        os.path.join(LIBDIR, "lib.sh")], check=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    # --- counting -------------------------------------------------------------------------
    def ok(self, what):
        self.passed += 1
        print("ok   " + what, flush=True)

    def fail(self, what, detail=""):
        self.failed += 1
        print("FAIL " + what + (": " + str(detail) if detail else ""), flush=True)

    def check(self, what, cond, detail=""):
        if cond:
            self.ok(what)
        else:
            self.fail(what, detail)
        return cond

    def expect(self, what, want, got):
        return self.check(what, want == got, "expected %r, got %r" % (want, got))

    def stop_servers(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []

    def finish(self):
        # A sanitizer report on a daemon's stderr (ASan/UBSan builds) fails the test.
        self.stop_servers()
        for name in sorted(os.listdir(self.tmp)):
            if name.endswith(".out"):
                with open(self.path(name), errors="replace") as f:
                    text = f.read()
                m = re.search(r"ERROR: (Address|Leak)Sanitizer.*|runtime error:.*", text)
                if m:
                    self.fail("sanitizer report in " + name, m.group(0)[:200])
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)

    # --- keys and users -------------------------------------------------------------------
    def keygen(self, alg, name):
        f = self.path(name)
        subprocess.run(["ssh-keygen", "-q"] + KEYGEN_ARGS[alg] + ["-N", "", "-C", self.tag,
                        "-f", f], check=True, stdin=subprocess.DEVNULL)
        return f

    def authorize(self, pubfile, user=USER):
        home = subprocess.run(["getent", "passwd", user], capture_output=True,
                              text=True).stdout.split(":")[5]
        ak = os.path.join(home, ".ssh", "authorized_keys")
        with open(pubfile) as f:
            typ, blob = f.read().split()[:2]
        with open(LOCK, "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            with open(ak, "a") as f:
                f.write("%s %s %s\n" % (typ, blob, self.tag))
        self.akfiles.append(ak)

    # --- servers --------------------------------------------------------------------------
    @staticmethod
    def free_port():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    @staticmethod
    def wait_port(port, limit=10.0, proc=None):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if proc is not None and proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def server_config(self, name, port, hostkeys, extra=()):
        cfg = self.path(name + ".cfg")
        lines = ["Port %d" % port, "ListenAddress 127.0.0.1"]
        lines += ["HostKey %s" % k for k in hostkeys]
        lines += ["AuthorizedKeysFile .ssh/authorized_keys", "PermitRootLogin no",
                  "PubkeyAuthentication yes", "PasswordAuthentication yes", "StrictModes no",
                  "AcceptEnv HS_TEST_*", "LogLevel VERBOSE", "LoginGraceTime 30",
                  "MaxStartups 50", "PidFile %s.pid" % cfg]
        if IMPL != "openssh":
            # Tests fail logins on purpose, all from 127.0.0.1; sshd 9.2 lacks the keyword.
            lines.append("PerSourcePenalties no")
        lines += list(extra)
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        return cfg

    def start_hsshd(self, name, hostkeys, extra=(), prefix=()):
        """Start hsshd -D -f CFG -E LOG (behind the command words in prefix, e.g. prlimit);
        returns (port, logfile) or (None, logfile)."""
        port = self.free_port()
        cfg = self.server_config(name, port, hostkeys, extra)
        log = self.path(name + ".log")
        open(log, "a").close()
        if not os.access(HSSHD, os.X_OK):
            print("missing server binary " + HSSHD, flush=True)
            return None, log
        out = open(self.path(name + ".out"), "w")
        p = subprocess.Popen(list(prefix) + [HSSHD, "-D", "-f", cfg, "-E", log],
                             stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        if not self.wait_port(port, 10, p):
            print("hsshd (%s) did not start on port %d" % (HSSHD, port), flush=True)
            with open(self.path(name + ".out")) as f:
                print(f.read()[-2000:], flush=True)
            return None, log
        return port, log

    def cleanup(self):
        self.stop_servers()
        for ak in set(self.akfiles):
            with open(LOCK, "a") as lk:
                fcntl.flock(lk, fcntl.LOCK_EX)
                with open(ak) as f:
                    keep = [ln for ln in f if not ln.rstrip("\n").endswith(" " + self.tag)]
                with open(ak, "w") as f:
                    f.writelines(keep)
        if os.environ.get("HS_KEEP") == "1" or self.failed:
            print("logs kept in " + self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# --- privilege separation: the processes of one connection (test_sandbox, test_seccomp_table) ---
PRIVSEP_USER = "sshd" if IMPL == "openssh" else "hsshd"  # the pre-auth child runs as this user
PRIVSEP_DIR = "/run/sshd" if IMPL == "openssh" else "/run/hsshd"  # ... chrooted here


def start_server_args(h, name, hostkeys, extra=(), args=(), prefix=()):
    """As Harness.start_hsshd, with command-line arguments after "-E LOG" (e.g. "-o",
    "LogLevel=DEBUG1"). Returns (port, log, Popen) or (None, log, None)."""
    port = h.free_port()
    cfg = h.server_config(name, port, hostkeys, extra)
    log = h.path(name + ".log")
    open(log, "a").close()
    if not os.access(HSSHD, os.X_OK):
        print("missing server binary " + HSSHD, flush=True)
        return None, log, None
    out = open(h.path(name + ".out"), "w")
    p = subprocess.Popen(list(prefix) + [HSSHD, "-D", "-f", cfg, "-E", log] + list(args),
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    h.procs.append(p)
    if not h.wait_port(port, 20, p):
        print("%s did not start on port %d" % (HSSHD, port), flush=True)
        with open(h.path(name + ".out")) as f:
            print(f.read()[-2000:], flush=True)
        return None, log, None
    return port, log, p


def proc_stat(pid):
    """(comm, ppid) of a process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    return comm, int(s[s.rindex(")") + 2:].split()[1])


def proc_status(pid):
    """/proc/PID/status as a dict of stripped strings ({} if the process is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return {k: v.strip() for k, v in (ln.split(":", 1) for ln in f if ":" in ln)}
    except OSError:
        return {}


def proc_ids(pid, key="Uid"):
    """The four ids of the Uid: or Gid: line (real, effective, saved, fs), or None."""
    v = proc_status(pid).get(key)
    return [int(x) for x in v.split()] if v else None


def proc_readlink(pid, what):
    try:
        return os.readlink("/proc/%d/%s" % (pid, what))
    except OSError:
        return None


def proc_children(pid):
    """Pids whose parent is pid."""
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[1] == pid:
                kids.append(int(d))
    return sorted(kids)


def wait_for(fn, limit=10.0, step=0.1):
    """Call fn until it returns something true, at most limit seconds; its last value."""
    end = time.monotonic() + limit
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def preauth_children(listener):
    """Pre-auth network children below a listener pid: processes running entirely as
    PRIVSEP_USER whose parent (the monitor, a child of the listener) runs as root. As
    [(monitor, child)]."""
    import pwd
    want = pwd.getpwnam(PRIVSEP_USER).pw_uid
    found = []
    for mon in proc_children(listener):
        if proc_ids(mon) != [0, 0, 0, 0]:
            continue
        for kid in proc_children(mon):
            if proc_ids(kid) == [want] * 4:
                found.append((mon, kid))
    return found


def maps_report(listener, port, lib, kex=None):
    """Which of hsshd's processes map the shared library lib, while a paramiko client is parked
    after its key exchange (only kex, if given) on port, before its service request. Prints one
    line each for the listener, the connection's monitor and pre-auth child ("<role> <pid> maps
    <lib>: True|False"), and "keyd <pids> maps <lib>: True" when exactly one other child of the
    listener (the host-key service) maps it. Returns 0, or 1 when no pre-auth child showed up."""
    import paramiko
    t = paramiko.Transport(("127.0.0.1", port))
    try:
        if kex:
            t.get_security_options().kex = (kex,)
        t.banner_timeout = 20
        t.start_client(timeout=20)
        pairs = wait_for(lambda: len(p := preauth_children(listener)) == 1 and p, 10)
        if not pairs:
            print("no pre-auth child found below", listener)
            return 1
        mon, child = pairs[0]

        def maps(pid):
            with open("/proc/%d/maps" % pid) as f:
                return lib in f.read()
        # other children: this connection's monitor, maybe an earlier connection's, exiting
        keyd = [p for p in proc_children(listener) if p != mon and maps(p)]
        print("keyd", " ".join(map(str, keyd)), "maps %s:" % lib, len(keyd) == 1)
        for role, pid in (("listener", listener), ("monitor", mon), ("child", child)):
            print(role, pid, "maps %s:" % lib, maps(pid))
        return 0
    finally:
        t.close()
