/* pkcs11_uri.c: RFC 7512 PKCS#11 URIs (hw/hs_pkcs11_uri.h): parse, canonical text, PIN file.
 *
 * RFC 7512 2.3: pk11-URI = "pkcs11:" pk11-path [ "?" pk11-query ]; path attributes are separated by
 * ";", query attributes by "&"; every value may carry RFC 3986 pct-encoded octets. Each attribute
 * is one row of a table below, whose setter checks and stores the decoded value and whose getter
 * gives it back for hs_p11uri_format, so parsing and formatting name the same attributes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_b64.h"
#include "hs_buf.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_uri.h"

#define P11_SCHEME	"pkcs11:"
#define P11_SCHEME_LEN	7
#define P11_PIN_MAX	256	/* longest PIN line accepted (header contract) */

struct p11_attr {
	const char *name;
	/* Check and store the decoded value v (HS_ERR_FORMAT with a logged reason if refused). */
	hs_err (*set)(const struct p11_attr *a, struct hs_buf *v, struct hs_p11uri *u);
	/* The value's bytes if present (scratch holds at least 24 bytes for numbers). */
	bool (*get)(const struct p11_attr *a, const struct hs_p11uri *u, char *scratch,
	    const uint8_t **p, size_t *len);
	size_t off;		/* offsetof the char * field, for text attributes */
};

static const struct {
	const char *name;
	enum hs_p11uri_type type;
} p11_types[] = {
	/* RFC 7512 2.3, pk11-type */
	{ "public", HS_P11URI_PUBLIC },
	{ "private", HS_P11URI_PRIVATE },
	{ "cert", HS_P11URI_CERT },
	{ "secret-key", HS_P11URI_SECRET_KEY },
	{ "data", HS_P11URI_DATA },
	{ NULL, HS_P11URI_ANY }
};

static char **
text_field(const struct p11_attr *a, struct hs_p11uri *u)
{
	return (char **)((char *)u + a->off);
}

/* A text value: the decoded bytes as a C string; a NUL byte after decoding is refused. */
static hs_err
decoded_text(const struct p11_attr *a, struct hs_buf *v, char **out)
{
	hs_err r = hs_buf_to_cstring(v, out);

	if (r == HS_ERR_FORMAT)
		hs_error("pkcs11 URI: attribute \"%s\" holds a NUL byte", a->name);
	return r;
}

static hs_err
set_text(const struct p11_attr *a, struct hs_buf *v, struct hs_p11uri *u)
{
	return decoded_text(a, v, text_field(a, u));
}

static bool
get_text(const struct p11_attr *a, const struct hs_p11uri *u, char *scratch, const uint8_t **p,
    size_t *len)
{
	char *s = *text_field(a, (struct hs_p11uri *)u);

	if (s == NULL)
		return false;
	*p = (const uint8_t *)s;
	*len = strlen(s);
	return true;
}

/* module-path must name the module absolutely, so no search path decides which code is loaded. */
static hs_err
set_module_path(const struct p11_attr *a, struct hs_buf *v, struct hs_p11uri *u)
{
	char *s;

	HS_GUARD(decoded_text(a, v, &s));
	if (s[0] != '/') {
		hs_error("pkcs11 URI: module-path \"%s\" is not an absolute path", s);
		free(s);
		return HS_ERR_FORMAT;
	}
	*text_field(a, u) = s;
	return HS_OK;
}

/* pin-value puts the PIN itself in the URI, hence on command lines and in config files. */
static hs_err
set_refused(const struct p11_attr *a, struct hs_buf *v, struct hs_p11uri *u)
{
	hs_error("pkcs11 URI: \"%s\" refused: never put a PIN in a URI, use pin-source=file:PATH "
	    "(a file only its owner can read)", a->name);
	return HS_ERR_FORMAT;
}

static bool
get_none(const struct p11_attr *a, const struct hs_p11uri *u, char *scratch, const uint8_t **p,
    size_t *len)
{
	return false;
}

