/* transport.c: the transport object, non-blocking I/O, message dispatch (RFC 4253 11) and the
 * hold queue for upper-layer messages during a key exchange (RFC 4253 9, 7.1). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"
#include "kex_impl.h"
#include "transport_impl.h"

#define IBUF_MAX	(2 * HS_MAX_PACKET + 65536)
#define READ_CHUNK	32768

static void
peer_name(int fd, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "UNKNOWN";
	unsigned port = 65535;

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(out, n, "%s port %u", host, port);
}

/* Copy a list (NULL = defaults) and check every name. */
static hs_err
cfg_list(enum hs_alg_family fam, const char *what, const char *in, char **out)
{
	char *bad = NULL;
	hs_err r;

	if ((*out = hs_strdup(in ? in : hs_algs_default(fam))) == NULL)
		return HS_ERR_ALLOC;
	r = hs_algs_validate(fam, *out, &bad);
	if (r != HS_OK)
		hs_error("Bad %s algorithm '%s'", what, bad ? bad : "");
	free(bad);
	return r;
}

static hs_err
transport_copy_cfg(struct hs_transport *t, const struct hs_transport_cfg *cfg)
{
	t->cfg = *cfg;
	HS_GUARD(cfg_list(HS_ALGS_KEX, "key exchange", cfg->kex_algs, &t->kex_algs));
	HS_GUARD(cfg_list(HS_ALGS_HOSTKEY, "host key", cfg->hostkey_algs, &t->hostkey_algs));
	HS_GUARD(cfg_list(HS_ALGS_CIPHER, "cipher", cfg->ciphers, &t->ciphers));
	HS_GUARD(cfg_list(HS_ALGS_MAC, "MAC", cfg->macs, &t->macs));
	t->cfg.kex_algs = t->kex_algs;
	t->cfg.hostkey_algs = t->hostkey_algs;
	t->cfg.ciphers = t->ciphers;
	t->cfg.macs = t->macs;
	if (cfg->n_hostkeys > 0) {
		if ((t->hostkeys = hs_calloc(cfg->n_hostkeys, sizeof(*t->hostkeys))) == NULL)
			return HS_ERR_ALLOC;
		memcpy(t->hostkeys, cfg->hostkeys, cfg->n_hostkeys * sizeof(*t->hostkeys));
	}
	t->cfg.hostkeys = t->hostkeys;
	t->rekey_bytes = cfg->rekey_bytes ? cfg->rekey_bytes : HS_REKEY_BYTES_DEFAULT;
	return HS_OK;
}

hs_err
hs_transport_new(int fd_in, int fd_out, const struct hs_transport_cfg *cfg,
    struct hs_transport **out)
{
	hs_err r;
	struct hs_transport *t;

	*out = NULL;
	if ((t = hs_calloc(1, sizeof(*t))) == NULL)
		return HS_ERR_ALLOC;
	t->fd_in = fd_in;
	t->fd_out = fd_out;
	hs_dir_clear(&t->in);
	hs_dir_clear(&t->out);
	hs_dir_clear(&t->next_in);
	hs_dir_clear(&t->next_out);
	HS_GUARD_GOTO(hs_crypto_init(), r, out);
	HS_GUARD_GOTO(transport_copy_cfg(t, cfg), r, out);
	HS_GUARD_GOTO(hs_buf_new(IBUF_MAX, &t->ibuf), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &t->obuf), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &t->held), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &t->inq), r, out);
	peer_name(fd_in, t->peer, sizeof(t->peer));
	/* Never block: reads and writes return HS_ERR_AGAIN instead. */
	(void)fcntl(fd_in, F_SETFL, fcntl(fd_in, F_GETFL) | O_NONBLOCK);
	(void)fcntl(fd_out, F_SETFL, fcntl(fd_out, F_GETFL) | O_NONBLOCK);
	*out = t;
	return HS_OK;
out:
	hs_transport_free(t);
	return r;
}

