/* provider_pkcs11.c: host keys in a PKCS#11 token, through the module's own function list
 * (PKCS#11 v2.40 base specification, section 5). Keys are named by RFC 7512 URIs
 * (hw/hs_pkcs11_uri.h). Modules are loaded once per path and shared by the keys opened from them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_impl.h"
#include "hs_time.h"

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hs_p11_module *modules;	/* loaded modules, by path; guarded by modules_lock */

static void
module_free(struct hs_p11_module *mod)
{
	if (mod->dl != NULL)
		dlclose(mod->dl);
	pthread_cond_destroy(&mod->cv);
	pthread_mutex_destroy(&mod->lock);
	free(mod->path);
	free(mod);
}

void
hs_p11_module_release(struct hs_p11_module *mod)
{
	struct hs_p11_module **pp;

	if (mod == NULL)
		return;
	pthread_mutex_lock(&modules_lock);
	if (--mod->refs > 0) {
		pthread_mutex_unlock(&modules_lock);
		return;
	}
	for (pp = &modules; *pp != NULL; pp = &(*pp)->next)
		if (*pp == mod) {
			*pp = mod->next;
			break;
		}
	pthread_mutex_unlock(&modules_lock);
	if (mod->finalize)
		(void)mod->f->C_Finalize(NULL);
	module_free(mod);
}

/* dlopen, C_GetFunctionList and C_Initialize (modules_lock held). */
static hs_err
module_load(struct hs_p11_module *mod)
{
	/* PKCS#11 v2.40 5.4: the module may use the OS's locks, so one process may call it from
	 * several threads (the host-key service signs for every key from its own thread). */
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_C_GetFunctionList gfl;
	CK_RV rv;

	if ((mod->dl = dlopen(mod->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		hs_error("pkcs11: cannot load module %s: %s", mod->path, dlerror());
		return HS_ERR_NOT_FOUND;
	}
	*(void **)&gfl = dlsym(mod->dl, "C_GetFunctionList");
	if (gfl == NULL || (rv = gfl(&mod->f)) != CKR_OK || mod->f == NULL) {
		hs_error("pkcs11: %s has no usable C_GetFunctionList", mod->path);
		return HS_ERR_PROVIDER;
	}
	rv = mod->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		hs_error("pkcs11: %s: C_Initialize: %s", mod->path, hs_p11_rv_name(rv));
		return HS_ERR_PROVIDER;
	}
	mod->finalize = rv == CKR_OK;
	return HS_OK;
}

hs_err
hs_p11_module_get(const char *path, struct hs_p11_module **out)
{
	struct hs_p11_module *mod;
	hs_err r;

	pthread_mutex_lock(&modules_lock);
	for (mod = modules; mod != NULL; mod = mod->next)
		if (strcmp(mod->path, path) == 0) {
			mod->refs++;
			*out = mod;
			r = HS_OK;
			goto out;
		}
	if ((mod = hs_calloc(1, sizeof(*mod))) == NULL || (mod->path = hs_strdup(path)) == NULL) {
		free(mod);
		r = HS_ERR_ALLOC;
		goto out;
	}
	mod->refs = 1;
	pthread_mutex_init(&mod->lock, NULL);
	pthread_cond_init(&mod->cv, NULL);
	if ((r = module_load(mod)) != HS_OK) {
		module_free(mod);
		goto out;
	}
	mod->next = modules;
	modules = mod;
	*out = mod;
out:
	pthread_mutex_unlock(&modules_lock);
	return r;
}

void
hs_p11_module_enter(struct hs_p11_module *mod, unsigned *epoch)
{
	pthread_mutex_lock(&mod->lock);
	while (mod->reiniting)
		pthread_cond_wait(&mod->cv, &mod->lock);
	mod->busy++;
	*epoch = mod->epoch;
	pthread_mutex_unlock(&mod->lock);
}

void
hs_p11_module_leave(struct hs_p11_module *mod)
{
	pthread_mutex_lock(&mod->lock);
	if (--mod->busy == 0)
		pthread_cond_broadcast(&mod->cv);
	pthread_mutex_unlock(&mod->lock);
}

/* Wait (mod->lock held) until no session is lent, at most 2 s. */
static hs_err
wait_idle(struct hs_p11_module *mod)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	while (mod->busy > 0)
		if (pthread_cond_timedwait(&mod->cv, &mod->lock, &until) == ETIMEDOUT)
			return HS_ERR_TIMEOUT;
	return HS_OK;
}

