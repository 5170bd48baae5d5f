/* hs_pkcs11_impl.h: private to hw/provider_pkcs11.c and hw/pkcs11_*.c. The only header outside
 * p11-kit's that names PKCS#11 types (PKCS#11 v2.40 / v3.0 base specification); nothing above hw/
 * includes it, and no CKR_ value leaves hw/ (STYLE.md section 3).
 *
 * Threads: the host-key service signs with different keys from different threads, so modules are
 * initialised with CKF_OS_LOCKING_OK and every structure here that several keys share (the module
 * list, the token records, a token's session pool) is guarded by a mutex. A session is used by one
 * thread at a time: it is borrowed from its token's pool for one operation (or, for a KEX
 * ephemeral, for the key pair's life) and given back.
 */
#ifndef HS_PKCS11_IMPL_H
#define HS_PKCS11_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "hs_err.h"
#include "hs_key_impl.h"
#include "hs_pkcs11.h"
#include "hs_pkcs11_uri.h"

/* PKCS#11 v3.0 names that older headers lack (the values softhsm2 2.6 uses). */
#ifndef CKK_EC_EDWARDS
#define CKK_EC_EDWARDS	0x40UL
#endif
#ifndef CKM_EDDSA
#define CKM_EDDSA	0x1057UL
#endif

#define HS_P11_POOL_MAX	16	/* idle sessions kept per token; more are closed on return */

/* One loaded module per module path, shared by every token opened from it (reference counted
 * under the module list's mutex). A module that fails as a whole (p11-kit's client when its
 * server restarted) is finalised and initialised again, but only while no session of it is
 * lent: busy counts the lent sessions, and reiniting holds new borrowers back. */
struct hs_p11_module {
	char *path;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	bool finalize;			/* we initialised it, so we finalise it */
	unsigned refs;
	struct hs_p11_module *next;
	pthread_mutex_t lock;		/* guards busy, epoch, reiniting */
	pthread_cond_t cv;
	unsigned busy;
	unsigned epoch;			/* C_Initialize count */
	bool reiniting;
	int64_t last_reinit_ms;		/* hs_time_ms() of the last re-initialisation */
};

/* One token (module + token label and serial), shared by every key and KEX context that names
 * it. PKCS#11 login state belongs to the application and the token (v2.40 5.6), not to a
 * session, so the record logs in once, on an anchor session it keeps open, and lends other
 * sessions from a small pool. gen counts (re)connections: a session or an object handle from an
 * older generation is stale. Every field below lock is guarded by it. */
struct hs_p11_token {
	struct hs_p11_module *mod;
	char *uri;			/* the URI that first opened it, for logs (no PIN in it) */
	char *pin_source;		/* that URI's pin-source, NULL if none */
	char label[33], serial[17];	/* trimmed CK_TOKEN_INFO fields: how it is found again */
	unsigned refs;			/* guarded by the token list's mutex */
	struct hs_p11_token *next;	/* ditto */
	pthread_mutex_t lock;
	CK_SLOT_ID slot;
	bool up;			/* anchor open (and logged in where the token needs it) */
	bool pin_failed;		/* the PIN was refused: never C_Login again (lockout) */
	unsigned gen;
	unsigned logins;		/* successful C_Login calls, for tests and logs */
	CK_SESSION_HANDLE anchor;
	CK_SESSION_HANDLE idle[HS_P11_POOL_MAX];
	unsigned n_idle;
};

/* A session borrowed from a token's pool. */
struct hs_p11_sess {
	CK_SESSION_HANDLE h;
	unsigned gen;			/* the token generation it was opened in */
};

/* struct hs_key.priv of a PKCS#11 key: where the private object lives. obj and obj_gen are
 * guarded by tok->lock (several threads may sign with one key). */
struct hs_p11_key {
	struct hs_p11_token *tok;
	struct hs_p11uri uri;		/* id / object to find the private key again */
	char *uri_text;			/* as given, for logs */
	CK_OBJECT_HANDLE obj;		/* the CKO_PRIVATE_KEY */
	unsigned obj_gen;		/* token generation obj was found in */
	CK_KEY_TYPE ktype;
	enum hs_key_type type;
	size_t modlen;			/* RSA modulus bytes, ECDSA field bytes, 32 for Ed25519 */
	char label[33];			/* token label, for logs */
};

/* ---- hw/provider_pkcs11.c ---- */
extern const struct hs_provider_ops hs_provider_pkcs11;
/* Load and C_Initialize (CKF_OS_LOCKING_OK; CKR_CRYPTOKI_ALREADY_INITIALIZED accepted) the module
 * at path, or take another reference to it. HS_ERR_NOT_FOUND if it cannot be loaded (logged). */
HS_MUST_USE hs_err hs_p11_module_get(const char *path, struct hs_p11_module **out);
/* Drop a reference; the last one finalises (if we initialised) and unloads. NULL allowed. */
void hs_p11_module_release(struct hs_p11_module *mod);
/* Around the use of a lent session: enter waits while the module is being re-initialised and
 * says in which initialisation (*epoch) the session will live; leave ends the use. */
void hs_p11_module_enter(struct hs_p11_module *mod, unsigned *epoch);
void hs_p11_module_leave(struct hs_p11_module *mod);
/* C_Finalize + C_Initialize after the module failed as a whole in initialisation epoch, once no
 * session is lent (waiting at most 2 s), and every token of it marked down so that the next
 * borrower reconnects. At most once a second (HS_ERR_AGAIN). HS_OK also when another thread did
 * it already; HS_ERR_TIMEOUT; HS_ERR_UNSUPPORTED if another part of the process initialised
 * the module. */
