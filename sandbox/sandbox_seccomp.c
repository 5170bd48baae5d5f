/* sandbox_seccomp.c: the seccomp-bpf policy of hsshd's network-facing child, as one table
 * (STYLE.md 4), and the code that turns it into a libseccomp filter.
 *
 * Start tight, add a row only with a reason. Anything not here kills the whole process
 * (SECCOMP_RET_KILL_PROCESS, Linux 4.14), so a compromised child cannot open sockets or files,
 * fork, exec or ptrace. The open/stat family fails with EACCES instead, so that probes made by
 * libc or wolfSSL fail softly rather than kill a well-behaved child.
 *
 * The post-auth process (core/server_postauth.c) runs hs_server_session_run with a spawner: the
 * monitor forks, opens ptys and reaps, so fork, exec, openpty and wait4 stay forbidden there too.
 * Its extra rows are what the connection protocol needs on descriptors it already holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "hs_log.h"
#include "hs_sandbox.h"
#include "sandbox_impl.h"

#define PRE	HS_SANDBOX_PREAUTH
#define POST	HS_SANDBOX_POSTAUTH
#define BOTH	(PRE | POST)

#define ALLOW(n, ph)		{ .name = (n), .action = HS_SB_ALLOW, .phases = (ph) }
#define DENY(n)			{ .name = (n), .action = HS_SB_EACCES, .phases = BOTH }
#define ALLOW_EQ(n, ph, a, v)	{ .name = (n), .action = HS_SB_ALLOW, .phases = (ph),	\
	.op = HS_SB_ARG_EQ, .arg = (a), .val = (v) }
#define ALLOW_IF(n, ph, a, m, v) { .name = (n), .action = HS_SB_ALLOW, .phases = (ph),	\
	.op = HS_SB_ARG_MASKED_EQ, .arg = (a), .mask = (m), .val = (v) }

static const struct hs_sandbox_rule rules[] = {
	/* I/O on the connection socket, the monitor socketpair and the log pipe. */
	ALLOW("read", BOTH),		/* packets in, monitor replies */
	ALLOW("write", BOTH),		/* packets out, monitor requests, the SIGSYS record */
	ALLOW("poll", BOTH),		/* the event loop (libc poll on x86_64) */
	ALLOW("ppoll", BOTH),		/* poll on arches without poll(2), and newer libcs */
	ALLOW("recvmsg", POST),		/* session fds from the monitor (SCM_RIGHTS) */
	/* Log lines to the monitor (hs_log_set_sink: send(2) on a connected datagram socket):
	 * only to the connected peer (dest_addr == NULL), so nothing can be aimed elsewhere. */
	ALLOW_EQ("sendto", BOTH, 4, 0),
	ALLOW("close", POST),		/* a session's fds when its channel closes */
	/* Process lifetime and signals. */
	ALLOW("exit_group", BOTH),	/* _exit, exit */
	/* Resumes a poll, nanosleep or futex wait with a timeout after the process was stopped
	 * and continued (SIGSTOP/SIGCONT, which the logged-in user may send to the post-auth
	 * process): the kernel makes the process call it; it can only redo the interrupted call. */
	ALLOW("restart_syscall", BOTH),
	/* hs_server_session_run ignores SIGPIPE (a program's closed pipe is EPIPE) and the event
	 * loop installs and restores its self-pipe handlers. Only this process's dispositions. */
	ALLOW("rt_sigaction", POST),
	/* Only picks the stack signal handlers run on, grants nothing; the sanitizer runtime of
	 * the CI builds removes its alternate stack at _exit and aborts if that fails. */
	ALLOW("sigaltstack", BOTH),
	/* Time: usually vDSO, but the vDSO falls back to the syscall on some clock sources. */
	ALLOW("clock_gettime", BOTH),	/* timeouts, rekey by time */
	ALLOW("getpid", BOTH),		/* the DRBG's fork check (hw/crypto_soft.c) */
	ALLOW("gettid", BOTH),		/* harmless; glibc's raise(3) and the sanitizer runtime */
	/* Memory: no executable mappings, so no new code can be made runnable. */
	ALLOW("brk", BOTH),		/* malloc's main arena */
	ALLOW_IF("mmap", BOTH, 2, PROT_EXEC, 0),	/* large malloc blocks, without PROT_EXEC */
	ALLOW("munmap", BOTH),		/* free of large blocks */
	ALLOW("madvise", BOTH),		/* free() returns pages with MADV_DONTNEED */
	/* hs_transport_new, which both phases call under the filter (server_child.c creates the
	 * pre-auth transport after hs_sandbox_apply; hs_transport_import post-auth), makes the
	 * connection non-blocking; post-auth, so are the fds the monitor passes (pty master,
	 * pipes). Status flags of our own fds only: no F_SETOWN/F_SETSIG, no locks, no F_DUPFD,
	 * no F_SETFD (passed fds arrive close-on-exec via MSG_CMSG_CLOEXEC; nothing here execs). */
	ALLOW_EQ("fcntl", BOTH, 1, F_GETFL),
	ALLOW_EQ("fcntl", BOTH, 1, F_SETFL),
	/* hs_transport_new names the peer of the connection for its log lines; reads only the
	 * address of a socket we hold, which the child already knows. */
	ALLOW("getpeername", BOTH),
	/* hs_loop_init's signal self-pipe, with exactly the flags it uses. */
	ALLOW_EQ("pipe2", POST, 1, O_CLOEXEC | O_NONBLOCK),
	/* RFC 4254 6.7 window-change: the size of a session's pty, on its master. Only this
	 * request: no TIOCSTI (faking input), no TIOCSCTTY, nothing that reads terminal state. */
	ALLOW_EQ("ioctl", POST, 1, TIOCSWINSZ),
	/* RFC 4254 6.9 "signal" requests and SIGHUP when a channel closes under a running program.
	 * The kernel lets a process without CAP_KILL signal only processes of its own uid, which
	 * the logged-in user controls anyway (for a root login: root's). pid's sign bit must be
	 * clear: never another process group nor every process (-1); 0, our own group, reaches
	 * only same-uid members. The signal number cannot be bounded to a set with one comparison. */
	ALLOW_IF("kill", POST, 0, 0x80000000u, 0),
	/* Filesystem probes: fail softly. The child is chrooted into an empty directory anyway. */
	DENY("open"),			/* localtime's /etc/localtime, NSS, /dev/urandom fallbacks */
	DENY("openat"),			/* the same through glibc's openat */
	DENY("stat"),			/* stat-family probes by libc */
	DENY("lstat"),
	DENY("fstat"),			/* stdio sizes its buffer from fstat; the default is fine */
	DENY("newfstatat"),		/* fstat(3) in glibc 2.33+ */
	DENY("statx"),
	DENY("access"),			/* access(2) probes */
	DENY("faccessat"),
	DENY("faccessat2"),
	DENY("readlink"),		/* self-exe probes */
	/* The SIGSYS reporter's way to die after writing its record (sandbox_sigsys.c). */
	{ .name = "getppid", .action = HS_SB_KILL, .phases = BOTH },
	{ 0 }
};

