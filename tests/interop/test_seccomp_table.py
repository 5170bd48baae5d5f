#!/usr/bin/python3
"""The seccomp table (sandbox/sandbox_seccomp.c) checked against what hsshd really does.

hsshd runs under `strace -f -ff` while clients drive a full set of sessions: publickey login
with an exec command, password login, a pty shell with input and a window size (and a window
change), a "signal" request and a channel closed under a running program, a 1 MB transfer
through cat with the client rekeying every 64 kB, failed logins (an unauthorized key, a wrong
password), near-256 kB packets in both phases, and a SIGSTOP/SIGCONT of the network process in
each phase (poll resumes through restart_syscall). Then, for every traced process that loaded a seccomp
filter, the syscalls it made after loading it are collected; its phase is PRE if it had switched
to hsshd's uid (setresuid/setuid arguments in its trace), else POST. Asserted:
- every syscall made under a filter is in the table for that phase (ALLOW or DENY rows), and no
  process died of SIGSYS;
- every ALLOW row of each phase was made at least once, or is in EXCEPTIONS below with a reason.
So the table stays minimal: a new row nobody uses fails here until someone justifies it.
HS_IMPL=openssh traces Debian's sshd instead (user sshd) to prove the trace parsing; the table
checks then fail by design (sshd has its own policy)."""
import atexit
import hashlib
import os
import pwd
import re
import signal
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecation noise about Blowfish/TripleDES
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402
import paramiko  # noqa: E402

TIMEOUT = 60  # clients run against a traced, sanitized server
TABLE = os.path.join(hslib.SRCDIR, "sandbox", "sandbox_seccomp.c")
STRACE = "/usr/bin/strace"
PHASES = {"PRE": {"PRE"}, "POST": {"POST"}, "BOTH": {"PRE", "POST"}}

# ALLOW rows the sessions above may not exercise, each with the reason it stays. The CI build
# is ASan's (tests/run-all.sh); a plain build allocates differently, so both are covered.
_BOTH = {
    "ppoll": "glibc's poll(3) on architectures without poll(2) (aarch64); x86_64 makes poll",
    "clock_gettime": "vDSO on x86_64; the syscall when the clock source has no vDSO read "
                     "(some hypervisors)",
    "gettid": "ASan's error report names the thread: a finding in the child is reported, not "
              "turned into SIGSYS",
    "sigaltstack": "ASan builds (made there): the runtime removes its alternate stack at _exit",
    "brk": "glibc malloc's main arena (made by plain builds; ASan's allocator maps instead)",
    "mmap": "glibc malloc above its mmap threshold (a near-256 kB packet), and ASan's allocator",
    "munmap": "free() of such a block (made pre-auth by plain builds)",
    "madvise": "ASan builds (made there post-auth): new heap shadow is marked MADV_NOHUGEPAGE",
    "restart_syscall": "made when the stop/continue above lands in a poll with a timeout, "
                       "as it usually does; a busy machine may miss that moment",
}
EXCEPTIONS = {
    "PRE": dict(_BOTH, write="the SIGSYS reporter's record, only on a violation "
                             "(sandbox_sigsys.c; test_sandbox.py makes one)"),
    "POST": dict(_BOTH),
}
# Rows this test once found neither used nor justified, kept here until the table dropped them.
# The table has dropped them all (ASan and plain builds, x86_64): any unused row without a reason
# in EXCEPTIONS now fails.
TO_REMOVE = {"PRE": set(), "POST": set()}


