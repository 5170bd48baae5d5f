/* hs_monitor.h: the request protocol between hsshd's privileged monitor and its unprivileged
 * network child (issue 4), and the state machine that decides which requests are allowed when.
 *
 * Framing (both directions, over a socketpair):
 *
 *	uint32	length		of what follows: 1 .. HS_MON_MAX_MSG
 *	byte	type		enum hs_mon_type
 *	byte[]	body		fields below, parsed with hs_buf getters; trailing bytes are an error
 *
 * The child asks, the monitor answers exactly once per request (except AUTH_DONE, which is the
 * monitor's answer to a successful final authentication request). Bounds are per field:
 *
 *   type                 dir   body                                              reply
 *   HOSTKEYS        1    c->m  (empty)                                           HOSTKEYS_OK | FAIL
 *   SIGN            2    c->m  uint32 key index, string alg, string data(<=64)   SIGN_OK | FAIL
 *   SESSION_ID      3    c->m  string session_id (1..64)                         OK | FAIL
 *   AUTH_USER       4    c->m  string user, string service                       OK(valid) | FAIL
 *   AUTH_PUBKEY_CHECK 5  c->m  string user, string alg, string blob(<=16 KiB)    PK_OK | FAIL
 *   AUTH_PUBKEY_VERIFY 6 c->m  string user, string alg, string blob,             AUTH_DONE | FAIL
 *                              string signed-data, string signature
 *   AUTH_PASSWORD   7    c->m  string user, string password                      AUTH_DONE | FAIL
 *   KEYSTATE        8    c->m  string transport state (<= 64 KiB)                OK | FAIL
 *   SPAWN           9    c->m  bool has_command, string command (<= 32 KiB;      SPAWN_OK + fds
 *                              empty unless has_command), bool pty, string term  | FAIL
 *                              (<= 256), string modes (<= 4 KiB, RFC 4254 8
 *                              encoding), uint32 cols, rows, width_px, height_px
 *                              (term, modes empty and sizes 0 unless pty),
 *                              uint32 n_env (<= 64), n_env x string "NAME=value"
 *                              (1..4 KiB, NAME not empty)
 *   KEX_KEYPAIR    10    c->m  uint32 method (enum hs_kex_method,                KEX_KEYPAIR_OK
 *                              1..HS_MON_MAX_KEX_METHOD)                         | FAIL
 *   KEX_DERIVE     11    c->m  string peer public value (1..HS_MON_MAX_KEX)      KEX_DERIVE_OK
 *                                                                                | FAIL
 *   OK             64    m->c  (empty)
 *   FAIL           65    m->c  (empty)
 *   HOSTKEYS_OK    66    m->c  uint32 n (1..16), n x string public key blob (<= 16 KiB each)
 *   SIGN_OK        67    m->c  string signature (<= 16 KiB)
 *   PK_OK          68    m->c  string authorized_keys options (<= 8 KiB, may be empty)
 *   AUTH_DONE      69    m->c  string user (the user the monitor authenticated)
 *   SPAWN_OK       70    m->c  uint32 pid (1..INT32_MAX), bool pty, string tty_name (<= 63,
 *                              empty unless pty)
 *   KEX_KEYPAIR_OK 71    m->c  string our public value (1..HS_MON_MAX_KEX), raw as
 *                              hs_kex_keypair makes it
 *   KEX_DERIVE_OK  72    m->c  string shared secret (1..HS_MON_MAX_KEX), raw as hs_kex_derive
 *                              makes it: a secret; both sides wipe every buffer it passed
 *
 * KEX_KEYPAIR and KEX_DERIVE (issue 5, "KexProvider"): the server side of a key exchange whose
 * ephemeral key pair and shared secret are computed by the monitor (through the host-key service:
 * a PKCS#11 token or a TPM), so the network process never loads a module or TSS library. The
 * ephemeral private value never leaves the monitor's side; a KEX_DERIVE consumes it. A FAIL to
 * KEX_DERIVE means the peer's value was refused (not on the curve) or the device failed: the
 * child ends the key exchange, as it would for its own failure.
 *
 * After SPAWN_OK the monitor passes the started program's descriptors with hs_mon_send_fd, one
 * message each, in this order: pty: 1 (the master); pipes: 3 (the writing end of its stdin, the
 * reading end of its stdout, the reading end of its stderr). The child receives them with
 * hs_mon_recv_fd. The monitor reports each started program's exit on a separate pipe, not on
 * this socket (hs_mon_exit_write / hs_mon_exit_read), so that an exit never interleaves with a
 * reply: the post-auth process waits for it in its poll loop like any other fd.
 *
 * AUTH_USER's answer must not tell the child more than valid/invalid: the monitor does the same
 * work (and takes the same time) for an unknown user as for a known one.
 * Names (user, service, alg) are 1..HS_MON_MAX_NAME bytes, without NUL bytes (so is a
 * password). A whole message fits in 64 KiB plus the type byte and one string length, so the
 * largest field, KEYSTATE's 64 KiB, fits. The largest SPAWN (32 KiB of command, 64 x 4 KiB of
 * environment) does not: hs_mon_build refuses a message beyond HS_MON_MAX_MSG with
 * HS_ERR_TOO_LARGE, so command, TERM, modes and environment together stay under 64 KiB.
 *
 * The monitor feeds every parsed request to hs_mon_state_check(); anything it refuses (wrong phase,
 * beyond its count, unknown type, a reply type, a body that fails a check) ends the connection:
 * the caller returns HS_ERR_PROTOCOL. Phases and what they allow (table in monitor_state.c):
 *
 *   PREKEX         HOSTKEYS (once), SIGN, SESSION_ID (once; moves to PREAUTH)
 *   PREAUTH        SIGN (client-initiated rekey), AUTH_USER (once), AUTH_PUBKEY_CHECK,
 *                  AUTH_PUBKEY_VERIFY, AUTH_PASSWORD; a successful VERIFY/PASSWORD, reported by
 *                  the monitor through hs_mon_state_auth_result(), moves to AUTHENTICATED
 *   AUTHENTICATED  KEYSTATE (once; moves to POSTAUTH)
 *   POSTAUTH       SIGN (rekeys), SPAWN (any number: one per session channel's program)
 *
 * KEX_KEYPAIR is allowed where SIGN is (PREKEX, PREAUTH, POSTAUTH; after HOSTKEYS), at most
 * HS_MON_MAX_KEX_PER_PHASE times per phase; KEX_DERIVE only once after each KEX_KEYPAIR (a
 * second KEX_KEYPAIR replaces an underived one, as the monitor's pending ephemeral is replaced).
 */
