/* tpm2_uri.c: the tpm2: key references of hw/hs_tpm2.h and the auth-file reader. No TSS2 types:
 * the fuzz target and the tests link this file alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_b64.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_tpm2.h"

#define TPM2_URI_MAX	4096

/* TPM 2.0 Part 2 7.2: TPM_HT_PERSISTENT is 0x81 in the top octet. */
#define PERSISTENT_FIRST	0x81000000u
#define PERSISTENT_LAST		0x81ffffffu

enum attr { A_HANDLE, A_BLOB, A_PARENT, A_AUTH, A_TCTI };

static const char *const attr_names[] = {
	[A_HANDLE] = "handle", [A_BLOB] = "blob", [A_PARENT] = "parent",
	[A_AUTH] = "auth-file", [A_TCTI] = "tcti",
};
#define NATTR (sizeof(attr_names) / sizeof(attr_names[0]))

bool
hs_tpm2uri_is(const char *uri)
{
	return uri != NULL && strncasecmp(uri, "tpm2:", 5) == 0;
}

/* Copy p[0..n) with %XX decoded into a new string; refuses a bad escape, a NUL and an empty value. */
static hs_err
decode(const char *p, size_t n, char **out)
{
	char *s;
	size_t i, j = 0;
	int hi, lo;

	*out = NULL;
	HS_ENSURE(n > 0, HS_ERR_FORMAT);
	if ((s = malloc(n + 1)) == NULL)
		return HS_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if (p[i] != '%') {
			s[j++] = p[i];
			continue;
		}
		if (i + 2 >= n || (hi = hs_hex_value(p[i + 1])) < 0 || (lo = hs_hex_value(p[i + 2])) < 0 ||
		    (hi == 0 && lo == 0)) {
			free(s);
			return HS_ERR_FORMAT;
		}
		s[j++] = (char)(hi << 4 | lo);
		i += 2;
	}
	s[j] = '\0';
	*out = s;
	return HS_OK;
}

/* "0x81000001" (hex, at most 8 digits) into *h. */
static hs_err
parse_handle(const char *s, uint32_t *h)
{
	uint32_t v = 0;
	size_t i;
	int d;

	HS_ENSURE(s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2] != '\0', HS_ERR_FORMAT);
	for (i = 2; s[i] != '\0'; i++) {
		HS_ENSURE(i < 10 && (d = hs_hex_value(s[i])) >= 0, HS_ERR_FORMAT);
		v = v << 4 | (uint32_t)d;
	}
	HS_ENSURE(v >= PERSISTENT_FIRST && v <= PERSISTENT_LAST, HS_ERR_FORMAT);
	*h = v;
	return HS_OK;
}

/* blob=PUB,PRIV or blob=BASE (BASE.pub, BASE.priv), split at the raw ',' before %-decoding so a
 * path may hold an escaped one (%2C). */
static hs_err
parse_blob(const char *p, size_t n, struct hs_tpm2uri *u)
{
	const char *comma = memchr(p, ',', n);
	char *base;
	size_t bl;

	if (comma != NULL) {
		HS_ENSURE(memchr(comma + 1, ',', n - (size_t)(comma - p) - 1) == NULL, HS_ERR_FORMAT);
		HS_GUARD(decode(p, (size_t)(comma - p), &u->pub_path));
		return decode(comma + 1, n - (size_t)(comma - p) - 1, &u->priv_path);
	}
	HS_GUARD(decode(p, n, &base));
	bl = strlen(base);
	if ((u->pub_path = malloc(bl + 5)) == NULL || (u->priv_path = malloc(bl + 6)) == NULL) {
		free(base);
		return HS_ERR_ALLOC;
	}
	memcpy(u->pub_path, base, bl);
	memcpy(u->pub_path + bl, ".pub", 5);
	memcpy(u->priv_path, base, bl);
	memcpy(u->priv_path + bl, ".priv", 6);
	free(base);
	return HS_OK;
}

/* Store one decoded value of handle=, parent=, auth-file= or tcti= (v is freed unless kept). */
static hs_err
set_attr(struct hs_tpm2uri *u, enum attr a, char *v)
{
	hs_err r = HS_OK;

	if (a == A_AUTH || a == A_TCTI) {
		*(a == A_AUTH ? &u->auth_file : &u->tcti) = v;
		return HS_OK;
	}
	if (a == A_HANDLE)
		u->has_handle = (r = parse_handle(v, &u->handle)) == HS_OK;
	else
		u->has_parent = (r = parse_handle(v, &u->parent)) == HS_OK;
	free(v);
	return r;
}