def parse_table(path):
    """{"PRE": {"allow": set, "deny": set, "kill": set}, "POST": ...} from the rules[] table.
    Rows: ALLOW("n", PH), ALLOW_EQ("n", PH, ...), ALLOW_IF("n", PH, ...), DENY("n") (both
    phases) and { .name = "n", .action = HS_SB_X, .phases = PH }. A quoted name in the table
    that none of these forms matches is an error (the parser would silently miss a row)."""
    with open(path) as f:
        src = f.read()
    m = re.search(r"rules\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if not m:
        raise ValueError("no rules[] table in " + path)
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    table = {ph: {"allow": set(), "deny": set(), "kill": set()} for ph in ("PRE", "POST")}
    seen = 0

    def phases(expr):
        out = set()
        for tok in re.findall(r"[A-Z]+", expr):
            if tok not in PHASES:
                raise ValueError("unknown phase %s in %r" % (tok, expr))
            out |= PHASES[tok]
        return out

    for mm in re.finditer(r'\b(ALLOW|ALLOW_EQ|ALLOW_IF)\(\s*"(\w+)"\s*,\s*([A-Z |()]+?)\s*[,)]',
                          body):
        seen += 1
        for ph in phases(mm.group(3)):
            table[ph]["allow"].add(mm.group(2))
    for mm in re.finditer(r'\bDENY\(\s*"(\w+)"\s*\)', body):
        seen += 1
        for ph in table:
            table[ph]["deny"].add(mm.group(1))
    action = {"HS_SB_ALLOW": "allow", "HS_SB_EACCES": "deny", "HS_SB_KILL": "kill"}
    for mm in re.finditer(r'\{\s*\.name\s*=\s*"(\w+)",\s*\.action\s*=\s*(\w+),\s*'
                          r'\.phases\s*=\s*([A-Z |()]+?)\s*[,}]', body):
        seen += 1
        for ph in phases(mm.group(3)):
            table[ph][action[mm.group(2)]].add(mm.group(1))
    total = len(re.findall(r'"\w+"', body))
    if seen != total:
        raise ValueError("%d rows parsed, %d names in the table" % (seen, total))
    return table


def parse_traces(tdir, pre_uid):
    """[(pid, phase, [syscall names after the filter], killed_by)] for every traced process
    that loaded a seccomp filter; phase PRE if it switched to pre_uid, else POST."""
    out = []
    for name in sorted(os.listdir(tdir)):
        if not name.startswith("t."):
            continue
        with open(os.path.join(tdir, name), errors="replace") as f:
            lines = f.read().splitlines()
        start = None
        uids = set()
        for i, ln in enumerate(lines):
            m = re.match(r"set(?:res|re)?uid\((\d+)", ln)
            if m and ln.rstrip().endswith("= 0"):
                uids.add(int(m.group(1)))
            if re.match(r"(seccomp\(SECCOMP_SET_MODE_FILTER|prctl\(PR_SET_SECCOMP, "
                        r"SECCOMP_MODE_FILTER).*\) = 0$", ln):
                start = i
                break
        if start is None:
            continue
        calls = []
        killed = None
        for ln in lines[start + 1:]:
            m = re.match(r"([a-z_][a-z0-9_]*)\(", ln)
            if m:
                calls.append(m.group(1))
            m = re.match(r"\+\+\+ killed by (\w+)", ln)
            if m:
                killed = m.group(1)
        out.append((int(name[2:]), "PRE" if pre_uid in uids else "POST", calls, killed))
    return out


class Traced:
    """hsshd -D under strace; the listener is strace's child. Stopping ends the listener (and
    so its monitors), then waits for strace to write everything out."""

    def __init__(self, h, hostkeys):
        self.h = h
        self.tdir = h.path("trace")
        os.mkdir(self.tdir)
        prefix = [STRACE, "-f", "-ff", "-q", "-s", "32", "-o", os.path.join(self.tdir, "t")]
        self.port, self.log, self.proc = hslib.start_server_args(
            h, "traced", hostkeys, extra=["LoginGraceTime 120"], args=["-o", "LogLevel=DEBUG1"],
            prefix=prefix)
        self.listener = None
        if self.proc is not None:
            kids = hslib.proc_children(self.proc.pid)
            self.listener = kids[0] if kids else None
        # strace killed by the harness detaches and leaves the listener running: end it first
        # (atexit runs this before the harness's own cleanup).
        atexit.register(self.stop)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.listener is not None:
            try:
                os.kill(self.listener, 15)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ssh(h, port, dest, cmd, extra=(), stdin=None, env=None):
    argv = ["timeout", str(TIMEOUT), hslib.SSH, "-F", "/dev/null", "-p", str(port),
            "-o", "UserKnownHostsFile=" + h.path("known_hosts"), "-o", "StrictHostKeyChecking=yes",
            "-o", "IdentitiesOnly=yes"] + list(extra) + [dest, cmd]
    return subprocess.run(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, env=env)


def drive(h, port, ident):
    """The session set; each step is also a check (a broken session would hide syscalls)."""
    key = ["-i", ident, "-o", "BatchMode=yes"]
    r = ssh(h, port, hslib.USER + "@127.0.0.1", "echo exec-ok", key)
    h.expect("publickey login + exec", b"exec-ok\n", r.stdout)

    askpass = h.path("askpass")
    with open(askpass, "w") as f:
        f.write("#!/bin/sh\necho '%s'\n" % hslib.PASSWORD)
    os.chmod(askpass, 0o755)
    env = dict(os.environ, SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
    pw = ["-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
          "-o", "NumberOfPasswordPrompts=1"]
    r = ssh(h, port, hslib.PWUSER + "@127.0.0.1", "echo pw-ok", pw, env=env)
    h.expect("password login + exec", b"pw-ok\n", r.stdout)

    t = paramiko.Transport(("127.0.0.1", port))
    t.banner_timeout = TIMEOUT
    t.start_client(timeout=TIMEOUT)
    stop_cont(h, h.listener, pwd.getpwnam(hslib.PRIVSEP_USER).pw_uid, "pre-auth")
    big_ignore(t)
    t.auth_publickey(hslib.USER, paramiko.Ed25519Key.from_private_key_file(ident))
    big_ignore(t)
    ch = t.open_session(timeout=TIMEOUT)
    ch.get_pty(term="xterm", width=100, height=30)
    ch.invoke_shell()
    ch.send(b"stty size; echo mark-$((6*7))\n")  # the echoed input has no "mark-42"
    out = read_until(ch, b"mark-42\r\n")
    # A stopped and continued post-auth process resumes its poll through restart_syscall.
    stop_cont(h, h.listener, pwd.getpwnam(hslib.USER).pw_uid, "post-auth")
    ch.resize_pty(width=132, height=43)
    time.sleep(0.5)
    ch.send(b"stty size; exit 3\n")
    out += read_until(ch, None)
    h.check("pty shell: input, window size 30x100, window change to 43x132, exit 3",
            b"30 100" in out and b"43 132" in out and ch.recv_exit_status() == 3, out[-300:])
    # RFC 4254 6.9: a "signal" request (paramiko has no call for it), then a channel closed
    # under a running program; the post-auth process passes both on with kill(2).
    ch = t.open_session(timeout=TIMEOUT)
    ch.exec_command("exec sleep 30")
    time.sleep(1)
    m = paramiko.Message()
    m.add_byte(bytes([98]))  # SSH_MSG_CHANNEL_REQUEST
    m.add_int(ch.remote_chanid)
    m.add_string("signal")
    m.add_boolean(False)
    m.add_string("TERM")
    t._send_user_message(m)
    start = time.monotonic()
    ch.recv_exit_status()
    h.check("signal request TERM ends the program", time.monotonic() - start < 15,
            "%.1f s" % (time.monotonic() - start))
    ch = t.open_session(timeout=TIMEOUT)
    ch.exec_command("exec sleep 30")
    time.sleep(1)
    ch.close()
    time.sleep(1)
    t.close()

    data = os.urandom(1 << 20)
    r = ssh(h, port, hslib.USER + "@127.0.0.1", "cat", key + ["-o", "RekeyLimit=64K"],
            stdin=open_bytes(h, data))
    h.expect("1 MB through cat with client rekeys every 64 kB (sha256)",
             hashlib.sha256(data).hexdigest(), hashlib.sha256(r.stdout).hexdigest())

    other = h.keygen("ssh-ed25519", "id_other")
    r = ssh(h, port, hslib.USER + "@127.0.0.1", "true", ["-i", other, "-o", "BatchMode=yes"])
    h.check("login with an unauthorized key fails", r.returncode != 0)
    t = paramiko.Transport(("127.0.0.1", port))
    t.banner_timeout = TIMEOUT
    t.start_client(timeout=TIMEOUT)
    try:
        t.auth_password(hslib.PWUSER, "wrong-" + hslib.PASSWORD)
        h.fail("login with a wrong password fails")
    except paramiko.AuthenticationException:
        h.ok("login with a wrong password fails")
    t.close()


def big_ignore(t, n=200000):
    """An SSH_MSG_IGNORE near the 256 kB packet limit hsshd accepts: the receive buffer grows
    past glibc's mmap threshold (128 kB), as a client may make it do in either phase."""
    m = paramiko.Message()
    m.add_byte(bytes([2]))  # SSH_MSG_IGNORE
    m.add_string(os.urandom(n))
    t._send_user_message(m)


def stop_cont(h, listener, uid, what):
    """SIGSTOP, then SIGCONT, the one network process running as uid below listener (a child
    of a monitor), as a user or an admin may; it must carry on (checked by the caller's next
    step). Under ptrace the stop is reported to strace and then delivered."""
    def find():
        return [k for m in hslib.proc_children(listener) for k in hslib.proc_children(m)
                if hslib.proc_ids(k) == [uid] * 4 and (hslib.proc_stat(k) or ("",))[0] == "hsshd"]
    # the previous connection's processes may still be on their way out
    procs = hslib.wait_for(lambda: len(find()) == 1 and find(), 10) or find()
    if not h.check("%s process found for SIGSTOP/SIGCONT" % what, len(procs) == 1, procs):
        return
    os.kill(procs[0], signal.SIGSTOP)
    time.sleep(0.5)
    os.kill(procs[0], signal.SIGCONT)
    time.sleep(0.2)


def open_bytes(h, data):
    p = h.path("1m.data")
    with open(p, "wb") as f:
        f.write(data)
    return open(p, "rb")


def read_until(ch, mark):
    out = b""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end and (mark is None or mark not in out):
        if ch.recv_ready():
            out += ch.recv(65536)
        elif ch.exit_status_ready() and not ch.recv_ready():
            break
        else:
            time.sleep(0.05)
    return out


def main():
    h = hslib.Harness("seccomp_table")
    if not h.check("strace installed", os.access(STRACE, os.X_OK)):
        h.finish()
    try:
        table = parse_table(TABLE)
        h.ok("table parsed: PRE %d allowed, POST %d allowed, %d denied (EACCES)"
             % (len(table["PRE"]["allow"]), len(table["POST"]["allow"]),
                len(table["PRE"]["deny"])))
    except (OSError, ValueError) as e:
        h.fail("parse " + TABLE, e)
        h.finish()
    ident = h.keygen("ssh-ed25519", "id_user")
    h.authorize(ident + ".pub")
    host = h.keygen("ssh-ed25519", "host_ed25519")
    # LeakSanitizer cannot run under ptrace: in the ASan build every traced process would
    # write a "fatal error" report at exit (into the CI's sanitizer log directory).
    os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    srv = Traced(h, [host])
    if srv.port is None or srv.listener is None:
        h.fail("start hsshd under strace")
        h.finish()
    with open(h.path("known_hosts"), "w") as f:
        with open(host + ".pub") as k:
            f.write("[127.0.0.1]:%d %s\n" % (srv.port, " ".join(k.read().split()[:2])))
    h.listener = srv.listener
    try:
        drive(h, srv.port, ident)
    except Exception as e:  # noqa: BLE001
        h.fail("sessions", repr(e))
    time.sleep(1)
    srv.stop()
    check(h, table, parse_traces(srv.tdir, pwd.getpwnam(hslib.PRIVSEP_USER).pw_uid))
    h.finish()


def check(h, table, procs):
    used = {"PRE": {}, "POST": {}}
    counts = {"PRE": 0, "POST": 0}
    for pid, phase, calls, killed in procs:
        counts[phase] += 1
        h.check("%s process %d not killed (%d syscalls under the filter)"
                % (phase, pid, len(calls)), killed is None, "killed by %s" % killed)
        for c in calls:
            used[phase][c] = used[phase].get(c, 0) + 1
    # 6 connections: each has a filtered pre-auth child; 4 of them log in (post-auth process).
    h.check("filtered pre-auth processes traced (>= 6)", counts["PRE"] >= 6, counts)
    h.check("filtered post-auth processes traced (>= 4)", counts["POST"] >= 4, counts)
    for phase in ("PRE", "POST"):
        t = table[phase]
        allowed = t["allow"] | t["deny"]
        made = used[phase]
        print("\n%s: syscalls made under the filter (count):" % phase)
        print("    " + ", ".join("%s %d" % (c, made[c]) for c in sorted(made)))
        outside = sorted(set(made) - allowed)
        h.check("%s: every syscall made is in the table" % phase, not outside,
                "not in the table: %s" % ", ".join(outside))
        unused = sorted(t["allow"] - set(made))
        print("%s: ALLOW rows never made: %s" % (phase, ", ".join(unused) or "none"))
        unjustified = [c for c in unused if c not in EXCEPTIONS[phase]
                       and c not in TO_REMOVE[phase]]
        h.check("%s: every unused ALLOW row has a reason in EXCEPTIONS" % phase,
                not unjustified, "unused without a reason: %s" % ", ".join(unjustified))
        pending = sorted(set(unused) & TO_REMOVE[phase])
        if pending:
            print("%s: WARNING: unused rows with no reason, still in the table (TO_REMOVE): %s"
                  % (phase, ", ".join(pending)))
        stale = sorted(set(EXCEPTIONS[phase]) & set(made))
        if stale:
            print("%s: excepted, and made in this run: %s"
                  % (phase, ", ".join(stale)))
        for c, why in sorted(EXCEPTIONS[phase].items()):
            if c in unused:
                print("    %-16s %s" % (c, why))
        gone = sorted(TO_REMOVE[phase] - t["allow"])
        if gone:
            print("%s: dropped from the table, can leave TO_REMOVE: %s" % (phase, ", ".join(gone)))
        used_now = sorted(TO_REMOVE[phase] & set(made))
        h.check("%s: no TO_REMOVE row is made after all" % phase, not used_now,
                "made, so give it a reason in EXCEPTIONS: %s" % ", ".join(used_now))
        extra = sorted(set(EXCEPTIONS[phase]) - t["allow"])
        if extra:
            print("%s: exceptions for rows no longer in the table: %s" % (phase, ", ".join(extra)))


if __name__ == "__main__":
    main()
