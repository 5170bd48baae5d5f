/* kex_reply.c: the second half of every KEX method: the server's SSH_MSG_KEX_ECDH_REPLY /
 * SSH_MSG_KEXDH_REPLY (string K_S, Q_S or f, string signature of H; RFC 5656 4, RFC 4253 8) and the
 * client's check of it. The method only changes how public values are encoded (ops). */
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"
#include "kex_impl.h"
#include "transport_impl.h"

static hs_err
reply_fail(struct hs_transport *t, hs_err e, uint32_t reason, const char *what)
{
	hs_error("%s (%s) with %s", what, hs_err_str(e), t->peer);
	return hs_transport_fail(t, e, reason, what);
}

/* Server: the host key for the negotiated algorithm. */
static hs_err
server_hostkey(const struct hs_transport *t, size_t *idx)
{
	enum hs_key_type want = hs_sig_alg_key_type(t->kex->ch.hostkey->sig);

	for (size_t i = 0; i < t->cfg.n_hostkeys; i++) {
		if (hs_key_type(t->hostkeys[i]) == want) {
			*idx = i;
			return HS_OK;
		}
	}
	return HS_ERR_NOT_FOUND;
}

/* Server: our ephemeral key pair for the negotiated method, its public value into k->my_pub; here,
 * or through the transport's callbacks (hsshd's monitor with a hardware KexProvider). */
static hs_err
server_keypair(struct hs_transport *t)
{
	struct hs_kex *k = t->kex;
	const struct hs_transport_cfg *c = &t->cfg;

	if (c->kex_keypair_cb == NULL)
		return hs_kex_keypair(k->ch.kex->method, &k->priv, k->my_pub);
	HS_ENSURE(c->kex_derive_cb != NULL, HS_ERR_INTERNAL);
	return c->kex_keypair_cb(c->cb_arg, k->ch.kex->method, k->my_pub);
}

/* Server: K from the client's value and our pending ephemeral (validated by whoever holds it). */
static hs_err
server_derive(struct hs_transport *t, const uint8_t *q_c, size_t q_c_len, struct hs_buf *secret)
{
	const struct hs_transport_cfg *c = &t->cfg;

	if (c->kex_keypair_cb == NULL)
		return hs_kex_derive(t->kex->priv, q_c, q_c_len, secret);
	return c->kex_derive_cb(c->cb_arg, q_c, q_c_len, secret);
}

/* Server: ephemeral key, K, H, signature; send the reply, then NEWKEYS. */
static hs_err
server_compute(struct hs_transport *t, const uint8_t *q_c, size_t q_c_len, size_t idx,
    struct hs_buf *k_s, struct hs_buf *k_mp, struct hs_buf *sig, uint8_t *h, size_t *h_len)
{
	hs_err r;
	struct hs_kex *k = t->kex;
	struct hs_buf *secret = NULL;
	enum hs_sig_alg alg = k->ch.hostkey->sig;

	HS_GUARD_GOTO(hs_buf_new(1024, &secret), r, out);
	HS_GUARD_GOTO(hs_key_public_blob(t->hostkeys[idx], k_s), r, out);
	HS_GUARD_GOTO(server_keypair(t), r, out);
	r = server_derive(t, q_c, q_c_len, secret);
	if (r != HS_OK) {
		r = reply_fail(t, r, HS_DISC_KEY_EXCHANGE_FAILED, "Bad client public value");
		goto out;
	}
	HS_GUARD_GOTO(hs_buf_put_mpint(k_mp, hs_buf_ptr(secret), hs_buf_len(secret)), r, out);
	HS_GUARD_GOTO(hs_kex_hash(t, k_s, q_c, q_c_len, hs_buf_ptr(k->my_pub),
	    hs_buf_len(k->my_pub), k_mp, h, h_len), r, out);
	if (t->cfg.sign_cb != NULL)
		r = t->cfg.sign_cb(t->cfg.cb_arg, idx, alg, h, *h_len, sig);
	else
		r = hs_key_sign(t->hostkeys[idx], alg, h, *h_len, sig);
	if (r != HS_OK)
		r = reply_fail(t, r, HS_DISC_KEY_EXCHANGE_FAILED, "Host key signing failed");
out:
	hs_buf_free(secret);	/* wipes K's magnitude */
	return r;
}

hs_err
hs_kex_server_reply(struct hs_transport *t, struct hs_buf *msg)
{
	hs_err r;
	struct hs_kex *k = t->kex;
	const uint8_t *q_c;
	size_t q_c_len, idx = 0, h_len = 0;
	struct hs_buf *k_s = NULL, *k_mp = NULL, *sig = NULL, *b = NULL;
	uint8_t h[HS_MAX_HASH];

	if (k->ch.kex->ops->get_pub(msg, &q_c, &q_c_len) != HS_OK || hs_buf_get_end(msg) != HS_OK)
		return reply_fail(t, HS_ERR_FORMAT, HS_DISC_PROTOCOL_ERROR, "Bad KEX init message");
	if (server_hostkey(t, &idx) != HS_OK)
		return reply_fail(t, HS_ERR_NOT_FOUND, HS_DISC_KEY_EXCHANGE_FAILED, "No host key");
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &k_s), r, out);
	HS_GUARD_GOTO(hs_buf_new(1024, &k_mp), r, out);
	HS_GUARD_GOTO(hs_buf_new(4096, &sig), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &b), r, out);
	HS_GUARD_GOTO(server_compute(t, q_c, q_c_len, idx, k_s, k_mp, sig, h, &h_len), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, HS_MSG_KEX_ECDH_REPLY), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(b, k_s), r, out);
	HS_GUARD_GOTO(k->ch.kex->ops->put_pub(b, hs_buf_ptr(k->my_pub), hs_buf_len(k->my_pub)), r,
	    out);
	HS_GUARD_GOTO(hs_buf_put_stringb(b, sig), r, out);
	HS_GUARD_GOTO(hs_transport_send_now(t, b), r, out);
	HS_GUARD_GOTO(hs_kex_derive_keys(t, k_mp, h, h_len), r, out);
	t->used_hostkey = t->hostkeys[idx];
	HS_GUARD_GOTO(hs_kex_send_newkeys(t), r, out);
	r = HS_OK;
