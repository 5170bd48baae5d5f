/* channel.c: the channel table and the connection-protocol messages (RFC 4254 4, 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_buf.h"
#include "hs_channel.h"
#include "hs_log.h"
#include "hs_ssh.h"

#define CHAN_MSG_MAX	(HS_CHAN_PACKET_DEFAULT + 1024)

void
hs_conn_init(struct hs_conn *c, hs_err (*send)(void *, const struct hs_buf *), void *arg)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->send = send;
	c->send_arg = arg;
	for (i = 0; i < HS_CHAN_MAX; i++) {
		c->ch[i].rfd = c->ch[i].wfd = c->ch[i].efd = -1;
		c->ch[i].state = HS_CHAN_FREE;
	}
}

static void
chan_close_fd(struct hs_channel *ch, int fd)
{
	if (fd >= 0 && !ch->no_close)
		(void)close(fd);
}

static void
chan_free(struct hs_channel *ch)
{
	struct hs_conn *c = ch->conn;

	if (ch->ops != NULL && ch->ops->release != NULL)
		ch->ops->release(ch);
	chan_close_fd(ch, ch->rfd);
	if (ch->wfd != ch->rfd)
		chan_close_fd(ch, ch->wfd);
	if (ch->efd != ch->rfd && ch->efd != ch->wfd)
		chan_close_fd(ch, ch->efd);
	hs_buf_free(ch->wbuf);
	hs_buf_free(ch->ebuf);
	memset(ch, 0, sizeof(*ch));
	ch->conn = c;
	ch->rfd = ch->wfd = ch->efd = -1;
	ch->state = HS_CHAN_FREE;
}

void
hs_conn_cleanup(struct hs_conn *c)
{
	size_t i;

	for (i = 0; i < HS_CHAN_MAX; i++)
		if (c->ch[i].state != HS_CHAN_FREE)
			chan_free(&c->ch[i]);
}

size_t
hs_conn_nchannels(const struct hs_conn *c)
{
	size_t i, n = 0;

	for (i = 0; i < HS_CHAN_MAX; i++)
		if (c->ch[i].state != HS_CHAN_FREE)
			n++;
	return n;
}

struct hs_channel *
hs_conn_channel(struct hs_conn *c, uint32_t id)
{
	if (id >= HS_CHAN_MAX || c->ch[id].state == HS_CHAN_FREE)
		return NULL;
	return &c->ch[id];
}

void
hs_conn_gc(struct hs_conn *c)
{
	const unsigned both = HS_CHAN_CLOSE_SENT | HS_CHAN_CLOSE_RCVD;
	size_t i;

	for (i = 0; i < HS_CHAN_MAX; i++) {
		if (c->ch[i].state != HS_CHAN_FREE && (c->ch[i].flags & both) == both) {
			hs_debug("channel %zu: free", i);
			chan_free(&c->ch[i]);
		}
	}
}

/* A free slot with its buffers, or NULL when the table is full. */
static struct hs_channel *
chan_alloc(struct hs_conn *c, const char *type)
{
	struct hs_channel *ch;
	size_t i;

	for (i = 0; i < HS_CHAN_MAX; i++) {
		ch = &c->ch[i];
		if (ch->state != HS_CHAN_FREE)
			continue;
		memset(ch, 0, sizeof(*ch));
		ch->conn = c;
		ch->local_id = (uint32_t)i;
		ch->rfd = ch->wfd = ch->efd = -1;
		ch->local_window = ch->local_window_max = HS_CHAN_WINDOW_DEFAULT;
		ch->local_maxpacket = HS_CHAN_PACKET_DEFAULT;
		/* The peer can never have more than our window outstanding, so this bounds them. */
		if (hs_buf_new(HS_CHAN_WINDOW_DEFAULT, &ch->wbuf) != HS_OK ||
		    hs_buf_new(HS_CHAN_WINDOW_DEFAULT, &ch->ebuf) != HS_OK) {
			hs_buf_free(ch->wbuf);
			ch->wbuf = NULL;
			return NULL;
		}
		snprintf(ch->type, sizeof(ch->type), "%s", type);
		ch->state = HS_CHAN_OPENING;
		return ch;
	}
	return NULL;
}

