/* authkeys.c: one authorized_keys line: the options prefix and the public key
 * (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"). File lookup and permission checks are in authkeys_file.c. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hs_authkeys.h"
#include "hs_b64.h"
#include "hs_buf.h"
#include "hs_log.h"
#include "hs_mem.h"

#define AK_MAX_VALUE	8192
#define AK_MAX_BLOB	16384

struct ak_opt;
typedef hs_err (*ak_opt_fn)(struct hs_authkey_opts *o, const struct ak_opt *d, char *val);

struct ak_opt {
	const char *name;
	bool has_value;
	ak_opt_fn apply;
	size_t flag_off;	/* for flag options: the bool in hs_authkey_opts */
	bool flag_val;
};

static hs_err
opt_flag(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	*(bool *)(void *)((char *)o + d->flag_off) = d->flag_val;
	return HS_OK;
}

/* restrict: every restriction, including ones added in future (sshd(8)). */
static hs_err
opt_restrict(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	o->no_pty = o->no_port_forwarding = o->no_agent_forwarding = true;
	o->no_x11_forwarding = o->no_user_rc = true;
	return HS_OK;
}

static hs_err
opt_string(char **dst, char *val)
{
	HS_ENSURE(*dst == NULL, HS_ERR_FORMAT);	/* given twice */
	*dst = hs_strdup(val);
	HS_ENSURE(*dst != NULL, HS_ERR_ALLOC);
	return HS_OK;
}

static hs_err
opt_command(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	return opt_string(&o->command, val);
}

static hs_err
opt_from(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	return opt_string(&o->from, val);
}

static hs_err
opt_env(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	const char *eq = strchr(val, '=');

	HS_ENSURE(eq != NULL && eq != val, HS_ERR_FORMAT);
	HS_ENSURE(o->n_env < HS_AUTHKEYS_MAX_ENV, HS_ERR_TOO_LARGE);
	o->env[o->n_env] = hs_strdup(val);
	HS_ENSURE(o->env[o->n_env] != NULL, HS_ERR_ALLOC);
	o->n_env++;
	return HS_OK;
}

static hs_err
opt_expiry(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	time_t t;

	HS_GUARD(hs_authkeys_parse_time(val, &t));
	/* sshd keeps the earliest when given twice. */
	if (o->expiry == 0 || t < o->expiry)
		o->expiry = t;
	return HS_OK;
}

/* permitopen/permitlisten restrict forwarding to listed targets; hsshd cannot enforce a list, so it
 * refuses forwarding for the key altogether (stricter, never looser). */
static hs_err
opt_no_fwd(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	o->no_port_forwarding = true;
	return HS_OK;
}

static hs_err
opt_accept(struct hs_authkey_opts *o, const struct ak_opt *d, char *val)
{
	return HS_OK;
}

#define FLAG(field)	offsetof(struct hs_authkey_opts, field)

static const struct ak_opt ak_opts[] = {
	{ "command", true, opt_command, 0, false },
	{ "from", true, opt_from, 0, false },
	{ "environment", true, opt_env, 0, false },
	{ "expiry-time", true, opt_expiry, 0, false },
	{ "restrict", false, opt_restrict, 0, false },
	{ "no-pty", false, opt_flag, FLAG(no_pty), true },
	{ "no-port-forwarding", false, opt_flag, FLAG(no_port_forwarding), true },
	{ "no-agent-forwarding", false, opt_flag, FLAG(no_agent_forwarding), true },
	{ "no-X11-forwarding", false, opt_flag, FLAG(no_x11_forwarding), true },
	{ "no-user-rc", false, opt_flag, FLAG(no_user_rc), true },
	{ "pty", false, opt_flag, FLAG(no_pty), false },
	{ "port-forwarding", false, opt_flag, FLAG(no_port_forwarding), false },
	{ "agent-forwarding", false, opt_flag, FLAG(no_agent_forwarding), false },
	{ "X11-forwarding", false, opt_flag, FLAG(no_x11_forwarding), false },
	{ "user-rc", false, opt_flag, FLAG(no_user_rc), false },
	{ "permitopen", true, opt_no_fwd, 0, false },
	{ "permitlisten", true, opt_no_fwd, 0, false },
	{ "tunnel", true, opt_accept, 0, false },
	{ "no-touch-required", false, opt_accept, 0, false },
	{ "verify-required", false, opt_accept, 0, false },
	{ NULL, false, NULL, 0, false },
};

static void
opts_clear(struct hs_authkey_opts *o)
{
	free(o->command);
	free(o->from);
	for (size_t i = 0; i < o->n_env; i++)
		free(o->env[i]);
	memset(o, 0, sizeof(*o));
}

/* A quoted option value starting at s[*pos] == '"'; \" stands for a quote. */
static hs_err
parse_value(const char *s, size_t len, size_t *pos, char *val, size_t valsz)
{
	size_t i = *pos + 1, n = 0;

	HS_ENSURE(*pos < len && s[*pos] == '"', HS_ERR_FORMAT);
	while (i < len && s[i] != '"') {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"')
			i++;
		HS_ENSURE(s[i] != '\0', HS_ERR_FORMAT);
		HS_ENSURE(n + 1 < valsz, HS_ERR_TOO_LARGE);
		val[n++] = s[i++];
	}
	HS_ENSURE(i < len, HS_ERR_FORMAT);	/* missing end quote */
	val[n] = '\0';
	*pos = i + 1;
	return HS_OK;
}

