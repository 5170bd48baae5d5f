/* server_keyd_link.c: the monitor's host-key and KEX operations. With a link to the host-key
 * service (server_keyd.c) they are requests over it; without one (-d, -i) they run here, on the
 * keys and KEX provider this process opened. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "server_impl.h"
#include "server_keyd.h"

/* How long a monitor waits for the service: a full queue of slow TPM signatures (HS_KEYD_QUEUE_MAX
 * x ~500 ms on a slow TPM) fits, a hung token does not hold the connection for ever. */
#define KEYD_WAIT_MS	30000

/* Send req, wait for the reply into rep (reset first). The reply's status byte is read here:
 * HS_OK for OK, HS_ERR_PROVIDER for FAIL, HS_ERR_AGAIN for BUSY. */
static hs_err
keyd_call(struct hs_server *srv, const struct hs_keyd_req *req, struct hs_buf *rep)
{
	struct pollfd pf = { .fd = srv->keyd_fd, .events = POLLIN };
	struct hs_buf *b = NULL;
	uint8_t *p, st;
	ssize_t n;
	hs_err e;

	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &b));
	e = hs_keyd_build_req(b, req);
	if (e == HS_OK && send(srv->keyd_fd, hs_buf_ptr(b), hs_buf_len(b), MSG_NOSIGNAL) !=
	    (ssize_t)hs_buf_len(b))
		e = HS_ERR_IO;
	hs_buf_free(b);		/* wipes what was sent */
	HS_GUARD(e);
	while ((n = poll(&pf, 1, KEYD_WAIT_MS)) < 0 && errno == EINTR)
		;
	if (n == 0) {
		hs_error("host-key service did not answer in %d ms", KEYD_WAIT_MS);
		return HS_ERR_TIMEOUT;
	}
	hs_buf_reset(rep);
	HS_GUARD(hs_buf_reserve(rep, HS_KEYD_MAX_MSG, &p));
	do {
		n = recv(srv->keyd_fd, p, HS_KEYD_MAX_MSG, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0 || n > HS_KEYD_MAX_MSG) {
		hs_error("host-key service is gone");
		hs_buf_reset(rep);
		return HS_ERR_IO;
	}
	HS_GUARD(hs_buf_trim_end(rep, HS_KEYD_MAX_MSG - (size_t)n));
	HS_GUARD(hs_buf_get_u8(rep, &st));
	if (st == HS_KEYD_BUSY) {
		hs_error("host-key service busy: signing queue full");
		return HS_ERR_AGAIN;
	}
	return st == HS_KEYD_OK ? HS_OK : HS_ERR_PROVIDER;
}

hs_err
hs_server_keyd_hostkeys(struct hs_server *srv)
{
	struct hs_keyd_req req = { .type = HS_KEYD_HOSTKEYS };
	struct hs_buf *rep = NULL;
	uint32_t n;
	hs_err e;

	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &rep));
	HS_GUARD_GOTO(keyd_call(srv, &req, rep), e, out);
	HS_GUARD_GOTO(hs_buf_get_u32(rep, &n), e, out);
	HS_ENSURE_GOTO(n > 0 && n <= HS_CFG_MAX_HOSTKEYS, HS_ERR_FORMAT, e, out);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *blob;
		size_t len, plen;
		char *prov = NULL;

		HS_GUARD_GOTO(hs_buf_get_string(rep, &blob, &len), e, out);
		HS_GUARD_GOTO(hs_buf_get_cstring(rep, &prov, &plen), e, out);
		srv->hostkey_prov[srv->n_hostkeys] = prov;
		HS_GUARD_GOTO(hs_key_from_blob(blob, len, &srv->hostkeys[srv->n_hostkeys]), e, out);
		srv->n_hostkeys++;
	}
	e = hs_buf_get_end(rep);
out:
	if (e != HS_OK) {
		hs_error("host keys from the host-key service: %s", hs_err_str(e));
		hs_server_free_hostkeys(srv);
		free(srv->hostkey_prov[0]);	/* a provider name read before a bad blob */
		srv->hostkey_prov[0] = NULL;
	}
	hs_buf_free(rep);
	return e;
}

const char *
hs_server_hostkey_provider(const struct hs_server *srv, size_t idx)
{
	if (idx >= srv->n_hostkeys)
		return "none";
	return srv->hostkey_prov[idx] != NULL ? srv->hostkey_prov[idx] :
	    hs_key_provider(srv->hostkeys[idx]);
}

