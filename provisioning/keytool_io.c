/* keytool_io.c: files and terminal prompts for hssh-keygen. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "hs_mem.h"
#include "keytool_impl.h"

hs_err
hs_kt_read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap = 0;
	ssize_t n;
	int fd;
	hs_err r;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? HS_ERR_NOT_FOUND : HS_ERR_IO;
	HS_ENSURE_GOTO(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), HS_ERR_IO, r, out);
	HS_ENSURE_GOTO(st.st_size >= 0 && (size_t)st.st_size <= KT_MAX_FILE, HS_ERR_TOO_LARGE, r,
	    out);
	cap = (size_t)st.st_size;
	buf = hs_calloc(cap + 1, 1);
	HS_ENSURE_GOTO(buf != NULL, HS_ERR_ALLOC, r, out);
	/* a file that grows meanwhile is read up to the size it had */
	while (got < cap && (n = read(fd, buf + got, cap - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		HS_ENSURE_GOTO(n > 0, HS_ERR_IO, r, out);
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	r = HS_OK;
out:
	hs_free_wiped(buf, cap + 1);
	close(fd);
	return r;
}

hs_err
hs_kt_write_file(const char *path, mode_t mode, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;
	int fd;
	hs_err r = HS_OK;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return HS_ERR_IO;
	/* an existing file keeps its old mode through O_CREAT: set it explicitly */
	HS_ENSURE_GOTO(fchmod(fd, mode) == 0, HS_ERR_IO, r, out);
	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		HS_ENSURE_GOTO(w > 0, HS_ERR_IO, r, out);
		c += w;
		n -= (size_t)w;
	}
out:
	if (close(fd) != 0 && r == HS_OK)
		r = HS_ERR_IO;
	return r;
}

bool
hs_kt_interactive(void)
{
	return isatty(STDIN_FILENO) == 1;
}

/* One line from f without its newline; false at EOF. */
static bool
kt_getline(FILE *f, char *buf, size_t n)
{
	size_t l;

	if (fgets(buf, (int)n, f) == NULL)
		return false;
	l = strcspn(buf, "\r\n");
	buf[l] = '\0';
	return true;
}

hs_err
hs_kt_read_pass(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	bool ok, tty = hs_kt_interactive() && tcgetattr(STDIN_FILENO, &old) == 0;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	ok = kt_getline(stdin, buf, n);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (!ok) {
		hs_wipe(buf, n);
		return HS_ERR_IO;
	}
	return HS_OK;
}

bool
hs_kt_ask_yes(const char *prompt)
{
	char line[64];

	if (!hs_kt_interactive())
		return false;
	fputs(prompt, stdout);
	fflush(stdout);
	if (!kt_getline(stdin, line, sizeof(line)))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}
