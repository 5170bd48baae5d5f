/* kex.c: the KEX method table and the key exchange state machine (RFC 4253 7-9): KEXINIT in both
 * directions, the method's INIT/REPLY pair (the same messages 30/31 for ECDH, X25519 and DH),
 * NEWKEYS, strict KEX (OpenSSH PROTOCOL 1.10) and rekeying. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs_algs.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"
#include "kex_impl.h"
#include "transport_impl.h"

static const struct hs_kex_alg kex_algs[] = {
	{ .name = "curve25519-sha256", .hash = HS_HASH_SHA256, .fips = false,
	  .method = HS_KEXM_X25519, .ops = &hs_kex_ecdh_ops },
	{ .name = "curve25519-sha256@libssh.org", .hash = HS_HASH_SHA256, .fips = false,
	  .method = HS_KEXM_X25519, .ops = &hs_kex_ecdh_ops },
	{ .name = "ecdh-sha2-nistp256", .hash = HS_HASH_SHA256, .fips = true,
	  .method = HS_KEXM_ECDH_P256, .ops = &hs_kex_ecdh_ops },
	{ .name = "ecdh-sha2-nistp384", .hash = HS_HASH_SHA384, .fips = true,
	  .method = HS_KEXM_ECDH_P384, .ops = &hs_kex_ecdh_ops },
	{ .name = "ecdh-sha2-nistp521", .hash = HS_HASH_SHA512, .fips = true,
	  .method = HS_KEXM_ECDH_P521, .ops = &hs_kex_ecdh_ops },
	{ .name = "diffie-hellman-group16-sha512", .hash = HS_HASH_SHA512, .fips = true,
	  .method = HS_KEXM_DH_GROUP16, .ops = &hs_kex_dh_ops },
	{ .name = "diffie-hellman-group14-sha256", .hash = HS_HASH_SHA256, .fips = true,
	  .method = HS_KEXM_DH_GROUP14, .ops = &hs_kex_dh_ops },
	{ 0 }
};

const struct hs_kex_alg *
hs_kex_algs(void)
{
	return kex_algs;
}

const struct hs_kex_alg *
hs_kex_alg_find(const char *name, size_t len)
{
	for (size_t i = 0; kex_algs[i].name != NULL; i++)
		if (strlen(kex_algs[i].name) == len && memcmp(kex_algs[i].name, name, len) == 0)
			return &kex_algs[i];
	return NULL;
}

const char *
hs_kex_method_name(enum hs_kex_method m)
{
	for (size_t i = 0; kex_algs[i].name != NULL; i++)
		if (kex_algs[i].method == m)
			return kex_algs[i].name;
	return NULL;
}

bool
hs_kex_method_in_list(const char *list, enum hs_kex_method m)
{
	if (list == NULL)
		return false;
	for (size_t i = 0; kex_algs[i].name != NULL; i++)
		if (kex_algs[i].method == m &&
		    hs_algs_list_has(list, kex_algs[i].name, strlen(kex_algs[i].name)))
			return true;
	return false;
}

bool
hs_kex_msg(uint8_t type)
{
	return type >= HS_MSG_KEXINIT && type <= 49;
}

void
hs_kex_free(struct hs_kex *k)
{
	if (k == NULL)
		return;
	hs_buf_free(k->my_init);
	hs_buf_free(k->peer_init);
	hs_buf_free(k->my_pub);
	hs_kex_priv_free(k->priv);
	hs_wipe(k, sizeof(*k));
	free(k);
}

static time_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

hs_err
hs_kex_start(struct hs_transport *t)
{
	hs_err r;
	struct hs_kex *k;

	if (t->kex != NULL)
		return HS_OK;
	if ((k = hs_calloc(1, sizeof(*k))) == NULL)
		return HS_ERR_ALLOC;
	t->kex = k;
	k->first = t->kex_count == 0;
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &k->my_init), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &k->peer_init), r, out);
	HS_GUARD_GOTO(hs_buf_new(4096, &k->my_pub), r, out);
	HS_GUARD_GOTO(hs_kexinit_build(t, k->first, k->my_init), r, out);
	HS_GUARD_GOTO(hs_transport_send_now(t, k->my_init), r, out);
	t->kex_state = HS_KEXS_SENT_INIT;
	hs_debug("SSH2_MSG_KEXINIT sent");
	r = HS_OK;
out:
	return r;
}

/* Log and end the connection with a DISCONNECT. */
static hs_err
kex_fail(struct hs_transport *t, hs_err e, uint32_t reason, const char *what)
{
	hs_error("%s from %s", what, t->peer);
	return hs_transport_fail(t, e, reason, what);
}

