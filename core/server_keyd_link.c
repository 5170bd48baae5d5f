/* server_keyd_link.c: the monitor's host-key and KEX operations. Without a host-key service they
 * run here, on the keys and KEX provider this process opened (-d, -i). */
#include "hs_log.h"
#include "server_impl.h"

hs_err
hs_server_hostkey_sign(struct hs_server *srv, size_t idx, enum hs_sig_alg alg, const uint8_t *m,
    size_t mlen, struct hs_buf *sig)
{
	HS_ENSURE(idx < srv->n_hostkeys, HS_ERR_PROTOCOL);
	return hs_key_sign(srv->hostkeys[idx], alg, m, mlen, sig);
}

hs_err
hs_server_kex_keypair(struct hs_server *srv, enum hs_kex_method m, struct hs_buf *pub)
{
	hs_kex_priv_free(srv->kex_pending);
	srv->kex_pending = NULL;
	return hs_kex_keypair(m, &srv->kex_pending, pub);
}

hs_err
hs_server_kex_derive(struct hs_server *srv, const uint8_t *peer, size_t len, struct hs_buf *secret)
{
	hs_err r;

	HS_ENSURE(srv->kex_pending != NULL, HS_ERR_PROTOCOL);
	r = hs_kex_derive(srv->kex_pending, peer, len, secret);
	hs_kex_priv_free(srv->kex_pending);
	srv->kex_pending = NULL;
	return r;
}