hs_err
hs_p11_module_reinit(struct hs_p11_module *mod, unsigned epoch)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	hs_err r = HS_OK;
	CK_RV rv;

	if (!mod->finalize)
		return HS_ERR_UNSUPPORTED;	/* not ours to finalise */
	pthread_mutex_lock(&mod->lock);
	if (mod->epoch != epoch || mod->reiniting)
		goto out;			/* done (or being done) by another thread */
	/* At most once a second while a token is away: a caller that comes sooner waits out the
	 * rest of the second (the token may be back by then) instead of failing at once. */
	if (mod->last_reinit_ms != 0 && hs_time_ms() - mod->last_reinit_ms < 1000) {
		long long wait = 1000 - (hs_time_ms() - mod->last_reinit_ms);

		pthread_mutex_unlock(&mod->lock);
		if (wait > 0)
			(void)nanosleep(&(struct timespec){ .tv_sec = 0,
			    .tv_nsec = (long)wait * 1000000L }, NULL);
		pthread_mutex_lock(&mod->lock);
		if (mod->epoch != epoch || mod->reiniting)
			goto out;		/* another thread did it meanwhile */
	}
	mod->last_reinit_ms = hs_time_ms();
	mod->reiniting = true;
	if ((r = wait_idle(mod)) != HS_OK) {
		hs_error("pkcs11: %s: sessions still in use; not re-initialising now", mod->path);
		goto done;
	}
	hs_p11_tokens_forget(mod);
	(void)mod->f->C_Finalize(NULL);
	rv = mod->f->C_Initialize(&args);
	mod->epoch++;
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		hs_error("pkcs11: %s: C_Initialize again: %s", mod->path, hs_p11_rv_name(rv));
		r = HS_ERR_PROVIDER;
	} else {
		hs_info("pkcs11: %s: module re-initialised", mod->path);
	}
done:
	mod->reiniting = false;
	pthread_cond_broadcast(&mod->cv);
out:
	pthread_mutex_unlock(&mod->lock);
	return r;
}

/* Find the private key and read its public half with a borrowed session. */
static hs_err
open_object(struct hs_p11_key *pk, struct hs_key_raw *raw)
{
	struct hs_p11_sess s;
	CK_ATTRIBUTE a;
	unsigned count = 0;
	hs_err r;
	CK_RV rv = CKR_OK;

	HS_GUARD(hs_p11_sess_get(pk->tok, &s));
	if ((r = hs_p11_find_object(pk, s.h, CKO_PRIVATE_KEY, &pk->obj, &count)) != HS_OK) {
		if (r == HS_ERR_NOT_FOUND)
			hs_error("pkcs11 %s: token %s: %s private key matches %s%s", pk->uri_text,
			    pk->label, count == 0 ? "no" : "more than one",
			    pk->uri.object != NULL ? "object=" : "the id",
			    pk->uri.object != NULL ? pk->uri.object : "");
		goto out;
	}
	pk->obj_gen = s.gen;
	a = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &pk->ktype, sizeof(pk->ktype) };
	if ((rv = pk->tok->mod->f->C_GetAttributeValue(s.h, pk->obj, &a, 1)) != CKR_OK) {
		r = hs_p11_fail("CKA_KEY_TYPE", rv);
		goto out;
	}
	r = hs_p11_read_public(pk, s.h, raw);
out:
	hs_p11_sess_put(pk->tok, &s, rv);
	return r;
}