/* id: CKA_ID bytes, which may hold any octet (NUL too). An empty id is a value. */
static hs_err
set_id(const struct p11_attr *a, struct hs_buf *v, struct hs_p11uri *u)
{
	size_t n = hs_buf_len(v);

	/* One byte more than needed, so that an empty id still has a non-NULL pointer. */
	if ((u->id = hs_calloc(1, n + 1)) == NULL)
		return HS_ERR_ALLOC;
	if (n > 0)
		memcpy(u->id, hs_buf_ptr(v), n);
	u->id_len = n;
	u->has_id = true;
	return HS_OK;
}

static bool
get_id(const struct p11_attr *a, const struct hs_p11uri *u, char *scratch, const uint8_t **p,
    size_t *len)
{
	if (!u->has_id)
		return false;
	*p = u->id;
	*len = u->id_len;
	return true;
}

/* slot-id: a decimal CK_SLOT_ID (RFC 7512 2.3: 1*DIGIT), which must fit an unsigned long. */
static hs_err
set_slot_id(const struct p11_attr *a, struct hs_buf *v, struct hs_p11uri *u)
{
	const uint8_t *p = hs_buf_ptr(v);
	size_t i, n = hs_buf_len(v);
	unsigned long x = 0;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || x > (~0UL - (p[i] - '0')) / 10) {
			hs_error("pkcs11 URI: slot-id is not a decimal unsigned long");
			return HS_ERR_FORMAT;
		}
		x = x * 10 + (p[i] - '0');
	}
	if (n == 0) {
		hs_error("pkcs11 URI: slot-id is empty");
		return HS_ERR_FORMAT;
	}
	u->slot_id = x;
	u->has_slot_id = true;
	return HS_OK;
}

static bool
get_slot_id(const struct p11_attr *a, const struct hs_p11uri *u, char *scratch, const uint8_t **p,
    size_t *len)
{
	if (!u->has_slot_id)
		return false;
	*len = (size_t)snprintf(scratch, 24, "%lu", u->slot_id);
	*p = (const uint8_t *)scratch;
	return true;
}

static hs_err
set_type(const struct p11_attr *a, struct hs_buf *v, struct hs_p11uri *u)
{
	size_t i, n = hs_buf_len(v);

	for (i = 0; p11_types[i].name != NULL; i++) {
		if (n == strlen(p11_types[i].name) && n > 0 &&
		    memcmp(hs_buf_ptr(v), p11_types[i].name, n) == 0) {
			u->type = p11_types[i].type;
			return HS_OK;
		}
	}
	hs_error("pkcs11 URI: type must be public, private, cert, secret-key or data");
	return HS_ERR_FORMAT;
}

static bool
get_type(const struct p11_attr *a, const struct hs_p11uri *u, char *scratch, const uint8_t **p,
    size_t *len)
{
	size_t i;

	for (i = 0; p11_types[i].name != NULL; i++) {
		if (p11_types[i].type == u->type) {
			*p = (const uint8_t *)p11_types[i].name;
			*len = strlen(p11_types[i].name);
			return true;
		}
	}
	return false;
}

#define TEXT(n, f)	{ n, set_text, get_text, offsetof(struct hs_p11uri, f) }

/* RFC 7512 2.3 path attributes, in the order hs_p11uri_format writes them. */
static const struct p11_attr path_attrs[] = {
	TEXT("token", token),
	TEXT("manufacturer", manufacturer),
	TEXT("serial", serial),
	TEXT("model", model),
	TEXT("library-manufacturer", lib_manufacturer),
	TEXT("library-description", lib_description),
	TEXT("library-version", lib_version),
	{ "slot-id", set_slot_id, get_slot_id, 0 },
	TEXT("slot-description", slot_description),
	TEXT("slot-manufacturer", slot_manufacturer),
	TEXT("object", object),
	{ "id", set_id, get_id, 0 },
	{ "type", set_type, get_type, 0 },
	{ NULL, NULL, NULL, 0 }
};