#ifndef HS_MONITOR_H
#define HS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"

#define HS_MON_MAX_HASH		64		/* SHA-512: exchange hash and session id */
#define HS_MON_MAX_NAME		256		/* user, service, algorithm names */
#define HS_MON_MAX_BLOB		(16u * 1024)	/* public key blobs and signatures */
#define HS_MON_MAX_SIGNED	(20u * 1024)	/* RFC 4252 7 signed data: session id + names + blob */
#define HS_MON_MAX_PASSWORD	1024
#define HS_MON_MAX_OPTIONS	(8u * 1024)	/* authorized_keys options of one key */
#define HS_MON_MAX_STATE	(64u * 1024)	/* KEYSTATE: serialised transport state */
#define HS_MON_MAX_HOSTKEYS	16
#define HS_MON_MAX_COMMAND	(32u * 1024)	/* SPAWN: the exec request's command */
#define HS_MON_MAX_TERM		256		/* SPAWN: TERM */
#define HS_MON_MAX_MODES	(4u * 1024)	/* SPAWN: encoded terminal modes */
#define HS_MON_MAX_ENV		64		/* SPAWN: client environment strings */
#define HS_MON_MAX_ENV_LEN	(4u * 1024)	/* SPAWN: one "NAME=value" */
#define HS_MON_MAX_TTY		63		/* SPAWN_OK: "/dev/pts/N" */
/* KEX values: an uncompressed P-521 point is 133 bytes, a group16 (RFC 3526 4096-bit) e or f or
 * shared secret 512. */
#define HS_MON_MAX_KEX		512
#define HS_MON_MAX_KEX_METHOD	63		/* the largest enum hs_kex_method value accepted */
/* KEX_KEYPAIR per phase. Rekeys need one each; the reason for 64 is SIGN's (hs_mon_state_init):
 * OpenSSH's "rekeylimit 16" regress made 22 rekeys in one connection. */
