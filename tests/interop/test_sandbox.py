#!/usr/bin/python3
"""hsshd's privilege separation seen from outside, on a live server (issue 4):
(a) with the test-hook build (-DHS_SANDBOX_TEST_HOOKS=ON): logging in as "hstest-syscall-NAME"
    makes the pre-auth child call NAME (socket, execve, ptrace, fork); the login fails, the log
    names the syscall with its number and the peer address at ERROR level, the listener lives
    on, a session opened before still finishes ("done", exit 0) and a new login works;
(b) no host-key material in the pre-auth child: with ed25519, ecdsa-p256 and rsa-3072 host keys
    and a connection parked after key exchange, every readable region of the child's memory is
    searched for the ed25519 seed, the ecdsa scalar and rsa p, q, d (big- and little-endian, and
    16-byte pieces of them); the per-connection monitor holds none either (the host-key service
    signs for it), and the same search over the host-key service must FIND the ed25519 seed (the
    control that proves the search works); no PKCS#11/TPM library is mapped in the child;
(c) the pre-auth child runs as hsshd (all uids and gids), no_new_privs, seccomp filter mode, no
    capabilities, chrooted to /run/hsshd; during a session the post-auth process (the user's
    uid, a child of the monitor) is filtered and chrooted too and holds no host-key bytes
    either (nor does its monitor), while the session program is a child of the monitor, unfiltered, as the user;
(d) Sandbox no: no filter, but still hsshd's uid and the chroot, an ERROR line saying so, and
    logins work.
HS_IMPL=openssh runs (b) and the pre-auth part of (c) against Debian's sshd (user sshd, chroot
/run/sshd) to prove the process finding; its monitor control fails there by design, since sshd
keeps private keys shielded (encrypted) in memory. The rest is hsshd's design."""
import os
import pwd
import re
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecation noise about Blowfish/TripleDES
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402
from hslib import proc_ids, proc_readlink, proc_stat, proc_status, wait_for  # noqa: E402
import paramiko  # noqa: E402

OPENSSH = hslib.IMPL == "openssh"
TIMEOUT = 20
HOOKS = ("socket", "execve", "ptrace", "fork")
# What each hook's call is named in the log (glibc's fork(3) is the clone syscall).
HOOK_SYSCALLS = {"socket": ("socket",), "execve": ("execve",), "ptrace": ("ptrace",),
                 "fork": ("clone", "clone3", "fork")}
FORBIDDEN_LIBS = ("libsofthsm2", "libtss2", "libtpm2", "p11-kit")
# ASan's shadow memory on x86_64 (low and high shadow, and the gap between): terabytes of
# mostly untouched reservations that hold no program data. Skipped by the memory search.
ASAN_SHADOW = (0x00007fff8000, 0x10007fff8000)


def syscall_numbers():
    """__NR_* of this machine's architecture, from the C library headers."""
    out = subprocess.run(["gcc", "-dM", "-E", "-"], input="#include <sys/syscall.h>\n",
                         capture_output=True, text=True).stdout
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"#define __NR_(\w+) (\d+)", out)}


# --- OpenSSH private key files (PROTOCOL.key), unencrypted ------------------------------
class Reader:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def u32(self):
        v = int.from_bytes(self.d[self.i:self.i + 4], "big")
        self.i += 4
        return v

    def string(self):
        n = self.u32()
        v = self.d[self.i:self.i + n]
        if len(v) != n:
            raise ValueError("truncated key")
        self.i += n
        return v

    def mpint(self):
        return self.string().lstrip(b"\0")


def key_secrets(path):
    """{label: secret bytes, big-endian without leading zeros} of an OpenSSH private key."""
    import base64
    with open(path) as f:
        text = "".join(ln.strip() for ln in f if not ln.startswith("-----"))
    r = Reader(base64.b64decode(text))
    magic = b"openssh-key-v1\0"
    if r.d[:len(magic)] != magic:
        raise ValueError("not an OpenSSH private key")
    r.i = len(magic)
    if r.string() != b"none":
        raise ValueError("encrypted key")
    r.string()
    r.string()
    if r.u32() != 1:
        raise ValueError("more than one key")
    r.string()
    p = Reader(r.string())
    p.u32()
    p.u32()
    typ = p.string().decode()
    if typ == "ssh-ed25519":
        p.string()
        return {"ed25519 seed": p.string()[:32]}
    if typ.startswith("ecdsa-sha2-"):
        p.string()
        p.string()
        return {"ecdsa scalar": p.mpint()}
    if typ == "ssh-rsa":
        p.mpint()
        p.mpint()
        d = p.mpint()
        p.mpint()
        return {"rsa d": d, "rsa p": p.mpint(), "rsa q": p.mpint()}
    raise ValueError("key type " + typ)


