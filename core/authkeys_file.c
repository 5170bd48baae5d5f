/* authkeys_file.c: finding the user's authorized_keys files (AuthorizedKeysFile tokens), the
 * StrictModes ownership rule, and searching the files for an offered key. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hs_authkeys.h"
#include "hs_buf.h"
#include "hs_ct.h"
#include "hs_log.h"
#include "hs_mem.h"

#define AK_MAX_FILE_LINE	(64u * 1024)	/* RSA 16384 with long options still fits */

hs_err
hs_authkeys_expand_path(const char *pattern, const char *user, uid_t uid, const char *home,
    char **out)
{
	struct hs_buf *b = NULL;
	char *p;
	bool rel;
	hs_err r;

	HS_GUARD(hs_buf_new(PATH_MAX, &b));
	for (const char *s = pattern; *s != '\0'; s++) {
		if (*s != '%') {
			HS_GUARD_GOTO(hs_buf_put_u8(b, (uint8_t)*s), r, out);
			continue;
		}
		s++;
		if (*s == '%')
			r = hs_buf_put_u8(b, '%');
		else if (*s == 'h')
			r = hs_buf_putf(b, "%s", home);
		else if (*s == 'u')
			r = hs_buf_putf(b, "%s", user);
		else if (*s == 'U')
			r = hs_buf_putf(b, "%lu", (unsigned long)uid);
		else
			r = HS_ERR_FORMAT;
		HS_GUARD_GOTO(r, r, out);
	}
	HS_ENSURE_GOTO(hs_buf_len(b) > 0, HS_ERR_FORMAT, r, out);
	/* sshd(8): a path that is not absolute after expansion is taken relative to home. */
	rel = hs_buf_ptr(b)[0] != '/';
	p = malloc(hs_buf_len(b) + (rel ? strlen(home) + 2 : 1));
	HS_ENSURE_GOTO(p != NULL, HS_ERR_ALLOC, r, out);
	sprintf(p, "%s%s%.*s", rel ? home : "", rel ? "/" : "", (int)hs_buf_len(b),
	    (const char *)hs_buf_ptr(b));
	*out = p;
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

static hs_err
check_one(const char *what, const struct stat *st, uid_t uid)
{
	if (st->st_uid != 0 && st->st_uid != uid) {
		hs_log(HS_LOG_INFO, "Authentication refused: bad ownership or modes for %s %s",
		    S_ISDIR(st->st_mode) ? "directory" : "file", what);
		return HS_ERR_PERM;
	}
	if ((st->st_mode & 022) != 0) {
		hs_log(HS_LOG_INFO, "Authentication refused: bad ownership or modes for %s %s",
		    S_ISDIR(st->st_mode) ? "directory" : "file", what);
		return HS_ERR_PERM;
	}
	return HS_OK;
}

hs_err
hs_authkeys_check_perms(const char *path, uid_t uid, const char *home)
{
	char dir[PATH_MAX], homebuf[PATH_MAX];
	struct stat st;

	if (realpath(path, dir) == NULL)
		return HS_ERR_NOT_FOUND;
	HS_ENSURE(stat(dir, &st) == 0, HS_ERR_NOT_FOUND);
	if (!S_ISREG(st.st_mode)) {
		hs_log(HS_LOG_INFO, "Authentication refused: %s is not a regular file", dir);
		return HS_ERR_PERM;
	}
	HS_GUARD(check_one(dir, &st, uid));
	if (home == NULL || realpath(home, homebuf) == NULL)
		homebuf[0] = '\0';
	/* Every directory up to the root; stop once home has been checked. */
	for (;;) {
		char *d = dirname(dir);

		if (d != dir)
			memmove(dir, d, strlen(d) + 1);
		if (stat(dir, &st) != 0) {
			hs_log(HS_LOG_INFO, "Authentication refused: cannot stat %s", dir);
			return HS_ERR_PERM;
		}
		HS_GUARD(check_one(dir, &st, uid));
		if (strcmp(dir, "/") == 0 || strcmp(dir, homebuf) == 0)
			break;
	}
	return HS_OK;
}

/* Does this entry allow the connection (from=, expiry-time=)? */
static bool
entry_allows(const struct hs_authkey *k, const struct hs_authkeys_query *q, const char *file,
    unsigned lineno)
{
	if (k->opts.expiry != 0 && time(NULL) > k->opts.expiry) {
		hs_verbose("%s:%u: key has expired", file, lineno);
		return false;
	}
	if (k->opts.from != NULL && !hs_authkeys_match_from(k->opts.from, q->client_ip)) {
		hs_log(HS_LOG_INFO, "Authentication tried for %s with correct key but not from a "
		    "permitted host (ip=%s).", q->user, q->client_ip);
		return false;
	}
	return true;
}

/* Scan one open file; HS_OK with *out set on a match. */
static hs_err
scan_file(FILE *f, const char *file, const struct hs_authkeys_query *q, struct hs_authkey *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	hs_err r = HS_ERR_NOT_FOUND;

	while ((n = getline(&line, &cap, f)) > 0 && r == HS_ERR_NOT_FOUND) {
		struct hs_authkey k;
		hs_err pr;

		lineno++;
		if ((size_t)n > AK_MAX_FILE_LINE)
			continue;
		pr = hs_authkeys_parse_line(line, (size_t)n, &k);
		if (pr == HS_ERR_UNSUPPORTED || pr == HS_ERR_FORMAT)
			hs_debug("%s:%u: skipping line: %s", file, lineno, hs_err_str(pr));
		if (pr != HS_OK)
			continue;
		if (k.blob_len == q->blob_len && hs_ct_memeq(k.blob, q->blob, q->blob_len)) {
			hs_debug("%s:%u: matching key found", file, lineno);
			if (entry_allows(&k, q, file, lineno)) {
				*out = k;
				r = HS_OK;
				continue;
			}
			r = HS_ERR_PERM;
		}
		hs_authkey_clear(&k);
	}
	free(line);
	return r == HS_ERR_PERM ? HS_ERR_NOT_FOUND : r;
}

static hs_err
search_one(const char *pattern, const struct hs_authkeys_query *q, struct hs_authkey *out)
{
	char *path = NULL;
	FILE *f = NULL;
	hs_err r;

	HS_GUARD(hs_authkeys_expand_path(pattern, q->user, q->uid, q->home, &path));
	f = fopen(path, "re");
	if (f == NULL) {
		hs_debug("Could not open user '%s' authorized keys '%s': %s", q->user, path,
		    strerror(errno));
		HS_ENSURE_GOTO(false, HS_ERR_NOT_FOUND, r, out);
	}
	if (q->strict_modes)
		HS_GUARD_GOTO(hs_authkeys_check_perms(path, q->uid, q->home), r, out);
	hs_debug("trying public key file %s", path);
	r = scan_file(f, path, q, out);
out:
	if (f != NULL)
		fclose(f);
	free(path);
	return r;
}

hs_err
hs_authkeys_find(const struct hs_authkeys_query *q, struct hs_authkey *out)
{
	/* Read as the user, so a link to a file only root may read yields nothing. */
	bool switch_ids = geteuid() == 0 && q->uid != 0;
	hs_err r = HS_ERR_NOT_FOUND;
	int old_uid = 0, old_gid = 0;

	memset(out, 0, sizeof(*out));
	if (switch_ids) {
		old_gid = setfsgid(q->gid);
		old_uid = setfsuid(q->uid);
	}
	for (size_t i = 0; i < q->n_files && r != HS_OK; i++)
		r = search_one(q->files[i], q, out) == HS_OK ? HS_OK : HS_ERR_NOT_FOUND;
	if (switch_ids) {
		(void)setfsuid((uid_t)old_uid);
		(void)setfsgid((gid_t)old_gid);
	}
	return r;
}