#define HS_MON_MAX_KEX_PER_PHASE	64
/* Largest type || body: the 64 KiB KEYSTATE string plus its length and the type byte. */
#define HS_MON_MAX_MSG		(HS_MON_MAX_STATE + 5)

/* Default MaxAuthTries (as sshd_config(5)) and the SIGN rate bound (see hs_mon_state_init). */
#define HS_MON_MAX_AUTH_TRIES_DEFAULT	6
#define HS_MON_SIGN_BURST_DEFAULT	64
#define HS_MON_SIGN_PERIOD_MS_DEFAULT	1000

enum hs_mon_type {
	HS_MON_HOSTKEYS = 1,
	HS_MON_SIGN = 2,
	HS_MON_SESSION_ID = 3,
	HS_MON_AUTH_USER = 4,
	HS_MON_AUTH_PUBKEY_CHECK = 5,
	HS_MON_AUTH_PUBKEY_VERIFY = 6,
	HS_MON_AUTH_PASSWORD = 7,
	HS_MON_KEYSTATE = 8,
	HS_MON_SPAWN = 9,
	HS_MON_KEX_KEYPAIR = 10,
	HS_MON_KEX_DERIVE = 11,
	HS_MON_OK = 64,
	HS_MON_FAIL = 65,
	HS_MON_HOSTKEYS_OK = 66,
	HS_MON_SIGN_OK = 67,
	HS_MON_PK_OK = 68,
	HS_MON_AUTH_DONE = 69,
	HS_MON_SPAWN_OK = 70,
	HS_MON_KEX_KEYPAIR_OK = 71,
	HS_MON_KEX_DERIVE_OK = 72,
};
/* The highest request (child -> monitor) type. */
#define HS_MON_REQ_LAST		HS_MON_KEX_DERIVE

/* A view of len bytes inside the parsed message (not NUL-terminated, not owned). */
struct hs_mon_str {
	const uint8_t *p;
	size_t len;
};

/* A parsed message: type and a typed union of views into the message buffer, valid while that
 * buffer is unchanged. Which member is set follows from type (none for HOSTKEYS, OK, FAIL). */
struct hs_mon_req {
	enum hs_mon_type type;
	union {
		struct { uint32_t key_index; struct hs_mon_str alg, data; } sign;
		struct { struct hs_mon_str id; } session_id;
		struct { struct hs_mon_str user, service; } auth_user;
		/* AUTH_PUBKEY_CHECK uses user, alg, blob; AUTH_PUBKEY_VERIFY all five. */
		struct { struct hs_mon_str user, alg, blob, signed_data, sig; } pubkey;
		struct { struct hs_mon_str user, password; } password;
		struct { struct hs_mon_str blob; } keystate;
		struct { uint32_t n; struct hs_mon_str keys[HS_MON_MAX_HOSTKEYS]; } hostkeys_ok;
		struct { struct hs_mon_str sig; } sign_ok;
		struct { struct hs_mon_str options; } pk_ok;
		struct { struct hs_mon_str user; } auth_done;
		struct {
			bool has_command, pty;
			struct hs_mon_str command, term, modes;
			uint32_t cols, rows, wpx, hpx;
			uint32_t n_env;
			struct hs_mon_str env[HS_MON_MAX_ENV];
		} spawn;
		struct { uint32_t pid; bool pty; struct hs_mon_str tty_name; } spawn_ok;
		struct { uint32_t method; } kex_keypair;
		struct { struct hs_mon_str peer; } kex_derive;
		struct { struct hs_mon_str pub; } kex_keypair_ok;
		struct { struct hs_mon_str secret; } kex_derive_ok;
	} u;
};

/* Static name of a message type ("SIGN", ...); "unknown" for anything else. Never NULL. */
const char *hs_mon_type_name(int type);

/* ---- framing and I/O (monitor_proto.c) ---- */

