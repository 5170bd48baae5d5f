/* transport_impl.h: private to the hs_transport layer (core/transport*.c, core/kex*.c,
 * core/algs*.c): the transport state, per-direction keys, and the algorithm table lookups. */
#ifndef HS_TRANSPORT_IMPL_H
#define HS_TRANSPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hs_algs.h"
#include "hs_buf.h"
#include "hs_crypto.h"
#include "hs_err.h"
#include "hs_provider.h"
#include "hs_transport.h"

/* ---- algorithm tables (core/algs.c); names appear only in the tables ---- */

struct hs_cipher_alg {
	const char *name;
	enum hs_cipher_id id;
	bool aead;		/* integrity from the cipher: no MAC negotiated */
	bool fips;
};

struct hs_mac_alg {
	const char *name;
	enum hs_hash_alg hash;
	size_t key_len;
	bool etm;		/* -etm@openssh.com: MAC over the ciphertext, length in clear */
	bool fips;
};

struct hs_hostkey_alg {
	enum hs_sig_alg sig;	/* name from hs_sig_alg_name() */
	bool fips;
};

/* Table rows by exact name (name need not be NUL-terminated), or NULL. */
const struct hs_cipher_alg *hs_algs_cipher_find(const char *name, size_t len);
const struct hs_mac_alg *hs_algs_mac_find(const char *name, size_t len);
const struct hs_hostkey_alg *hs_algs_hostkey_find(const char *name, size_t len);
/* HS_OK iff every name in the comma list is in the family's table; else HS_ERR_CONFIG and *bad (if
 * not NULL) a copy of the first unknown name, caller frees. */
HS_MUST_USE hs_err hs_algs_validate(enum hs_alg_family fam, const char *list, char **bad);
/* Shell-style match of name[0..len) against pattern ('*' and '?'). */
bool hs_algs_match(const char *pattern, const char *name, size_t len);

/* ---- transport state ---- */

#define HS_MAC_IMPLICIT		"<implicit>"
#define HS_REKEY_BYTES_DEFAULT	(1ull << 30)	/* 1 GiB, OpenSSH's limit for 8-byte blocks */
#define HS_BANNER_MAX_LINES	1024
#define HS_BANNER_MAX_BYTES	(64u * 1024)
#define HS_VERSION_MAX		255	/* RFC 4253 4.2, including CR LF */

/* Keys for one direction. */
struct hs_dir {
	struct hs_cipher *cipher;	/* NULL before the first NEWKEYS */
	struct hs_mac *mac;		/* NULL for AEAD ciphers and before NEWKEYS */
	bool etm;
	size_t block;			/* cipher block size, 8 for none */
	size_t tag_len;			/* AEAD tag, 0 otherwise */
	size_t mac_len;
	uint32_t seq;			/* RFC 4253 6.4: wraps at 2^32 */
	uint64_t bytes;			/* since the last NEWKEYS, for rekeying */
	uint64_t packets;		/* since the last NEWKEYS */
	/* Key material kept for hs_transport_export (core/transport_state.c); wiped on clear. */
	const struct hs_cipher_alg *calg;	/* NULL before the first NEWKEYS */
	const struct hs_mac_alg *malg;		/* NULL for AEAD ciphers */
	uint8_t key[HS_MAX_KEYLEN];
	uint8_t iv[HS_MAX_IVLEN];
	uint8_t mac_key[HS_MAX_HASH];
};

enum hs_kex_state {
	HS_KEXS_IDLE = 0,	/* no key exchange running */
	HS_KEXS_SENT_INIT,	/* our KEXINIT is out, waiting for the peer's */
	HS_KEXS_RUNNING,	/* both KEXINITs exchanged; the method's messages */
	HS_KEXS_NEWKEYS,	/* our NEWKEYS sent, waiting for the peer's */
};

struct hs_kex;

struct hs_transport {
	struct hs_transport_cfg cfg;	/* strings point at the copies below */
	char *kex_algs, *hostkey_algs, *ciphers, *macs;
	struct hs_key **hostkeys;
	int fd_in, fd_out;
	char peer[96];			/* "addr port N" for logs */
	char *peer_version;		/* without CR LF */
	bool version_done;
	unsigned banner_lines;
	size_t banner_bytes;

