/* monitor_proto.c: framing, encoding and decoding of the monitor request protocol (hs_monitor.h).
 * One layout table drives both the parser and the builder, so what we build is exactly what we
 * accept. Descriptor passing is in monitor_fdpass.c. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "hs_monitor.h"
#include "hs_session.h"
#include "hs_time.h"

enum mon_kind {
	MF_END = 0,
	MF_U32,		/* uint32 */
	MF_BOOL,	/* byte 0 or 1 (RFC 4251 5 allows any non-zero for TRUE; we take only 1) */
	MF_STR,		/* string of min..max bytes; text: no NUL bytes inside */
	MF_LIST,	/* uint32 n (nmin..nmax) at off, then n strings (min..max) into items[] */
};

struct mon_field {
	enum mon_kind kind;
	size_t off;		/* offset in struct hs_mon_req */
	size_t min, max;
	bool text;
	bool env;		/* MF_STR/MF_LIST items: "NAME=value" with a non-empty NAME */
	size_t items;		/* MF_LIST: offset of the struct hs_mon_str array */
	uint32_t nmin, nmax;	/* MF_LIST: bounds on n */
};

#define MON_FIELDS_MAX	10

struct mon_layout {
	enum hs_mon_type type;
	const char *name;
	struct mon_field f[MON_FIELDS_MAX + 1];
	/* Rules across fields, checked after parsing and before building; NULL: none. */
	hs_err (*valid)(const struct hs_mon_req *m);
};

#define OFF(m)			offsetof(struct hs_mon_req, u.m)
#define U32(m)			{ .kind = MF_U32, .off = OFF(m) }
#define BOOL(m)			{ .kind = MF_BOOL, .off = OFF(m) }
#define BYTES(m, lo, hi)	{ .kind = MF_STR, .off = OFF(m), .min = (lo), .max = (hi) }
#define TEXT(m, lo, hi)		{ .kind = MF_STR, .off = OFF(m), .min = (lo), .max = (hi), .text = true }
#define NAME(m)			TEXT(m, 1, HS_MON_MAX_NAME)
#define LIST(n, a, lo, hi, nlo, nhi, txt, e)	{ .kind = MF_LIST, .off = OFF(n), .items = OFF(a), \
	.min = (lo), .max = (hi), .nmin = (nlo), .nmax = (nhi), .text = (txt), .env = (e) }

static hs_err valid_spawn(const struct hs_mon_req *m);
static hs_err valid_spawn_ok(const struct hs_mon_req *m);
static hs_err valid_kex_keypair(const struct hs_mon_req *m);

