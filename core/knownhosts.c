/* knownhosts.c: reading, matching and appending OpenSSH known_hosts files (sshd(8)
 * SSH_KNOWN_HOSTS FILE FORMAT; hashed names as ssh-keygen -H writes them). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_b64.h"
#include "hs_client_config.h"
#include "hs_crypto.h"
#include "hs_ct.h"
#include "hs_knownhosts.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_provider.h"

#define KH_HASH_MAGIC	"|1|"
#define KH_SHA1_LEN	20

void
hs_kh_entry_clear(struct hs_kh_entry *e)
{
	free(e->hosts);
	free(e->keytype);
	hs_buf_free(e->blob);
	memset(e, 0, sizeof(*e));
}

/* Next whitespace-delimited word of s (advanced past it); NULL at the end. */
static char *
kh_word(char **s)
{
	char *w = *s;

	while (*w == ' ' || *w == '\t')
		w++;
	if (*w == '\0')
		return NULL;
	*s = w;
	while (**s != '\0' && **s != ' ' && **s != '\t')
		(*s)++;
	if (**s != '\0')
		*(*s)++ = '\0';
	return w;
}

static const struct {
	const char *word;
	enum hs_kh_marker marker;
} kh_markers[] = {
	{ "@revoked", HS_KH_MARK_REVOKED },
	{ "@cert-authority", HS_KH_MARK_CA },
};

static hs_err
kh_marker(const char *w, enum hs_kh_marker *m)
{
	for (size_t i = 0; i < sizeof(kh_markers) / sizeof(kh_markers[0]); i++) {
		if (strcmp(w, kh_markers[i].word) == 0) {
			*m = kh_markers[i].marker;
			return HS_OK;
		}
	}
	return HS_ERR_FORMAT;
}

/* The key blob must name the same type as the line's key type field (RFC 4253 6.6). */
static hs_err
kh_check_blob_type(const struct hs_buf *blob, const char *keytype)
{
	struct hs_buf *v = NULL;
	const uint8_t *p;
	size_t n;
	hs_err r;

	HS_GUARD(hs_buf_from(hs_buf_ptr(blob), hs_buf_len(blob), &v));
	HS_GUARD_GOTO(hs_buf_get_string(v, &p, &n), r, out);
	HS_ENSURE_GOTO(n == strlen(keytype) && memcmp(p, keytype, n) == 0, HS_ERR_FORMAT, r, out);
	r = HS_OK;
out:
	hs_buf_free(v);
	return r;
}

static hs_err
kh_parse_words(char *s, struct hs_kh_entry *e)
{
	char *w, *b64;

	w = kh_word(&s);
	HS_ENSURE(w != NULL && w[0] != '#', HS_ERR_NOT_FOUND);
	if (w[0] == '@') {
		HS_GUARD(kh_marker(w, &e->marker));
		HS_ENSURE((w = kh_word(&s)) != NULL, HS_ERR_FORMAT);
	}
	HS_ENSURE((e->hosts = strdup(w)) != NULL, HS_ERR_ALLOC);
	HS_ENSURE((w = kh_word(&s)) != NULL, HS_ERR_FORMAT);
	HS_ENSURE((e->keytype = strdup(w)) != NULL, HS_ERR_ALLOC);
	HS_ENSURE((b64 = kh_word(&s)) != NULL, HS_ERR_FORMAT);
	/* the rest of the line is a comment */
	HS_GUARD(hs_buf_new(HS_KH_MAX_LINE, &e->blob));
	HS_GUARD(hs_b64_decode(b64, strlen(b64), e->blob));
	HS_ENSURE(hs_buf_len(e->blob) > 0, HS_ERR_FORMAT);
	return kh_check_blob_type(e->blob, e->keytype);
}

hs_err
hs_kh_parse_line(const char *line, size_t len, struct hs_kh_entry *e)
{
	char *s;
	hs_err r;

	memset(e, 0, sizeof(*e));
	HS_ENSURE(len <= HS_KH_MAX_LINE, HS_ERR_TOO_LARGE);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	HS_ENSURE(memchr(line, '\0', len) == NULL, HS_ERR_FORMAT);
	HS_ENSURE((s = malloc(len + 1)) != NULL, HS_ERR_ALLOC);
	memcpy(s, line, len);
	s[len] = '\0';
	r = kh_parse_words(s, e);
	free(s);
	if (r != HS_OK)
		hs_kh_entry_clear(e);
	return r;
}

hs_err
hs_kh_host_name(const char *host, int port, char **out)
{
	int n;

	/* sshd(8): a non-standard port is written as "[host]:port" */
	n = port == 22 || port <= 0 ? asprintf(out, "%s", host) : asprintf(out, "[%s]:%d", host, port);
	if (n < 0) {
		*out = NULL;
		return HS_ERR_ALLOC;
	}
	return HS_OK;
}

