/* hs_tpm2_impl.h: private to hw/provider_tpm2.c and hw/tpm2_*.c; the only header that names
 * tpm2-tss types (TCG TSS 2.0 ESAPI and MU specifications). The TSS libraries are dlopen()ed on
 * first use and never linked, so a process that opens no tpm2: key never maps them (issue 4: the
 * network children stay free of them). No TSS2_RC leaves hw/ (STYLE.md section 3).
 */
#ifndef HS_TPM2_IMPL_H
#define HS_TPM2_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "hs_err.h"
#include "hs_key_impl.h"
#include "hs_tpm2.h"

/* The TSS entry points we call, resolved by hs_tpm2_dl_load (hw/tpm2_dl.c). */
struct hs_tpm2_fn {
	__typeof__(Tss2_TctiLdr_Initialize) *tctildr_init;
	__typeof__(Tss2_TctiLdr_Finalize) *tctildr_fini;
	__typeof__(Esys_Initialize) *init;
	__typeof__(Esys_Finalize) *fini;
	__typeof__(Esys_Free) *free;
	__typeof__(Esys_TR_FromTPMPublic) *tr_from_public;
	__typeof__(Esys_TR_SetAuth) *tr_set_auth;
	__typeof__(Esys_TR_Close) *tr_close;
	__typeof__(Esys_TRSess_SetAttributes) *sess_set_attrs;
	__typeof__(Esys_StartAuthSession) *start_auth_session;
	__typeof__(Esys_CreatePrimary) *create_primary;
	__typeof__(Esys_Create) *create;
	__typeof__(Esys_Load) *load;
	__typeof__(Esys_ReadPublic) *read_public;
	__typeof__(Esys_Sign) *sign;
	__typeof__(Esys_ECDH_ZGen) *ecdh_zgen;
	__typeof__(Esys_GetRandom) *get_random;
	__typeof__(Esys_FlushContext) *flush;
	__typeof__(Tss2_MU_TPM2B_PUBLIC_Unmarshal) *mu_public;
	__typeof__(Tss2_MU_TPM2B_PRIVATE_Unmarshal) *mu_private;
	__typeof__(Tss2_RC_Decode) *rc_decode;
};

/* Load the libraries (or take another reference): NULL if they cannot be loaded (logged with
 * dlerror's reason). Every success is paired with hs_tpm2_dl_unload; the last one dlclose()s them.
 * Thread safe. */
const struct hs_tpm2_fn *hs_tpm2_dl_load(void);
void hs_tpm2_dl_unload(void);

struct hs_tpm2_key;

/* One ESYS context per TCTI configuration, shared by every key and KEX user of that TPM and
 * guarded by lock (ESAPI contexts are not thread safe; TSS 2.0 ESAPI spec 3.1). Reference
 * counted; lives in the list of hw/tpm2_ctx.c. */
struct hs_tpm2_ctx {
	pthread_mutex_t lock;
	char *tcti_conf;		/* NULL: tctildr's default */
	unsigned refs;
	const struct hs_tpm2_fn *fn;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;		/* NULL while disconnected */
	ESYS_TR salt_key;		/* primary ECC P-256 storage key in the NULL hierarchy */
	ESYS_TR session;		/* salted HMAC session, AES-128-CFB parameter encryption */
	unsigned generation;		/* bumped by every (re)connect; keys reload when it moves */
	struct hs_tpm2_key *keys;	/* keys loaded through this context */
	struct hs_tpm2_ctx *next;
};