/* The wire layout of every message (the table in hs_monitor.h). */
static const struct mon_layout layouts[] = {
	{ .type = HS_MON_HOSTKEYS, .name = "HOSTKEYS", .f = { { 0 } } },
	{ .type = HS_MON_SIGN, .name = "SIGN", .f = { U32(sign.key_index), NAME(sign.alg),
		BYTES(sign.data, 1, HS_MON_MAX_HASH) } },
	{ .type = HS_MON_SESSION_ID, .name = "SESSION_ID",
		.f = { BYTES(session_id.id, 1, HS_MON_MAX_HASH) } },
	{ .type = HS_MON_AUTH_USER, .name = "AUTH_USER",
		.f = { NAME(auth_user.user), NAME(auth_user.service) } },
	{ .type = HS_MON_AUTH_PUBKEY_CHECK, .name = "AUTH_PUBKEY_CHECK", .f = { NAME(pubkey.user),
		NAME(pubkey.alg), BYTES(pubkey.blob, 1, HS_MON_MAX_BLOB) } },
	{ .type = HS_MON_AUTH_PUBKEY_VERIFY, .name = "AUTH_PUBKEY_VERIFY", .f = { NAME(pubkey.user),
		NAME(pubkey.alg), BYTES(pubkey.blob, 1, HS_MON_MAX_BLOB),
		BYTES(pubkey.signed_data, 1, HS_MON_MAX_SIGNED),
		BYTES(pubkey.sig, 1, HS_MON_MAX_BLOB) } },
	{ .type = HS_MON_AUTH_PASSWORD, .name = "AUTH_PASSWORD", .f = { NAME(password.user),
		TEXT(password.password, 0, HS_MON_MAX_PASSWORD) } },
	{ .type = HS_MON_KEYSTATE, .name = "KEYSTATE",
		.f = { BYTES(keystate.blob, 1, HS_MON_MAX_STATE) } },
	{ .type = HS_MON_SPAWN, .name = "SPAWN", .valid = valid_spawn, .f = {
		BOOL(spawn.has_command), TEXT(spawn.command, 0, HS_MON_MAX_COMMAND),
		BOOL(spawn.pty), TEXT(spawn.term, 0, HS_MON_MAX_TERM),
		BYTES(spawn.modes, 0, HS_MON_MAX_MODES),
		U32(spawn.cols), U32(spawn.rows), U32(spawn.wpx), U32(spawn.hpx),
		LIST(spawn.n_env, spawn.env, 1, HS_MON_MAX_ENV_LEN, 0, HS_MON_MAX_ENV, true,
			true) } },
	{ .type = HS_MON_OK, .name = "OK", .f = { { 0 } } },
	{ .type = HS_MON_FAIL, .name = "FAIL", .f = { { 0 } } },
	{ .type = HS_MON_HOSTKEYS_OK, .name = "HOSTKEYS_OK", .f = { LIST(hostkeys_ok.n,
		hostkeys_ok.keys, 1, HS_MON_MAX_BLOB, 1, HS_MON_MAX_HOSTKEYS, false, false) } },
	{ .type = HS_MON_SIGN_OK, .name = "SIGN_OK",
		.f = { BYTES(sign_ok.sig, 1, HS_MON_MAX_BLOB) } },
	{ .type = HS_MON_PK_OK, .name = "PK_OK",
		.f = { TEXT(pk_ok.options, 0, HS_MON_MAX_OPTIONS) } },
	{ .type = HS_MON_AUTH_DONE, .name = "AUTH_DONE", .f = { NAME(auth_done.user) } },
	{ .type = HS_MON_SPAWN_OK, .name = "SPAWN_OK", .valid = valid_spawn_ok, .f = {
		U32(spawn_ok.pid), BOOL(spawn_ok.pty),
		TEXT(spawn_ok.tty_name, 0, HS_MON_MAX_TTY) } },
	{ .type = HS_MON_KEX_KEYPAIR, .name = "KEX_KEYPAIR", .valid = valid_kex_keypair,
		.f = { U32(kex_keypair.method) } },
	{ .type = HS_MON_KEX_DERIVE, .name = "KEX_DERIVE",
		.f = { BYTES(kex_derive.peer, 1, HS_MON_MAX_KEX) } },
	{ .type = HS_MON_KEX_KEYPAIR_OK, .name = "KEX_KEYPAIR_OK",
		.f = { BYTES(kex_keypair_ok.pub, 1, HS_MON_MAX_KEX) } },
	{ .type = HS_MON_KEX_DERIVE_OK, .name = "KEX_DERIVE_OK",
		.f = { BYTES(kex_derive_ok.secret, 1, HS_MON_MAX_KEX) } },
};

static const struct mon_layout *
layout_find(int type)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if ((int)layouts[i].type == type)
			return &layouts[i];
	return NULL;
}

const char *
hs_mon_type_name(int type)
{
	const struct mon_layout *l = layout_find(type);

	return l != NULL ? l->name : "unknown";
}

/* ---- parsing ---- */

static hs_err
str_check(const uint8_t *p, size_t len, const struct mon_field *f)
{
	const uint8_t *eq;

	HS_ENSURE(len <= f->max, HS_ERR_TOO_LARGE);
	HS_ENSURE(len >= f->min, HS_ERR_FORMAT);
	HS_ENSURE(!f->text || len == 0 || memchr(p, 0, len) == NULL, HS_ERR_FORMAT);
	if (f->env) {
		/* environ(7): NAME=value; a name is never empty */
		eq = memchr(p, '=', len);
		HS_ENSURE(eq != NULL && eq != p, HS_ERR_FORMAT);
	}
	return HS_OK;
}