static hs_err
kh_hmac(const char *name, const uint8_t *salt, size_t salt_len, uint8_t out[KH_SHA1_LEN])
{
	return hs_hmac(HS_HASH_SHA1, salt, salt_len, name, strlen(name), out);
}

/* "|1|salt|hash": 1 if it is the hash of name, 0 otherwise (including malformed fields). */
static int
kh_hashed_match(const char *field, const char *name)
{
	const char *salt64 = field + strlen(KH_HASH_MAGIC);
	const char *bar = strchr(salt64, '|');
	struct hs_buf *salt = NULL, *hash = NULL;
	uint8_t mac[KH_SHA1_LEN];
	int match = 0;

	if (bar == NULL || hs_buf_new(256, &salt) != HS_OK || hs_buf_new(256, &hash) != HS_OK)
		goto out;
	if (hs_b64_decode(salt64, (size_t)(bar - salt64), salt) != HS_OK ||
	    hs_b64_decode(bar + 1, strlen(bar + 1), hash) != HS_OK ||
	    hs_buf_len(salt) == 0 || hs_buf_len(hash) != KH_SHA1_LEN)
		goto out;
	if (kh_hmac(name, hs_buf_ptr(salt), hs_buf_len(salt), mac) != HS_OK)
		goto out;
	match = hs_ct_memeq(mac, hs_buf_ptr(hash), KH_SHA1_LEN) ? 1 : 0;
out:
	hs_buf_free(salt);
	hs_buf_free(hash);
	return match;
}

int
hs_kh_host_match(const char *field, const char *name)
{
	if (strncmp(field, KH_HASH_MAGIC, strlen(KH_HASH_MAGIC)) == 0)
		return kh_hashed_match(field, name);
	return hs_match_list(name, field, ',');
}

hs_err
hs_kh_hash_host(const char *name, const uint8_t *salt, size_t salt_len, char **out)
{
	uint8_t fresh[HS_KH_SALT_LEN], mac[KH_SHA1_LEN];
	struct hs_buf *b = NULL;
	hs_err r;

	*out = NULL;
	if (salt == NULL) {
		HS_GUARD(hs_random(fresh, sizeof(fresh)));
		salt = fresh;
		salt_len = sizeof(fresh);
	}
	HS_GUARD(kh_hmac(name, salt, salt_len, mac));
	HS_GUARD(hs_buf_new(1024, &b));
	HS_GUARD_GOTO(hs_buf_put_bytes(b, KH_HASH_MAGIC, strlen(KH_HASH_MAGIC)), r, out);
	HS_GUARD_GOTO(hs_b64_encode(salt, salt_len, true, b), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, '|'), r, out);
	HS_GUARD_GOTO(hs_b64_encode(mac, sizeof(mac), true, b), r, out);
	HS_GUARD_GOTO(hs_buf_to_cstring(b, out), r, out);
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

/* Key type name from the blob's first string into name (NUL-terminated). */
static hs_err
kh_blob_type(const uint8_t *blob, size_t len, char *name, size_t cap)
{
	struct hs_buf *v = NULL;
	const uint8_t *p;
	size_t n;
	hs_err r;

	HS_GUARD(hs_buf_from(blob, len, &v));
	HS_GUARD_GOTO(hs_buf_get_string(v, &p, &n), r, out);
	HS_ENSURE_GOTO(n > 0 && n < cap && memchr(p, '\0', n) == NULL, HS_ERR_FORMAT, r, out);
	memcpy(name, p, n);
	name[n] = '\0';
	r = HS_OK;
out:
	hs_buf_free(v);
	return r;
}

struct kh_scan {
	const char *name;
	const uint8_t *blob;
	size_t blob_len;
	char type[64];
	bool matched, mismatched, revoked;
	struct hs_kh_result mis;	/* first mismatch's location */
};

static void
kh_note(struct hs_kh_result *res, const char *file, unsigned line)
{
	snprintf(res->file, sizeof(res->file), "%s", file);
	res->line = line;
}

/* One parsed line against the key being checked. */
static void
kh_scan_entry(struct kh_scan *sc, const struct hs_kh_entry *e, const char *file, unsigned line,
    struct hs_kh_result *res)
{
	bool same = sc->blob != NULL && hs_buf_len(e->blob) == sc->blob_len &&
	    memcmp(hs_buf_ptr(e->blob), sc->blob, sc->blob_len) == 0;
	enum hs_key_type kt;