static void
kex_log_choice(const struct hs_kex_choice *ch)
{
	hs_debug("kex: algorithm: %s", ch->kex->name);
	hs_debug("kex: host key algorithm: %s", hs_sig_alg_name(ch->hostkey->sig));
	hs_debug("kex: server->client cipher: %s MAC: %s compression: none", ch->enc[1]->name,
	    ch->mac[1] ? ch->mac[1]->name : HS_MAC_IMPLICIT);
	hs_debug("kex: client->server cipher: %s MAC: %s compression: none", ch->enc[0]->name,
	    ch->mac[0] ? ch->mac[0]->name : HS_MAC_IMPLICIT);
}

/* The first negotiated algorithm that is not on the FIPS approved list, or NULL (issue 6). */
static const char *
kex_unapproved(const struct hs_kex_choice *ch)
{
	const char *hk = hs_sig_alg_name(ch->hostkey->sig);

	if (!hs_algs_fips_approved(HS_ALGS_KEX, ch->kex->name))
		return ch->kex->name;
	if (!hs_algs_fips_approved(HS_ALGS_HOSTKEY, hk))
		return hk;
	for (int d = 0; d < 2; d++) {
		if (!hs_algs_fips_approved(HS_ALGS_CIPHER, ch->enc[d]->name))
			return ch->enc[d]->name;
		if (ch->mac[d] != NULL && !hs_algs_fips_approved(HS_ALGS_MAC, ch->mac[d]->name))
			return ch->mac[d]->name;
	}
	return NULL;
}

/* The service indicator after each KEX (issue 6): whether every negotiated algorithm is approved,
 * else the first that is not. The server logs it at INFO, the client at VERBOSE (hssh -v). */
static void
kex_log_indicator(const struct hs_transport *t, const struct hs_kex_choice *ch)
{
	const char *bad = kex_unapproved(ch);

	hs_log(t->cfg.server ? HS_LOG_INFO : HS_LOG_VERBOSE, "KEX %s %s %s for %s: approved=%s%s%s",
	    ch->kex->name, ch->enc[0]->name, ch->mac[0] ? ch->mac[0]->name : HS_MAC_IMPLICIT,
	    t->peer, bad ? "no (" : "yes", bad ? bad : "", bad ? " is not approved)" : "");
}

/* Parse both KEXINITs and negotiate into t->kex->ch. */
static hs_err
kex_negotiate(struct hs_transport *t, struct hs_buf *msg)
{
	hs_err r;
	struct hs_kexinit peer, mine;
	struct hs_buf *v = NULL;
	struct hs_kex *k = t->kex;

	memset(&mine, 0, sizeof(mine));
	if (hs_kexinit_parse(msg, &peer) != HS_OK)
		return kex_fail(t, HS_ERR_FORMAT, HS_DISC_PROTOCOL_ERROR, "Bad KEXINIT");
	HS_GUARD_GOTO(hs_buf_from(hs_buf_ptr(k->my_init), hs_buf_len(k->my_init), &v), r, out);
	HS_GUARD_GOTO(hs_buf_skip(v, 1), r, out);
	HS_GUARD_GOTO(hs_kexinit_parse(v, &mine), r, out);
	r = hs_kexinit_negotiate(t->cfg.server ? &peer : &mine, t->cfg.server ? &mine : &peer,
	    &k->ch);
	if (r != HS_OK) {
		hs_error("Unable to negotiate with %s: no matching %s found. Their offer: %.400s",
		    t->peer, k->ch.failed_what, peer.lists[k->ch.failed]);
		r = hs_transport_fail(t, r, HS_DISC_KEY_EXCHANGE_FAILED, "no matching algorithm");
		goto out;
	}
	k->ignore_next = k->ch.guess_wrong && peer.first_kex_follows;
out:
	hs_kexinit_clear(&peer);
	hs_kexinit_clear(&mine);
	hs_buf_free(v);
	return r;
}