static hs_err
get_str(struct hs_buf *b, struct hs_mon_str *s, const struct mon_field *f)
{
	const uint8_t *p;
	size_t len;

	HS_GUARD(hs_buf_get_string(b, &p, &len));
	HS_GUARD(str_check(p, len, f));
	s->p = p;
	s->len = len;
	return HS_OK;
}

static hs_err
get_list(struct hs_buf *b, const struct mon_field *f, uint32_t *n, struct hs_mon_str *items)
{
	uint32_t count;

	HS_GUARD(hs_buf_get_u32(b, &count));
	HS_ENSURE(count <= f->nmax, HS_ERR_TOO_LARGE);
	HS_ENSURE(count >= f->nmin, HS_ERR_FORMAT);
	for (uint32_t i = 0; i < count; i++)
		HS_GUARD(get_str(b, &items[i], f));
	*n = count;
	return HS_OK;
}

static hs_err
get_field(struct hs_buf *b, const struct mon_field *f, struct hs_mon_req *req)
{
	uint8_t *at = (uint8_t *)req + f->off;
	uint8_t v;

	switch (f->kind) {
	case MF_U32:
		return hs_buf_get_u32(b, (uint32_t *)(void *)at);
	case MF_BOOL:
		HS_GUARD(hs_buf_get_u8(b, &v));
		HS_ENSURE(v <= 1, HS_ERR_FORMAT);
		*(bool *)(void *)at = v != 0;
		return HS_OK;
	case MF_STR:
		return get_str(b, (struct hs_mon_str *)(void *)at, f);
	case MF_LIST:
		return get_list(b, f, (uint32_t *)(void *)at,
			(struct hs_mon_str *)(void *)((uint8_t *)req + f->items));
	case MF_END:
		break;
	}
	return HS_ERR_INTERNAL;
}

hs_err
hs_mon_parse(struct hs_buf *msg, struct hs_mon_req *out)
{
	const struct mon_layout *l;
	struct hs_mon_req req;
	uint8_t type = 0;
	hs_err r;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	HS_GUARD_GOTO(hs_buf_get_u8(msg, &type), r, out);
	HS_ENSURE_GOTO((l = layout_find(type)) != NULL, HS_ERR_PROTOCOL, r, out);
	req.type = l->type;
	for (const struct mon_field *f = l->f; f->kind != MF_END; f++)
		HS_GUARD_GOTO(get_field(msg, f, &req), r, out);
	HS_GUARD_GOTO(hs_buf_get_end(msg), r, out);
	if (l->valid != NULL)
		HS_GUARD_GOTO(l->valid(&req), r, out);
	*out = req;
	r = HS_OK;
out:
	if (r != HS_OK)
		hs_debug("monitor: malformed message type %u: %s", (unsigned)type, hs_err_str(r));
	return r;
}

/* ---- building ---- */

static hs_err
put_str(struct hs_buf *b, const struct mon_field *f, const struct hs_mon_str *s)
{
	HS_ENSURE(s->p != NULL || s->len == 0, HS_ERR_INTERNAL);
	HS_GUARD(str_check(s->p, s->len, f));
	return hs_buf_put_string(b, s->p, s->len);
}

static hs_err
put_field(struct hs_buf *b, const struct mon_field *f, const struct hs_mon_req *m)
{
	const uint8_t *at = (const uint8_t *)m + f->off;
	const struct hs_mon_str *items;
	uint32_t n;

	switch (f->kind) {
	case MF_U32:
		return hs_buf_put_u32(b, *(const uint32_t *)(const void *)at);
	case MF_BOOL:
		return hs_buf_put_bool(b, *(const bool *)(const void *)at);
	case MF_STR:
		return put_str(b, f, (const struct hs_mon_str *)(const void *)at);
	case MF_LIST:
		n = *(const uint32_t *)(const void *)at;
		items = (const struct hs_mon_str *)(const void *)((const uint8_t *)m + f->items);
		HS_ENSURE(n <= f->nmax, HS_ERR_TOO_LARGE);
		HS_ENSURE(n >= f->nmin, HS_ERR_FORMAT);
		HS_GUARD(hs_buf_put_u32(b, n));
		for (uint32_t i = 0; i < n; i++)
			HS_GUARD(put_str(b, f, &items[i]));
		return HS_OK;
	case MF_END:
		break;
	}
	return HS_ERR_INTERNAL;
}