void
hs_transport_free(struct hs_transport *t)
{
	if (t == NULL)
		return;
	hs_kex_free(t->kex);
	hs_dir_clear(&t->in);
	hs_dir_clear(&t->out);
	hs_dir_clear(&t->next_in);
	hs_dir_clear(&t->next_out);
	hs_buf_free(t->ibuf);
	hs_buf_free(t->obuf);
	hs_buf_free(t->held);
	hs_buf_free(t->inq);
	free(t->kex_algs);
	free(t->hostkey_algs);
	free(t->ciphers);
	free(t->macs);
	free(t->hostkeys);
	free(t->peer_version);
	free(t->server_sig_algs);
	hs_key_free(t->peer_hostkey);
	hs_wipe(t, sizeof(*t));
	free(t);
}

const char *
hs_transport_peer_version(const struct hs_transport *t)
{
	return t->peer_version;
}

const uint8_t *
hs_transport_session_id(const struct hs_transport *t, size_t *len)
{
	*len = t->sid_len;
	return t->sid_len ? t->session_id : NULL;
}

void
hs_transport_get_algs(const struct hs_transport *t, struct hs_transport_algs *out)
{
	*out = t->algs;
}

const struct hs_key *
hs_transport_hostkey(const struct hs_transport *t)
{
	return t->cfg.server ? t->used_hostkey : t->peer_hostkey;
}

const char *
hs_transport_server_sig_algs(const struct hs_transport *t)
{
	return t->server_sig_algs;
}

int
hs_transport_fd_in(const struct hs_transport *t)
{
	return t->fd_in;
}

int
hs_transport_fd_out(const struct hs_transport *t)
{
	return t->fd_out;
}

bool
hs_transport_want_write(const struct hs_transport *t)
{
	return hs_buf_len(t->obuf) > 0;
}

void
hs_transport_stats(const struct hs_transport *t, uint64_t *bytes_in, uint64_t *bytes_out,
    uint64_t *kex_count)
{
	if (bytes_in)
		*bytes_in = t->total_in;
	if (bytes_out)
		*bytes_out = t->total_out;
	if (kex_count)
		*kex_count = t->kex_count;
}

