/* hs_sandbox.h: privilege drop, resource limits and the seccomp-bpf policy for hsshd's
 * network-facing child (issue 4). L4: may use core/ but nothing above it.
 *
 * Order of use in the child, after the monitor has forked it and before it reads a byte from
 * the network:
 *	hs_sandbox_sigsys_report(fd)	optional: name the syscall if the filter is violated
 *	hs_sandbox_drop(user, dir)	chroot and give up root for good
 *	hs_sandbox_limits()		no new files, no forks, no core dumps
 *	hs_sandbox_apply(PREAUTH)	the seccomp filter; from here on the table below rules
 * Everything that opens files, sockets or loads libraries (host keys, syslog's socket, NSS,
 * wolfSSL's DRBG seed via hs_crypto_init) must be done before.
 *
 * Off switch: hs_sandbox_apply is NOT called when the server configuration says "Sandbox no"
 * (the keyword is added with the wiring); hs_sandbox_drop and hs_sandbox_limits still are.
 * Valgrind cannot run under the filter, which is why the switch exists (STYLE.md 9).
 */
#ifndef HS_SANDBOX_H
#define HS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

enum hs_sandbox_phase {
	HS_SANDBOX_PREAUTH = 1,		/* transport + userauth, talking to the monitor */
	HS_SANDBOX_POSTAUTH = 2,	/* connection protocol on fds the monitor passes over */
};

/* What the filter does with one syscall. Anything not in the table is killed. */
enum hs_sandbox_action {
	HS_SB_ALLOW = 1,
	HS_SB_EACCES,		/* fail softly, as OpenSSH does for library probes (open, stat) */
	HS_SB_KILL,		/* explicit kill (the SIGSYS reporter's tripwire) */
};

/* Optional argument condition of a row (libseccomp comparisons on one argument). */
enum hs_sandbox_argop {
	HS_SB_ARG_ANY = 0,	/* no condition */
	HS_SB_ARG_EQ,		/* args[arg] == val */
	HS_SB_ARG_MASKED_EQ,	/* (args[arg] & mask) == val */
};

/* One row of the policy table (sandbox_seccomp.c). Several rows for one syscall are ORed. */
struct hs_sandbox_rule {
	const char *name;		/* syscall name as libseccomp knows it */
	enum hs_sandbox_action action;
	unsigned phases;		/* bit mask of enum hs_sandbox_phase values */
	enum hs_sandbox_argop op;
	unsigned arg;			/* argument index for op */
	uint64_t mask;
	uint64_t val;
};

/* The policy table, terminated by a row with name NULL. Static storage, never NULL. */
const struct hs_sandbox_rule *hs_sandbox_rules(void);

/* The syscall the SIGSYS handler makes to die: a HS_SB_KILL row, never allowed. */
const char *hs_sandbox_tripwire(void);

/* Check a ChrootDirectory as sshd does: absolute path, and it and every component above it a
 * directory owned by root and not group- or world-writable. HS_OK, or HS_ERR_PERM (logged) /
 * HS_ERR_NOT_FOUND. */
HS_MUST_USE hs_err hs_sandbox_check_chroot(const char *dir);

/* For a process running as root: if chroot_dir is not NULL, check it (hs_sandbox_check_chroot),
 * chroot into it and chdir("/"); then set the groups to { user's gid } and real/effective/saved
 * gid and uid to the user's. Then verify the drop cannot be undone: setgid(0) and setuid(0) must
 * fail and getresuid/getresgid/getgroups must show only the user's ids. The user's passwd entry
 * is read before chroot. Returns HS_OK; HS_ERR_NOT_FOUND for an unknown user; HS_ERR_PERM (logged)
 * if not root, the user is root, the directory fails the check or any step or verification
 * fails. On HS_ERR_PERM the process may be half-dropped: the caller must _exit, never continue. */
HS_MUST_USE hs_err hs_sandbox_drop(const char *user, const char *chroot_dir);

/* For a root process that must stay uid 0 (the post-auth process of a root login): check and
 * chroot into chroot_dir, chdir("/"), then drop every capability (bounding set, then permitted,
 * effective and inheritable), verified with capget. HS_OK, or HS_ERR_PERM / HS_ERR_NOT_FOUND
 * (logged); on failure the caller must _exit. (sandbox_root.c) */
