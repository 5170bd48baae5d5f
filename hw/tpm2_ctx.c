/* tpm2_ctx.c: one ESAPI context per TCTI configuration, shared by the keys and the KEX of that TPM.
 * Each connect makes a primary ECC storage key in the NULL hierarchy and starts a salted HMAC
 * session on it with AES-128-CFB parameter encryption (TPM 2.0 Part 1 19.6.3 salted sessions,
 * 21 parameter encryption), so auth values never cross the bus in the clear and the digests and
 * ECDH points that do are encrypted. 32 bytes of TPM2_GetRandom go into the software DRBG.
 */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_tpm2_impl.h"

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hs_tpm2_ctx *contexts;
static char *default_tcti;	/* hs_tpm2_set_tcti */

#define GETRANDOM_MIX	32

hs_err
hs_tpm2_set_tcti(const char *conf)
{
	char *c = NULL;

	if (conf != NULL && conf[0] != '\0' && (c = hs_strdup(conf)) == NULL)
		return HS_ERR_ALLOC;
	pthread_mutex_lock(&list_lock);
	free(default_tcti);
	default_tcti = c;
	pthread_mutex_unlock(&list_lock);
	return HS_OK;
}

bool
hs_tpm2_rc_lost(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK, base = rc & 0xffff;

	if (layer == TSS2_TCTI_RC_LAYER)
		return true;
	if (layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER)
		return base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION ||
		    base == TSS2_BASE_RC_MALFORMED_RESPONSE ||
		    base == TSS2_BASE_RC_INSUFFICIENT_RESPONSE;
	if (layer != TSS2_TPM_RC_LAYER)
		return false;
	/* A restarted TPM: not started, or our session/objects are no longer loaded (Part 2 6.6). */
	return rc == TPM2_RC_INITIALIZE ||
	    (rc >= TPM2_RC_REFERENCE_H0 && rc <= TPM2_RC_REFERENCE_H0 + 0x0e) ||
	    ((rc & TPM2_RC_FMT1) != 0 && (rc & 0x3f) == (TPM2_RC_HANDLE & 0x3f));
}

hs_err
hs_tpm2_fail(const struct hs_tpm2_ctx *tc, const char *what, const char *op, TSS2_RC rc)
{
	TSS2_RC fmt1 = rc & 0xbf;	/* format-one code without its handle/session/parameter number */

	hs_error("tpm2 %s: %s: %s", what, op, tc->fn->rc_decode(rc));
	if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER && (rc & TPM2_RC_FMT1) != 0 &&
	    (fmt1 == TPM2_RC_AUTH_FAIL || fmt1 == TPM2_RC_BAD_AUTH))
		return HS_ERR_PERM;
	if (rc == TPM2_RC_LOCKOUT)
		return HS_ERR_PERM;
	return HS_ERR_PROVIDER;
}

TSS2_RC
hs_tpm2_session_for(struct hs_tpm2_ctx *tc, bool decrypt, bool encrypt)
{
	TPMA_SESSION a = TPMA_SESSION_CONTINUESESSION;

	if (decrypt)
		a |= TPMA_SESSION_DECRYPT;
	if (encrypt)
		a |= TPMA_SESSION_ENCRYPT;
	return tc->fn->sess_set_attrs(tc->esys, tc->session, a, 0xff);
}

/* TCG storage key template shape: ECC P-256, restricted decrypt, AES-128-CFB (Part 2 12.2.3.6). */
static const TPM2B_PUBLIC salt_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
		    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
			    .mode.aes = TPM2_ALG_CFB },
			.scheme = { .scheme = TPM2_ALG_NULL },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf = { .scheme = TPM2_ALG_NULL },
		},
	},
};

static void
disconnect(struct hs_tpm2_ctx *tc)
{
	const struct hs_tpm2_fn *f = tc->fn;
	struct hs_tpm2_key *k;

	if (tc->esys != NULL) {
		/* swtpm and /dev/tpm0 have no resource manager: leave no transient object behind. */
		for (k = tc->keys; k != NULL; k = k->next)
			if (k->obj != ESYS_TR_NONE) {
				if (k->transient)
					(void)f->flush(tc->esys, k->obj);
				else
					(void)f->tr_close(tc->esys, &k->obj);
				k->obj = ESYS_TR_NONE;
			}
		if (tc->session != ESYS_TR_NONE)
			(void)f->flush(tc->esys, tc->session);
		if (tc->salt_key != ESYS_TR_NONE)
			(void)f->flush(tc->esys, tc->salt_key);
		f->fini(&tc->esys);
	}
	if (tc->tcti != NULL)
		f->tctildr_fini(&tc->tcti);
	tc->esys = NULL;
	tc->tcti = NULL;
	tc->session = ESYS_TR_NONE;
	tc->salt_key = ESYS_TR_NONE;
}