/* Read one frame from fd into msg (reset first; its bound must be >= HS_MON_MAX_MSG): msg then
 * holds type || body. Blocks, retries on EINTR, and gives up after timeout_ms in total (-1: no
 * limit) with HS_ERR_TIMEOUT. HS_ERR_EOF if the peer closed before a frame began, HS_ERR_TRUNCATED
 * if it closed inside one, HS_ERR_TOO_LARGE / HS_ERR_FORMAT for a length beyond HS_MON_MAX_MSG or
 * zero. On failure msg is reset (wiped). */
HS_MUST_USE hs_err hs_mon_read(int fd, struct hs_buf *msg, int timeout_ms);

/* Write msg's unread bytes (type || body, as built below) as one frame. Blocks, retries on EINTR
 * and short writes; never raises SIGPIPE on a socket. HS_ERR_TOO_LARGE if msg is empty or longer
 * than HS_MON_MAX_MSG, HS_ERR_IO on a write error. msg is unchanged. */
HS_MUST_USE hs_err hs_mon_write(int fd, const struct hs_buf *msg);

/* Parse type || body from msg's cursor into *out (views into msg). Checks every bound listed
 * above and that nothing trails. On failure *out is zeroed and the reason is HS_ERR_FORMAT,
 * HS_ERR_TRUNCATED, HS_ERR_TOO_LARGE, HS_ERR_TRAILING or HS_ERR_PROTOCOL (unknown type). */
HS_MUST_USE hs_err hs_mon_parse(struct hs_buf *msg, struct hs_mon_req *out);

/* Append the message m as type || body to out. The same bounds as hs_mon_parse apply, so a built
 * message always parses (HS_ERR_TOO_LARGE / HS_ERR_FORMAT otherwise, out unchanged). */
HS_MUST_USE hs_err hs_mon_build(struct hs_buf *out, const struct hs_mon_req *m);

/* One builder per message; each appends type || body to out, as hs_mon_build. A buffer that held
 * a password or transport state must be freed or reset (which wipes) as soon as it was sent. */
HS_MUST_USE hs_err hs_mon_build_hostkeys(struct hs_buf *out);
HS_MUST_USE hs_err hs_mon_build_sign(struct hs_buf *out, uint32_t key_index, const char *alg,
	const uint8_t *data, size_t data_len);
HS_MUST_USE hs_err hs_mon_build_session_id(struct hs_buf *out, const uint8_t *id, size_t len);
HS_MUST_USE hs_err hs_mon_build_auth_user(struct hs_buf *out, const char *user,
	const char *service);
HS_MUST_USE hs_err hs_mon_build_pubkey_check(struct hs_buf *out, const char *user,
	const char *alg, const uint8_t *blob, size_t blob_len);
HS_MUST_USE hs_err hs_mon_build_pubkey_verify(struct hs_buf *out, const char *user,
	const char *alg, const uint8_t *blob, size_t blob_len, const uint8_t *signed_data,
	size_t signed_len, const uint8_t *sig, size_t sig_len);
HS_MUST_USE hs_err hs_mon_build_password(struct hs_buf *out, const char *user,
	const char *password);
HS_MUST_USE hs_err hs_mon_build_keystate(struct hs_buf *out, const uint8_t *state, size_t len);
HS_MUST_USE hs_err hs_mon_build_ok(struct hs_buf *out);
HS_MUST_USE hs_err hs_mon_build_fail(struct hs_buf *out);
/* n blobs, blobs[i] of lens[i] bytes; 1 <= n <= HS_MON_MAX_HOSTKEYS. */
HS_MUST_USE hs_err hs_mon_build_hostkeys_ok(struct hs_buf *out, const uint8_t *const *blobs,
	const size_t *lens, uint32_t n);
HS_MUST_USE hs_err hs_mon_build_sign_ok(struct hs_buf *out, const uint8_t *sig, size_t len);
HS_MUST_USE hs_err hs_mon_build_pk_ok(struct hs_buf *out, const char *options);
HS_MUST_USE hs_err hs_mon_build_auth_done(struct hs_buf *out, const char *user);

struct hs_spawn_req;	/* core/hs_session.h */

/* SPAWN from what the session asked: command NULL means no command (the login shell); term NULL
 * is empty; env is NULL or NULL-terminated. When !req->pty the pty fields are not sent (empty,
 * 0), whatever they hold. HS_ERR_TOO_LARGE past a bound (HS_MON_MAX_ENV strings, or the whole
 * message past HS_MON_MAX_MSG), HS_ERR_FORMAT for an env string without "NAME=". */
