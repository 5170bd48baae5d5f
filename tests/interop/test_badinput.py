#!/usr/bin/python3
"""Hostile input to hsshd over raw sockets. Every case must end in a clean close by the server
within a few seconds, the server must go on serving (a fresh connection gets a banner and, at
the end, a full OpenSSH login works), and hsshd's -E log must name the reason.

Packets before NEWKEYS are unencrypted (RFC 4253 6): uint32 packet_length, byte padding_length,
payload, at least four bytes of padding, total a multiple of eight."""
import os
import re
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402

CLOSE_LIMIT = 5.0  # seconds the server may take to hang up on us
LOG_LIMIT = 3.0    # seconds for the reason to reach the log

MSG_DISCONNECT, MSG_IGNORE, MSG_KEXINIT = 1, 2, 20
CLIENT_BANNER = b"SSH-2.0-hardssh_badinput_test\r\n"


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def packet(payload):
    """RFC 4253 6 framing with block size 8 and 4..11 bytes of padding."""
    pad = 8 - (5 + len(payload)) % 8
    if pad < 4:
        pad += 8
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + bytes(pad)


def kexinit_payload(strict=True):
    """RFC 4253 7.1 KEXINIT; strict kex per OpenSSH PROTOCOL (kex-strict-c-v00@openssh.com)."""
    kex = b"curve25519-sha256,ecdh-sha2-nistp256"
    if strict:
        kex += b",kex-strict-c-v00@openssh.com"
    lists = [kex, b"ssh-ed25519",
             b"aes128-ctr,aes256-gcm@openssh.com", b"aes128-ctr,aes256-gcm@openssh.com",
             b"hmac-sha2-256", b"hmac-sha2-256", b"none", b"none", b"", b""]
    body = bytes([MSG_KEXINIT]) + os.urandom(16)
    for nl in lists:
        body += ssh_string(nl)
    return body + b"\x00" + struct.pack(">I", 0)


def open_conn(port):
    """Connect and read the server's identification line; returns (socket, banner)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=CLOSE_LIMIT)
    buf = b""
    while b"\n" not in buf and len(buf) < 8192:
        b = s.recv(1)
        if not b:
            break
        buf += b
    return s, buf


def wait_close(s):
    """Drain until the server closes; returns seconds taken, or None if it did not close."""
    start = time.monotonic()
    s.settimeout(0.5)
    while time.monotonic() - start < CLOSE_LIMIT:
        try:
            if not s.recv(65536):
                return time.monotonic() - start
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


def case_garbage_banner(s):
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(64) + b"\r\n")


def case_ssh1_banner(s):
    s.sendall(b"SSH-1.5-ancient\r\n")


def case_huge_length(s):
    s.sendall(CLIENT_BANNER)
    s.sendall(b"\xff\xff\xff\xff" + os.urandom(60))


def case_strict_kex_ignore(s):
    s.sendall(CLIENT_BANNER + packet(kexinit_payload(strict=True)))
    s.sendall(packet(bytes([MSG_IGNORE]) + ssh_string(b"terrapin")))


def case_disconnect_mid_kex(s):
    s.sendall(CLIENT_BANNER + packet(kexinit_payload()))
    s.sendall(packet(bytes([MSG_DISCONNECT]) + struct.pack(">I", 11) +
                     ssh_string(b"bye from the badinput test") + ssh_string(b"")))


def case_truncated_kexinit(s):
    full = kexinit_payload()
    s.sendall(CLIENT_BANNER + packet(full[:17 + 4 + 20]))  # cookie plus part of one name-list


# name, sender, regular expression the hsshd log must match for this connection
CASES = [
    ("garbage banner", case_garbage_banner,
     r"(?i)(banner|identification|version|protocol)"),
    ("SSH-1.5 banner", case_ssh1_banner,
     r"(?i)(version|protocol|major|mismatch)"),
    ("4 GiB packet length", case_huge_length,
     r"(?i)(packet[ _]?(length|size)|length|too (large|long|big))"),
    ("strict kex: IGNORE before KEX reply", case_strict_kex_ignore,
     r"(?i)(strict|unexpected)"),
    ("DISCONNECT mid-KEX", case_disconnect_mid_kex,
     r"(?i)disconnect"),
    ("truncated KEXINIT", case_truncated_kexinit,
     r"(?i)(kexinit|incomplete|truncat|format|short|invalid)"),
]


def log_tail(log, offset):
    with open(log, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def wait_log(log, offset, pattern):
    end = time.monotonic() + LOG_LIMIT
    while True:
        text = log_tail(log, offset)
        if re.search(pattern, text):
            return True, text
        if time.monotonic() > end:
            return False, text
        time.sleep(0.1)


def settle(log):
    """Wait until the log stops growing, so one probe's lines do not leak into the next case."""
    size, quiet = -1, 0
    end = time.monotonic() + LOG_LIMIT
    while quiet < 3 and time.monotonic() < end:
        now = os.path.getsize(log)
        quiet = quiet + 1 if now == size else 0
        size = now
        time.sleep(0.1)
    return size


def main():
    h = hslib.Harness("badinput")
    hostkey = h.keygen("ssh-ed25519", "host_ed25519")
    ukey = h.keygen("ssh-ed25519", "id_user")
    h.authorize(ukey + ".pub")
    port, log = h.start_hsshd("hsshd", [hostkey])
    if port is None:
        h.fail("start hsshd")
        port = h.free_port()  # nothing listens: every case below fails, none is skipped

    for name, send, pattern in CASES:
        offset = settle(log)
        try:
            s, banner = open_conn(port)
            h.check(name + ": server identifies as SSH-2.0", banner.startswith(b"SSH-2.0-"),
                    repr(banner[:80]))
            try:
                send(s)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may hang up while we are still writing: that is fine
            took = wait_close(s)
            s.close()
            h.check(name + ": closed within %.0f s" % CLOSE_LIMIT, took is not None,
                    "still open")
        except OSError as e:
            h.fail(name, repr(e))
        found, text = wait_log(log, offset, pattern)
        h.check(name + ": log names the reason", found,
                "no match for %s in %r" % (pattern, text[-300:]))
        try:
            s2, banner = open_conn(port)
            s2.close()
            h.check(name + ": next connection still served", banner.startswith(b"SSH-2.0-"),
                    repr(banner[:80]))
        except OSError as e:
            h.fail(name + ": next connection still served", repr(e))

    kh = h.path("known_hosts")
    with open(hostkey + ".pub") as f:
        with open(kh, "w") as k:
            k.write("[127.0.0.1]:%d %s\n" % (port, " ".join(f.read().split()[:2])))
    r = subprocess.run([hslib.SSH, "-F", "/dev/null", "-p", str(port), "-i", ukey,
                        "-o", "UserKnownHostsFile=" + kh, "-o", "StrictHostKeyChecking=yes",
                        "-o", "BatchMode=yes", hslib.USER + "@127.0.0.1", "echo still-alive"],
                       capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    h.expect("full login after all bad inputs", b"still-alive\n", r.stdout)
    h.finish()


if __name__ == "__main__":
    main()