HS_MUST_USE hs_err hs_p11_module_reinit(struct hs_p11_module *mod, unsigned epoch);

/* ---- hw/pkcs11_token.c ---- */
/* The token named by u's token attributes (token, manufacturer, serial, model, slot-id) in
 * module u->module_path: an existing record, or a new one connected and logged in now (PIN from
 * u->pin_source). uri is the text for logs. Errors are logged naming uri: HS_ERR_NOT_FOUND
 * ("no token matching"), HS_ERR_PERM (PIN refused, or refused before in this process: then
 * C_Login is not called again), HS_ERR_PROVIDER (the CKR_ code). */
HS_MUST_USE hs_err hs_p11_token_get(const struct hs_p11uri *u, const char *uri,
    struct hs_p11_token **out);
/* Drop a reference; the last one closes the sessions (logging out) and releases the module. */
void hs_p11_token_release(struct hs_p11_token *tok);
/* Borrow a session for one thread's use. Reconnects first when the token is down (absent
 * before, or a session was lost): HS_ERR_PROVIDER if it is still absent, HS_ERR_PERM after a
 * refused PIN. */
HS_MUST_USE hs_err hs_p11_sess_get(struct hs_p11_token *tok, struct hs_p11_sess *s);
/* Give s back after an operation that returned rv: a lost session is dropped, a stale one
 * closed, a good one pooled. */
void hs_p11_sess_put(struct hs_p11_token *tok, struct hs_p11_sess *s, CK_RV rv);
/* True if rv means the session or the login is gone (token removed or reinserted, daemon
 * restarted, logged out): the caller marks the token down and retries once. */
bool hs_p11_rv_lost(CK_RV rv);
/* Mark every token of mod down and forget its sessions (the module was finalised). */
void hs_p11_tokens_forget(struct hs_p11_module *mod);
/* Mark tok down after rv (hs_p11_rv_lost) on a session of generation gen, unless another thread
 * already reconnected; the next hs_p11_sess_get reconnects. */
void hs_p11_token_down(struct hs_p11_token *tok, unsigned gen, CK_RV rv);

/* ---- hw/pkcs11_obj.c ---- */
/* Name of a CKR_ value for logs ("CKR_PIN_INCORRECT"), or "CKR_0x..." (per-thread buffer). */
const char *hs_p11_rv_name(CK_RV rv);
/* Log "pkcs11: <what>: <CKR name>" and map rv to HS_ERR_PROVIDER (HS_ERR_PERM for PIN errors). */
hs_err hs_p11_fail(const char *what, CK_RV rv);
/* Exactly one object of class cls matching the URI's id and/or label, found with session s.
 * HS_ERR_NOT_FOUND if none or several (*count says how many; logged by the caller). */
HS_MUST_USE hs_err hs_p11_find_object(struct hs_p11_key *pk, CK_SESSION_HANDLE s,
    CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out, unsigned *count);
/* Public components of pk's key (from the matching public object, else from the private one):
 * fills raw's type and pub or n/e, and pk->type / pk->modlen. */
HS_MUST_USE hs_err hs_p11_read_public(struct hs_p11_key *pk, CK_SESSION_HANDLE s,
    struct hs_key_raw *raw);
/* Strip a DER OCTET STRING header from *v if it is exactly one and *len != want (CKA_EC_POINT,
 * PKCS#11 v2.40 2.3.3). */
void hs_p11_der_unwrap(const uint8_t **v, size_t *len, size_t want);
/* DER of the named curve's OID (CKA_EC_PARAMS, RFC 5480 2.1.1.1) for an ECDSA key type. */
HS_MUST_USE hs_err hs_p11_curve_oid(enum hs_key_type t, const uint8_t **der, size_t *len);

/* ---- hw/pkcs11_sign.c ---- */
HS_MUST_USE hs_err hs_p11_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg,
    const uint8_t *m, size_t mlen, struct hs_buf *sig);
/* The private object's handle valid in generation s->gen (found again after a reconnect). */
HS_MUST_USE hs_err hs_p11_key_object(struct hs_p11_key *pk, const struct hs_p11_sess *s,
    CK_OBJECT_HANDLE *obj);

/* ---- hw/pkcs11_kex.c (KexProvider pkcs11:...) ---- */
HS_MUST_USE hs_err hs_p11_kex_open(const char *uri, void **ctx);
bool hs_p11_kex_supports(void *ctx, enum hs_kex_method m);
void hs_p11_kex_close(void *ctx);
HS_MUST_USE hs_err hs_p11_kex_keypair(void *ctx, enum hs_kex_method m, struct hs_kex_priv **priv,
    struct hs_buf *pub);
HS_MUST_USE hs_err hs_p11_kex_derive(void *ctx, struct hs_kex_priv *priv, const uint8_t *peer,
    size_t len, struct hs_buf *secret);

/* ---- hw/pkcs11_modname.c ---- */
/* The library of p11-kit module name, from the first of dirs (NULL-terminated) that configures
 * it ("<name>.module", or a module whose library is lib<name>.so). *path: caller frees.
 * HS_ERR_NOT_FOUND if none does. */
HS_MUST_USE hs_err hs_p11_module_lookup(const char *name, const char *const *dirs, char **path);
/* Give u a module_path: kept if set, else looked up from its module_name in p11-kit's system
 * configuration. HS_ERR_CONFIG (logged, naming uri) if there is neither or the name is unknown. */
HS_MUST_USE hs_err hs_p11_module_resolve(struct hs_p11uri *u, const char *uri);

#endif