HS_MUST_USE hs_err hs_mon_build_spawn(struct hs_buf *out, const struct hs_spawn_req *req);
/* The monitor's side: the hs_spawn_req that the parsed SPAWN m asks for, with NUL-terminated
 * copies of its strings. Everything req points to lives in one allocation returned in *store,
 * which the caller frees with free() once done with req (HS_ERR_ALLOC; HS_ERR_INTERNAL if m is
 * not a SPAWN). On failure *store is NULL. */
HS_MUST_USE hs_err hs_mon_spawn_req(const struct hs_mon_req *m, struct hs_spawn_req *req,
	void **store);
/* SPAWN_OK: pid > 0; tty_name "" or NULL unless pty. */
HS_MUST_USE hs_err hs_mon_build_spawn_ok(struct hs_buf *out, uint32_t pid, bool pty,
	const char *tty_name);

/* KEX_KEYPAIR for method (an enum hs_kex_method value, 1..HS_MON_MAX_KEX_METHOD). */
HS_MUST_USE hs_err hs_mon_build_kex_keypair(struct hs_buf *out, uint32_t method);
/* KEX_DERIVE with the peer's public value (1..HS_MON_MAX_KEX bytes). */
HS_MUST_USE hs_err hs_mon_build_kex_derive(struct hs_buf *out, const uint8_t *peer, size_t len);
/* KEX_KEYPAIR_OK with our public value (1..HS_MON_MAX_KEX bytes). */
HS_MUST_USE hs_err hs_mon_build_kex_keypair_ok(struct hs_buf *out, const uint8_t *pub, size_t len);
/* KEX_DERIVE_OK with the shared secret (1..HS_MON_MAX_KEX bytes). out then holds a secret: the
 * caller resets or frees it (which wipes) as soon as it was sent. */
HS_MUST_USE hs_err hs_mon_build_kex_derive_ok(struct hs_buf *out, const uint8_t *secret,
	size_t len);

/* Pass one open descriptor over the unix socket sock (SCM_RIGHTS, with one data byte), for the
 * post-auth session fds. HS_ERR_IO on failure. The sender keeps its copy open. */
HS_MUST_USE hs_err hs_mon_send_fd(int sock, int fd);
/* Receive one descriptor sent by hs_mon_send_fd (close-on-exec set). *fd is -1 on failure:
 * HS_ERR_EOF if the peer closed, HS_ERR_FORMAT if the message held no descriptor, more than one,
 * or was truncated (any descriptors that did arrive are closed), HS_ERR_IO otherwise. */
HS_MUST_USE hs_err hs_mon_recv_fd(int sock, int *fd);

/* ---- exit events (monitor_exit.c: monitor -> post-auth process, on their own pipe) ---- */

/* One record: int32 pid || int32 waitpid status, big-endian, 8 bytes in one write(2), which a
 * pipe delivers whole (POSIX: writes of at most PIPE_BUF bytes are atomic). pid must be > 0.
 * HS_ERR_AGAIN if a non-blocking pipe is full, HS_ERR_EOF if the reader is gone (no SIGPIPE is
 * raised), HS_ERR_IO otherwise. */
HS_MUST_USE hs_err hs_mon_exit_write(int fd, int32_t pid, int32_t wstatus);
/* Read one record without blocking, whatever fd's O_NONBLOCK flag: HS_OK with *pid (> 0) and
 * *wstatus, HS_ERR_AGAIN if none is waiting, HS_ERR_EOF if the writer closed, HS_ERR_FORMAT for
 * a short record or a pid <= 0, HS_ERR_IO otherwise. *pid and *wstatus are 0 on failure. */
HS_MUST_USE hs_err hs_mon_exit_read(int fd, int32_t *pid, int32_t *wstatus);

/* ---- the state machine (monitor_state.c) ---- */

enum hs_mon_phase {
	HS_MON_PHASE_PREKEX = 0,	/* before the first KEX finished */
	HS_MON_PHASE_PREAUTH,		/* session id known, authenticating */
	HS_MON_PHASE_AUTHENTICATED,	/* the monitor verified a user; waiting for KEYSTATE */
	HS_MON_PHASE_POSTAUTH,		/* handed off: rekey signatures, program starts */
	HS_MON_PHASES
};

