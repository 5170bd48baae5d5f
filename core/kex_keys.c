/* kex_keys.c: the exchange hash and the session keys (RFC 4253 7.2, 8; RFC 5656 4; RFC 8731 3). */
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "kex_impl.h"
#include "transport_impl.h"

hs_err
hs_kex_hash(const struct hs_transport *t, const struct hs_buf *k_s, const uint8_t *q_c,
    size_t q_c_len, const uint8_t *q_s, size_t q_s_len, const struct hs_buf *k_mpint, uint8_t *h,
    size_t *h_len)
{
	hs_err r;
	struct hs_buf *b = NULL;
	const struct hs_kex *k = t->kex;
	const struct hs_kex_ops *ops = k->ch.kex->ops;
	const char *v_c = t->cfg.server ? t->peer_version : HS_VERSION_STRING;
	const char *v_s = t->cfg.server ? HS_VERSION_STRING : t->peer_version;
	const struct hs_buf *i_c = t->cfg.server ? k->peer_init : k->my_init;
	const struct hs_buf *i_s = t->cfg.server ? k->my_init : k->peer_init;

	*h_len = hs_hash_len(k->ch.kex->hash);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &b), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, v_c), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, v_s), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(b, i_c), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(b, i_s), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(b, k_s), r, out);
	HS_GUARD_GOTO(ops->put_pub(b, q_c, q_c_len), r, out);
	HS_GUARD_GOTO(ops->put_pub(b, q_s, q_s_len), r, out);
	HS_GUARD_GOTO(hs_buf_put_buf(b, k_mpint), r, out);
	HS_GUARD_GOTO(hs_hash(k->ch.kex->hash, hs_buf_ptr(b), hs_buf_len(b), h), r, out);
	r = HS_OK;
out:
	hs_buf_free(b);	/* wipes K */
	return r;
}

/* Keys for one direction: d 0 is client->server (letters A, C, E), 1 server->client (B, D, F). */
static hs_err
derive_dir(struct hs_transport *t, size_t d, const struct hs_buf *k_mpint, const uint8_t *h,
    size_t h_len)
{
	hs_err r;
	const struct hs_kex_choice *ch = &t->kex->ch;
	enum hs_hash_alg hash = ch->kex->hash;
	bool out_dir = (d == 0) != t->cfg.server;
	struct hs_dir *dst = out_dir ? &t->next_out : &t->next_in;
	struct hs_cipher_info info;
	uint8_t iv[HS_MAX_IVLEN], key[HS_MAX_KEYLEN], mk[HS_MAX_HASH];
	const uint8_t *kp = hs_buf_ptr(k_mpint);
	size_t kl = hs_buf_len(k_mpint);

	hs_dir_clear(dst);
	HS_GUARD_GOTO(hs_cipher_info(ch->enc[d]->id, &info), r, out);
	HS_ENSURE_GOTO(info.iv_len <= sizeof(iv) && info.key_len <= sizeof(key), HS_ERR_INTERNAL, r,
	    out);
	if (info.iv_len > 0)
		HS_GUARD_GOTO(hs_kdf_ssh(hash, kp, kl, h, h_len, (char)('A' + d), t->session_id,
		    t->sid_len, iv, info.iv_len), r, out);
	HS_GUARD_GOTO(hs_kdf_ssh(hash, kp, kl, h, h_len, (char)('C' + d), t->session_id, t->sid_len,
	    key, info.key_len), r, out);
	HS_GUARD_GOTO(hs_cipher_new(ch->enc[d]->id, out_dir, key, info.iv_len ? iv : NULL,
	    &dst->cipher), r, out);
	dst->block = info.block_len > 8 ? info.block_len : 8;
	dst->tag_len = info.tag_len;
	/* Kept for hs_transport_export; hs_dir_clear wipes them. */
	dst->calg = ch->enc[d];
	memcpy(dst->key, key, info.key_len);
	memcpy(dst->iv, iv, info.iv_len);
	if (ch->mac[d] != NULL) {
		HS_GUARD_GOTO(hs_kdf_ssh(hash, kp, kl, h, h_len, (char)('E' + d), t->session_id,
		    t->sid_len, mk, ch->mac[d]->key_len), r, out);
		HS_GUARD_GOTO(hs_mac_new(ch->mac[d]->hash, mk, ch->mac[d]->key_len, &dst->mac), r,
		    out);
		dst->mac_len = hs_mac_len(dst->mac);
		dst->etm = ch->mac[d]->etm;
		dst->malg = ch->mac[d];
		memcpy(dst->mac_key, mk, ch->mac[d]->key_len);
	}
	r = HS_OK;
out:
	hs_wipe(iv, sizeof(iv));
	hs_wipe(key, sizeof(key));
	hs_wipe(mk, sizeof(mk));
	return r;
}

hs_err
hs_kex_derive_keys(struct hs_transport *t, const struct hs_buf *k_mpint, const uint8_t *h,
    size_t h_len)
{
	const struct hs_kex_choice *ch = &t->kex->ch;

	HS_ENSURE(h_len <= sizeof(t->session_id), HS_ERR_INTERNAL);
	/* RFC 4253 7.2: the session identifier is the H of the first exchange and never changes. */
	if (t->sid_len == 0) {
		memcpy(t->session_id, h, h_len);
		t->sid_len = h_len;
	}
	HS_GUARD(derive_dir(t, 0, k_mpint, h, h_len));
	HS_GUARD(derive_dir(t, 1, k_mpint, h, h_len));
	t->algs.kex = ch->kex->name;
	t->algs.hostkey = hs_sig_alg_name(ch->hostkey->sig);
	t->algs.cipher_ctos = ch->enc[0]->name;
	t->algs.cipher_stoc = ch->enc[1]->name;
	t->algs.mac_ctos = ch->mac[0] ? ch->mac[0]->name : HS_MAC_IMPLICIT;
	t->algs.mac_stoc = ch->mac[1] ? ch->mac[1]->name : HS_MAC_IMPLICIT;
	return HS_OK;
}