/* RFC 7512 2.3 query attributes. */
static const struct p11_attr query_attrs[] = {
	{ "module-path", set_module_path, get_text, offsetof(struct hs_p11uri, module_path) },
	TEXT("module-name", module_name),
	TEXT("pin-source", pin_source),
	{ "pin-value", set_refused, get_none, 0 },
	{ NULL, NULL, NULL, 0 }
};

bool
hs_p11uri_is(const char *s)
{
	return s != NULL && strncasecmp(s, P11_SCHEME, P11_SCHEME_LEN) == 0;
}

/* RFC 3986 2.1: "%" HEXDIG HEXDIG (either case) is one octet; other characters stand for
 * themselves. The decoded bytes of [a, b) go into a new buffer. */
static hs_err
pct_decode(const char *a, const char *b, const char *name, struct hs_buf **out)
{
	struct hs_buf *v;
	hs_err r = HS_OK;
	int hi, lo;

	HS_GUARD(hs_buf_new((size_t)(b - a), &v));
	while (a < b && r == HS_OK) {
		if (*a != '%') {
			r = hs_buf_put_u8(v, (uint8_t)*a++);
			continue;
		}
		if (b - a < 3 || (hi = hs_hex_value(a[1])) < 0 || (lo = hs_hex_value(a[2])) < 0) {
			hs_error("pkcs11 URI: bad or truncated %%-escape in \"%s\"", name);
			r = HS_ERR_FORMAT;
			break;
		}
		r = hs_buf_put_u8(v, (uint8_t)(hi << 4 | lo));
		a += 3;
	}
	if (r != HS_OK) {
		hs_buf_free(v);
		return r;
	}
	*out = v;
	return HS_OK;
}

/* The row of table named by [n, n + len), or NULL; *idx is its index. */
static const struct p11_attr *
attr_find(const struct p11_attr *table, const char *n, size_t len, size_t *idx)
{
	size_t i;

	for (i = 0; table[i].name != NULL; i++) {
		if (strlen(table[i].name) == len && memcmp(table[i].name, n, len) == 0) {
			*idx = i;
			return &table[i];
		}
	}
	return NULL;
}