	struct hs_buf *ibuf;		/* raw bytes read, not yet processed */
	struct hs_buf *obuf;		/* encoded bytes waiting to be written */
	struct hs_buf *held;		/* upper-layer payloads held during KEX, as strings */
	struct hs_buf *inq;		/* upper-layer messages read by a flush, as strings */
	struct hs_dir in, out;
	struct hs_dir next_in, next_out;	/* keys waiting for NEWKEYS */
	uint32_t last_seq_in;		/* sequence number of the packet being dispatched */
	uint64_t packets_in;		/* since the connection started */
	uint64_t total_in, total_out;

	struct hs_kex *kex;		/* the running key exchange, NULL when idle */
	enum hs_kex_state kex_state;
	uint64_t kex_count;		/* completed key exchanges */
	bool strict;			/* strict KEX agreed (PROTOCOL 1.10) */
	bool peer_ext_info;		/* client offered ext-info-c (server side) */
	bool authenticated;		/* USERAUTH_SUCCESS seen: automatic rekeying allowed */
	bool hold_rekey;		/* hs_transport_hold_rekey: no automatic rekey (hand-over) */
	time_t last_kex_time;
	uint64_t rekey_bytes;

	uint8_t session_id[HS_MAX_HASH];
	size_t sid_len;
	struct hs_transport_algs algs;
	struct hs_key *peer_hostkey;	/* client: owned */
	const struct hs_key *used_hostkey;	/* server: cfg->hostkeys[i] */
	char *server_sig_algs;
	hs_err dead;			/* sticky fatal error, HS_OK while alive */
	bool disc_sent;			/* our DISCONNECT is queued */
};

/* ---- transport_packet.c ---- */
/* Encode payload into obuf with the current output keys. */
HS_MUST_USE hs_err hs_packet_put(struct hs_transport *t, const uint8_t *payload, size_t len);
/* Decode one packet from ibuf into *payload (new buffer, caller frees); HS_ERR_AGAIN if the packet
 * is incomplete. */
HS_MUST_USE hs_err hs_packet_get(struct hs_transport *t, struct hs_buf **payload);
/* Install keys for a direction (takes ownership of the contents of d); resets the old ones. */
void hs_dir_install(struct hs_dir *cur, struct hs_dir *next, bool reset_seq);
void hs_dir_clear(struct hs_dir *d);

/* ---- transport_version.c ---- */
/* Queue our identification string. */
HS_MUST_USE hs_err hs_version_send(struct hs_transport *t);
/* Consume the peer's identification from ibuf. HS_ERR_AGAIN until a whole line is there. */
HS_MUST_USE hs_err hs_version_recv(struct hs_transport *t);

/* ---- transport.c ---- */
/* Send a transport-layer message now (bypasses the KEX hold). */
HS_MUST_USE hs_err hs_transport_send_now(struct hs_transport *t, const struct hs_buf *payload);
/* Send byte type [uint32 v if with_v] [string s, string "" if s]; IGNORE is held during KEX, the
 * rest goes out now. */
HS_MUST_USE hs_err hs_transport_send_simple(struct hs_transport *t, uint8_t type, uint32_t v,
    bool with_v, const char *s);
/* Record a fatal error; log line already written by the caller. Returns e. */
hs_err hs_transport_fail(struct hs_transport *t, hs_err e, uint32_t reason, const char *desc);
/* Keep an upper-layer message (type, then msg's unread bytes) for hs_transport_next(). */
HS_MUST_USE hs_err hs_transport_stash(struct hs_transport *t, uint8_t type,
    const struct hs_buf *msg);
/* Release payloads held during a key exchange. */
HS_MUST_USE hs_err hs_transport_release_held(struct hs_transport *t);
/* Process one packet from ibuf; an upper-layer message is returned in type and msg (msg NULL
 * when the packet was a transport message). HS_ERR_AGAIN when no whole packet is buffered. */
HS_MUST_USE hs_err hs_transport_step(struct hs_transport *t, uint8_t *type, struct hs_buf **msg);

/* ---- kex*.c (declared in kex_impl.h for the KEX internals) ---- */
/* Start a key exchange: send our KEXINIT. */
HS_MUST_USE hs_err hs_kex_start(struct hs_transport *t);
/* Handle transport message type (KEXINIT, NEWKEYS, 30..49, EXT_INFO); msg is positioned after the
 * type byte. */
HS_MUST_USE hs_err hs_kex_dispatch(struct hs_transport *t, uint8_t type, struct hs_buf *msg);
/* True iff type belongs to the key exchange (20..49). */
bool hs_kex_msg(uint8_t type);
void hs_kex_free(struct hs_kex *k);
/* Rekey if the byte or time limit has been reached. */
HS_MUST_USE hs_err hs_kex_check_rekey(struct hs_transport *t);

#endif