const struct hs_sandbox_rule *
hs_sandbox_rules(void)
{
	return rules;
}

const char *
hs_sandbox_tripwire(void)
{
	return "getppid";
}

/* The libseccomp action of a row. */
static uint32_t
rule_action(enum hs_sandbox_action a)
{
	static const uint32_t actions[] = {
		[HS_SB_ALLOW] = SCMP_ACT_ALLOW,
		[HS_SB_EACCES] = SCMP_ACT_ERRNO(EACCES),
		[HS_SB_KILL] = SCMP_ACT_KILL_PROCESS,
	};

	return actions[a];
}

static hs_err
rule_add(scmp_filter_ctx ctx, uint32_t def, const struct hs_sandbox_rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	int rc;

	/* A row for a syscall this arch lacks (e.g. "open" on arm64) adds nothing; libseccomp
	 * refuses a rule that repeats the default action (the tripwire without a reporter). */
	if (nr == __NR_SCMP_ERROR || rule_action(r->action) == def)
		return HS_OK;
	if (r->op == HS_SB_ARG_ANY) {
		rc = seccomp_rule_add(ctx, rule_action(r->action), nr, 0);
	} else {
		/* MASKED_EQ compares (arg & datum_a) == datum_b; EQ compares arg == datum_a. */
		struct scmp_arg_cmp cmp = {
			.arg = r->arg,
			.op = r->op == HS_SB_ARG_EQ ? SCMP_CMP_EQ : SCMP_CMP_MASKED_EQ,
			.datum_a = r->op == HS_SB_ARG_EQ ? r->val : r->mask,
			.datum_b = r->op == HS_SB_ARG_EQ ? 0 : r->val,
		};
		rc = seccomp_rule_add_array(ctx, rule_action(r->action), nr, 1, &cmp);
	}
	if (rc != 0) {
		hs_error("sandbox: seccomp rule for %s: %s", r->name, strerror(-rc));
		return HS_ERR_INTERNAL;
	}
	return HS_OK;
}

hs_err
hs_sandbox_apply(enum hs_sandbox_phase phase)
{
	const struct hs_sandbox_rule *r;
	scmp_filter_ctx ctx;
	uint32_t def;
	hs_err e = HS_ERR_INTERNAL;
	int rc;

	/* With a reporter the default traps to it; the handler then dies by the tripwire. */
	def = hs_sandbox_sigsys_reporting() ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
	if ((ctx = seccomp_init(def)) == NULL) {
		hs_error("sandbox: seccomp_init failed");
		return HS_ERR_INTERNAL;
	}
	for (r = rules; r->name != NULL; r++) {
		if ((r->phases & (unsigned)phase) == 0)
			continue;
		HS_GUARD_GOTO(rule_add(ctx, def, r), e, out);
	}
	/* libseccomp sets no_new_privs itself before loading (SCMP_FLTATR_CTL_NNP). */
	if ((rc = seccomp_load(ctx)) != 0) {
		hs_error("sandbox: seccomp_load: %s", strerror(-rc));
		goto out;
	}
	hs_debug("sandbox: seccomp filter loaded (%s)",
	    phase == HS_SANDBOX_PREAUTH ? "preauth" : "postauth");
	e = HS_OK;
out:
	seccomp_release(ctx);
	return e;
}