/* Client: our ephemeral public value in SSH_MSG_KEX_ECDH_INIT / SSH_MSG_KEXDH_INIT. */
static hs_err
kex_send_init(struct hs_transport *t)
{
	hs_err r;
	struct hs_kex *k = t->kex;
	struct hs_buf *b = NULL;

	HS_GUARD_GOTO(hs_kex_keypair(k->ch.kex->method, &k->priv, k->my_pub), r, out);
	HS_GUARD_GOTO(hs_buf_new(4096, &b), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, HS_MSG_KEX_ECDH_INIT), r, out);
	HS_GUARD_GOTO(k->ch.kex->ops->put_pub(b, hs_buf_ptr(k->my_pub), hs_buf_len(k->my_pub)), r,
	    out);
	HS_GUARD_GOTO(hs_transport_send_now(t, b), r, out);
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

static hs_err
recv_kexinit(struct hs_transport *t, struct hs_buf *msg)
{
	struct hs_kex *k;

	if (t->kex_state == HS_KEXS_IDLE)
		HS_GUARD(hs_kex_start(t));	/* the peer started a rekey (RFC 4253 9) */
	else if (t->kex_state != HS_KEXS_SENT_INIT)
		return kex_fail(t, HS_ERR_PROTOCOL, HS_DISC_PROTOCOL_ERROR,
		    "KEXINIT during a key exchange");
	k = t->kex;
	HS_GUARD(hs_buf_put_u8(k->peer_init, HS_MSG_KEXINIT));
	HS_GUARD(hs_buf_put_buf(k->peer_init, msg));
	HS_GUARD(kex_negotiate(t, msg));
	if (k->first) {
		t->strict = k->ch.strict;
		t->peer_ext_info = k->ch.peer_ext_info;
		/* PROTOCOL 1.10: with strict KEX the KEXINIT must be the very first packet. */
		if (t->strict && t->packets_in != 1)
			return kex_fail(t, HS_ERR_PROTOCOL, HS_DISC_PROTOCOL_ERROR,
			    "strict KEX violation: KEXINIT was not the first packet");
	}
	kex_log_choice(&k->ch);
	t->kex_state = HS_KEXS_RUNNING;
	return t->cfg.server ? HS_OK : kex_send_init(t);
}

static hs_err
recv_newkeys(struct hs_transport *t, struct hs_buf *msg)
{
	if (t->kex_state != HS_KEXS_NEWKEYS)
		return kex_fail(t, HS_ERR_PROTOCOL, HS_DISC_PROTOCOL_ERROR, "Unexpected NEWKEYS");
	if (hs_buf_get_end(msg) != HS_OK)
		return kex_fail(t, HS_ERR_FORMAT, HS_DISC_PROTOCOL_ERROR, "Bad NEWKEYS");
	hs_debug("SSH2_MSG_NEWKEYS received");
	kex_log_indicator(t, &t->kex->ch);
	hs_dir_install(&t->in, &t->next_in, t->strict);
	t->kex_count++;
	t->kex_state = HS_KEXS_IDLE;
	t->last_kex_time = mono_seconds();
	hs_kex_free(t->kex);
	t->kex = NULL;
	return HS_OK;
}