/* Build a message of type for the channel's peer id and send it; body may be NULL. */
static hs_err
chan_send_simple(struct hs_conn *c, uint8_t type, uint32_t recipient, const struct hs_buf *body)
{
	struct hs_buf *m = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(CHAN_MSG_MAX + (body ? hs_buf_len(body) : 0), &m));
	HS_GUARD_GOTO(hs_buf_put_u8(m, type), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(m, recipient), r, out);
	if (body != NULL)
		HS_GUARD_GOTO(hs_buf_put_buf(m, body), r, out);
	r = c->send(c->send_arg, m);
out:
	hs_buf_free(m);
	return r;
}

hs_err
hs_chan_open(struct hs_conn *c, const char *type, const struct hs_channel_ops *ops, void *ctx,
    struct hs_channel **out)
{
	struct hs_channel *ch;
	struct hs_buf *m = NULL;
	hs_err r;

	*out = NULL;
	HS_ENSURE((ch = chan_alloc(c, type)) != NULL, HS_ERR_ALLOC);
	ch->ops = ops;
	ch->ctx = ctx;
	/* RFC 4254 5.1 */
	HS_GUARD_GOTO(hs_buf_new(CHAN_MSG_MAX, &m), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(m, HS_MSG_CHANNEL_OPEN), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(m, type), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(m, ch->local_id), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(m, ch->local_window), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(m, ch->local_maxpacket), r, out);
	HS_GUARD_GOTO(c->send(c->send_arg, m), r, out);
	*out = ch;
	r = HS_OK;
out:
	hs_buf_free(m);
	if (r != HS_OK) {
		ch->ops = NULL;
		chan_free(ch);
	}
	return r;
}

hs_err
hs_chan_request(struct hs_channel *ch, const char *type, bool want_reply, const struct hs_buf *body)
{
	struct hs_buf *m = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(CHAN_MSG_MAX + (body ? hs_buf_len(body) : 0), &m));
	/* RFC 4254 5.4 */
	HS_GUARD_GOTO(hs_buf_put_cstring(m, type), r, out);
	HS_GUARD_GOTO(hs_buf_put_bool(m, want_reply), r, out);
	if (body != NULL)
		HS_GUARD_GOTO(hs_buf_put_buf(m, body), r, out);
	HS_GUARD_GOTO(chan_send_simple(ch->conn, HS_MSG_CHANNEL_REQUEST, ch->remote_id, m), r, out);
	if (want_reply)
		ch->pending_replies++;
	r = HS_OK;
out:
	hs_buf_free(m);
	return r;
}

size_t
hs_chan_send_room(const struct hs_channel *ch)
{
	if (ch->state != HS_CHAN_OPEN || (ch->flags & (HS_CHAN_EOF_SENT | HS_CHAN_CLOSE_SENT)))
		return 0;
	return ch->remote_window < ch->remote_maxpacket ? ch->remote_window : ch->remote_maxpacket;
}

hs_err
hs_chan_send_data(struct hs_channel *ch, uint32_t ext, const uint8_t *p, size_t len)
{
	struct hs_buf *m = NULL;
	hs_err r;

	/* RFC 4254 5.2: never more than the window or the maximum packet size. */
	HS_ENSURE(len <= hs_chan_send_room(ch), HS_ERR_INTERNAL);
	HS_GUARD(hs_buf_new(CHAN_MSG_MAX + len, &m));
	HS_GUARD_GOTO(hs_buf_put_u8(m, ext ? HS_MSG_CHANNEL_EXTENDED_DATA : HS_MSG_CHANNEL_DATA),
	    r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(m, ch->remote_id), r, out);
	if (ext)
		HS_GUARD_GOTO(hs_buf_put_u32(m, ext), r, out);
	HS_GUARD_GOTO(hs_buf_put_string(m, p, len), r, out);
	HS_GUARD_GOTO(ch->conn->send(ch->conn->send_arg, m), r, out);
	ch->remote_window -= (uint32_t)len;
	r = HS_OK;
out:
	hs_buf_free(m);
	return r;
}