/* TPM2_GetRandom, encrypted in the session, as additional input to the software DRBG. */
static hs_err
mix_random(struct hs_tpm2_ctx *tc, const char *what)
{
	TPM2B_DIGEST *rnd = NULL;
	TSS2_RC rc;
	hs_err r;

	if ((rc = hs_tpm2_session_for(tc, false, true)) == TSS2_RC_SUCCESS)
		rc = tc->fn->get_random(tc->esys, tc->session, ESYS_TR_NONE, ESYS_TR_NONE,
		    GETRANDOM_MIX, &rnd);
	if (rc != TSS2_RC_SUCCESS)
		return hs_tpm2_fail(tc, what, "GetRandom", rc);
	r = rnd->size == GETRANDOM_MIX ? hs_soft_rng_mix(rnd->buffer, rnd->size) : HS_ERR_PROVIDER;
	hs_wipe(rnd, sizeof(*rnd));
	tc->fn->free(rnd);
	if (r == HS_OK)
		hs_debug("tpm2 %s: %d bytes of TPM2_GetRandom mixed into the DRBG", what,
		    GETRANDOM_MIX);
	return r;
}

static hs_err
connect(struct hs_tpm2_ctx *tc, const char *what)
{
	const struct hs_tpm2_fn *f = tc->fn;
	const TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
	    .mode.aes = TPM2_ALG_CFB };
	const TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION pcrs = { 0 };
	const char *op;
	TSS2_RC rc;

	op = "TCTI";
	if ((rc = f->tctildr_init(tc->tcti_conf, &tc->tcti)) != TSS2_RC_SUCCESS)
		goto fail;
	op = "Esys_Initialize";
	if ((rc = f->init(&tc->esys, tc->tcti, NULL)) != TSS2_RC_SUCCESS)
		goto fail;
	op = "CreatePrimary (session salt key)";
	rc = f->create_primary(tc->esys, ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	    ESYS_TR_NONE, &sens, &salt_template, &outside, &pcrs, &tc->salt_key, NULL, NULL, NULL,
	    NULL);
	if (rc != TSS2_RC_SUCCESS)
		goto fail;
	op = "StartAuthSession";
	rc = f->start_auth_session(tc->esys, tc->salt_key, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256, &tc->session);
	if (rc != TSS2_RC_SUCCESS)
		goto fail;
	/* Only on the first connect: a reconnect runs in a signing thread, and the DRBG may be in
	 * use by another thread by then (keyd's workers). */
	if (tc->generation++ == 0)
		return mix_random(tc, what);
	return HS_OK;
fail:
	if (tc->esys == NULL && rc != TSS2_RC_SUCCESS)
		hs_error("tpm2 %s: %s %s: %s", what, op, tc->tcti_conf != NULL ? tc->tcti_conf :
		    "(default TCTI)", f->rc_decode(rc));
	else
		(void)hs_tpm2_fail(tc, what, op, rc);
	disconnect(tc);
	return HS_ERR_PROVIDER;
}

hs_err
hs_tpm2_ctx_reconnect(struct hs_tpm2_ctx *tc, const char *what)
{
	hs_info("tpm2 %s: the TPM went away; connecting again", what);
	disconnect(tc);
	return connect(tc, what);
}

static const char *
effective_tcti(const char *conf)
{
	const char *env;

	if (conf != NULL && conf[0] != '\0')
		return conf;
	if (default_tcti != NULL)
		return default_tcti;
	if ((env = getenv("TPM2TCTI")) != NULL && env[0] != '\0')
		return env;
	return NULL;
}