hs_err
hs_kex_send_newkeys(struct hs_transport *t)
{
	static const uint8_t nk[] = { HS_MSG_NEWKEYS };
	bool first = t->kex->first;

	HS_GUARD(hs_packet_put(t, nk, sizeof(nk)));
	hs_debug("SSH2_MSG_NEWKEYS sent");
	hs_dir_install(&t->out, &t->next_out, t->strict);
	t->kex_state = HS_KEXS_NEWKEYS;
	/* RFC 8308 2.4: the server's EXT_INFO comes right after its first NEWKEYS. */
	if (t->cfg.server && first && t->peer_ext_info)
		HS_GUARD(hs_kex_send_ext_info(t));
	return hs_transport_release_held(t);
}

/* Messages 30 and 31 belong to the method and the side; anything else in 20..49 is unknown. */
static hs_err
recv_method(struct hs_transport *t, uint8_t type, struct hs_buf *msg)
{
	bool mine = t->kex_state == HS_KEXS_RUNNING &&
	    ((type == HS_MSG_KEX_ECDH_INIT && t->cfg.server) ||
	    (type == HS_MSG_KEX_ECDH_REPLY && !t->cfg.server));

	if (!mine) {
		if (t->kex_count == 0 && t->strict)
			return kex_fail(t, HS_ERR_PROTOCOL, HS_DISC_PROTOCOL_ERROR,
			    "strict KEX violation: unexpected KEX message");
		if (t->kex_state == HS_KEXS_IDLE && type != HS_MSG_KEX_ECDH_INIT &&
		    type != HS_MSG_KEX_ECDH_REPLY)
			return hs_transport_send_simple(t, HS_MSG_UNIMPLEMENTED, t->last_seq_in,
			    true, NULL);
		return kex_fail(t, HS_ERR_PROTOCOL, HS_DISC_PROTOCOL_ERROR,
		    "Unexpected key exchange message");
	}
	if (t->kex->ignore_next) {
		/* RFC 4253 7: the peer guessed wrong; its first KEX packet is ignored. */
		t->kex->ignore_next = false;
		return HS_OK;
	}
	return t->cfg.server ? hs_kex_server_reply(t, msg) : hs_kex_client_reply(t, msg);
}

hs_err
hs_kex_dispatch(struct hs_transport *t, uint8_t type, struct hs_buf *msg)
{
	if (type == HS_MSG_KEXINIT)
		return recv_kexinit(t, msg);
	if (type == HS_MSG_NEWKEYS)
		return recv_newkeys(t, msg);
	if (type == HS_MSG_EXT_INFO)
		return hs_kex_recv_ext_info(t, msg);
	return recv_method(t, type, msg);
}

hs_err
hs_kex_check_rekey(struct hs_transport *t)
{
	bool due;

	if (t->dead != HS_OK || t->kex_count == 0 || t->kex_state != HS_KEXS_IDLE)
		return HS_OK;
	/* Like OpenSSH: no automatic rekey before authentication (OpenSSH peers refuse KEXINIT while
	 * authenticating), and at least one packet under each set of keys, so that tiny limits still
	 * make progress. An explicit hs_transport_rekey() is not limited. */
	if (!t->authenticated || t->hold_rekey || (t->out.packets == 0 && t->in.packets == 0))
		return HS_OK;
	due = t->out.bytes >= t->rekey_bytes || t->in.bytes >= t->rekey_bytes ||
	    (t->cfg.rekey_seconds != 0 &&
	    mono_seconds() - t->last_kex_time >= (time_t)t->cfg.rekey_seconds);
	if (!due)
		return HS_OK;
	hs_debug("rekeying after %llu bytes out, %llu in", (unsigned long long)t->out.bytes,
	    (unsigned long long)t->in.bytes);
	return hs_kex_start(t);
}
