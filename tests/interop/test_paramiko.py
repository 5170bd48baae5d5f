#!/usr/bin/python3
"""paramiko 2.12 client against hsshd: every KEX x cipher x MAC paramiko shares with hardssh (one
hsshd), every host key algorithm (one hsshd per key), exec with exit status, stderr separation,
a 1 MB transfer through cat, password authentication and a wrong password."""
import hashlib
import os
import socket
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecation noise about Blowfish/TripleDES
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402
import paramiko  # noqa: E402

KEXES = ["curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
         "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512"]
CIPHERS = ["aes128-ctr", "aes192-ctr", "aes256-ctr"]
MACS = ["hmac-sha2-256", "hmac-sha2-512", "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com"]
HOSTKEYS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "rsa-sha2-256", "rsa-sha2-512"]
TIMEOUT = 20


def connect(port, pinned, kex=None, cipher=None, mac=None, hostkey=None):
    """A started, host-key-checked transport; raises on any failure."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    t = paramiko.Transport(sock)
    t.banner_timeout = TIMEOUT
    t.auth_timeout = TIMEOUT
    opts = t.get_security_options()
    if kex:
        opts.kex = (kex,)
    if cipher:
        opts.ciphers = (cipher,)
    if mac:
        opts.digests = (mac,)
    if hostkey:
        opts.key_types = (hostkey,)
    t.start_client(timeout=TIMEOUT)
    got = t.get_remote_server_key()
    if got.get_base64() != pinned:
        t.close()
        raise RuntimeError("host key mismatch")
    return t


def run(t, cmd, data=None):
    """exec cmd; returns (exit status, stdout, stderr)."""
    ch = t.open_session(timeout=TIMEOUT)
    ch.settimeout(TIMEOUT)
    ch.exec_command(cmd)
    if data is not None:
        ch.sendall(data)
    ch.shutdown_write()
    out = bytearray()
    err = bytearray()
    while True:
        b = ch.recv(65536)
        if not b:
            break
        out += b
    while True:
        b = ch.recv_stderr(65536)
        if not b:
            break
        err += b
    status = ch.recv_exit_status()
    ch.close()
    return status, bytes(out), bytes(err)


def pubkey_b64(pubfile):
    with open(pubfile) as f:
        return f.read().split()[1]


def main():
    h = hslib.Harness("paramiko")
    user_key = paramiko.Ed25519Key.from_private_key_file(h.keygen("ssh-ed25519", "id_user"))
    h.authorize(h.path("id_user.pub"))

    servers = {}
    for alg in ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521", "rsa"]:
        key = h.keygen(alg, "host_" + alg)
        port, _ = h.start_hsshd("hsshd_" + alg, [key])
        if port is None:
            h.fail("start hsshd with %s host key" % alg)
        servers[alg] = (port, pubkey_b64(key + ".pub"))

    def login(port, pinned, **kw):
        t = connect(port, pinned, **kw)
        t.auth_publickey(hslib.USER, user_key)
        return t

    port, pinned = servers["ssh-ed25519"]
    table = {}
    for k in KEXES:
        for c in CIPHERS:
            for m in MACS:
                tag = "%s-%s-%s" % (k, c, m)
                try:
                    t = login(port, pinned, kex=k, cipher=c, mac=m)
                    st, out, _ = run(t, "echo " + tag)
                    t.close()
                    good = st == 0 and out == (tag + "\n").encode()
                    detail = "status %d out %r" % (st, out[:80])
                except Exception as e:  # noqa: BLE001 - any failure is a matrix FAIL
                    good, detail = False, repr(e)
                table[(k, c + "/" + m)] = "ok" if good else "FAIL"
                if good:
                    h.passed += 1
                else:
                    h.fail("matrix " + tag, detail)
    cols = [c + "/" + m for c in CIPHERS for m in MACS]
    print("\nparamiko -> hsshd (rows: cipher/MAC, columns: KEX; host key ssh-ed25519)")
    short = {"curve25519-sha256@libssh.org": "c25519@l", "diffie-hellman-group14-sha256": "dh14",
             "diffie-hellman-group16-sha512": "dh16"}
    print("%-30s" % "" + " ".join("%-9s" % short.get(k, k.replace("ecdh-sha2-", ""))
                                  for k in KEXES))
    for col in cols:
        print("%-30s" % col.replace("@openssh.com", "") +
              " ".join("%-9s" % table[(k, col)] for k in KEXES))
    print()

    for hk in HOSTKEYS:
        sport, spin = servers["rsa" if hk.startswith("rsa") else hk]
        try:
            t = login(sport, spin, hostkey=hk)
            st, out, _ = run(t, "echo " + hk)
            t.close()
            h.expect("host key " + hk, (0, (hk + "\n").encode()), (st, out))
        except Exception as e:  # noqa: BLE001
            h.fail("host key " + hk, repr(e))

    try:
        t = login(port, pinned)
        h.expect("exec exit status 7", 7, run(t, "exit 7")[0])
        st, out, err = run(t, "echo to-stdout; echo to-stderr >&2")
        h.expect("stdout/stderr separated", (0, b"to-stdout\n", b"to-stderr\n"), (st, out, err))
        data = os.urandom(1 << 20)
        st, out, _ = run(t, "cat", data)
        h.expect("1 MB through cat (sha256)", hashlib.sha256(data).hexdigest(),
                 hashlib.sha256(out).hexdigest())
        st, out, _ = run(t, "echo second channel on the same connection")
        h.expect("several channels on one connection", b"second channel on the same connection\n",
                 out)
        t.close()
    except Exception as e:  # noqa: BLE001
        h.fail("exec checks", repr(e))

    try:
        t = connect(port, pinned)
        t.auth_password(hslib.PWUSER, hslib.PASSWORD)
        h.expect("password authentication", b"hsshpw\n", run(t, "id -un")[1])
        t.close()
    except Exception as e:  # noqa: BLE001
        h.fail("password authentication", repr(e))

    try:
        t = connect(port, pinned)
        try:
            t.auth_password(hslib.PWUSER, "wrong-" + hslib.PASSWORD)
            h.fail("wrong password is refused", "authentication succeeded")
        except paramiko.AuthenticationException:
            h.ok("wrong password is refused")
        t.close()
    except Exception as e:  # noqa: BLE001
        h.fail("wrong password is refused", repr(e))

    # PermitRootLogin no: a root password is refused and the refusal is logged whether or not the
    # password was right, so the log is no oracle for root's password (sshd does the same).
    log = h.path("hsshd_ssh-ed25519.log")
    before = os.path.getsize(log)
    try:
        t = connect(port, pinned)
        try:
            t.auth_password("root", "not-the-root-password")
            h.fail("root password refused under PermitRootLogin no", "authentication succeeded")
        except paramiko.AuthenticationException:
            h.ok("root password refused under PermitRootLogin no")
        t.close()
    except Exception as e:  # noqa: BLE001
        h.fail("root password refused under PermitRootLogin no", repr(e))
    time.sleep(0.5)
    with open(log, errors="replace") as f:
        f.seek(before)
        h.check("refused root login logged even for a wrong password",
                "ROOT LOGIN REFUSED FROM 127.0.0.1" in f.read())

    h.finish()


if __name__ == "__main__":
    main()
