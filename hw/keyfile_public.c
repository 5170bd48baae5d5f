/* keyfile_public.c: one-line public keys, "type base64(blob) [comment]", as in OpenSSH's .pub files
 * and authorized_keys (sshd(8) AUTHORIZED_KEYS FILE FORMAT, without the options). */
#include <stdlib.h>
#include <string.h>

#include "hs_b64.h"
#include "hs_mem.h"
#include "hs_provider.h"

#define KP_MAX_LINE	(64u * 1024)	/* an RSA-16384 line is ~2.8 KB; bound the rest */

hs_err
hs_keyfile_public_line(const struct hs_key *k, const char *comment, char **out)
{
	struct hs_buf *blob = NULL, *line = NULL;
	hs_err r;

	HS_ENSURE(k != NULL && out != NULL, HS_ERR_INTERNAL);
	*out = NULL;
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &blob), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &line), r, out);
	HS_GUARD_GOTO(hs_key_public_blob(k, blob), r, out);
	HS_GUARD_GOTO(hs_buf_putf(line, "%s ", hs_key_type_name(hs_key_type(k))), r, out);
	HS_GUARD_GOTO(hs_b64_encode(hs_buf_ptr(blob), hs_buf_len(blob), true, line), r, out);
	if (comment != NULL && comment[0] != '\0')
		HS_GUARD_GOTO(hs_buf_putf(line, " %s", comment), r, out);
	HS_GUARD_GOTO(hs_buf_to_cstring(line, out), r, out);
	r = HS_OK;
out:
	hs_buf_free(blob);
	hs_buf_free(line);
	return r;
}

static bool
kp_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [*s, *s + len) is the next whitespace-delimited token; *s is moved past it. */
static size_t
kp_token(const char **s)
{
	const char *p;

	while (kp_space(**s))
		(*s)++;
	for (p = *s; *p != '\0' && !kp_space(*p); p++)
		;
	return (size_t)(p - *s);
}

/* The rest of the line with surrounding whitespace removed, or NULL when empty. */
static hs_err
kp_comment(const char *s, char **out)
{
	size_t n;

	*out = NULL;
	while (kp_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && kp_space(s[n - 1]))
		n--;
	if (n == 0)
		return HS_OK;
	*out = strndup(s, n);
	HS_ENSURE(*out != NULL, HS_ERR_ALLOC);
	return HS_OK;
}

hs_err
hs_keyfile_parse_public(const char *line, struct hs_key **out, char **comment)
{
	struct hs_buf *blob = NULL;
	struct hs_key *k = NULL;
	const char *s = line, *type, *b64;
	size_t tlen, blen;
	enum hs_key_type t;
	hs_err r;

	HS_ENSURE(line != NULL && out != NULL, HS_ERR_INTERNAL);
	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	HS_ENSURE(strnlen(line, KP_MAX_LINE + 1) <= KP_MAX_LINE, HS_ERR_TOO_LARGE);
	tlen = kp_token(&s);
	type = s;
	s += tlen;
	blen = kp_token(&s);
	b64 = s;
	s += blen;
	t = hs_key_type_from_name(type, tlen);
	HS_ENSURE(tlen > 0 && blen > 0, HS_ERR_FORMAT);
	HS_ENSURE(t != HS_KEY_UNKNOWN, HS_ERR_UNSUPPORTED);
	HS_GUARD_GOTO(hs_buf_new(KP_MAX_LINE, &blob), r, out);
	HS_GUARD_GOTO(hs_b64_decode(b64, blen, blob), r, out);
	HS_GUARD_GOTO(hs_key_from_blob(hs_buf_ptr(blob), hs_buf_len(blob), &k), r, out);
	/* the name outside must match the one inside the blob */
	HS_ENSURE_GOTO(hs_key_type(k) == t, HS_ERR_FORMAT, r, out);
	if (comment != NULL)
		HS_GUARD_GOTO(kp_comment(s, comment), r, out);
	*out = k;
	k = NULL;
	r = HS_OK;
out:
	hs_key_free(k);
	hs_buf_free(blob);
	return r;
}