HS_MUST_USE hs_err hs_sandbox_drop_root(const char *chroot_dir);

/* PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0, and hard+soft limits RLIMIT_FSIZE 0 (no file writes
 * grow anything), RLIMIT_NPROC 0 (no forks for an unprivileged user), RLIMIT_CORE 0 and
 * RLIMIT_NOFILE = highest open fd + 1 (found from /proc/self/fd, or by probing fds below the
 * current limit once chrooted). Note: an fd received over SCM_RIGHTS also needs a free slot
 * below that limit, so a child that expects one keeps a spare fd open to close first.
 * HS_OK or HS_ERR_PERM (logged). */
HS_MUST_USE hs_err hs_sandbox_limits(void);

/* Load the seccomp-bpf filter for phase from the table: rows whose phases include it, default
 * action kill-process (or, after hs_sandbox_sigsys_report, trap to the reporter, which still
 * ends in a kill-process by SIGSYS). Irreversible and inherited; sets no_new_privs. Filters the
 * calling thread only: call it while the child is single-threaded. HS_OK, or HS_ERR_INTERNAL
 * (logged) if the filter could not be built or loaded (the caller must exit). */
HS_MUST_USE hs_err hs_sandbox_apply(enum hs_sandbox_phase phase);

/* ---- naming the syscall that killed a child (sandbox_sigsys.c) ----
 * The kernel tells only the dying process which syscall it was (siginfo si_syscall), so: the
 * child calls hs_sandbox_sigsys_report(fd) with the write end of a pipe or socket to its parent
 * before hs_sandbox_apply. The filter's default action is then SCMP_ACT_TRAP; the SIGSYS handler
 * does only async-signal-safe work: one write(2) of a fixed-size struct hs_sandbox_sigsys_record
 * to fd, then the tripwire syscall, which the filter answers with kill-process, so the parent
 * still sees WTERMSIG == SIGSYS. The parent calls hs_sandbox_sigsys_describe, which reads the
 * record and resolves the number with libseccomp for the record's architecture. (The audit log
 * was the alternative; it needs auditd and root in the parent.) */
struct hs_sandbox_sigsys_record {
	uint32_t magic;		/* HS_SANDBOX_SIGSYS_MAGIC */
	int32_t nr;		/* si_syscall */
	uint32_t arch;		/* si_arch (AUDIT_ARCH_*, which libseccomp's SCMP_ARCH_* equal) */
};
#define HS_SANDBOX_SIGSYS_MAGIC	0x68735379u

/* Install the SIGSYS handler writing to fd (kept open by the caller; not closed here) and make
 * hs_sandbox_apply trap instead of kill. HS_OK or HS_ERR_INTERNAL. */
HS_MUST_USE hs_err hs_sandbox_sigsys_report(int fd);

/* Describe how a child ended, from its waitpid status and, if fd >= 0, a record read without
 * blocking from fd (the read end the child reported to): "syscall 41 (socket)" for a reported
 * violation, "syscall unknown (SIGSYS, no report)" for a SIGSYS without one, otherwise
 * "exited with status N" or "killed by signal N". Always NUL-terminates buf (len > 0). Returns
 * true iff the child died of SIGSYS. */
bool hs_sandbox_sigsys_describe(int wstatus, int fd, char *buf, size_t len);

/* Test builds only (-DHS_SANDBOX_TEST_HOOKS=ON, sandbox_testhooks.c): if the environment has
 * HS_SANDBOX_TEST_SYSCALL=socket|execve|ptrace|fork, make that call now, so a test can show the
 * sandboxed process dies. In normal builds it does nothing. */
void hs_sandbox_test_trigger(void);
/* Test builds only: if name (the user name a client asked to log in as) is
 * "hstest-syscall-NAME" with NAME one of the above, make that call now, so one connection can
 * be killed while the listener and other connections go on. Otherwise, and in normal builds,
 * nothing. */
void hs_sandbox_test_trigger_name(const char *name);

/* Limits for the post-auth network process: as hs_sandbox_limits, but RLIMIT_NOFILE is left as
 * it is, because the monitor passes each session's fds over (SCM_RIGHTS needs free slots).
 * HS_OK or HS_ERR_PERM (logged). */
HS_MUST_USE hs_err hs_sandbox_limits_postauth(void);

#endif