	if (e->marker == HS_KH_MARK_CA || hs_kh_host_match(e->hosts, sc->name) != 1) {
		/* @revoked applies whatever the host field says only when it matches; a CA line is
		 * for certificates, which we do not accept yet */
		return;
	}
	if (e->marker == HS_KH_MARK_REVOKED) {
		if (same && !sc->revoked) {
			sc->revoked = true;
			kh_note(res, file, line);
		}
		return;
	}
	res->any_known = true;
	kt = hs_key_type_from_name(e->keytype, strlen(e->keytype));
	if (kt != HS_KEY_UNKNOWN && kt < 32)
		res->known_types |= 1u << kt;
	if (same && !sc->matched && !sc->revoked) {
		sc->matched = true;
		kh_note(res, file, line);
	} else if (!same && !sc->mismatched && strcmp(e->keytype, sc->type) == 0) {
		sc->mismatched = true;
		kh_note(&sc->mis, file, line);
	}
}

static hs_err
kh_scan_file(struct kh_scan *sc, const char *file, struct hs_kh_result *res)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	struct hs_kh_entry e;

	if (f == NULL) {
		hs_log(HS_LOG_DEBUG3, "known_hosts %s: %s", file, strerror(errno));
		return HS_OK;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (hs_kh_parse_line(line, (size_t)len, &e) != HS_OK)
			continue;
		kh_scan_entry(sc, &e, file, lineno, res);
		hs_kh_entry_clear(&e);
	}
	free(line);
	fclose(f);
	return HS_OK;
}

hs_err
hs_kh_check(const char *const *files, size_t n_files, const char *name, const uint8_t *blob,
    size_t blob_len, struct hs_kh_result *res)
{
	struct kh_scan sc = { .name = name, .blob = blob, .blob_len = blob_len };

	memset(res, 0, sizeof(*res));
	HS_GUARD(kh_blob_type(blob, blob_len, sc.type, sizeof(sc.type)));
	for (size_t i = 0; i < n_files; i++)
		HS_GUARD(kh_scan_file(&sc, files[i], res));
	if (sc.revoked)
		res->status = HS_KH_REVOKED;
	else if (sc.matched)
		res->status = HS_KH_MATCH;
	else if (sc.mismatched) {
		res->status = HS_KH_MISMATCH;
		kh_note(res, sc.mis.file, sc.mis.line);
	} else
		res->status = HS_KH_NOT_FOUND;
	return HS_OK;
}

hs_err
hs_kh_known_types(const char *const *files, size_t n_files, const char *name, unsigned *mask)
{
	struct kh_scan sc = { .name = name };
	struct hs_kh_result res;

	memset(&res, 0, sizeof(res));
	for (size_t i = 0; i < n_files; i++)
		HS_GUARD(kh_scan_file(&sc, files[i], &res));
	*mask = res.known_types;
	return HS_OK;
}

/* mkdir -p for the last directory of path (ssh creates ~/.ssh the same way), mode 0700. */
static void
kh_make_dir(const char *path)
{
	char *copy = strdup(path);

	if (copy != NULL && mkdir(dirname(copy), 0700) == 0)
		hs_verbose("Created directory '%s'.", dirname(copy));
	free(copy);
}

static hs_err
kh_format_line(const char *name, const uint8_t *blob, size_t blob_len, bool hashed,
    struct hs_buf *b)
{
	char type[64], *hname = NULL;
	hs_err r;

	HS_GUARD(kh_blob_type(blob, blob_len, type, sizeof(type)));
	if (hashed)
		HS_GUARD(hs_kh_hash_host(name, NULL, 0, &hname));
	HS_GUARD_GOTO(hs_buf_putf(b, "%s %s ", hname ? hname : name, type), r, out);
	HS_GUARD_GOTO(hs_b64_encode(blob, blob_len, true, b), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, '\n'), r, out);
	r = HS_OK;
out:
	free(hname);
	return r;
}

/* True if the file exists, is not empty and does not end in a newline (edited by hand): the new
 * line must not be glued to the last one. */
static bool
kh_needs_newline(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char last = '\n';

	if (fd == -1)
		return false;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
		last = '\n';
	close(fd);
	return last != '\n';
}

hs_err
hs_kh_add(const char *path, const char *name, const uint8_t *blob, size_t blob_len, bool hashed)
{
	struct hs_buf *b = NULL;
	int fd = -1;
	hs_err r;
	ssize_t w;

	HS_GUARD(hs_buf_new(HS_KH_MAX_LINE, &b));
	if (kh_needs_newline(path))
		HS_GUARD_GOTO(hs_buf_put_u8(b, '\n'), r, out);
	HS_GUARD_GOTO(kh_format_line(name, blob, blob_len, hashed, b), r, out);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 && errno == ENOENT) {
		kh_make_dir(path);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	}
	HS_ENSURE_GOTO(fd != -1, HS_ERR_IO, r, out);
	w = write(fd, hs_buf_ptr(b), hs_buf_len(b));
	HS_ENSURE_GOTO(w == (ssize_t)hs_buf_len(b), HS_ERR_IO, r, out);
	r = HS_OK;
out:
	if (fd != -1)
		close(fd);
	hs_buf_free(b);
	return r;
}