struct hs_mon_state {
	enum hs_mon_phase phase;
	uint32_t counts[HS_MON_REQ_LAST + 1];	/* accepted requests by type */
	/* MaxAuthTries: refused after max_auth_tries failures (as sshd counts them: a refused key
	 * query, a bad signature or password), or after 2 * max_auth_tries auth requests in all. */
	unsigned max_auth_tries;
	unsigned auth_failures;
	unsigned auth_requests;
	int pending;				/* auth request awaiting its result, or 0 */
	/* Learned from accepted requests; PUBKEY_VERIFY is checked against them. */
	uint8_t session_id[HS_MON_MAX_HASH];
	size_t session_id_len;
	char user[HS_MON_MAX_NAME + 1];
	char service[HS_MON_MAX_NAME + 1];
	/* SIGN token bucket: sign_burst signatures at once, then one per sign_period_ms. */
	unsigned sign_burst;
	unsigned sign_period_ms;
	uint64_t sign_credit_ms;
	uint64_t sign_last_ms;
	uint64_t (*now_ms)(void);		/* monotonic clock; tests may replace it */
	/* KEX in the monitor: KEX_KEYPAIRs accepted in kex_phase, whether one awaits its
	 * KEX_DERIVE, and its method (for the log line). */
	enum hs_mon_phase kex_phase;
	uint32_t kex_in_phase;
	bool kex_open;
	uint32_t kex_method;
};

/* Initialise s in PREKEX with the given MaxAuthTries (0 means the default) and the default SIGN
 * bound: HS_MON_SIGN_BURST_DEFAULT at once, then one per HS_MON_SIGN_PERIOD_MS_DEFAULT on average.
 * Why a rate bound: a KEX needs exactly one signature, but the monitor cannot see the transport,
 * so it cannot tell a real KEX from a compromised child using it as a signing oracle (for fault or
 * side-channel key recovery, or to wear out a PKCS#11/TPM device). Rekeys are rare (RekeyLimit
 * is ~1 GB or an hour by default); the burst covers test configurations that rekey every few
 * packets: OpenSSH regress "rekeylimit 16" (485 KB through ssh -oRekeyLimit=16) made 22 rekeys
 * against hsshd and against sshd 9.2, so 64 leaves 3x headroom. The fields may be changed after
 * init. */
void hs_mon_state_init(struct hs_mon_state *s, unsigned max_auth_tries);

/* Wipe what s learned (session id, user). */
void hs_mon_state_clear(struct hs_mon_state *s);

/* Decide whether the parsed request r may be served now. HS_OK: allowed, and counters, learned
 * values and phase are advanced. HS_ERR_PROTOCOL: refused (the reason is logged): the caller must
 * answer nothing more and end the connection. An auth request (AUTH_USER, AUTH_PUBKEY_CHECK,
 * AUTH_PUBKEY_VERIFY, AUTH_PASSWORD) must be followed by hs_mon_state_auth_result before the next
 * request. AUTH_PUBKEY_VERIFY is refused unless its signed data is RFC 4252 section 7's for this
 * session id, the AUTH_USER user and service, and the request's alg and blob. */
HS_MUST_USE hs_err hs_mon_state_check(struct hs_mon_state *s, const struct hs_mon_req *r);

/* The monitor's verdict on the auth request just allowed (r is that request). A failed
 * PUBKEY_CHECK, PUBKEY_VERIFY or PASSWORD counts toward MaxAuthTries; a successful PUBKEY_VERIFY
 * or PASSWORD moves to AUTHENTICATED. HS_ERR_PROTOCOL if r is not the pending request. */
HS_MUST_USE hs_err hs_mon_state_auth_result(struct hs_mon_state *s, const struct hs_mon_req *r,
	bool ok);

/* True once the monitor itself verified a user (phase AUTHENTICATED or POSTAUTH). */
bool hs_mon_state_authenticated(const struct hs_mon_state *s);

const char *hs_mon_phase_name(enum hs_mon_phase p);

#endif