hs_err
hs_chan_send_eof(struct hs_channel *ch)
{
	if (ch->flags & (HS_CHAN_EOF_SENT | HS_CHAN_CLOSE_SENT) || ch->state != HS_CHAN_OPEN)
		return HS_OK;
	hs_debug("channel %u: send eof", ch->local_id);
	ch->flags |= HS_CHAN_EOF_SENT;
	return chan_send_simple(ch->conn, HS_MSG_CHANNEL_EOF, ch->remote_id, NULL);
}

hs_err
hs_chan_send_close(struct hs_channel *ch)
{
	if (ch->flags & HS_CHAN_CLOSE_SENT || ch->state != HS_CHAN_OPEN)
		return HS_OK;
	hs_debug("channel %u: send close", ch->local_id);
	ch->flags |= HS_CHAN_CLOSE_SENT;
	return chan_send_simple(ch->conn, HS_MSG_CHANNEL_CLOSE, ch->remote_id, NULL);
}

hs_err
hs_chan_consumed(struct hs_channel *ch, size_t n)
{
	struct hs_buf *m = NULL;
	hs_err r;

	ch->local_consumed += (uint32_t)n;
	if (ch->local_consumed < ch->local_window_max / 2 || ch->state != HS_CHAN_OPEN ||
	    (ch->flags & (HS_CHAN_CLOSE_SENT | HS_CHAN_CLOSE_RCVD)))
		return HS_OK;
	/* RFC 4254 5.2: give back what was consumed. */
	HS_GUARD(hs_buf_new(8, &m));
	HS_GUARD_GOTO(hs_buf_put_u32(m, ch->local_consumed), r, out);
	HS_GUARD_GOTO(chan_send_simple(ch->conn, HS_MSG_CHANNEL_WINDOW_ADJUST, ch->remote_id, m),
	    r, out);
	ch->local_window += ch->local_consumed;
	ch->local_consumed = 0;
	r = HS_OK;
out:
	hs_buf_free(m);
	return r;
}

/* ---- incoming messages ---- */

/* The channel a message is addressed to; it must be open (or opening, if allow_opening). */
static hs_err
chan_lookup(struct hs_conn *c, struct hs_buf *msg, bool allow_opening, struct hs_channel **out)
{
	uint32_t id;
	struct hs_channel *ch;

	HS_GUARD(hs_buf_get_u32(msg, &id));
	ch = hs_conn_channel(c, id);
	if (ch == NULL || (ch->state == HS_CHAN_OPENING && !allow_opening) ||
	    (ch->state == HS_CHAN_OPEN && allow_opening)) {
		hs_error("channel message for unknown or unopened channel %u", id);
		return HS_ERR_PROTOCOL;
	}
	*out = ch;
	return HS_OK;
}

static hs_err
open_reply(struct hs_conn *c, struct hs_channel *ch, uint32_t sender, uint32_t reason)
{
	struct hs_buf *m = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(CHAN_MSG_MAX, &m));
	if (reason == 0) {
		/* RFC 4254 5.1: CHANNEL_OPEN_CONFIRMATION */
		HS_GUARD_GOTO(hs_buf_put_u32(m, ch->local_id), r, out);
		HS_GUARD_GOTO(hs_buf_put_u32(m, ch->local_window), r, out);
		HS_GUARD_GOTO(hs_buf_put_u32(m, ch->local_maxpacket), r, out);
		r = chan_send_simple(c, HS_MSG_CHANNEL_OPEN_CONFIRMATION, sender, m);
	} else {
		HS_GUARD_GOTO(hs_buf_put_u32(m, reason), r, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(m, reason == HS_OPEN_RESOURCE_SHORTAGE ?
		    "no more channels" : "open failed"), r, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(m, ""), r, out);
		r = chan_send_simple(c, HS_MSG_CHANNEL_OPEN_FAILURE, sender, m);
	}