/* One "name=value" of a component. *seen has bit i set once table[i] was given. */
static hs_err
parse_attr(const char *a, const char *b, const struct p11_attr *table, bool path,
    uint32_t *seen, struct hs_p11uri *u)
{
	const char *eq = memchr(a, '=', (size_t)(b - a));
	const struct p11_attr *at;
	struct hs_buf *v = NULL;
	char name[32];
	size_t idx = 0;
	hs_err r;

	if (eq == NULL || eq == a) {
		hs_error("pkcs11 URI: %s attribute without a name=value form",
		    eq == NULL ? "an" : "an empty-named");
		return HS_ERR_FORMAT;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
	/* Decode even values we ignore, so that a bad escape anywhere refuses the URI. */
	HS_GUARD(pct_decode(eq + 1, b, name, &v));
	at = attr_find(table, a, (size_t)(eq - a), &idx);
	if (at == NULL) {
		/* RFC 7512 2.3: unknown query attributes may be ignored; in the path only the vendor
		 * "x-" ones are, as an unknown path attribute would widen the match silently. */
		r = HS_OK;
		if (path && !(eq - a > 2 && a[0] == 'x' && a[1] == '-')) {
			hs_error("pkcs11 URI: unknown path attribute \"%s\"", name);
			r = HS_ERR_FORMAT;
		}
		goto out;
	}
	if (*seen & (1u << idx)) {
		hs_error("pkcs11 URI: attribute \"%s\" given twice", at->name);
		r = HS_ERR_FORMAT;
		goto out;
	}
	*seen |= 1u << idx;
	r = at->set(at, v, u);
out:
	hs_buf_free(v);
	return r;
}

/* A path or query component [a, b): attributes separated by sep; empty is allowed. */
static hs_err
parse_component(const char *a, const char *b, char sep, const struct p11_attr *table, bool path,
    struct hs_p11uri *u)
{
	uint32_t seen = 0;
	const char *e;

	if (a == b)
		return HS_OK;
	for (;;) {
		if ((e = memchr(a, sep, (size_t)(b - a))) == NULL)
			e = b;
		HS_GUARD(parse_attr(a, e, table, path, &seen, u));
		if (e == b)
			return HS_OK;
		a = e + 1;
	}
}

hs_err
hs_p11uri_parse(const char *s, struct hs_p11uri *out)
{
	const char *p, *q, *end;
	size_t len;
	hs_err r;

	memset(out, 0, sizeof(*out));
	if (s == NULL) {
		hs_error("pkcs11 URI: none given");
		return HS_ERR_FORMAT;
	}
	if ((len = strnlen(s, HS_P11URI_MAX + 1)) > HS_P11URI_MAX) {
		hs_error("pkcs11 URI longer than %d bytes", HS_P11URI_MAX);
		return HS_ERR_TOO_LARGE;
	}
	if (!hs_p11uri_is(s)) {
		hs_error("not a pkcs11: URI");
		return HS_ERR_FORMAT;
	}
	p = s + P11_SCHEME_LEN;
	end = s + len;
	/* RFC 7512 2.3: the first "?" ends the path; the query may hold further "?" unencoded. */
	q = memchr(p, '?', (size_t)(end - p));
	r = parse_component(p, q != NULL ? q : end, ';', path_attrs, true, out);
	if (r == HS_OK && q != NULL)
		r = parse_component(q + 1, end, '&', query_attrs, false, out);
	if (r != HS_OK)
		hs_p11uri_free(out);
	return r;
}

void
hs_p11uri_free(struct hs_p11uri *u)
{
	const struct p11_attr *tables[] = { path_attrs, query_attrs };
	size_t t, i;

	if (u == NULL)
		return;
	for (t = 0; t < 2; t++) {
		for (i = 0; tables[t][i].name != NULL; i++) {
			if (tables[t][i].get == get_text) {
				char **f = text_field(&tables[t][i], u);

				if (*f != NULL)
					hs_free_wiped(*f, strlen(*f));
			}
		}
	}
	hs_free_wiped(u->id, u->id_len);
	memset(u, 0, sizeof(*u));
}

/* RFC 3986 2.3 unreserved, and RFC 7512 2.3 pk11-res-avail, which both components allow raw. */
static bool
raw_ok(uint8_t c, bool path)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	if (c != '\0' && strchr("-._~:[]@!$'()*+,=", c) != NULL)
		return true;
	/* pk11-query-res-avail adds "/" "?" "|"; "&" (allowed raw in a path) is always encoded. */
	return !path && c != '\0' && strchr("/?|", c) != NULL;
}

static hs_err
put_value(struct hs_buf *b, const uint8_t *p, size_t n, bool path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		if (raw_ok(p[i], path))
			HS_GUARD(hs_buf_put_u8(b, p[i]));
		else
			HS_GUARD(hs_buf_putf(b, "%%%c%c", hex[p[i] >> 4], hex[p[i] & 15]));
	}
	return HS_OK;
}

static hs_err
format_component(struct hs_buf *b, const struct p11_attr *table, bool path,
    const struct hs_p11uri *u)
{
	char scratch[24];
	const uint8_t *p;
	size_t i, n;
	bool first = true;

	for (i = 0; table[i].name != NULL; i++) {
		if (!table[i].get(&table[i], u, scratch, &p, &n))
			continue;
		if (first && !path)
			HS_GUARD(hs_buf_put_u8(b, '?'));
		else if (!first)
			HS_GUARD(hs_buf_put_u8(b, path ? ';' : '&'));
		first = false;
		HS_GUARD(hs_buf_putf(b, "%s=", table[i].name));
		HS_GUARD(put_value(b, p, n, path));
	}
	return HS_OK;
}