static void
p11_key_free(void *priv)
{
	struct hs_p11_key *pk = priv;

	if (pk == NULL)
		return;
	hs_p11_token_release(pk->tok);
	hs_p11uri_free(&pk->uri);
	free(pk->uri_text);
	hs_free_wiped(pk, sizeof(*pk));
}

/* The key shell around an opened token object: public blob, then the pairwise test (issue 6). */
static hs_err
make_key(struct hs_p11_key *pk, struct hs_key **out)
{
	struct hs_key_raw *raw;
	char what[128];
	hs_err r;

	if ((raw = hs_calloc(1, sizeof(*raw))) == NULL)
		return HS_ERR_ALLOC;
	r = open_object(pk, raw);
	snprintf(what, sizeof(what), "%s / %s", pk->label,
	    pk->uri.object != NULL ? pk->uri.object : "(by id)");
	if (r == HS_OK)
		r = hs_key_wrap_hw(&hs_provider_pkcs11, raw, pk->type == HS_KEY_RSA ?
		    (unsigned)pk->modlen * 8 : hs_key_type_bits(pk->type), pk, p11_key_free, what,
		    out);
	hs_free_wiped(raw, sizeof(*raw));
	return r;
}

static bool
p11_available(void)
{
	return true;	/* a module is loaded per token; its absence is reported when opening */
}

static bool
p11_handles_uri(const char *uri)
{
	return hs_p11uri_is(uri);
}

static hs_err
p11_key_open(void *ctx, const char *uri, const char *passphrase, struct hs_key **out,
    char **comment)
{
	struct hs_p11_key *pk;
	hs_err r;

	(void)ctx;
	(void)passphrase;	/* the PIN comes from the URI's pin-source */
	*out = NULL;
	if ((pk = hs_calloc(1, sizeof(*pk))) == NULL)
		return HS_ERR_ALLOC;
	HS_GUARD_GOTO(hs_p11uri_parse(uri, &pk->uri), r, out);
	HS_ENSURE_GOTO((pk->uri_text = hs_strdup(uri)) != NULL, HS_ERR_ALLOC, r, out);
	HS_GUARD_GOTO(hs_p11_module_resolve(&pk->uri, uri), r, out);
	if (pk->uri.object == NULL && !pk->uri.has_id) {
		hs_error("pkcs11: %s: name the key with object= or id=", uri);
		r = HS_ERR_CONFIG;
		goto out;
	}
	HS_GUARD_GOTO(hs_p11_token_get(&pk->uri, uri, &pk->tok), r, out);
	memcpy(pk->label, pk->tok->label, sizeof(pk->label));
	if ((r = make_key(pk, out)) != HS_OK) {
		if (r == HS_ERR_NOT_FOUND)
			hs_error("pkcs11: key %s not found", uri);
		goto out;
	}
	pk = NULL;
	if (comment != NULL && (*comment = hs_strdup(
	    ((struct hs_p11_key *)(*out)->priv)->label)) == NULL) {
		hs_key_free(*out);
		*out = NULL;
		r = HS_ERR_ALLOC;
		goto out;
	}
	r = HS_OK;
out:
	p11_key_free(pk);
	return r;
}

const struct hs_provider_ops hs_provider_pkcs11 = {
	.name = "pkcs11",
	.available = p11_available,
	.self_test = NULL,
	.handles_uri = p11_handles_uri,
	.key_open = p11_key_open,
	.sign = hs_p11_sign,
	.kex_keypair = hs_p11_kex_keypair,
	.kex_derive = hs_p11_kex_derive,
	.kex_open = hs_p11_kex_open,
	.kex_supports = hs_p11_kex_supports,
	.kex_close = hs_p11_kex_close,
	.summary = "host keys in a PKCS#11 token (RFC 7512 URIs): ECDSA P-256/384/521, RSA "
	    "(rsa-sha2-256/512), Ed25519 (CKM_EDDSA); KEX: ECDH P-256/384/521 in the token "
	    "(CKM_EC_KEY_PAIR_GEN + CKM_ECDH1_DERIVE), where the token has them",
};
