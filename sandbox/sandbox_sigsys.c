/* sandbox_sigsys.c: name the syscall that broke the seccomp policy (see hs_sandbox.h).
 *
 * The child side is a SIGSYS handler restricted to async-signal-safe work: one write(2) of a
 * fixed-size record, then the tripwire syscall, which the filter kills. The parent side reads the
 * record and resolves the number with libseccomp.
 */
#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_sandbox.h"
#include "sandbox_impl.h"

/* Written once before the filter is loaded, read only by the handler. */
static volatile sig_atomic_t report_fd = -1;
static long tripwire_nr = -1;

bool
hs_sandbox_sigsys_reporting(void)
{
	return report_fd >= 0;
}

static void
sigsys_handler(int sig, siginfo_t *si, void *uctx)
{
	struct hs_sandbox_sigsys_record rec = {
		.magic = HS_SANDBOX_SIGSYS_MAGIC,
		.nr = si->si_syscall,
		.arch = si->si_arch,
	};
	ssize_t n;

	(void)sig;
	(void)uctx;
	/* One write of a record smaller than PIPE_BUF is atomic (POSIX write(2)); a failure
	 * cannot be reported from here and does not matter: the tripwire still kills. */
	n = write(report_fd, &rec, sizeof(rec));
	(void)n;
	syscall(tripwire_nr);
	/* Not reached: the filter kills on the tripwire. Should it ever return, die anyway. */
	_exit(127);
}

hs_err
hs_sandbox_sigsys_report(int fd)
{
	struct sigaction sa;
	int nr;

	if (fd < 0)
		return HS_ERR_INTERNAL;
	nr = seccomp_syscall_resolve_name(hs_sandbox_tripwire());
	if (nr == __NR_SCMP_ERROR)
		return HS_ERR_INTERNAL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);	/* nothing interrupts the report */
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return HS_ERR_INTERNAL;
	tripwire_nr = nr;
	report_fd = fd;
	return HS_OK;
}

/* Read one record from fd if one is ready now; false if none or malformed. */
static bool
read_record(int fd, struct hs_sandbox_sigsys_record *rec)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (fd < 0 || poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0)
		return false;
	do {
		n = read(fd, rec, sizeof(*rec));
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rec) && rec->magic == HS_SANDBOX_SIGSYS_MAGIC;
}

bool
hs_sandbox_sigsys_describe(int wstatus, int fd, char *buf, size_t len)
{
	struct hs_sandbox_sigsys_record rec;
	char *name;

	if (len == 0)
		return false;
	if (WIFEXITED(wstatus)) {
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(wstatus));
		return false;
	}
	if (!WIFSIGNALED(wstatus) || WTERMSIG(wstatus) != SIGSYS) {
		snprintf(buf, len, "killed by signal %d",
		    WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
		return false;
	}
	if (!read_record(fd, &rec)) {
		snprintf(buf, len, "syscall unknown (SIGSYS, no report)");
		return true;
	}
	name = seccomp_syscall_resolve_num_arch(rec.arch, rec.nr);
	snprintf(buf, len, "syscall %d (%s)", (int)rec.nr, name != NULL ? name : "unknown");
	free(name);
	return true;
}