hs_err
hs_transport_read(struct hs_transport *t)
{
	size_t room = hs_buf_max(t->ibuf) - hs_buf_len(t->ibuf);
	uint8_t *p;
	ssize_t n;

	if (t->dead != HS_OK)
		return t->dead;
	if (room == 0)
		return HS_OK;	/* the caller has to drain hs_transport_next() first */
	if (room > READ_CHUNK)
		room = READ_CHUNK;
	HS_GUARD(hs_buf_reserve(t->ibuf, room, &p));
	n = read(t->fd_in, p, room);
	HS_GUARD(hs_buf_trim_end(t->ibuf, n > 0 ? room - (size_t)n : room));
	if (n > 0)
		return HS_OK;
	if (n == 0) {
		hs_verbose("Connection closed by %s", t->peer);
		return HS_ERR_EOF;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return HS_ERR_AGAIN;
	hs_error("Read from %s failed: %s", t->peer, strerror(errno));
	return HS_ERR_IO;
}

hs_err
hs_transport_write(struct hs_transport *t)
{
	ssize_t n;

	while (hs_buf_len(t->obuf) > 0) {
		n = send(t->fd_out, hs_buf_ptr(t->obuf), hs_buf_len(t->obuf), MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(t->fd_out, hs_buf_ptr(t->obuf), hs_buf_len(t->obuf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return HS_ERR_AGAIN;
			hs_verbose("Write to %s failed: %s", t->peer, strerror(errno));
			return HS_ERR_IO;
		}
		HS_GUARD(hs_buf_skip(t->obuf, (size_t)n));
	}
	return HS_OK;
}

hs_err
hs_transport_send_now(struct hs_transport *t, const struct hs_buf *payload)
{
	if (t->dead != HS_OK)
		return t->dead;
	return hs_packet_put(t, hs_buf_ptr(payload), hs_buf_len(payload));
}

/* RFC 4253 7.1: after sending KEXINIT only KEX messages until NEWKEYS. Before the first key
 * exchange finishes nothing else may go out at all. */
static bool
transport_holding(const struct hs_transport *t)
{
	return t->kex_state == HS_KEXS_SENT_INIT || t->kex_state == HS_KEXS_RUNNING ||
	    (t->kex_count == 0 && t->kex_state == HS_KEXS_IDLE);
}

hs_err
hs_transport_send(struct hs_transport *t, const struct hs_buf *payload)
{
	if (t->dead != HS_OK)
		return t->dead;
	HS_ENSURE(hs_buf_len(payload) > 0, HS_ERR_INTERNAL);
	/* The server's USERAUTH_SUCCESS ends the pre-auth phase (see hs_kex_check_rekey). */
	if (hs_buf_ptr(payload)[0] == HS_MSG_USERAUTH_SUCCESS)
		t->authenticated = true;
	if (transport_holding(t))
		return hs_buf_put_stringb(t->held, payload);
	HS_GUARD(hs_transport_send_now(t, payload));
	return hs_kex_check_rekey(t);
}

hs_err
hs_transport_stash(struct hs_transport *t, uint8_t type, const struct hs_buf *msg)
{
	HS_GUARD(hs_buf_put_u32(t->inq, (uint32_t)(1 + hs_buf_len(msg))));
	HS_GUARD(hs_buf_put_u8(t->inq, type));
	return hs_buf_put_buf(t->inq, msg);
}

hs_err
hs_transport_release_held(struct hs_transport *t)
{
	const uint8_t *p;
	size_t n;

	while (hs_buf_len(t->held) > 0) {
		HS_GUARD(hs_buf_get_string(t->held, &p, &n));
		HS_GUARD(hs_packet_put(t, p, n));
	}
	hs_buf_reset(t->held);
	return HS_OK;
}

/* byte type [uint32 v] [string s, string language] */
hs_err
hs_transport_send_simple(struct hs_transport *t, uint8_t type, uint32_t v, bool with_v,
    const char *s)
{
	hs_err r;
	struct hs_buf *b = NULL;

	HS_GUARD_GOTO(hs_buf_new(1024, &b), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, type), r, out);
	if (with_v)
		HS_GUARD_GOTO(hs_buf_put_u32(b, v), r, out);
	if (s != NULL) {
		HS_GUARD_GOTO(hs_buf_put_cstring(b, s), r, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(b, ""), r, out);	/* language tag */
	}
	r = type == HS_MSG_IGNORE ? hs_transport_send(t, b) : hs_transport_send_now(t, b);
out:
	hs_buf_free(b);
	return r;
}

void
hs_transport_disconnect(struct hs_transport *t, uint32_t reason, const char *desc)
{
	if (t->disc_sent || !t->version_done)
		return;
	t->disc_sent = true;
	/* Best effort: the connection is ending either way. */
	if (hs_transport_send_simple(t, HS_MSG_DISCONNECT, reason, true, desc ? desc : "") !=
	    HS_OK || hs_transport_flush(t, 1000) != HS_OK)
		hs_debug("Could not send DISCONNECT to %s", t->peer);
}

hs_err
hs_transport_fail(struct hs_transport *t, hs_err e, uint32_t reason, const char *desc)
{
	if (t->dead != HS_OK)
		return t->dead;
	if (reason != 0)
		hs_transport_disconnect(t, reason, desc);
	t->dead = e;
	return e;
}

hs_err
hs_transport_send_ignore(struct hs_transport *t)
{
	hs_err r;
	struct hs_buf *b = NULL;

	HS_GUARD_GOTO(hs_buf_new(64, &b), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, HS_MSG_IGNORE), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, ""), r, out);
	r = hs_transport_send(t, b);
out:
	hs_buf_free(b);
	return r;
}

hs_err
hs_transport_rekey(struct hs_transport *t)
{
	if (t->dead != HS_OK)
		return t->dead;
	if (t->kex_state != HS_KEXS_IDLE || t->kex_count == 0)
		return HS_OK;
	return hs_kex_start(t);
}

void
hs_transport_hold_rekey(struct hs_transport *t, bool hold)
{
	t->hold_rekey = hold;
}