hs_err
hs_mon_build(struct hs_buf *out, const struct hs_mon_req *m)
{
	const struct mon_layout *l;
	size_t before = hs_buf_len(out);
	hs_err r;

	HS_ENSURE((l = layout_find(m->type)) != NULL, HS_ERR_INTERNAL);
	if (l->valid != NULL)
		HS_GUARD(l->valid(m));
	HS_GUARD_GOTO(hs_buf_put_u8(out, (uint8_t)l->type), r, out);
	for (const struct mon_field *f = l->f; f->kind != MF_END; f++)
		HS_GUARD_GOTO(put_field(out, f, m), r, out);
	HS_ENSURE_GOTO(hs_buf_len(out) - before <= HS_MON_MAX_MSG, HS_ERR_TOO_LARGE, r, out);
	r = HS_OK;
out:
	if (r != HS_OK && hs_buf_len(out) > before && hs_buf_trim_end(out, hs_buf_len(out) - before))
		hs_buf_reset(out);	/* cannot happen: we only appended */
	return r;
}

static struct hs_mon_str
cstr(const char *s)
{
	return (struct hs_mon_str){ .p = (const uint8_t *)s, .len = s != NULL ? strlen(s) : 0 };
}

static struct hs_mon_str
bytes(const uint8_t *p, size_t len)
{
	return (struct hs_mon_str){ .p = p, .len = len };
}

hs_err
hs_mon_build_hostkeys(struct hs_buf *out)
{
	return hs_mon_build(out, &(struct hs_mon_req){ .type = HS_MON_HOSTKEYS });
}