out:
	hs_buf_free(m);
	return r;
}

static hs_err
msg_open(struct hs_conn *c, struct hs_buf *msg)
{
	char *type = NULL;
	uint32_t sender, window, maxpacket, reason = HS_OPEN_UNKNOWN_CHANNEL_TYPE;
	struct hs_channel *ch;
	hs_err r;

	HS_GUARD_GOTO(hs_buf_get_cstring(msg, &type, NULL), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(msg, &sender), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(msg, &window), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(msg, &maxpacket), r, out);
	hs_debug("channel open \"%s\" from peer id %u window %u packet %u", type, sender, window,
	    maxpacket);
	if ((ch = chan_alloc(c, type)) == NULL) {
		r = open_reply(c, NULL, sender, HS_OPEN_RESOURCE_SHORTAGE);
		goto out;
	}
	ch->remote_id = sender;
	ch->remote_window = window;
	ch->remote_maxpacket = maxpacket;
	if (maxpacket < HS_CHAN_MIN_PACKET || c->open == NULL ||
	    c->open(c->open_arg, ch, type, msg, &reason) != HS_OK) {
		ch->ops = NULL;
		chan_free(ch);
		r = open_reply(c, NULL, sender, reason ? reason : HS_OPEN_CONNECT_FAILED);
		goto out;
	}
	ch->state = HS_CHAN_OPEN;
	r = open_reply(c, ch, sender, 0);
out:
	free(type);
	return r;
}

static hs_err
msg_open_confirmation(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;
	uint32_t sender, window, maxpacket;

	HS_GUARD(chan_lookup(c, msg, true, &ch));
	HS_GUARD(hs_buf_get_u32(msg, &sender));
	HS_GUARD(hs_buf_get_u32(msg, &window));
	HS_GUARD(hs_buf_get_u32(msg, &maxpacket));
	/* Channel-type specific data may follow (none for "session"); RFC 4254 5.1. */
	HS_ENSURE(maxpacket >= HS_CHAN_MIN_PACKET, HS_ERR_PROTOCOL);
	ch->remote_id = sender;
	ch->remote_window = window;
	ch->remote_maxpacket = maxpacket;
	ch->state = HS_CHAN_OPEN;
	hs_debug("channel %u: open confirmed, peer id %u window %u packet %u", ch->local_id,
	    sender, window, maxpacket);
	if (ch->ops != NULL && ch->ops->open_result != NULL)
		HS_GUARD(ch->ops->open_result(ch, true, 0));
	return HS_OK;
}

static hs_err
msg_open_failure(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;
	uint32_t reason;
	const uint8_t *desc, *lang;
	size_t dlen, llen;
	hs_err r = HS_OK;

	HS_GUARD(chan_lookup(c, msg, true, &ch));
	HS_GUARD(hs_buf_get_u32(msg, &reason));
	HS_GUARD(hs_buf_get_string(msg, &desc, &dlen));
	HS_GUARD(hs_buf_get_string(msg, &lang, &llen));
	HS_GUARD(hs_buf_get_end(msg));
	hs_debug("channel %u: open failed, reason %u", ch->local_id, reason);
	if (ch->ops != NULL && ch->ops->open_result != NULL)
		r = ch->ops->open_result(ch, false, reason);
	chan_free(ch);
	return r;
}

static hs_err
msg_window_adjust(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;
	uint32_t add;

	HS_GUARD(chan_lookup(c, msg, false, &ch));
	HS_GUARD(hs_buf_get_u32(msg, &add));
	HS_GUARD(hs_buf_get_end(msg));
	/* RFC 4254 5.2: the window may not exceed 2^32 - 1 bytes. */
	if (add > UINT32_MAX - ch->remote_window) {
		hs_error("channel %u: window adjust %u overflows", ch->local_id, add);
		return HS_ERR_PROTOCOL;
	}
	ch->remote_window += add;
	return HS_OK;
}