static const struct ak_opt *
find_opt(const char *s, size_t len, size_t pos, size_t *nlen)
{
	for (const struct ak_opt *d = ak_opts; d->name != NULL; d++) {
		size_t n = strlen(d->name);

		if (pos + n > len || strncasecmp(s + pos, d->name, n) != 0)
			continue;
		if (pos + n < len && s[pos + n] != ',' && s[pos + n] != '=' &&
		    !isspace((unsigned char)s[pos + n]))
			continue;	/* a longer name with this prefix */
		*nlen = n;
		return d;
	}
	return NULL;
}

static hs_err
parse_one_opt(const char *s, size_t len, size_t *pos, struct hs_authkey_opts *o, char *val)
{
	const struct ak_opt *d;
	size_t nlen;

	d = find_opt(s, len, *pos, &nlen);
	if (d == NULL) {
		hs_verbose("authorized_keys: bad key options: unknown option near \"%.*s\"",
		    (int)(len - *pos > 32 ? 32 : len - *pos), s + *pos);
		return HS_ERR_UNSUPPORTED;
	}
	*pos += nlen;
	val[0] = '\0';
	if (d->has_value) {
		HS_ENSURE(*pos < len && s[*pos] == '=', HS_ERR_FORMAT);
		(*pos)++;
		HS_GUARD(parse_value(s, len, pos, val, AK_MAX_VALUE));
	} else {
		HS_ENSURE(*pos >= len || s[*pos] != '=', HS_ERR_FORMAT);
	}
	return d->apply(o, d, val);
}

hs_err
hs_authkeys_parse_opts(const char *s, size_t len, struct hs_authkey_opts *o, size_t *consumed)
{
	char *val = malloc(AK_MAX_VALUE);
	size_t pos = 0;
	hs_err r;

	memset(o, 0, sizeof(*o));
	HS_ENSURE(val != NULL, HS_ERR_ALLOC);
	for (;;) {
		HS_GUARD_GOTO(parse_one_opt(s, len, &pos, o, val), r, out);
		if (pos >= len || isspace((unsigned char)s[pos]))
			break;
		HS_ENSURE_GOTO(s[pos] == ',', HS_ERR_FORMAT, r, out);
		pos++;
	}
	*consumed = pos;
	r = HS_OK;
out:
	free(val);
	if (r != HS_OK)
		opts_clear(o);
	return r;
}

static size_t
skip_space(const char *s, size_t len, size_t pos)
{
	while (pos < len && (s[pos] == ' ' || s[pos] == '\t'))
		pos++;
	return pos;
}

static size_t
word_end(const char *s, size_t len, size_t pos)
{
	while (pos < len && s[pos] != ' ' && s[pos] != '\t')
		pos++;
	return pos;
}

/* "keytype base64 [comment]" from pos; fills key, blob and comment. */
static hs_err
parse_key(const char *s, size_t len, size_t pos, struct hs_authkey *out)
{
	size_t te = word_end(s, len, pos), bs = skip_space(s, len, te), be = word_end(s, len, bs);
	enum hs_key_type type = hs_key_type_from_name(s + pos, te - pos);
	struct hs_buf *b = NULL;
	hs_err r;

	HS_ENSURE(type != HS_KEY_UNKNOWN && be > bs, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_new(AK_MAX_BLOB, &b));
	HS_GUARD_GOTO(hs_b64_decode(s + bs, be - bs, b), r, out);
	HS_GUARD_GOTO(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &out->key), r, out);
	/* The text type must name the blob's type (sshd compares them too). */
	HS_ENSURE_GOTO(hs_key_type(out->key) == type, HS_ERR_FORMAT, r, out);
	out->blob_len = hs_buf_len(b);
	out->blob = malloc(out->blob_len);
	HS_ENSURE_GOTO(out->blob != NULL, HS_ERR_ALLOC, r, out);
	memcpy(out->blob, hs_buf_ptr(b), out->blob_len);
	bs = skip_space(s, len, be);
	if (bs < len) {
		out->comment = strndup(s + bs, len - bs);
		HS_ENSURE_GOTO(out->comment != NULL, HS_ERR_ALLOC, r, out);
	}
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

hs_err
hs_authkeys_parse_line(const char *line, size_t len, struct hs_authkey *out)
{
	size_t pos, te;
	hs_err r;

	memset(out, 0, sizeof(*out));
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	pos = skip_space(line, len, 0);
	if (pos >= len || line[pos] == '#')
		return HS_ERR_NOT_FOUND;
	HS_ENSURE(memchr(line, '\0', len) == NULL, HS_ERR_FORMAT);
	te = word_end(line, len, pos);
	if (hs_key_type_from_name(line + pos, te - pos) == HS_KEY_UNKNOWN) {
		size_t used;

		/* Not a key type: the line starts with options. */
		HS_GUARD_GOTO(hs_authkeys_parse_opts(line + pos, len - pos, &out->opts, &used), r,
		    out);
		pos = skip_space(line, len, pos + used);
	}
	HS_GUARD_GOTO(parse_key(line, len, pos, out), r, out);
	r = HS_OK;
out:
	if (r != HS_OK)
		hs_authkey_clear(out);
	return r;
}

void
hs_authkey_clear(struct hs_authkey *k)
{
	opts_clear(&k->opts);
	hs_key_free(k->key);
	free(k->blob);
	free(k->comment);
	memset(k, 0, sizeof(*k));
}
