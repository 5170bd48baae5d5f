/* hs_transport.h: the SSH transport layer (RFC 4253): version exchange, binary packet protocol,
 * KEX and rekeying, strict KEX, ext-info. Used by both client and server.
 *
 * Model: non-blocking and event-driven (OpenSSH's packet.c/kex.c model). The caller polls
 * hs_transport_fd() for input (and for output when hs_transport_want_write()), calls
 * hs_transport_read()/hs_transport_write(), then drains hs_transport_next(). Transport messages
 * (1..49: IGNORE, DEBUG, UNIMPLEMENTED, DISCONNECT, KEXINIT and the KEX messages, NEWKEYS, EXT_INFO)
 * are handled inside; only messages >= 50 (and SERVICE_REQUEST/ACCEPT) reach the caller. Upper-layer
 * messages sent during a rekey are queued until NEWKEYS. hs_transport_wait() is the blocking form
 * used by authentication.
 */
#ifndef HS_TRANSPORT_H
#define HS_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"
#include "hs_provider.h"

#define HS_VERSION_STRING	"SSH-2.0-hardssh_0.1"
#define HS_MAX_PACKET		(256u * 1024)	/* RFC 4253 6.1 allows more; OpenSSH's cap */

struct hs_transport;

struct hs_transport_cfg {
	bool server;
	/* Algorithm lists, comma-separated, already expanded from config (+,-,^); NULL = defaults. */
	const char *kex_algs;
	const char *hostkey_algs;
	const char *ciphers;
	const char *macs;
	uint64_t rekey_bytes;		/* 0 = the cipher's default (RFC 4344 3.2) */
	uint32_t rekey_seconds;		/* 0 = no time limit */
	/* Server: host keys to offer (may be public-only when sign_cb signs elsewhere). */
	struct hs_key *const *hostkeys;
	size_t n_hostkeys;
	/* Server: sign the exchange hash with hostkeys[idx]; NULL means hs_key_sign() directly. */
	hs_err (*sign_cb)(void *arg, size_t idx, enum hs_sig_alg alg, const uint8_t *h, size_t hlen,
	    struct hs_buf *sig);
	/* Client: decide on the server's host key (known_hosts). HS_OK accepts; anything else ends the
	 * KEX with that error. */
	hs_err (*hostkey_cb)(void *arg, const struct hs_key *key);
	void *cb_arg;
	/* Server: the KEX ephemeral key pair and shared secret computed elsewhere (hsshd's monitor,
	 * for a hardware KexProvider; issue 5). Both NULL: hs_kex_keypair()/hs_kex_derive() in this
	 * process. kex_keypair_cb makes a key pair for method m, keeps its private half and appends
	 * our raw public value to pub as hs_kex_keypair does; kex_derive_cb validates the peer's value,
	 * derives with that pending key pair (consumed) and appends the shared secret as hs_kex_derive
	 * does (the caller wipes it). Both get cb_arg. Set both or neither: kex_derive_cb alone is
	 * ignored, kex_keypair_cb alone fails the first KEX with HS_ERR_INTERNAL. The client side
	 * never uses them. */
	hs_err (*kex_keypair_cb)(void *arg, enum hs_kex_method m, struct hs_buf *pub);
	hs_err (*kex_derive_cb)(void *arg, const uint8_t *peer, size_t len, struct hs_buf *secret);
};

/* KEX methods by name (core/kex.c's table). The first algorithm name of the table that uses
 * method m ("curve25519-sha256", "ecdh-sha2-nistp256", ...), or NULL for a value that is no
 * method. */
const char *hs_kex_method_name(enum hs_kex_method m);
/* True iff some algorithm in the comma-separated list (as KexAlgorithms expands) uses method m. */
bool hs_kex_method_in_list(const char *list, enum hs_kex_method m);

/* Negotiated algorithm names (static strings from the tables), for -v and logs. */
struct hs_transport_algs {
	const char *kex, *hostkey;
	const char *cipher_ctos, *cipher_stoc;
	const char *mac_ctos, *mac_stoc;	/* "<implicit>" for AEAD ciphers */
};

/* New transport on fd (socket or inetd stdin/stdout pair). Copies cfg and its strings; the hostkeys
 * array is copied but the keys stay owned by the caller. Validates the algorithm lists. */
HS_MUST_USE hs_err hs_transport_new(int fd_in, int fd_out, const struct hs_transport_cfg *cfg,
    struct hs_transport **out);
void hs_transport_free(struct hs_transport *t);

/* Blocking: version exchange then the first key exchange, within timeout_ms (0 = no limit).
 * On failure the reason has been logged and, where the protocol allows, a DISCONNECT sent. */
HS_MUST_USE hs_err hs_transport_handshake(struct hs_transport *t, int timeout_ms);