hs_err
hs_p11uri_format(const struct hs_p11uri *u, char **out)
{
	struct hs_buf *b = NULL;
	hs_err r;

	*out = NULL;
	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &b));
	HS_GUARD_GOTO(hs_buf_put_bytes(b, P11_SCHEME, P11_SCHEME_LEN), r, out);
	HS_GUARD_GOTO(format_component(b, path_attrs, true, u), r, out);
	HS_GUARD_GOTO(format_component(b, query_attrs, false, u), r, out);
	/* hs_p11uri_parse would refuse a longer text, so it is no canonical form. */
	HS_ENSURE_GOTO(hs_buf_len(b) <= HS_P11URI_MAX, HS_ERR_TOO_LARGE, r, out);
	r = hs_buf_to_cstring(b, out);
out:
	hs_buf_free(b);
	return r;
}

/* "file:/abs", "file:///abs" (RFC 8089, empty authority) or "/abs": the absolute path. */
static hs_err
pin_path(const char *src, const char **path)
{
	if (strncasecmp(src, "file:", 5) == 0) {
		src += 5;
		/* A file URI with a host ("file://host/p") names no local path. */
		if (strncmp(src, "///", 3) == 0)
			src += 2;
		else if (strncmp(src, "//", 2) == 0)
			src = "";
	}
	if (src[0] != '/') {
		hs_error("pkcs11 URI: pin-source must be file:/PATH or an absolute path");
		return HS_ERR_FORMAT;
	}
	*path = src;
	return HS_OK;
}

/* Open the PIN file without following a symlink, as a regular file private to its owner. */
static hs_err
pin_open(const char *path, int *fdp)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO planted at path must not hang us before fstat refuses it. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return HS_ERR_NOT_FOUND;
		hs_error("PIN file %s: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (symbolic links are refused)" : "");
		return errno == ELOOP || errno == EACCES || errno == EPERM ? HS_ERR_PERM : HS_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		hs_error("PIN file %s: must be a regular file not accessible by group or others "
		    "(mode 0600 or 0400)", path);
		close(fd);
		return HS_ERR_PERM;
	}
	*fdp = fd;
	return HS_OK;
}

hs_err
hs_p11uri_read_pin(const struct hs_p11uri *u, char **pin, size_t *len)
{
	/* Room for the longest PIN, "\r\n", and one byte to see that a line is too long. */
	char buf[P11_PIN_MAX + 3];
	const char *path, *nl;
	size_t n = 0;
	ssize_t k;
	int fd = -1;
	hs_err r;

	*pin = NULL;
	*len = 0;
	if (u == NULL || u->pin_source == NULL)
		return HS_ERR_NOT_FOUND;
	HS_GUARD(pin_path(u->pin_source, &path));
	HS_GUARD(pin_open(path, &fd));
	while (n < sizeof(buf) && memchr(buf, '\n', n) == NULL) {
		if ((k = read(fd, buf + n, sizeof(buf) - n)) < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			hs_error("PIN file %s: read: %s", path, strerror(errno));
			r = HS_ERR_IO;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if ((nl = memchr(buf, '\n', n)) != NULL)
		n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > P11_PIN_MAX) {
		hs_error("PIN file %s: first line longer than %d bytes", path, P11_PIN_MAX);
		r = HS_ERR_TOO_LARGE;
		goto out;
	}
	if (memchr(buf, '\0', n) != NULL) {
		hs_error("PIN file %s: the PIN holds a NUL byte", path);
		r = HS_ERR_FORMAT;
		goto out;
	}
	HS_ENSURE_GOTO((*pin = malloc(n + 1)) != NULL, HS_ERR_ALLOC, r, out);
	memcpy(*pin, buf, n);
	(*pin)[n] = '\0';
	*len = n;
	r = HS_OK;
out:
	hs_wipe(buf, sizeof(buf));
	close(fd);
	return r;
}
