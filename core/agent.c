/* agent.c: SSH agent protocol client (draft-miller-ssh-agent) over the unix socket in SSH_AUTH_SOCK.
 * Requests and replies are uint32 length + body; every reply is bounded and parsed through hs_buf. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hs_agent.h"
#include "hs_log.h"
#include "hs_mem.h"

#define AGENT_TIMEOUT_MS	30000	/* a confirm-before-use agent may wait for the user */

struct hs_agent {
	int fd;
};

hs_err
hs_agent_open(const char *path, struct hs_agent **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct hs_agent *a;
	int fd;

	*out = NULL;
	HS_ENSURE(path != NULL && strlen(path) < sizeof(sun.sun_path), HS_ERR_NOT_FOUND);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return HS_ERR_IO;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		hs_log(HS_LOG_DEBUG1, "agent %s: %s", path, strerror(errno));
		close(fd);
		return HS_ERR_NOT_FOUND;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		close(fd);
		return HS_ERR_ALLOC;
	}
	a->fd = fd;
	*out = a;
	return HS_OK;
}

void
hs_agent_close(struct hs_agent *a)
{
	if (a == NULL)
		return;
	close(a->fd);
	free(a);
}

void
hs_agent_ids_free(struct hs_agent_id *ids, size_t n)
{
	if (ids == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(ids[i].blob);
		free(ids[i].comment);
	}
	free(ids);
}

static hs_err
agent_io(int fd, void *p, size_t n, bool writing)
{
	uint8_t *q = p;

	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = writing ? POLLOUT : POLLIN };
		ssize_t k;

		if (poll(&pfd, 1, AGENT_TIMEOUT_MS) <= 0)
			return HS_ERR_TIMEOUT;
		k = writing ? send(fd, q, n, MSG_NOSIGNAL) : read(fd, q, n);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k == 0)
			return HS_ERR_EOF;
		if (k < 0)
			return HS_ERR_IO;
		q += k;
		n -= (size_t)k;
	}
	return HS_OK;
}

/* Send one request body and read the reply body into *reply (caller frees). */
static hs_err
agent_call(struct hs_agent *a, const struct hs_buf *req, struct hs_buf **reply)
{
	uint8_t hdr[4];
	uint32_t len;
	struct hs_buf *lb = NULL, *rb = NULL;
	uint8_t *p;
	hs_err r;

	*reply = NULL;
	HS_GUARD(hs_buf_new(4, &lb));
	HS_GUARD_GOTO(hs_buf_put_u32(lb, (uint32_t)hs_buf_len(req)), r, out);
	HS_GUARD_GOTO(agent_io(a->fd, hs_buf_mutable_ptr(lb), 4, true), r, out);
	HS_GUARD_GOTO(agent_io(a->fd, (void *)hs_buf_ptr(req), hs_buf_len(req), true), r, out);
	HS_GUARD_GOTO(agent_io(a->fd, hdr, sizeof(hdr), false), r, out);
	hs_buf_free(lb);
	lb = NULL;
	HS_GUARD_GOTO(hs_buf_from(hdr, sizeof(hdr), &lb), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(lb, &len), r, out);
	HS_ENSURE_GOTO(len > 0 && len <= HS_AGENT_MAX_MSG, HS_ERR_TOO_LARGE, r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_AGENT_MAX_MSG, &rb), r, out);
	HS_GUARD_GOTO(hs_buf_reserve(rb, len, &p), r, out);
	HS_GUARD_GOTO(agent_io(a->fd, p, len, false), r, out);
	*reply = rb;
	rb = NULL;
	r = HS_OK;
out:
	hs_buf_free(lb);
	hs_buf_free(rb);
	return r;
}

static hs_err
agent_parse_one_id(struct hs_buf *msg, struct hs_agent_id *id)
{
	const uint8_t *blob;
	size_t blen;

	HS_GUARD(hs_buf_get_string(msg, &blob, &blen));
	HS_ENSURE(blen > 0, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_cstring(msg, &id->comment, NULL));
	if ((id->blob = malloc(blen)) == NULL)
		return HS_ERR_ALLOC;
	memcpy(id->blob, blob, blen);
	id->blob_len = blen;
	return HS_OK;
}

