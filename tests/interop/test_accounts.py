#!/usr/bin/python3
"""Account state, as sshd judges it, for key logins to hsshd (paramiko client):
- an expired account (shadow field 8 in the past) is refused with UsePAM no and with UsePAM yes
  (sshd checks it itself, or pam_unix's account module does);
- a locked account ('!' password) is refused with UsePAM no and allowed with UsePAM yes, where
  sshd leaves the lock to PAM (Debian's key-only service accounts rely on that);
- a normal account logs in under both, as the control.
The users are created here and removed afterwards."""
import os
import pwd
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecation noise about Blowfish/TripleDES
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hslib  # noqa: E402
import paramiko  # noqa: E402

TIMEOUT = 15
USERS = {  # name: usermod arguments giving its state
    "hsshexp": ["-p", "*", "-e", "1970-01-02"],
    "hsshlock": ["-p", "!"],
    "hsshok": ["-p", "*"],
}


def make_users(h):
    for name, state in USERS.items():
        subprocess.run(["userdel", "-r", name], capture_output=True)
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True)
        subprocess.run(["usermod"] + state + [name], check=True)
        pw = pwd.getpwnam(name)
        ssh_dir = os.path.join(pw.pw_dir, ".ssh")
        os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
        os.chown(ssh_dir, pw.pw_uid, pw.pw_gid)
        h.authorize(h.path("id_user.pub"), user=name)


def remove_users(h):
    for name in USERS:
        subprocess.run(["userdel", "-r", name], capture_output=True)
    # their homes are gone: the harness has no authorized_keys lines left to remove there
    h.akfiles = [ak for ak in h.akfiles if os.path.exists(ak)]


def login(port, user, key):
    """True if publickey login succeeds and a command runs as that user."""
    t = paramiko.Transport(("127.0.0.1", port))
    t.banner_timeout = TIMEOUT
    t.auth_timeout = TIMEOUT
    try:
        t.start_client(timeout=TIMEOUT)
        try:
            t.auth_publickey(user, key)
        except paramiko.AuthenticationException:
            return False
        ch = t.open_session(timeout=TIMEOUT)
        ch.exec_command("id -un")
        return ch.makefile("rb").read() == (user + "\n").encode()
    finally:
        t.close()


def logged(log, pattern):
    time.sleep(0.3)
    with open(log, errors="replace") as f:
        return pattern in f.read()


def main():
    h = hslib.Harness("accounts")
    key = paramiko.Ed25519Key.from_private_key_file(h.keygen("ssh-ed25519", "id_user"))
    host = h.keygen("ssh-ed25519", "host")
    try:
        make_users(h)
        for pam in ("no", "yes"):
            port, log = h.start_hsshd("hsshd_pam_" + pam, [host], extra=["UsePAM " + pam])
            if port is None:
                h.fail("start hsshd with UsePAM " + pam)
                continue
            h.check("UsePAM %s: normal account logs in" % pam, login(port, "hsshok", key))
            h.check("UsePAM %s: expired account refused" % pam,
                    not login(port, "hsshexp", key))
            h.check("UsePAM %s: expiry logged" % pam,
                    logged(log, "User hsshexp not allowed because account has expired"))
            locked_in = login(port, "hsshlock", key)
            if pam == "no":
                h.check("UsePAM no: locked account refused", not locked_in)
                h.check("UsePAM no: lock logged",
                        logged(log, "User hsshlock not allowed because account is locked"))
            else:
                h.check("UsePAM yes: locked account left to PAM, key login works", locked_in)
    except Exception as e:  # noqa: BLE001
        h.fail("account tests", repr(e))
    finally:
        h.stop_servers()
        remove_users(h)
    # the users are gone, so pwd must not find them (cleanup is part of the contract)
    h.check("test users removed", all(not any(p.pw_name == n for p in pwd.getpwall())
                                       for n in USERS))
    h.finish()


if __name__ == "__main__":
    main()