hs_err
hs_mon_build_sign(struct hs_buf *out, uint32_t key_index, const char *alg, const uint8_t *data,
	size_t data_len)
{
	struct hs_mon_req m = { .type = HS_MON_SIGN };

	m.u.sign.key_index = key_index;
	m.u.sign.alg = cstr(alg);
	m.u.sign.data = bytes(data, data_len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_session_id(struct hs_buf *out, const uint8_t *id, size_t len)
{
	struct hs_mon_req m = { .type = HS_MON_SESSION_ID };

	m.u.session_id.id = bytes(id, len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_auth_user(struct hs_buf *out, const char *user, const char *service)
{
	struct hs_mon_req m = { .type = HS_MON_AUTH_USER };

	m.u.auth_user.user = cstr(user);
	m.u.auth_user.service = cstr(service);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_pubkey_check(struct hs_buf *out, const char *user, const char *alg,
	const uint8_t *blob, size_t blob_len)
{
	struct hs_mon_req m = { .type = HS_MON_AUTH_PUBKEY_CHECK };

	m.u.pubkey.user = cstr(user);
	m.u.pubkey.alg = cstr(alg);
	m.u.pubkey.blob = bytes(blob, blob_len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_pubkey_verify(struct hs_buf *out, const char *user, const char *alg,
	const uint8_t *blob, size_t blob_len, const uint8_t *signed_data, size_t signed_len,
	const uint8_t *sig, size_t sig_len)
{
	struct hs_mon_req m = { .type = HS_MON_AUTH_PUBKEY_VERIFY };

	m.u.pubkey.user = cstr(user);
	m.u.pubkey.alg = cstr(alg);
	m.u.pubkey.blob = bytes(blob, blob_len);
	m.u.pubkey.signed_data = bytes(signed_data, signed_len);
	m.u.pubkey.sig = bytes(sig, sig_len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_password(struct hs_buf *out, const char *user, const char *password)
{
	struct hs_mon_req m = { .type = HS_MON_AUTH_PASSWORD };

	m.u.password.user = cstr(user);
	m.u.password.password = cstr(password);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_keystate(struct hs_buf *out, const uint8_t *state, size_t len)
{
	struct hs_mon_req m = { .type = HS_MON_KEYSTATE };

	m.u.keystate.blob = bytes(state, len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_ok(struct hs_buf *out)
{
	return hs_mon_build(out, &(struct hs_mon_req){ .type = HS_MON_OK });
}

hs_err
hs_mon_build_fail(struct hs_buf *out)
{
	return hs_mon_build(out, &(struct hs_mon_req){ .type = HS_MON_FAIL });
}

hs_err
hs_mon_build_hostkeys_ok(struct hs_buf *out, const uint8_t *const *blobs, const size_t *lens,
	uint32_t n)
{
	struct hs_mon_req m = { .type = HS_MON_HOSTKEYS_OK };

	HS_ENSURE(n <= HS_MON_MAX_HOSTKEYS, HS_ERR_TOO_LARGE);
	m.u.hostkeys_ok.n = n;
	for (uint32_t i = 0; i < n; i++)
		m.u.hostkeys_ok.keys[i] = bytes(blobs[i], lens[i]);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_sign_ok(struct hs_buf *out, const uint8_t *sig, size_t len)
{
	struct hs_mon_req m = { .type = HS_MON_SIGN_OK };

	m.u.sign_ok.sig = bytes(sig, len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_pk_ok(struct hs_buf *out, const char *options)
{
	struct hs_mon_req m = { .type = HS_MON_PK_OK };

	m.u.pk_ok.options = cstr(options != NULL ? options : "");
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_auth_done(struct hs_buf *out, const char *user)
{
	struct hs_mon_req m = { .type = HS_MON_AUTH_DONE };

	m.u.auth_done.user = cstr(user);
	return hs_mon_build(out, &m);
}

/* ---- SPAWN and SPAWN_OK: a session program started by the monitor ---- */

/* What is not asked for is not sent: no command text without has_command, no terminal fields
 * without pty. One encoding per request keeps the parse-rebuild identity exact. */
static hs_err
valid_spawn(const struct hs_mon_req *m)
{
	HS_ENSURE(m->u.spawn.has_command || m->u.spawn.command.len == 0, HS_ERR_FORMAT);
	HS_ENSURE(m->u.spawn.pty || (m->u.spawn.term.len == 0 && m->u.spawn.modes.len == 0 &&
		m->u.spawn.cols == 0 && m->u.spawn.rows == 0 && m->u.spawn.wpx == 0 &&
		m->u.spawn.hpx == 0), HS_ERR_FORMAT);
	return HS_OK;
}

static hs_err
valid_spawn_ok(const struct hs_mon_req *m)
{
	HS_ENSURE(m->u.spawn_ok.pid >= 1 && m->u.spawn_ok.pid <= INT32_MAX, HS_ERR_FORMAT);
	HS_ENSURE(m->u.spawn_ok.pty || m->u.spawn_ok.tty_name.len == 0, HS_ERR_FORMAT);
	return HS_OK;
}

hs_err
hs_mon_build_spawn(struct hs_buf *out, const struct hs_spawn_req *req)
{
	struct hs_mon_req m = { .type = HS_MON_SPAWN };
	uint32_t n = 0;

	m.u.spawn.has_command = req->command != NULL;
	m.u.spawn.command = cstr(req->command);
	m.u.spawn.pty = req->pty;
	if (req->pty) {
		m.u.spawn.term = cstr(req->term);
		m.u.spawn.modes = bytes(req->modes, req->modes != NULL ? req->modes_len : 0);
		m.u.spawn.cols = req->cols;
		m.u.spawn.rows = req->rows;
		m.u.spawn.wpx = req->width_px;
		m.u.spawn.hpx = req->height_px;
	}
	for (; req->env != NULL && req->env[n] != NULL; n++) {
		HS_ENSURE(n < HS_MON_MAX_ENV, HS_ERR_TOO_LARGE);
		m.u.spawn.env[n] = cstr(req->env[n]);
	}
	m.u.spawn.n_env = n;
	return hs_mon_build(out, &m);
}

/* Copy v into *at as a C string and advance *at. */
static char *
spawn_copy(char **at, const struct hs_mon_str *v)
{
	char *s = *at;

	if (v->len > 0)
		memcpy(s, v->p, v->len);
	s[v->len] = '\0';
	*at += v->len + 1;
	return s;
}

hs_err
hs_mon_spawn_req(const struct hs_mon_req *m, struct hs_spawn_req *req, void **store)
{
	const char **env;
	size_t size, n;
	uint8_t *blk;
	char *at;

	*store = NULL;
	memset(req, 0, sizeof(*req));
	HS_ENSURE(m->type == HS_MON_SPAWN && m->u.spawn.n_env <= HS_MON_MAX_ENV, HS_ERR_INTERNAL);
	n = m->u.spawn.n_env;
	/* The env pointer array (NULL-terminated), then command, term, modes and the env strings,
	 * each with a NUL; every length is bounded by HS_MON_MAX_MSG, so this cannot overflow. */
	size = (n + 1) * sizeof(char *) + m->u.spawn.command.len + m->u.spawn.term.len +
		m->u.spawn.modes.len + 3;
	for (size_t i = 0; i < n; i++)
		size += m->u.spawn.env[i].len + 1;
	HS_ENSURE((blk = calloc(1, size)) != NULL, HS_ERR_ALLOC);
	env = (const char **)(void *)blk;
	at = (char *)blk + (n + 1) * sizeof(char *);
	req->command = spawn_copy(&at, &m->u.spawn.command);
	if (!m->u.spawn.has_command)
		req->command = NULL;
	req->pty = m->u.spawn.pty;
	req->term = spawn_copy(&at, &m->u.spawn.term);
	req->modes = (const uint8_t *)spawn_copy(&at, &m->u.spawn.modes);
	req->modes_len = m->u.spawn.modes.len;
	req->cols = m->u.spawn.cols;
	req->rows = m->u.spawn.rows;
	req->width_px = m->u.spawn.wpx;
	req->height_px = m->u.spawn.hpx;
	for (size_t i = 0; i < n; i++)
		env[i] = spawn_copy(&at, &m->u.spawn.env[i]);
	env[n] = NULL;
	req->env = env;
	*store = blk;
	return HS_OK;
}

hs_err
hs_mon_build_spawn_ok(struct hs_buf *out, uint32_t pid, bool pty, const char *tty_name)
{
	struct hs_mon_req m = { .type = HS_MON_SPAWN_OK };

	m.u.spawn_ok.pid = pid;
	m.u.spawn_ok.pty = pty;
	m.u.spawn_ok.tty_name = cstr(tty_name != NULL ? tty_name : "");
	return hs_mon_build(out, &m);
}

/* ---- KEX in the monitor ---- */

/* The method is a number here; which numbers are methods, and which of them this server offers,
 * the monitor decides (core/server_monitor_req.c). */
static hs_err
valid_kex_keypair(const struct hs_mon_req *m)
{
	HS_ENSURE(m->u.kex_keypair.method >= 1 && m->u.kex_keypair.method <= HS_MON_MAX_KEX_METHOD,
		HS_ERR_FORMAT);
	return HS_OK;
}

hs_err
hs_mon_build_kex_keypair(struct hs_buf *out, uint32_t method)
{
	struct hs_mon_req m = { .type = HS_MON_KEX_KEYPAIR };

	m.u.kex_keypair.method = method;
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_kex_derive(struct hs_buf *out, const uint8_t *peer, size_t len)
{
	struct hs_mon_req m = { .type = HS_MON_KEX_DERIVE };

	m.u.kex_derive.peer = bytes(peer, len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_kex_keypair_ok(struct hs_buf *out, const uint8_t *pub, size_t len)
{
	struct hs_mon_req m = { .type = HS_MON_KEX_KEYPAIR_OK };

	m.u.kex_keypair_ok.pub = bytes(pub, len);
	return hs_mon_build(out, &m);
}

hs_err
hs_mon_build_kex_derive_ok(struct hs_buf *out, const uint8_t *secret, size_t len)
{
	struct hs_mon_req m = { .type = HS_MON_KEX_DERIVE_OK };

	m.u.kex_derive_ok.secret = bytes(secret, len);
	return hs_mon_build(out, &m);
}

/* ---- framing over a descriptor ---- */

/* Wait until fd is ready for events or the deadline (-1: none) passes. */
static hs_err
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int left, n;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			int64_t d = deadline - hs_time_ms();

			HS_ENSURE(d > 0, HS_ERR_TIMEOUT);
			left = d > 60000 ? 60000 : (int)d;
		}
		n = poll(&p, 1, left);
		if (n > 0)
			return HS_OK;
		if (n < 0 && errno != EINTR) {
			hs_error("monitor: poll: %s", strerror(errno));
			return HS_ERR_IO;
		}
	}
}

/* Read exactly n bytes; *got counts what arrived, so the caller can tell EOF from truncation. */
static hs_err
read_full(int fd, uint8_t *p, size_t n, int64_t deadline, size_t *got)
{
	ssize_t k;

	*got = 0;
	while (*got < n) {
		HS_GUARD(wait_fd(fd, POLLIN, deadline));
		k = read(fd, p + *got, n - *got);
		if (k == 0)
			return *got == 0 ? HS_ERR_EOF : HS_ERR_TRUNCATED;
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			hs_error("monitor: read: %s", strerror(errno));
			return HS_ERR_IO;
		}
		*got += (size_t)k;
	}
	return HS_OK;
}

static hs_err
write_full(int fd, const uint8_t *p, size_t n)
{
	bool sock = true;
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		/* MSG_NOSIGNAL: a dead peer is an error to return, not a SIGPIPE. */
		k = sock ? send(fd, p + done, n - done, MSG_NOSIGNAL) : write(fd, p + done, n - done);
		if (k < 0 && sock && errno == ENOTSOCK) {
			sock = false;
			continue;
		}
		if (k < 0 && errno == EAGAIN) {
			HS_GUARD(wait_fd(fd, POLLOUT, -1));
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			hs_error("monitor: write: %s", k < 0 ? strerror(errno) : "no progress");
			return HS_ERR_IO;
		}
		done += (size_t)k;
	}
	return HS_OK;
}

hs_err
hs_mon_read(int fd, struct hs_buf *msg, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : hs_time_ms() + timeout_ms;
	struct hs_buf *hdr = NULL;
	uint8_t lenbytes[4], *p;
	uint32_t len = 0;
	size_t got;
	hs_err r;

	hs_buf_reset(msg);
	HS_GUARD_GOTO(read_full(fd, lenbytes, sizeof(lenbytes), deadline, &got), r, out);
	HS_GUARD_GOTO(hs_buf_from(lenbytes, sizeof(lenbytes), &hdr), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(hdr, &len), r, out);
	HS_ENSURE_GOTO(len >= 1, HS_ERR_FORMAT, r, out);
	HS_ENSURE_GOTO(len <= HS_MON_MAX_MSG && len <= hs_buf_max(msg), HS_ERR_TOO_LARGE, r, out);
	HS_GUARD_GOTO(hs_buf_reserve(msg, len, &p), r, out);
	r = read_full(fd, p, len, deadline, &got);
	if (r == HS_ERR_EOF)
		r = HS_ERR_TRUNCATED;	/* the frame had begun */
out:
	hs_buf_free(hdr);
	if (r != HS_OK) {
		hs_buf_reset(msg);
		if (r != HS_ERR_EOF)
			hs_debug("monitor: read frame (length %u): %s", len, hs_err_str(r));
	}
	return r;
}

hs_err
hs_mon_write(int fd, const struct hs_buf *msg)
{
	struct hs_buf *frame = NULL;
	size_t len = hs_buf_len(msg);
	hs_err r;

	HS_ENSURE(len >= 1 && len <= HS_MON_MAX_MSG, HS_ERR_TOO_LARGE);
	HS_GUARD_GOTO(hs_buf_new(len + 4, &frame), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(frame, (uint32_t)len), r, out);
	HS_GUARD_GOTO(hs_buf_put_buf(frame, msg), r, out);
	HS_GUARD_GOTO(write_full(fd, hs_buf_ptr(frame), hs_buf_len(frame)), r, out);
	r = HS_OK;
out:
	hs_buf_free(frame);	/* wipes: the frame may carry a password */
	return r;
}