/* draft-miller-ssh-agent 4.4: byte IDENTITIES_ANSWER, uint32 nkeys, nkeys * (string key blob,
 * string comment). */
hs_err
hs_agent_parse_identities(struct hs_buf *msg, struct hs_agent_id **ids, size_t *n)
{
	uint8_t type;
	uint32_t count, i;
	struct hs_agent_id *v = NULL;
	hs_err r;

	*ids = NULL;
	*n = 0;
	HS_GUARD(hs_buf_get_u8(msg, &type));
	HS_ENSURE(type == HS_AGENT_IDENTITIES_ANSWER, HS_ERR_PROTOCOL);
	HS_GUARD(hs_buf_get_u32(msg, &count));
	/* each entry needs at least 8 bytes, so a count beyond that is a lie */
	HS_ENSURE(count <= HS_AGENT_MAX_IDS && count <= hs_buf_len(msg) / 8, HS_ERR_TOO_LARGE);
	if (count > 0 && (v = hs_calloc(count, sizeof(*v))) == NULL)
		return HS_ERR_ALLOC;
	for (i = 0; i < count; i++)
		HS_GUARD_GOTO(agent_parse_one_id(msg, &v[i]), r, out);
	HS_GUARD_GOTO(hs_buf_get_end(msg), r, out);
	*ids = v;
	*n = count;
	v = NULL;
	r = HS_OK;
out:
	hs_agent_ids_free(v, count);
	return r;
}

/* draft-miller-ssh-agent 4.5: byte SIGN_RESPONSE, string signature; or byte FAILURE. */
hs_err
hs_agent_parse_sign_response(struct hs_buf *msg, struct hs_buf *sig)
{
	uint8_t type;
	const uint8_t *p;
	size_t n;

	HS_GUARD(hs_buf_get_u8(msg, &type));
	if (type == HS_AGENT_FAILURE)
		return HS_ERR_AUTH;
	HS_ENSURE(type == HS_AGENT_SIGN_RESPONSE, HS_ERR_PROTOCOL);
	HS_GUARD(hs_buf_get_string(msg, &p, &n));
	HS_ENSURE(n > 0, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_end(msg));
	return hs_buf_put_bytes(sig, p, n);
}

hs_err
hs_agent_list(struct hs_agent *a, struct hs_agent_id **ids, size_t *n)
{
	struct hs_buf *req = NULL, *rep = NULL;
	hs_err r;

	*ids = NULL;
	*n = 0;
	HS_GUARD(hs_buf_new(16, &req));
	HS_GUARD_GOTO(hs_buf_put_u8(req, HS_AGENTC_REQUEST_IDENTITIES), r, out);
	HS_GUARD_GOTO(agent_call(a, req, &rep), r, out);
	r = hs_agent_parse_identities(rep, ids, n);
out:
	hs_buf_free(req);
	hs_buf_free(rep);
	return r;
}

hs_err
hs_agent_sign(struct hs_agent *a, const uint8_t *blob, size_t blob_len, const uint8_t *data,
    size_t len, uint32_t flags, struct hs_buf *sig)
{
	struct hs_buf *req = NULL, *rep = NULL;
	hs_err r;

	/* draft-miller-ssh-agent 4.5: byte SIGN_REQUEST, string key blob, string data, uint32 flags */
	HS_GUARD(hs_buf_new(HS_AGENT_MAX_MSG, &req));
	HS_GUARD_GOTO(hs_buf_put_u8(req, HS_AGENTC_SIGN_REQUEST), r, out);
	HS_GUARD_GOTO(hs_buf_put_string(req, blob, blob_len), r, out);
	HS_GUARD_GOTO(hs_buf_put_string(req, data, len), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(req, flags), r, out);
	HS_GUARD_GOTO(agent_call(a, req, &rep), r, out);
	r = hs_agent_parse_sign_response(rep, sig);
out:
	hs_buf_free(req);
	hs_buf_free(rep);
	return r;
}