hs_err
hs_server_hostkey_sign(struct hs_server *srv, size_t idx, enum hs_sig_alg alg, const uint8_t *m,
    size_t mlen, struct hs_buf *sig)
{
	const char *name = hs_sig_alg_name(alg);
	struct hs_keyd_req req = { .type = HS_KEYD_SIGN, .idx = (uint32_t)idx, .data = m,
		.data_len = mlen };
	struct hs_buf *rep = NULL;
	const uint8_t *s;
	size_t slen;
	hs_err e;

	HS_ENSURE(idx < srv->n_hostkeys && name != NULL, HS_ERR_PROTOCOL);
	if (srv->keyd_fd < 0)
		return hs_key_sign(srv->hostkeys[idx], alg, m, mlen, sig);
	req.alg = (const uint8_t *)name;
	req.alg_len = strlen(name);
	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &rep));
	HS_GUARD_GOTO(keyd_call(srv, &req, rep), e, out);
	HS_GUARD_GOTO(hs_buf_get_string(rep, &s, &slen), e, out);
	HS_GUARD_GOTO(hs_buf_put_bytes(sig, s, slen), e, out);
out:
	hs_buf_free(rep);
	return e;
}

hs_err
hs_server_kex_keypair(struct hs_server *srv, enum hs_kex_method m, struct hs_buf *pub)
{
	struct hs_keyd_req req = { .type = HS_KEYD_KEX_KEYPAIR, .method = (uint32_t)m };
	struct hs_buf *rep = NULL;
	const uint8_t *v, *prov;
	size_t vlen, plen;
	hs_err e;

	if (srv->keyd_fd < 0) {
		hs_kex_priv_free(srv->kex_pending);
		srv->kex_pending = NULL;
		return hs_kex_keypair(m, &srv->kex_pending, pub);
	}
	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &rep));
	srv->kex_prov[0] = '\0';
	HS_GUARD_GOTO(keyd_call(srv, &req, rep), e, out);
	HS_GUARD_GOTO(hs_buf_get_string(rep, &v, &vlen), e, out);
	HS_GUARD_GOTO(hs_buf_get_string(rep, &prov, &plen), e, out);
	HS_ENSURE_GOTO(plen > 0 && plen < sizeof(srv->kex_prov), HS_ERR_FORMAT, e, out);
	HS_GUARD_GOTO(hs_buf_put_bytes(pub, v, vlen), e, out);
	memcpy(srv->kex_prov, prov, plen);
	srv->kex_prov[plen] = '\0';
out:
	hs_buf_free(rep);
	return e;
}

hs_err
hs_server_kex_derive(struct hs_server *srv, const uint8_t *peer, size_t len, struct hs_buf *secret)
{
	struct hs_keyd_req req = { .type = HS_KEYD_KEX_DERIVE, .data = peer, .data_len = len };
	struct hs_buf *rep = NULL;
	const uint8_t *v;
	size_t vlen;
	hs_err e;

	if (srv->keyd_fd < 0) {
		HS_ENSURE(srv->kex_pending != NULL, HS_ERR_PROTOCOL);
		e = hs_kex_derive(srv->kex_pending, peer, len, secret);
		hs_kex_priv_free(srv->kex_pending);
		srv->kex_pending = NULL;
		return e;
	}
	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &rep));
	HS_GUARD_GOTO(keyd_call(srv, &req, rep), e, out);
	HS_GUARD_GOTO(hs_buf_get_string(rep, &v, &vlen), e, out);
	HS_GUARD_GOTO(hs_buf_put_bytes(secret, v, vlen), e, out);
out:
	hs_buf_free(rep);	/* wipes the secret's copy */
	return e;
}

void
hs_server_keyd_forget(struct hs_server *srv)
{
	if (srv->keyd_fd >= 0)
		(void)close(srv->keyd_fd);
	srv->keyd_fd = -1;
}

hs_err
hs_server_open_kex(struct hs_server *srv)
{
	const char *spec = srv->cfg->kex_provider;

	if (!hs_server_config_kex_hw(srv->cfg))
		return HS_OK;
	if (hs_kex_provider_set(spec) != HS_OK) {
		hs_error("KexProvider %s cannot be used: no connection can be served", spec);
		return HS_ERR_CONFIG;
	}
	hs_verbose("KexProvider %s: ECDH P-256 by %s, P-384 by %s", spec,
	    hs_kex_provider_for(HS_KEXM_ECDH_P256), hs_kex_provider_for(HS_KEXM_ECDH_P384));
	return HS_OK;
}

const char *
hs_server_kex_provider(const struct hs_server *srv, enum hs_kex_method m)
{
	if (srv->keyd_fd >= 0 && srv->kex_prov[0] != '\0')
		return srv->kex_prov;
	return hs_kex_provider_for(m);
}
