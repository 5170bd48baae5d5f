/* sandbox_testhooks.c: compiled only with -DHS_SANDBOX_TEST_HOOKS=ON. Lets a test make the
 * sandboxed process attempt a forbidden syscall on demand (hs_sandbox.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_sandbox.h"

static void
try_socket(void)
{
	(void)socket(AF_INET, SOCK_STREAM, 0);
}

static void
try_execve(void)
{
	char *const argv[] = { "/bin/true", NULL };

	(void)execve("/bin/true", argv, NULL);
}

static void
try_ptrace(void)
{
	(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static void
try_fork(void)
{
	(void)fork();
}

static const struct {
	const char *name;
	void (*call)(void);
} triggers[] = {
	{ .name = "socket", .call = try_socket },
	{ .name = "execve", .call = try_execve },
	{ .name = "ptrace", .call = try_ptrace },
	{ .name = "fork", .call = try_fork },
	{ 0 }
};

/* Make the call named want, if it is one of the table's; otherwise nothing. */
static void
trigger(const char *want, const char *how)
{
	for (size_t i = 0; triggers[i].name != NULL; i++) {
		if (strcmp(triggers[i].name, want) == 0) {
			hs_info("sandbox test hook (%s): calling %s", how, want);
			triggers[i].call();
			return;
		}
	}
}

void
hs_sandbox_test_trigger(void)
{
	const char *want = getenv("HS_SANDBOX_TEST_SYSCALL");

	if (want != NULL)
		trigger(want, "environment");
}

#define NAME_PREFIX	"hstest-syscall-"

void
hs_sandbox_test_trigger_name(const char *name)
{
	if (name != NULL && strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) == 0)
		trigger(name + strlen(NAME_PREFIX), "user name");
}
