/* kex_impl.h: private to the key exchange (core/kex*.c): the method table, KEXINIT parsing and
 * negotiation (kept free of transport state so it can be fuzzed directly). */
#ifndef HS_KEX_IMPL_H
#define HS_KEX_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_crypto.h"
#include "hs_err.h"
#include "hs_provider.h"
#include "transport_impl.h"

/* How a method puts its public values on the wire and into the exchange hash: strings for
 * ECDH/X25519 (RFC 5656 4, RFC 8731 3), mpints for finite-field DH (RFC 4253 8). */
struct hs_kex_ops {
	hs_err (*put_pub)(struct hs_buf *b, const uint8_t *p, size_t n);
	hs_err (*get_pub)(struct hs_buf *b, const uint8_t **p, size_t *n);
};
extern const struct hs_kex_ops hs_kex_ecdh_ops;	/* kex_ecdh.c */
extern const struct hs_kex_ops hs_kex_dh_ops;	/* kex_dh.c */

struct hs_kex_alg {
	const char *name;
	enum hs_hash_alg hash;
	bool fips;
	enum hs_kex_method method;
	const struct hs_kex_ops *ops;
};

/* The table, terminated by a row with .name NULL. */
const struct hs_kex_alg *hs_kex_algs(void);
const struct hs_kex_alg *hs_kex_alg_find(const char *name, size_t len);

/* Pseudo-algorithms in the kex list (RFC 8308 2.1, OpenSSH PROTOCOL 1.10). */
#define HS_EXT_INFO_C	"ext-info-c"
#define HS_EXT_INFO_S	"ext-info-s"
#define HS_STRICT_C	"kex-strict-c-v00@openssh.com"
#define HS_STRICT_S	"kex-strict-s-v00@openssh.com"

/* RFC 4253 7.1: the ten name-lists in order. */
enum hs_kexinit_list {
	HS_KI_KEX = 0, HS_KI_HOSTKEY, HS_KI_ENC_CTOS, HS_KI_ENC_STOC, HS_KI_MAC_CTOS,
	HS_KI_MAC_STOC, HS_KI_COMP_CTOS, HS_KI_COMP_STOC, HS_KI_LANG_CTOS, HS_KI_LANG_STOC,
	HS_KI_COUNT
};

#define HS_KEXINIT_LIST_MAX	(64u * 1024)	/* a sane bound per name-list */

struct hs_kexinit {
	uint8_t cookie[16];
	char *lists[HS_KI_COUNT];	/* NUL-terminated copies */
	bool first_kex_follows;
};

/* Parse a KEXINIT payload positioned after the type byte. Strict: reserved must be present, no
 * trailing bytes, no NULs or empty names inside lists. On failure *ki is cleared. */
HS_MUST_USE hs_err hs_kexinit_parse(struct hs_buf *msg, struct hs_kexinit *ki);
void hs_kexinit_clear(struct hs_kexinit *ki);

/* Negotiated names: static strings from the tables. */
struct hs_kex_choice {
	const struct hs_kex_alg *kex;
	const struct hs_hostkey_alg *hostkey;
	const struct hs_cipher_alg *enc[2];	/* [0] client->server, [1] server->client */
	const struct hs_mac_alg *mac[2];	/* NULL for AEAD ciphers */
	bool peer_ext_info;	/* the client sent ext-info-c (seen by a server) */
	bool strict;		/* both sides sent kex-strict-*-v00 */
	bool guess_wrong;	/* a first_kex_packet_follows guess was wrong: skip one packet */
	enum hs_kexinit_list failed;	/* on HS_ERR_NEGOTIATION: the list without a match */
	const char *failed_what;	/* and its name for the log, e.g. "cipher" */
};

/* RFC 4253 7.1 negotiation: for each list, the first client name the server also has. client and
 * server are the two parsed KEXINITs. HS_ERR_NEGOTIATION if a list has no match (out->failed and
 * out->failed_what say which; nothing is logged). */
HS_MUST_USE hs_err hs_kexinit_negotiate(const struct hs_kexinit *client,
    const struct hs_kexinit *server, struct hs_kex_choice *out);

/* Our KEXINIT payload with its type byte; the pseudo-algorithms only when first. */
HS_MUST_USE hs_err hs_kexinit_build(const struct hs_transport *t, bool first, struct hs_buf *out);

/* ---- the running exchange (kex.c, kex_keys.c) ---- */
struct hs_kex {
	struct hs_buf *my_init, *peer_init;	/* KEXINIT payloads with the type byte */
	struct hs_kex_choice ch;
	struct hs_kex_priv *priv;
	struct hs_buf *my_pub;			/* our raw public value */
	bool first;				/* the initial exchange: sets session_id */
	bool ignore_next;		/* RFC 4253 7: drop the peer's wrongly guessed packet */
};

/* H = HASH(V_C || V_S || I_C || I_S || K_S || Q_C/e || Q_S/f || K) per RFC 4253 8, RFC 5656 4,
 * RFC 8731 3; k_mpint is K already encoded as an mpint. h receives hash_len bytes. */
HS_MUST_USE hs_err hs_kex_hash(const struct hs_transport *t, const struct hs_buf *k_s,
    const uint8_t *q_c, size_t q_c_len, const uint8_t *q_s, size_t q_s_len,
    const struct hs_buf *k_mpint, uint8_t *h, size_t *h_len);
/* Derive both directions' keys (RFC 4253 7.2, letters A..F) into t->next_in / t->next_out; sets
 * session_id on the first exchange. */
HS_MUST_USE hs_err hs_kex_derive_keys(struct hs_transport *t, const struct hs_buf *k_mpint,
    const uint8_t *h, size_t h_len);
/* Send NEWKEYS and switch to the new output keys; then EXT_INFO (server, first KEX) and the held
 * upper-layer messages. */
HS_MUST_USE hs_err hs_kex_send_newkeys(struct hs_transport *t);
/* kex_reply.c: server answers KEX_ECDH_INIT/KEXDH_INIT; client checks the REPLY. */
HS_MUST_USE hs_err hs_kex_server_reply(struct hs_transport *t, struct hs_buf *msg);
HS_MUST_USE hs_err hs_kex_client_reply(struct hs_transport *t, struct hs_buf *msg);
/* EXT_INFO (RFC 8308): server sends server-sig-algs; client stores it. */
HS_MUST_USE hs_err hs_kex_send_ext_info(struct hs_transport *t);
HS_MUST_USE hs_err hs_kex_recv_ext_info(struct hs_transport *t, struct hs_buf *msg);

#endif
