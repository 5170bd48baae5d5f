/* transport_dispatch.c: what happens to each incoming packet. Transport messages (RFC 4253 11,
 * RFC 8308) are handled here or in kex*.c; upper-layer messages go to the caller. */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_ssh.h"
#include "kex_impl.h"
#include "transport_impl.h"

/* RFC 4253 11.1: uint32 reason, string description, string language tag */
static hs_err
msg_disconnect(struct hs_transport *t, uint8_t type, struct hs_buf *m)
{
	uint32_t reason = 0;
	char *desc = NULL;

	if (hs_buf_get_u32(m, &reason) != HS_OK || hs_buf_get_cstring(m, &desc, NULL) != HS_OK)
		desc = NULL;
	hs_info("Received disconnect from %s:%u: %.400s", t->peer, reason, desc ? desc : "");
	free(desc);
	t->disc_sent = true;	/* no reply to a DISCONNECT */
	t->dead = HS_ERR_DISCONNECT;
	return HS_ERR_DISCONNECT;
}

static hs_err
msg_ignore(struct hs_transport *t, uint8_t type, struct hs_buf *m)
{
	return HS_OK;
}

/* RFC 4253 11.4: uint32 packet sequence number of rejected message */
static hs_err
msg_unimplemented(struct hs_transport *t, uint8_t type, struct hs_buf *m)
{
	uint32_t seq = 0;

	if (hs_buf_get_u32(m, &seq) != HS_OK) {
		hs_error("Bad UNIMPLEMENTED message from %s", t->peer);
		return hs_transport_fail(t, HS_ERR_FORMAT, HS_DISC_PROTOCOL_ERROR, "bad message");
	}
	hs_verbose("Received SSH2_MSG_UNIMPLEMENTED for %u", seq);
	return HS_OK;
}

/* RFC 4253 11.3: boolean always_display, string message, string language tag */
static hs_err
msg_debug(struct hs_transport *t, uint8_t type, struct hs_buf *m)
{
	bool show;
	char *s = NULL;

	if (hs_buf_get_bool(m, &show) == HS_OK && hs_buf_get_cstring(m, &s, NULL) == HS_OK)
		hs_debug("Remote: %.900s", s);
	free(s);
	return HS_OK;
}

static hs_err
msg_kex(struct hs_transport *t, uint8_t type, struct hs_buf *m)
{
	return hs_kex_dispatch(t, type, m);
}

static const struct {
	uint8_t type;
	hs_err (*fn)(struct hs_transport *t, uint8_t type, struct hs_buf *m);
} handlers[] = {
	{ .type = HS_MSG_DISCONNECT, .fn = msg_disconnect },
	{ .type = HS_MSG_IGNORE, .fn = msg_ignore },
	{ .type = HS_MSG_UNIMPLEMENTED, .fn = msg_unimplemented },
	{ .type = HS_MSG_DEBUG, .fn = msg_debug },
	{ .type = HS_MSG_EXT_INFO, .fn = msg_kex },
	{ .type = 0, .fn = NULL },
};

/* Messages the upper layers handle: services (RFC 4253 10) and everything from 50 on. */
static bool
upper_layer(uint8_t type)
{
	return type == HS_MSG_SERVICE_REQUEST || type == HS_MSG_SERVICE_ACCEPT || type >= 50;
}

static hs_err
dispatch_transport(struct hs_transport *t, uint8_t type, struct hs_buf *m)
{
	for (size_t i = 0; handlers[i].fn != NULL; i++)
		if (handlers[i].type == type)
			return handlers[i].fn(t, type, m);
	if (hs_kex_msg(type))
		return hs_kex_dispatch(t, type, m);
	/* RFC 4253 11.4: answer anything unknown with UNIMPLEMENTED and its sequence number. */
	hs_debug("Unknown transport message %u from %s", type, t->peer);
	return hs_transport_send_simple(t, HS_MSG_UNIMPLEMENTED, t->last_seq_in, true, NULL);
}

hs_err
hs_transport_step(struct hs_transport *t, uint8_t *type, struct hs_buf **msg)
{
	hs_err r;
	struct hs_buf *m = NULL;
	uint8_t ty;

	*msg = NULL;
	if (t->dead != HS_OK)
		return t->dead;
	HS_GUARD(hs_packet_get(t, &m));
	t->packets_in++;
	HS_GUARD_GOTO(hs_buf_get_u8(m, &ty), r, out);
	/* PROTOCOL 1.10: in a strict initial KEX only KEX messages (and DISCONNECT) may come. */
	if (t->kex_count == 0 && t->strict && !hs_kex_msg(ty) && ty != HS_MSG_DISCONNECT) {
		hs_error("strict KEX violation: unexpected packet type %u (seqnr %u) from %s", ty,
		    t->last_seq_in, t->peer);
		r = hs_transport_fail(t, HS_ERR_PROTOCOL, HS_DISC_PROTOCOL_ERROR,
		    "strict KEX violation");
		goto out;
	}
	if (!upper_layer(ty)) {
		r = dispatch_transport(t, ty, m);
		goto out;
	}
	if (t->kex_count == 0) {
		hs_error("Unexpected message %u before the key exchange finished from %s", ty,
		    t->peer);
		r = hs_transport_fail(t, HS_ERR_PROTOCOL, HS_DISC_PROTOCOL_ERROR,
		    "message before key exchange");
		goto out;
	}
	if (ty == HS_MSG_USERAUTH_SUCCESS)
		t->authenticated = true;	/* the client's end of the pre-auth phase */
	*type = ty;
	*msg = m;
	m = NULL;
	r = HS_OK;
out:
	hs_buf_free(m);
	if (r != HS_OK && r != HS_ERR_AGAIN && t->dead == HS_OK)
		t->dead = r;
	return r;
}

/* A message a flush read ahead (see hs_transport_flush). */
static hs_err
next_stashed(struct hs_transport *t, uint8_t *type, struct hs_buf **msg)
{
	hs_err r;
	struct hs_buf *v = NULL;
	const uint8_t *p;
	size_t n;

	HS_GUARD(hs_buf_get_string(t->inq, &p, &n));
	HS_GUARD_GOTO(hs_buf_from(p, n, &v), r, out);
	HS_GUARD_GOTO(hs_buf_get_u8(v, type), r, out);
	HS_GUARD_GOTO(hs_buf_dup(v, msg), r, out);
	r = HS_OK;
out:
	hs_buf_free(v);
	return r;
}

hs_err
hs_transport_next(struct hs_transport *t, uint8_t *type, struct hs_buf **msg)
{
	hs_err r;

	*msg = NULL;
	if (hs_buf_len(t->inq) > 0)
		return next_stashed(t, type, msg);
	for (;;) {
		HS_GUARD(hs_transport_step(t, type, msg));
		if ((r = hs_kex_check_rekey(t)) != HS_OK) {
			hs_buf_free(*msg);
			*msg = NULL;
			return r;
		}
		if (*msg != NULL)
			return HS_OK;
	}
}