/* After the handshake. */
const char *hs_transport_peer_version(const struct hs_transport *t);
const uint8_t *hs_transport_session_id(const struct hs_transport *t, size_t *len);
void hs_transport_get_algs(const struct hs_transport *t, struct hs_transport_algs *out);
/* Client: the server's host key; server: the host key used. */
const struct hs_key *hs_transport_hostkey(const struct hs_transport *t);
/* Client: the server-sig-algs from EXT_INFO (RFC 8308 3.1), or NULL if none was received. */
const char *hs_transport_server_sig_algs(const struct hs_transport *t);

/* Event loop. */
int hs_transport_fd_in(const struct hs_transport *t);
int hs_transport_fd_out(const struct hs_transport *t);
bool hs_transport_want_write(const struct hs_transport *t);
/* Read what is available. HS_ERR_AGAIN if nothing, HS_ERR_EOF on close. */
HS_MUST_USE hs_err hs_transport_read(struct hs_transport *t);
/* Write what is queued. HS_ERR_AGAIN if the socket is full. */
HS_MUST_USE hs_err hs_transport_write(struct hs_transport *t);
/* Next upper-layer message: *type is its number, *msg a buffer positioned just after the type byte,
 * owned by the caller. HS_ERR_AGAIN when no complete message is buffered. Errors are fatal for the
 * connection (already logged). */
HS_MUST_USE hs_err hs_transport_next(struct hs_transport *t, uint8_t *type, struct hs_buf **msg);
/* Queue a message (payload starting with its type byte). Held back during a key exchange. */
HS_MUST_USE hs_err hs_transport_send(struct hs_transport *t, const struct hs_buf *payload);
/* Blocking: the next upper-layer message within timeout_ms (0 = no limit); HS_ERR_TIMEOUT. */
HS_MUST_USE hs_err hs_transport_wait(struct hs_transport *t, int timeout_ms, uint8_t *type,
    struct hs_buf **msg);
/* Blocking: write everything queued within timeout_ms. */
HS_MUST_USE hs_err hs_transport_flush(struct hs_transport *t, int timeout_ms);
/* Send DISCONNECT with reason (RFC 4253 11.1) and description, flush best-effort (1 s). */
void hs_transport_disconnect(struct hs_transport *t, uint32_t reason, const char *desc);
/* Start a key re-exchange now (e.g. client ~R); no-op if one is running. */
HS_MUST_USE hs_err hs_transport_rekey(struct hs_transport *t);
/* Queue an SSH_MSG_IGNORE (keepalive-safe traffic). */
HS_MUST_USE hs_err hs_transport_send_ignore(struct hs_transport *t);
/* Milliseconds until the next time-based rekey is due, or -1 (for poll timeouts). */
int hs_transport_timeout_ms(const struct hs_transport *t);
/* Bytes and packets moved (for RekeyLimit, logs, tests). */
void hs_transport_stats(const struct hs_transport *t, uint64_t *bytes_in, uint64_t *bytes_out,
    uint64_t *kex_count);

/* No automatic rekey (by volume or time) while hold is true; an explicit hs_transport_rekey() and
 * a peer's KEXINIT still run. hsshd's pre-auth child holds it, so that a tiny server RekeyLimit
 * cannot start a key exchange between USERAUTH_SUCCESS and the hand-over below; the importing
 * process starts without the hold and rekeys at once if due. */
void hs_transport_hold_rekey(struct hs_transport *t, bool hold);

/* Privilege separation: hand the live connection to another process (core/transport_state.c).
 * Export appends t's whole state (keys, IVs, cipher positions, sequence numbers, RekeyLimit
 * counters, session id, versions, strict-KEX flag, input read but not yet processed) to out as one
 * versioned blob. Server side only (HS_ERR_UNSUPPORTED for a client); HS_ERR_PROTOCOL, with t
 * unchanged and usable, while a key exchange is running or output is still queued (flush first).
 * Once past those checks t is dead whatever the result (its keys are wiped): free it, never use
 * it again. The blob holds keys: the caller wipes it (hs_buf_free). */
HS_MUST_USE hs_err hs_transport_export(struct hs_transport *t, struct hs_buf *out);
/* A transport on fd_in/fd_out continuing exactly where the exported one stopped. cfg follows
 * hs_transport_new's rules and must give the same host keys in the same order. The state's unread
 * bytes are consumed; it stays owned by the caller. On failure (truncated, trailing bytes, another
 * version, unknown algorithm) *out is NULL and the reason is logged. */
HS_MUST_USE hs_err hs_transport_import(int fd_in, int fd_out, const struct hs_transport_cfg *cfg,
    struct hs_buf *state, struct hs_transport **out);

#endif