def patterns(secrets):
    """{label: [byte strings]}: each secret whole and as 16-byte pieces (start, middle, end),
    big-endian (file and wire order) and reversed (the digit order of a little-endian bignum)."""
    out = {}
    for label, s in secrets.items():
        pats = []
        for v in (s, s[::-1]):
            pats.append(v)
            for off in (0, len(v) // 2 - 8, len(v) - 16):
                pats.append(v[off:off + 16])
        out[label] = sorted(set(pats), key=len)
    return out


# --- process memory -----------------------------------------------------------------------
def regions(pid):
    """(start, end, perms, name) of every mapping."""
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for ln in f:
            parts = ln.split(None, 5)
            a, b = (int(x, 16) for x in parts[0].split("-"))
            out.append((a, b, parts[1], parts[5].strip() if len(parts) > 5 else ""))
    return out


def read_memory(pid):
    """The bytes of every region that can hold data made at run time: readable, and either
    anonymous or writable (read-only file mappings are program text and constants), less
    [vvar]/[vsyscall] and ASan's shadow. Returns (list of bytes, number of regions read)."""
    chunks = []
    n = 0
    fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
    try:
        for a, b, perms, name in regions(pid):
            if "r" not in perms or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            if name.startswith("/") and "w" not in perms:
                continue
            if ASAN_SHADOW[0] <= a and b <= ASAN_SHADOW[1]:
                continue
            if b - a > 1 << 32:
                raise RuntimeError("unexpected %d GiB region %x-%x %s" % ((b - a) >> 30, a, b,
                                                                           name))
            n += 1
            pos = a
            while pos < b:
                want = min(b - pos, 1 << 20)
                try:
                    chunks.append(os.pread(fd, want, pos))
                except OSError:
                    pass  # a guard page or a region unmapped meanwhile
                pos += want
    finally:
        os.close(fd)
    return chunks, n


def search(chunks, pats):
    """Labels of pats found in the memory chunks (a piece may straddle two chunks of one region:
    the chunks are joined with 64 bytes of overlap)."""
    found = set()
    prev = b""
    for c in chunks:
        blob = prev[-64:] + c
        for label, plist in pats.items():
            if label not in found and any(p in blob for p in plist):
                found.add(label)
        prev = c
    return found


# --- clients --------------------------------------------------------------------------------
class Server:
    def __init__(self, h, name, hostkeys, extra=(), args=()):
        self.h = h
        self.port, self.log, self.proc = hslib.start_server_args(h, name, hostkeys, extra, args)

    def ssh(self, user, cmd, ident, background=False, extra=()):
        argv = ["timeout", str(TIMEOUT), hslib.SSH, "-F", "/dev/null", "-p", str(self.port),
                "-i", ident, "-o", "UserKnownHostsFile=" + self.h.path("known_hosts"),
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes"] + list(extra) + [user + "@127.0.0.1", cmd]
        if background:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)

    def parked(self):
        """A paramiko transport after key exchange, before any user name (the pre-auth child
        waits for the service request)."""
        t = paramiko.Transport(("127.0.0.1", self.port))
        t.banner_timeout = TIMEOUT
        t.start_client(timeout=TIMEOUT)
        return t

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def known_hosts(h, port, pubs):
    with open(h.path("known_hosts"), "a") as f:
        for p in pubs:
            with open(p) as k:
                f.write("[127.0.0.1]:%d %s\n" % (port, " ".join(k.read().split()[:2])))


def find_preauth(listener, limit=10):
    """The only (monitor, pre-auth child) pair below listener, waiting for it to appear."""
    # exactly one: the port probe's connection (hslib.wait_port) may still be ending
    pairs = wait_for(lambda: len(p := hslib.preauth_children(listener)) == 1 and p, limit)
    return pairs[0] if pairs else (None, None)


# --- (a) forbidden syscalls -------------------------------------------------------------------
def test_hooks(h, host, ident):
    with open(hslib.HSSHD, "rb") as f:
        if not h.check("hsshd built with -DHS_SANDBOX_TEST_HOOKS=ON (tests/run-all.sh does)",
                       b"hstest-syscall-" in f.read()):
            return
    nrs = syscall_numbers()
    srv = Server(h, "hooks", [host], args=["-o", "LogLevel=ERROR"])
    if srv.port is None:
        h.fail("start hsshd (hooks)")
        return
    known_hosts(h, srv.port, [host + ".pub"])
    for name in HOOKS:
        before = srv.ssh(hslib.USER, "sleep 3; echo done", ident, background=True)
        # the hook connection comes once that session runs its program
        wait_for(lambda: [p for p in descendants(srv.proc.pid)
                          if (proc_stat(p) or ("",))[0] == "sleep"], TIMEOUT)
        r = srv.ssh("hstest-syscall-" + name, "true", ident)
        h.check("hook %s: login fails" % name, r.returncode != 0, "exit %d" % r.returncode)
        want = "|".join(r"%s\)" % re.escape("%d (%s" % (nrs[s], s))
                        for s in HOOK_SYSCALLS[name] if s in nrs)
        line = wait_for(lambda: re.search(r"^.*syscall (%s).*$" % want, srv.logtext(), re.M),
                        5)
        h.check("hook %s: log names the syscall and its number" % name, line,
                "no 'syscall N (%s)' line in %s" % (name, srv.log))
        if line:
            h.check("hook %s: the line names the sandbox violation and the peer" % name,
                    "sandbox violation" in line.group(0) and "127.0.0.1" in line.group(0),
                    line.group(0))
        h.check("hook %s: listener still alive" % name, srv.alive())
        try:
            out, err = before.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            before.kill()
            out, err = before.communicate()
        h.check("hook %s: session opened before finishes" % name,
                before.returncode == 0 and out == "done\n",
                "exit %s, out %r, err %r" % (before.returncode, out, err[-200:]))
        r = srv.ssh(hslib.USER, "echo after", ident)
        h.check("hook %s: a new login works afterwards" % name,
                r.returncode == 0 and r.stdout == "after\n",
                "exit %d, %r" % (r.returncode, r.stderr[-200:]))
    kd = keyd_pid(srv.proc.pid)

    def leftovers():  # the host-key service stays for the listener's life
        return [(p, proc_stat(p)) for p in descendants(srv.proc.pid) if p != kd]
    left = wait_for(lambda: not leftovers(), 10) or leftovers()
    h.check("no process (monitor, child, zombie) left below the listener", left is True, left)
    # The log level of the server is ERROR: every line seen above was logged at ERROR or FATAL.
    n = len(re.findall(r"sandbox violation", srv.logtext()))
    h.check("four violations logged at ERROR level (LogLevel ERROR)", n == len(HOOKS),
            "%d lines" % n)


# --- (b) and (c) ----------------------------------------------------------------------------
def test_preauth(h, hostkeys, ident):
    srv = Server(h, "keys", hostkeys, args=["-o", "LogLevel=DEBUG1"])
    if srv.port is None:
        h.fail("start server (keys)")
        return
    known_hosts(h, srv.port, [k + ".pub" for k in hostkeys])
    secrets = {}
    for k in hostkeys:
        secrets.update(key_secrets(k))
    pats = patterns(secrets)
    t = srv.parked()
    try:
        mon, child = find_preauth(srv.proc.pid)
        if not h.check("pre-auth child found (uid %s, parent root, under the listener)"
                       % hslib.PRIVSEP_USER, child,
                       "processes below the listener: %s" % dump_tree(srv.proc.pid)):
            return
        print("    listener %d, monitor %d (%s), pre-auth child %d (%s)"
              % (srv.proc.pid, mon, proc_stat(mon)[0], child, proc_stat(child)[0]))
        h.expect("the monitor runs the server binary", os.path.realpath(hslib.HSSHD),
                 proc_readlink(mon, "exe"))
        if not OPENSSH:
            logged = re.findall(r"network child pid ([0-9]+)", srv.logtext())
            h.check("the monitor logged this child's pid", str(child) in logged,
                    "logged %s" % logged)
        check_preauth_status(h, child, "pre-auth child")
        if not OPENSSH:
            check_no_log_fd(h, child, "pre-auth child", srv.log)
        maps = open("/proc/%d/maps" % child).read()
        libs = [lib for lib in FORBIDDEN_LIBS if lib in maps]
        h.check("no PKCS#11/TPM library mapped in the pre-auth child", not libs, libs)
        start = time.monotonic()
        chunks, n = read_memory(child)
        size = sum(len(c) for c in chunks)
        found = search(chunks, pats)
        print("    searched %d regions, %.1f MB of the pre-auth child in %.1f s"
              % (n, size / 1e6, time.monotonic() - start))
        h.check("memory of the pre-auth child was read (> 100 kB)", size > 100000, size)
        for label in sorted(pats):
            h.check("pre-auth child's memory holds no %s" % label, label not in found)
        chunks, n = read_memory(mon)
        found = search(chunks, pats)
        print("    monitor (%d regions, %.1f MB) holds: %s"
              % (n, sum(len(c) for c in chunks) / 1e6, ", ".join(sorted(found)) or "nothing"))
        if OPENSSH:
            h.check("control: the monitor's memory holds the ed25519 seed",
                    "ed25519 seed" in found)
            return
        # hsshd: the per-connection monitor holds none either; the host-key service does.
        h.check("the monitor's memory holds no host-key bytes (the service signs)", not found,
                ", ".join(sorted(found)))
        check_keyd_holds(h, srv.proc.pid, pats)
    finally:
        t.close()


def keyd_pid(listener):
    """The host-key service: the listener's child that runs worker threads (one per key)."""
    kids = [k for k in hslib.proc_children(listener)
            if int(proc_status(k).get("Threads", "1")) > 1]
    return kids[0] if len(kids) == 1 else None


def check_keyd_holds(h, listener, pats):
    """Control that proves the memory search works: the host-key service holds the seed."""
    kd = keyd_pid(listener)
    if not h.check("the host-key service found below the listener", kd,
                   dump_tree(listener)):
        return
    chunks, n = read_memory(kd)
    found = search(chunks, pats)
    print("    host-key service %d (%d regions, %.1f MB) holds: %s"
          % (kd, n, sum(len(c) for c in chunks) / 1e6, ", ".join(sorted(found)) or "nothing"))
    h.check("control: the host-key service's memory holds the ed25519 seed",
            "ed25519 seed" in found)


def fd_targets(pid):
    """{fd: target} of a process's open descriptors."""
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out[int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            pass
    return out


def check_no_log_fd(h, pid, what, log):
    """A network process logs through its monitor: no descriptor on the server's log file
    (it could append forged lines), stderr on /dev/null."""
    fds = fd_targets(pid)
    h.check("%s: no descriptor on the log file" % what,
            os.path.realpath(log) not in fds.values(), repr(fds))
    h.expect("%s: stderr" % what, "/dev/null", fds.get(2))


def check_preauth_status(h, pid, what):
    hs = pwd.getpwnam(hslib.PRIVSEP_USER)
    st = proc_status(pid)
    h.expect("%s: Uid (real, effective, saved, fs)" % what, [hs.pw_uid] * 4, proc_ids(pid))
    h.expect("%s: Gid (real, effective, saved, fs)" % what, [hs.pw_gid] * 4,
             proc_ids(pid, "Gid"))
    h.expect("%s: supplementary groups" % what, True,
             st.get("Groups", "").split() in ([], [str(hs.pw_gid)]))
    h.expect("%s: NoNewPrivs" % what, "1", st.get("NoNewPrivs"))
    h.expect("%s: Seccomp (2 = filter)" % what, "2", st.get("Seccomp"))
    h.expect("%s: CapEff" % what, 0, int(st.get("CapEff", "1"), 16))
    h.expect("%s: CapPrm" % what, 0, int(st.get("CapPrm", "1"), 16))
    h.expect("%s: root directory" % what, hslib.PRIVSEP_DIR, proc_readlink(pid, "root"))


def descendants(pid):
    out = []
    for k in hslib.proc_children(pid):
        out += [k] + descendants(k)
    return out


def dump_tree(pid, depth=0):
    out = []
    for k in hslib.proc_children(pid):
        st = proc_stat(k)
        out.append("%s%d %s uid=%s" % ("  " * depth, k, st[0] if st else "?", proc_ids(k)))
        out.append(dump_tree(k, depth + 1))
    return "; ".join(x for x in out if x)


def test_postauth(h, hostkeys, ident):
    srv = Server(h, "post", hostkeys, args=["-o", "LogLevel=DEBUG1"])
    if srv.port is None:
        h.fail("start hsshd (post)")
        return
    known_hosts(h, srv.port, [k + ".pub" for k in hostkeys])
    secrets = {}
    for k in hostkeys:
        secrets.update(key_secrets(k))
    user = pwd.getpwnam(hslib.USER)
    sess = srv.ssh(hslib.USER, "exec sleep 14", ident, background=True)
    try:
        def find():
            mons = [m for m in hslib.proc_children(srv.proc.pid) if proc_ids(m) == [0] * 4]
            for m in mons:
                kids = hslib.proc_children(m)
                post = [k for k in kids if proc_ids(k) == [user.pw_uid] * 4
                        and proc_stat(k)[0] == "hsshd"]
                prog = [k for k in kids if (proc_stat(k) or ("",))[0] == "sleep"]
                if post and prog:
                    return m, post, prog
            return None
        got = wait_for(find, 10)
        if not h.check("post-auth process and session program found as children of the "
                       "monitor", got, dump_tree(srv.proc.pid)):
            return
        mon, post, prog = got
        h.expect("one post-auth process", 1, len(post))
        post, prog = post[0], prog[0]
        print("    monitor %d, post-auth process %d, session program %d" % (mon, post, prog))
        logged = re.search(r"post-auth process pid ([0-9]+) as user (\S+)", srv.logtext())
        h.check("the monitor logged the post-auth pid and user",
                logged and logged.group(1) == str(post) and hslib.USER in logged.group(2),
                logged.group(0) if logged else "no line")
        st = proc_status(post)
        h.expect("post-auth process: Seccomp (2 = filter)", "2", st.get("Seccomp"))
        h.expect("post-auth process: NoNewPrivs", "1", st.get("NoNewPrivs"))
        h.expect("post-auth process: CapEff", 0, int(st.get("CapEff", "1"), 16))
        h.expect("post-auth process: Gid", [user.pw_gid] * 4, proc_ids(post, "Gid"))
        h.expect("post-auth process: root directory", hslib.PRIVSEP_DIR,
                 proc_readlink(post, "root"))
        check_no_log_fd(h, post, "post-auth process", srv.log)
        # It runs as the user: host keys in its memory would be the user's to read.
        chunks, n = read_memory(post)
        found = search(chunks, patterns(secrets))
        print("    searched %d regions, %.1f MB of the post-auth process"
              % (n, sum(len(c) for c in chunks) / 1e6))
        h.check("post-auth process's memory holds no host-key bytes", not found,
                ", ".join(sorted(found)))
        found = search(read_memory(mon)[0], patterns(secrets))
        h.check("the monitor of this session holds no host-key bytes", not found,
                ", ".join(sorted(found)))
        check_keyd_holds(h, srv.proc.pid, patterns(secrets))
        st = proc_status(prog)
        h.expect("session program: Seccomp (0 = none)", "0", st.get("Seccomp"))
        h.expect("session program: Uid", [user.pw_uid] * 4, proc_ids(prog))
        h.expect("session program: root directory", "/", proc_readlink(prog, "root"))
    finally:
        try:
            sess.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            sess.kill()
            sess.communicate()
    h.expect("session ends with exit 0", 0, sess.returncode)


# --- (d) Sandbox no ---------------------------------------------------------------------------
def test_sandbox_off(h, host, ident):
    srv = Server(h, "off", [host], extra=["Sandbox no"], args=["-o", "LogLevel=ERROR"])
    if srv.port is None:
        h.fail("start hsshd with Sandbox no")
        return
    known_hosts(h, srv.port, [host + ".pub"])
    t = srv.parked()
    try:
        mon, child = find_preauth(srv.proc.pid)
        if h.check("Sandbox no: pre-auth child found", child, dump_tree(srv.proc.pid)):
            hs = pwd.getpwnam(hslib.PRIVSEP_USER)
            st = proc_status(child)
            h.expect("Sandbox no: Seccomp 0", "0", st.get("Seccomp"))
            h.expect("Sandbox no: still uid hsshd", [hs.pw_uid] * 4, proc_ids(child))
            h.expect("Sandbox no: still chrooted", hslib.PRIVSEP_DIR,
                     proc_readlink(child, "root"))
    finally:
        t.close()
    h.check("Sandbox no: warning logged at ERROR level",
            re.search(r"sandbox.*(off|disabled)", srv.logtext(), re.I), srv.log)
    r = srv.ssh(hslib.USER, "echo in", ident)
    h.check("Sandbox no: login works", r.returncode == 0 and r.stdout == "in\n",
            r.stderr[-200:])


def main():
    h = hslib.Harness("sandbox")
    ident = h.keygen("ssh-ed25519", "id_user")
    h.authorize(ident + ".pub")
    hostkeys = [h.keygen("ssh-ed25519", "host_ed25519"),
                h.keygen("ecdsa-sha2-nistp256", "host_ecdsa256"),
                h.keygen("rsa", "host_rsa")]
    parts = [("(b, c) pre-auth child", lambda: test_preauth(h, hostkeys, ident))]
    if not OPENSSH:
        parts = [("(a) forbidden syscalls", lambda: test_hooks(h, hostkeys[0], ident))] + parts
        parts += [("(c) post-auth", lambda: test_postauth(h, hostkeys, ident)),
                  ("(d) Sandbox no", lambda: test_sandbox_off(h, hostkeys[0], ident))]
    for label, fn in parts:
        print("-- " + label, flush=True)
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            h.fail(label, repr(e))
        h.stop_servers()
    h.finish()


if __name__ == "__main__":
    main()