static bool
same_conf(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static hs_err
ctx_new(const struct hs_tpm2_fn *f, const char *conf, const char *what, struct hs_tpm2_ctx **out)
{
	struct hs_tpm2_ctx *tc;

	if ((tc = hs_calloc(1, sizeof(*tc))) == NULL)
		return HS_ERR_ALLOC;
	if (conf != NULL && (tc->tcti_conf = hs_strdup(conf)) == NULL) {
		free(tc);
		return HS_ERR_ALLOC;
	}
	pthread_mutex_init(&tc->lock, NULL);
	tc->fn = f;
	tc->session = tc->salt_key = ESYS_TR_NONE;
	if (connect(tc, what) != HS_OK) {
		pthread_mutex_destroy(&tc->lock);
		free(tc->tcti_conf);
		free(tc);
		return HS_ERR_PROVIDER;
	}
	*out = tc;
	return HS_OK;
}

hs_err
hs_tpm2_ctx_get(const char *tcti_conf, const char *what, struct hs_tpm2_ctx **out)
{
	const struct hs_tpm2_fn *f;
	struct hs_tpm2_ctx *tc;
	const char *conf;
	hs_err r = HS_OK;

	*out = NULL;
	pthread_mutex_lock(&list_lock);
	conf = effective_tcti(tcti_conf);
	for (tc = contexts; tc != NULL; tc = tc->next)
		if (same_conf(tc->tcti_conf, conf))
			break;
	if (tc != NULL)
		tc->refs++;
	else if ((f = hs_tpm2_dl_load()) == NULL)
		r = HS_ERR_PROVIDER;
	else if ((r = ctx_new(f, conf, what, &tc)) == HS_OK) {
		tc->refs = 1;
		tc->next = contexts;
		contexts = tc;
	} else
		hs_tpm2_dl_unload();
	pthread_mutex_unlock(&list_lock);
	*out = tc;
	return r;
}

void
hs_tpm2_ctx_put(struct hs_tpm2_ctx *tc)
{
	struct hs_tpm2_ctx **pp;

	if (tc == NULL)
		return;
	pthread_mutex_lock(&list_lock);
	if (--tc->refs == 0) {
		for (pp = &contexts; *pp != NULL; pp = &(*pp)->next)
			if (*pp == tc) {
				*pp = tc->next;
				break;
			}
		disconnect(tc);
		pthread_mutex_destroy(&tc->lock);
		free(tc->tcti_conf);
		free(tc);
		hs_tpm2_dl_unload();
	}
	pthread_mutex_unlock(&list_lock);
}

/* A blob key again under its parent: Load with an empty-auth parent (documented in hs_tpm2.h). */
static TSS2_RC
load_blob(struct hs_tpm2_key *k)
{
	const struct hs_tpm2_fn *f = k->tc->fn;
	ESYS_TR parent = ESYS_TR_NONE;
	TSS2_RC rc;

	rc = f->tr_from_public(k->tc->esys, k->uri.parent, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    &parent);
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	rc = f->load(k->tc->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
	    &k->blob_priv, &k->blob_pub, &k->obj);
	(void)f->tr_close(k->tc->esys, &parent);
	return rc;
}

bool
hs_tpm2_make_room(struct hs_tpm2_ctx *tc, TSS2_RC rc, const struct hs_tpm2_key *keep)
{
	struct hs_tpm2_key *k;
	bool freed = false;

	if (rc != TPM2_RC_OBJECT_MEMORY)
		return false;
	for (k = tc->keys; k != NULL; k = k->next)
		if (k != keep && k->transient && k->obj != ESYS_TR_NONE) {
			(void)tc->fn->flush(tc->esys, k->obj);
			k->obj = ESYS_TR_NONE;
			freed = true;
		}
	if (freed)
		hs_debug("tpm2: TPM out of object slots; unloaded idle blob keys");
	return freed;
}

hs_err
hs_tpm2_key_ensure(struct hs_tpm2_key *k)
{
	const struct hs_tpm2_fn *f = k->tc->fn;
	TSS2_RC rc;

	if (k->obj != ESYS_TR_NONE && k->generation == k->tc->generation)
		return HS_OK;
	if (k->tc->esys == NULL)	/* the last reconnect failed; the caller tries again */
		return HS_ERR_PROVIDER;
	k->obj = ESYS_TR_NONE;	/* a stale ESYS_TR of the previous context */
	if (k->transient) {
		rc = load_blob(k);
		if (hs_tpm2_make_room(k->tc, rc, k))
			rc = load_blob(k);
	}
	else
		rc = f->tr_from_public(k->tc->esys, k->uri.handle, ESYS_TR_NONE, ESYS_TR_NONE,
		    ESYS_TR_NONE, &k->obj);
	if (rc == TSS2_RC_SUCCESS)
		rc = f->tr_set_auth(k->tc->esys, k->obj, &k->auth);
	if (rc != TSS2_RC_SUCCESS) {
		k->obj = ESYS_TR_NONE;
		return hs_tpm2_fail(k->tc, k->uri_text, k->transient ? "Load" : "TR_FromTPMPublic",
		    rc);
	}
	k->generation = k->tc->generation;
	return HS_OK;
}
