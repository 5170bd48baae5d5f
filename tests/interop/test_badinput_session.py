#!/usr/bin/python3
"""Hostile input after the keys are live, driven through paramiko 2.12 against hsshd:
- a packet whose MAC is wrong (the client's outgoing MAC key is corrupted after KEX): hsshd must
  log the reason, hang up, and keep serving;
- a publickey signature made over the wrong session identifier (RFC 4252 7: the signed data starts
  with this session's id): hsshd must refuse the key, log it, and keep serving;
- an exec the server cannot start (hsshd under a file-descriptor limit too low for the command's
  pipes), sent WITHOUT want_reply: hsshd must close the channel rather than leave the client
  waiting, and log why;
- a valid login afterwards on the same server proves neither case left it broken.
The cases before KEX (banner, length, strict KEX) are in test_badinput.py."""
import os
import re
import socket
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecation noise about Blowfish/TripleDES
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402
import paramiko  # noqa: E402

TIMEOUT = 15
LOG_LIMIT = 5.0


def transport(port, mac="hmac-sha2-256"):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    t = paramiko.Transport(sock)
    t.banner_timeout = TIMEOUT
    t.auth_timeout = TIMEOUT
    opts = t.get_security_options()
    opts.ciphers = ("aes128-ctr",)
    opts.digests = (mac,)
    t.start_client(timeout=TIMEOUT)
    return t


def wait_log(log, offset, pattern):
    end = time.monotonic() + LOG_LIMIT
    while time.monotonic() < end:
        with open(log, errors="replace") as f:
            f.seek(offset)
            text = f.read()
        if re.search(pattern, text):
            return True
        time.sleep(0.1)
    return False


def closed_by_peer(t):
    """True once the server has hung up on this transport."""
    end = time.monotonic() + LOG_LIMIT
    while time.monotonic() < end:
        if not t.is_active():
            return True
        time.sleep(0.1)
    return False


def case_bad_mac(h, port, log, key, mac):
    off = os.path.getsize(log)
    t = transport(port, mac)
    # paramiko keeps the outgoing MAC key in a private attribute; flip one bit of it so the
    # next packet (the auth request) carries a MAC the server must reject.
    attr = "_Packetizer__mac_key_out"
    good = bytearray(getattr(t.packetizer, attr))
    good[0] ^= 0x01
    setattr(t.packetizer, attr, bytes(good))
    try:
        t.auth_publickey(hslib.USER, key)
        refused = False
    except Exception:  # noqa: BLE001 - any failure to authenticate is what we want
        refused = True
    h.check("bad MAC (%s): authentication did not proceed" % mac, refused)
    h.check("bad MAC (%s): server hung up" % mac, closed_by_peer(t))
    h.check("bad MAC (%s): log names the reason" % mac,
            wait_log(log, off, r"Corrupted MAC on input"))
    t.close()


def case_wrong_session(h, port, log, key):
    off = os.path.getsize(log)
    t = transport(port)
    # The signature covers session_id first; sign over another one.
    t.session_id = bytes(len(t.session_id))
    try:
        t.auth_publickey(hslib.USER, key)
        accepted = True
    except paramiko.AuthenticationException:
        accepted = False
    except Exception as e:  # noqa: BLE001
        accepted = None
        h.fail("wrong-session signature: clean refusal", repr(e))
    if accepted is not None:
        h.check("wrong-session signature: refused", accepted is False)
    h.check("wrong-session signature: log names the failure",
            wait_log(log, off, r"Failed publickey for %s from 127\.0\.0\.1" % hslib.USER))
    t.close()


def case_exec_cannot_start(h, port, log, key):
    """RFC 4254 6.5 exec with want_reply FALSE, on a server that cannot make the pipes."""
    from paramiko.common import cMSG_CHANNEL_REQUEST
    off = os.path.getsize(log)
    t = transport(port)
    try:
        t.auth_publickey(hslib.USER, key)
        ch = t.open_session(timeout=TIMEOUT)
        ch.settimeout(TIMEOUT)
        m = paramiko.Message()
        m.add_byte(cMSG_CHANNEL_REQUEST)
        m.add_int(ch.remote_chanid)
        m.add_string("exec")
        m.add_boolean(False)
        m.add_string("echo should-not-run")
        t._send_user_message(m)
        start = time.monotonic()
        data = ch.recv(4096)  # b"" once the server closes the channel
        took = time.monotonic() - start
        h.check("exec that cannot start, no want_reply: channel closed (%.1f s)" % took,
                data == b"" and took < LOG_LIMIT, "got %r after %.1f s" % (data, took))
    except Exception as e:  # noqa: BLE001 - a hang shows up as a socket timeout here
        h.fail("exec that cannot start, no want_reply: channel closed", repr(e))
    h.check("exec that cannot start: log names the reason",
            wait_log(log, off, r"pipe: Too many open files"))
    t.close()


def case_login_still_works(h, port, key):
    try:
        t = transport(port)
        t.auth_publickey(hslib.USER, key)
        ch = t.open_session(timeout=TIMEOUT)
        ch.exec_command("echo alive")
        out = ch.makefile("rb").read()
        st = ch.recv_exit_status()
        t.close()
        h.check("server still serves a valid login", st == 0 and out == b"alive\n",
                "status %d out %r" % (st, out))
    except Exception as e:  # noqa: BLE001
        h.fail("server still serves a valid login", repr(e))


def main():
    h = hslib.Harness("badinput_session")
    key = paramiko.Ed25519Key.from_private_key_file(h.keygen("ssh-ed25519", "id_user"))
    h.authorize(h.path("id_user.pub"))
    port, log = h.start_hsshd("hsshd", [h.keygen("ssh-ed25519", "host")])
    if port is None:
        h.fail("start hsshd")
        h.finish()
    for mac in ("hmac-sha2-256", "hmac-sha2-512-etm@openssh.com"):
        case_bad_mac(h, port, log, key, mac)
    case_wrong_session(h, port, log, key)
    case_login_still_works(h, port, key)
    # A second server that runs out of file descriptors when it makes a command's pipes. The
    # monitor makes them (privilege separation): 16 is enough for its sockets to the network
    # processes, its log and signal fds, not for three more pipes (measured: 14..18 all behave so,
    # 24 runs the command).
    lport, llog = h.start_hsshd("hsshd_lowfd", [h.path("host")], prefix=["prlimit", "--nofile=16"])
    if lport is None:
        h.fail("start hsshd under prlimit --nofile=16")
    else:
        case_exec_cannot_start(h, lport, llog, key)
    h.finish()


if __name__ == "__main__":
    main()