out:
	hs_kex_priv_free(k->priv);
	k->priv = NULL;
	hs_wipe(h, sizeof(h));
	hs_buf_free(k_mp);
	hs_buf_free(k_s);
	hs_buf_free(sig);
	hs_buf_free(b);
	return r;
}

/* Client: is this the server's key, and did it sign H with the negotiated algorithm? */
static hs_err
client_check_key(struct hs_transport *t, struct hs_key *key, const uint8_t *sig, size_t sig_len,
    const uint8_t *h, size_t h_len)
{
	enum hs_sig_alg want = t->kex->ch.hostkey->sig, got = HS_SIG_UNKNOWN;
	hs_err r;

	if (hs_key_type(key) != hs_sig_alg_key_type(want))
		return reply_fail(t, HS_ERR_HOSTKEY, HS_DISC_KEY_EXCHANGE_FAILED,
		    "Server host key type does not match the negotiated algorithm");
	r = hs_key_verify(key, sig, sig_len, h, h_len, &got);
	if (r == HS_OK && got != want)
		r = HS_ERR_SIG;
	if (r != HS_OK)
		return reply_fail(t, HS_ERR_SIG, HS_DISC_KEY_EXCHANGE_FAILED,
		    "Server host key signature verification failed");
	if (t->peer_hostkey != NULL) {
		/* A rekey must present the same host key (RFC 4253 9). */
		if (!hs_key_equal_public(t->peer_hostkey, key))
			return reply_fail(t, HS_ERR_HOSTKEY, HS_DISC_HOST_KEY_NOT_VERIFIABLE,
			    "Server host key changed during rekey");
		return HS_OK;
	}
	if (t->cfg.hostkey_cb != NULL && (r = t->cfg.hostkey_cb(t->cfg.cb_arg, key)) != HS_OK)
		return reply_fail(t, r, HS_DISC_HOST_KEY_NOT_VERIFIABLE,
		    "Host key verification failed");
	return HS_OK;
}

hs_err
hs_kex_client_reply(struct hs_transport *t, struct hs_buf *msg)
{
	hs_err r;
	struct hs_kex *k = t->kex;
	const uint8_t *ks, *q_s, *sig;
	size_t ks_len, q_s_len, sig_len, h_len = 0;
	struct hs_buf *k_s = NULL, *secret = NULL, *k_mp = NULL;
	struct hs_key *key = NULL;
	uint8_t h[HS_MAX_HASH];

	if (hs_buf_get_string(msg, &ks, &ks_len) != HS_OK ||
	    k->ch.kex->ops->get_pub(msg, &q_s, &q_s_len) != HS_OK ||
	    hs_buf_get_string(msg, &sig, &sig_len) != HS_OK || hs_buf_get_end(msg) != HS_OK)
		return reply_fail(t, HS_ERR_FORMAT, HS_DISC_PROTOCOL_ERROR, "Bad KEX reply");
	if ((r = hs_key_from_blob(ks, ks_len, &key)) != HS_OK)
		return reply_fail(t, r, HS_DISC_KEY_EXCHANGE_FAILED, "Bad server host key");
	HS_GUARD_GOTO(hs_buf_from(ks, ks_len, &k_s), r, out);
	HS_GUARD_GOTO(hs_buf_new(1024, &secret), r, out);
	HS_GUARD_GOTO(hs_buf_new(1024, &k_mp), r, out);
	if ((r = hs_kex_derive(k->priv, q_s, q_s_len, secret)) != HS_OK) {
		r = reply_fail(t, r, HS_DISC_KEY_EXCHANGE_FAILED, "Bad server public value");
		goto out;
	}
	HS_GUARD_GOTO(hs_buf_put_mpint(k_mp, hs_buf_ptr(secret), hs_buf_len(secret)), r, out);
	HS_GUARD_GOTO(hs_kex_hash(t, k_s, hs_buf_ptr(k->my_pub), hs_buf_len(k->my_pub), q_s,
	    q_s_len, k_mp, h, &h_len), r, out);
	HS_GUARD_GOTO(client_check_key(t, key, sig, sig_len, h, h_len), r, out);
	HS_GUARD_GOTO(hs_kex_derive_keys(t, k_mp, h, h_len), r, out);
	if (t->peer_hostkey == NULL) {
		t->peer_hostkey = key;
		key = NULL;
	}
	HS_GUARD_GOTO(hs_kex_send_newkeys(t), r, out);
	r = HS_OK;
out:
	hs_kex_priv_free(k->priv);
	k->priv = NULL;
	hs_wipe(h, sizeof(h));
	hs_key_free(key);
	hs_buf_free(k_s);
	hs_buf_free(secret);
	hs_buf_free(k_mp);
	return r;
}