/* Account for len received bytes and queue them to dst, or drop them (still consumed) when nobody
 * listens. */
static hs_err
chan_receive(struct hs_channel *ch, const uint8_t *p, size_t len, struct hs_buf *dst, int fd)
{
	if (len > ch->local_window || len > ch->local_maxpacket) {
		hs_error("channel %u: peer sent %zu bytes, window %u, max packet %u",
		    ch->local_id, len, ch->local_window, ch->local_maxpacket);
		return HS_ERR_PROTOCOL;
	}
	ch->local_window -= (uint32_t)len;
	if (fd < 0 || (ch->flags & HS_CHAN_CLOSE_SENT))
		return hs_chan_consumed(ch, len);
	return hs_buf_put_bytes(dst, p, len);
}

static hs_err
msg_data(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;
	const uint8_t *p;
	size_t len;

	HS_GUARD(chan_lookup(c, msg, false, &ch));
	HS_GUARD(hs_buf_get_string(msg, &p, &len));
	HS_GUARD(hs_buf_get_end(msg));
	return chan_receive(ch, p, len, ch->wbuf, ch->wfd);
}

static hs_err
msg_extended_data(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;
	uint32_t code;
	const uint8_t *p;
	size_t len;
	int fd;

	HS_GUARD(chan_lookup(c, msg, false, &ch));
	HS_GUARD(hs_buf_get_u32(msg, &code));
	HS_GUARD(hs_buf_get_string(msg, &p, &len));
	HS_GUARD(hs_buf_get_end(msg));
	/* RFC 4254 5.2: only SSH_EXTENDED_DATA_STDERR is defined; other codes are dropped. */
	fd = (code == HS_EXTENDED_DATA_STDERR && ch->efd_write) ? ch->efd : -1;
	return chan_receive(ch, p, len, ch->ebuf, fd);
}

static hs_err
msg_eof(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;

	HS_GUARD(chan_lookup(c, msg, false, &ch));
	HS_GUARD(hs_buf_get_end(msg));
	hs_debug("channel %u: rcvd eof", ch->local_id);
	ch->flags |= HS_CHAN_EOF_RCVD;
	return HS_OK;
}

static hs_err
msg_close(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;

	HS_GUARD(chan_lookup(c, msg, false, &ch));
	HS_GUARD(hs_buf_get_end(msg));
	hs_debug("channel %u: rcvd close", ch->local_id);
	if (ch->flags & HS_CHAN_CLOSE_RCVD)
		return HS_ERR_PROTOCOL;
	ch->flags |= HS_CHAN_CLOSE_RCVD;
	/* RFC 4254 5.3: answer with CLOSE unless we already sent one. */
	return hs_chan_send_close(ch);
}

static hs_err
msg_request(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_channel *ch;
	char *type = NULL;
	bool want_reply, ok = false;
	hs_err r;

	HS_GUARD(chan_lookup(c, msg, false, &ch));
	HS_GUARD(hs_buf_get_cstring(msg, &type, NULL));
	HS_GUARD_GOTO(hs_buf_get_bool(msg, &want_reply), r, out);
	hs_debug("channel %u: request %s want_reply %d", ch->local_id, type, want_reply);
	if (ch->ops != NULL && ch->ops->request != NULL && !(ch->flags & HS_CHAN_CLOSE_SENT))
		HS_GUARD_GOTO(ch->ops->request(ch, type, want_reply, msg, &ok), r, out);
	r = HS_OK;
	if (want_reply && !(ch->flags & HS_CHAN_CLOSE_SENT))
		r = chan_send_simple(c, ok ? HS_MSG_CHANNEL_SUCCESS : HS_MSG_CHANNEL_FAILURE,
		    ch->remote_id, NULL);
out:
	free(type);
	return r;
}

