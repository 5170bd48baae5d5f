/* client_tty.c: prompts on the controlling terminal (passwords, passphrases, host key questions). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client_impl.h"
#include "hs_mem.h"

#define TTY_MAX_ANSWER	1024

/* While echo is off, a signal that ends the process must give the terminal its echo back. */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define TTY_NSIG	(sizeof(tty_signals) / sizeof(tty_signals[0]))

static void
tty_on_signal(int sig)
{
	if (tty_fd != -1)
		(void)tcsetattr(tty_fd, TCSANOW, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
tty_guard(int fd, const struct termios *saved, struct sigaction *old)
{
	struct sigaction sa = { .sa_handler = tty_on_signal };

	tty_saved = *saved;
	tty_fd = fd;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < TTY_NSIG; i++)
		(void)sigaction(tty_signals[i], &sa, &old[i]);
}

static void
tty_unguard(const struct sigaction *old)
{
	for (size_t i = 0; i < TTY_NSIG; i++)
		(void)sigaction(tty_signals[i], &old[i], NULL);
	tty_fd = -1;
}

static hs_err
tty_read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	char ch;

	for (;;) {
		ssize_t k = read(fd, &ch, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return n > 0 ? HS_OK : HS_ERR_EOF;
		if (ch == '\n' || ch == '\r')
			break;
		if (n + 1 < cap)
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return HS_OK;
}

hs_err
hs_client_read_tty(const char *prompt, bool echo, char **out)
{
	char buf[TTY_MAX_ANSWER];
	struct termios saved, quiet;
	struct sigaction old[TTY_NSIG];
	bool restore = false;
	int fd;
	hs_err r;

	*out = NULL;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1) {
		hs_debug("read_passphrase: can't open /dev/tty: %s", strerror(errno));
		return HS_ERR_NOT_FOUND;
	}
	/* echo off before the prompt is shown, so nothing typed after it is flushed or echoed */
	if (!echo && tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tty_guard(fd, &saved, old);
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
		if (!restore)
			tty_unguard(old);
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		hs_debug("prompt write failed");
	r = tty_read_line(fd, buf, sizeof(buf));
	if (restore) {
		(void)tcsetattr(fd, TCSANOW, &saved);
		tty_unguard(old);
		if (write(fd, "\n", 1) < 0)
			hs_debug("newline write failed");
	}
	close(fd);
	if (r == HS_OK && (*out = strdup(buf)) == NULL)
		r = HS_ERR_ALLOC;
	hs_wipe(buf, sizeof(buf));
	return r;
}