/* struct hs_key.priv of a TPM key. */
struct hs_tpm2_key {
	struct hs_tpm2_ctx *tc;
	struct hs_tpm2uri uri;
	char *uri_text;			/* for logs */
	ESYS_TR obj;			/* ESYS_TR_NONE while not loaded */
	unsigned generation;		/* tc->generation obj belongs to */
	bool transient;			/* blob key: flushed on close, reloaded on reconnect */
	TPM2B_AUTH auth;		/* from the auth file; wiped on free */
	TPM2B_PUBLIC blob_pub;		/* blob key: what Load takes again after a reconnect */
	TPM2B_PRIVATE blob_priv;
	enum hs_key_type type;
	size_t modlen;			/* RSA modulus bytes; ECDSA field bytes */
	struct hs_tpm2_key *next;	/* in tc->keys */
};

/* ---- hw/tpm2_ctx.c ---- */
/* The shared context for tcti_conf (NULL: the default of hs_tpm2_set_tcti / $TPM2TCTI), connected.
 * Logs "tpm2 <what>: ..." on failure; HS_ERR_PROVIDER. */
HS_MUST_USE hs_err hs_tpm2_ctx_get(const char *tcti_conf, const char *what,
    struct hs_tpm2_ctx **out);
void hs_tpm2_ctx_put(struct hs_tpm2_ctx *tc);
/* Call with tc->lock held. Tear the ESYS context down and connect again (new salt key and session,
 * generation + 1). Keys reload lazily through hs_tpm2_key_ensure. */
HS_MUST_USE hs_err hs_tpm2_ctx_reconnect(struct hs_tpm2_ctx *tc, const char *what);
/* True iff rc says the TPM or the link to it went away (worth one reconnect). */
bool hs_tpm2_rc_lost(TSS2_RC rc);
/* Log "tpm2 <what>: <op>: <Tss2_RC_Decode text>" and map rc (auth failures: HS_ERR_PERM). */
hs_err hs_tpm2_fail(const struct hs_tpm2_ctx *tc, const char *what, const char *op, TSS2_RC rc);
/* Set the session's attributes for the next command: decrypt (first command parameter) and/or
 * encrypt (first response parameter), only where the command has a TPM2B there (Part 1 21). */
HS_MUST_USE TSS2_RC hs_tpm2_session_for(struct hs_tpm2_ctx *tc, bool decrypt, bool encrypt);
/* With tc->lock held, after rc: if it is TPM_RC_OBJECT_MEMORY (a TPM without a resource manager,
 * such as swtpm or /dev/tpm0, has about three object slots), flush the blob keys other than keep
 * (they are loaded again when next used) and return true if any was: worth one more try. */
bool hs_tpm2_make_room(struct hs_tpm2_ctx *tc, TSS2_RC rc, const struct hs_tpm2_key *keep);
/* With tc->lock held: load or re-find k's object if the context reconnected since. */
HS_MUST_USE hs_err hs_tpm2_key_ensure(struct hs_tpm2_key *k);

/* ---- hw/tpm2_sign.c ---- */
HS_MUST_USE hs_err hs_tpm2_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg,
    const uint8_t *m, size_t mlen, struct hs_buf *sig);
/* Raw public components of a TPMT_PUBLIC (ECC P-256/P-384 signing or RSA); fills tk->type and
 * tk->modlen. HS_ERR_UNSUPPORTED (logged) for other keys, restricted or non-signing keys. */
HS_MUST_USE hs_err hs_tpm2_public_raw(struct hs_tpm2_key *tk, const TPMT_PUBLIC *pub,
    struct hs_key_raw *raw);

/* ---- hw/tpm2_kex.c ---- */
HS_MUST_USE hs_err hs_tpm2_kex_open(const char *uri, void **ctx);
bool hs_tpm2_kex_supports(void *ctx, enum hs_kex_method m);
void hs_tpm2_kex_close(void *ctx);
HS_MUST_USE hs_err hs_tpm2_kex_keypair(void *ctx, enum hs_kex_method m, struct hs_kex_priv **priv,
    struct hs_buf *pub);
HS_MUST_USE hs_err hs_tpm2_kex_derive(void *ctx, struct hs_kex_priv *priv, const uint8_t *peer,
    size_t len, struct hs_buf *secret);

#endif