static hs_err
chan_reply(struct hs_conn *c, struct hs_buf *msg, bool success)
{
	struct hs_channel *ch;

	HS_GUARD(chan_lookup(c, msg, false, &ch));
	HS_GUARD(hs_buf_get_end(msg));
	if (ch->pending_replies == 0) {
		hs_error("channel %u: unexpected request reply", ch->local_id);
		return HS_ERR_PROTOCOL;
	}
	ch->pending_replies--;
	if (ch->ops != NULL && ch->ops->reply != NULL)
		return ch->ops->reply(ch, success);
	return HS_OK;
}

static hs_err
msg_success(struct hs_conn *c, struct hs_buf *msg)
{
	return chan_reply(c, msg, true);
}

static hs_err
msg_failure(struct hs_conn *c, struct hs_buf *msg)
{
	return chan_reply(c, msg, false);
}

static hs_err
msg_global_request(struct hs_conn *c, struct hs_buf *msg)
{
	struct hs_buf *m = NULL;
	char *name = NULL;
	bool want_reply;
	hs_err r;

	/* RFC 4254 4: request-specific data follows; we implement no global request. */
	HS_GUARD(hs_buf_get_cstring(msg, &name, NULL));
	HS_GUARD_GOTO(hs_buf_get_bool(msg, &want_reply), r, out);
	hs_debug("global request %s want_reply %d", name, want_reply);
	r = HS_OK;
	/* OpenSSH's host key rotation announcement needs no answer. Everything else, including
	 * "keepalive@openssh.com", gets REQUEST_FAILURE, which is what OpenSSH expects. */
	if (!want_reply || strcmp(name, "hostkeys-00@openssh.com") == 0)
		goto out;
	HS_GUARD_GOTO(hs_buf_new(8, &m), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(m, HS_MSG_REQUEST_FAILURE), r, out);
	r = c->send(c->send_arg, m);
out:
	hs_buf_free(m);
	free(name);
	return r;
}

static hs_err
msg_global_reply(struct hs_conn *c, struct hs_buf *msg)
{
	/* Answers to our keepalives; arrival is all that matters (got_msg). */
	return HS_OK;
}

static const struct {
	uint8_t type;
	hs_err (*fn)(struct hs_conn *c, struct hs_buf *msg);
} handlers[] = {
	{ HS_MSG_GLOBAL_REQUEST, msg_global_request },
	{ HS_MSG_REQUEST_SUCCESS, msg_global_reply },
	{ HS_MSG_REQUEST_FAILURE, msg_global_reply },
	{ HS_MSG_CHANNEL_OPEN, msg_open },
	{ HS_MSG_CHANNEL_OPEN_CONFIRMATION, msg_open_confirmation },
	{ HS_MSG_CHANNEL_OPEN_FAILURE, msg_open_failure },
	{ HS_MSG_CHANNEL_WINDOW_ADJUST, msg_window_adjust },
	{ HS_MSG_CHANNEL_DATA, msg_data },
	{ HS_MSG_CHANNEL_EXTENDED_DATA, msg_extended_data },
	{ HS_MSG_CHANNEL_EOF, msg_eof },
	{ HS_MSG_CHANNEL_CLOSE, msg_close },
	{ HS_MSG_CHANNEL_REQUEST, msg_request },
	{ HS_MSG_CHANNEL_SUCCESS, msg_success },
	{ HS_MSG_CHANNEL_FAILURE, msg_failure },
};

hs_err
hs_conn_dispatch(struct hs_conn *c, uint8_t type, struct hs_buf *msg)
{
	size_t i;
	hs_err r;

	c->got_msg = true;
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].type != type)
			continue;
		r = handlers[i].fn(c, msg);
		if (r == HS_ERR_TRUNCATED || r == HS_ERR_TRAILING || r == HS_ERR_FORMAT) {
			hs_error("malformed connection message type %u: %s", type, hs_err_str(r));
			r = HS_ERR_PROTOCOL;
		}
		return r;
	}
	/* RFC 4252 5.1: authentication requests after success are ignored; so is anything else we
	 * do not know (the transport answers unknown numbers). */
	hs_debug("ignoring message type %u", type);
	return HS_OK;
}