static hs_err
parse_attr(struct hs_tpm2uri *u, const char *p, size_t n, unsigned *seen)
{
	const char *eq = memchr(p, '=', n);
	size_t i, nl;
	char *v;

	if (eq == NULL) {
		hs_error("tpm2 URI: attribute without '='");
		return HS_ERR_FORMAT;
	}
	nl = (size_t)(eq - p);
	for (i = 0; i < NATTR; i++)
		if (strlen(attr_names[i]) == nl && memcmp(attr_names[i], p, nl) == 0)
			break;
	if (i == NATTR) {
		hs_error("tpm2 URI: unknown attribute '%.*s'", (int)(nl > 32 ? 32 : nl), p);
		return HS_ERR_FORMAT;
	}
	if ((*seen & (1u << i)) != 0) {
		hs_error("tpm2 URI: %s= given twice", attr_names[i]);
		return HS_ERR_FORMAT;
	}
	*seen |= 1u << i;
	if (i == A_BLOB) {
		if (parse_blob(eq + 1, n - nl - 1, u) == HS_OK)
			return HS_OK;
		hs_error("tpm2 URI: bad blob= value");
		return HS_ERR_FORMAT;
	}
	if (decode(eq + 1, n - nl - 1, &v) != HS_OK) {
		hs_error("tpm2 URI: %s= is empty or has a bad %%-escape", attr_names[i]);
		return HS_ERR_FORMAT;
	}
	if (set_attr(u, (enum attr)i, v) != HS_OK) {
		hs_error("tpm2 URI: bad %s= value", attr_names[i]);
		return HS_ERR_FORMAT;
	}
	return HS_OK;
}

hs_err
hs_tpm2uri_parse(const char *uri, struct hs_tpm2uri *u)
{
	const char *p, *end;
	unsigned seen = 0;
	size_t len;
	hs_err r;

	memset(u, 0, sizeof(*u));
	u->parent = HS_TPM2_SRK_HANDLE;
	HS_ENSURE(hs_tpm2uri_is(uri), HS_ERR_FORMAT);
	if ((len = strnlen(uri, TPM2_URI_MAX + 1)) > TPM2_URI_MAX) {
		hs_error("tpm2 URI: longer than %d bytes", TPM2_URI_MAX);
		return HS_ERR_TOO_LARGE;
	}
	if (len > 5 && uri[len - 1] == ';') {
		hs_error("tpm2 URI: empty attribute at the end");
		return HS_ERR_FORMAT;
	}
	for (p = uri + 5; p < uri + len; p = end + 1) {
		if ((end = memchr(p, ';', (size_t)(uri + len - p))) == NULL)
			end = uri + len;
		HS_GUARD_GOTO(parse_attr(u, p, (size_t)(end - p), &seen), r, out);
	}
	r = HS_ERR_FORMAT;
	if (u->has_handle && u->pub_path != NULL)
		hs_error("tpm2 URI: handle= and blob= exclude each other");
	else if (u->has_parent && u->pub_path == NULL)
		hs_error("tpm2 URI: parent= applies to blob= only");
	else
		r = HS_OK;
out:
	if (r != HS_OK)
		hs_tpm2uri_free(u);
	return r;
}

void
hs_tpm2uri_free(struct hs_tpm2uri *u)
{
	if (u == NULL)
		return;
	free(u->pub_path);
	free(u->priv_path);
	free(u->auth_file);
	free(u->tcti);
	memset(u, 0, sizeof(*u));
}

bool
hs_tpm2uri_has_key(const struct hs_tpm2uri *u)
{
	return u->has_handle || u->pub_path != NULL;
}

static hs_err
auth_open(const char *path, int *fd)
{
	struct stat st;

	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		hs_error("tpm2 auth file %s: %s", path, strerror(errno));
		return errno == ENOENT ? HS_ERR_NOT_FOUND : HS_ERR_IO;
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		hs_error("tpm2 auth file %s: not a regular file of mode 0600 or stricter", path);
		close(*fd);
		*fd = -1;
		return HS_ERR_PERM;
	}
	return HS_OK;
}

hs_err
hs_tpm2uri_read_auth(const struct hs_tpm2uri *u, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t tmp[HS_TPM2_AUTH_MAX + 1];
	size_t n = 0;
	ssize_t k = 0;
	hs_err r;
	int fd;

	*len = 0;
	if (u->auth_file == NULL)
		return HS_OK;
	HS_ENSURE(cap >= HS_TPM2_AUTH_MAX, HS_ERR_INTERNAL);
	HS_GUARD(auth_open(u->auth_file, &fd));
	while (n < sizeof(tmp)) {
		if ((k = read(fd, tmp + n, sizeof(tmp) - n)) < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	if (k < 0) {
		hs_error("tpm2 auth file %s: read: %s", u->auth_file, strerror(errno));
		r = HS_ERR_IO;
	} else if (n > HS_TPM2_AUTH_MAX) {
		hs_error("tpm2 auth file %s: longer than %d bytes", u->auth_file, HS_TPM2_AUTH_MAX);
		r = HS_ERR_TOO_LARGE;
	} else {
		memcpy(buf, tmp, n);
		*len = n;
		r = HS_OK;
	}
	hs_wipe(tmp, sizeof(tmp));
	close(fd);
	return r;
}
