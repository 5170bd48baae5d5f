/* provider.c: the provider registry and URI routing for hs_key_open (STYLE.md section 5). */
#include <string.h>

#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_pkcs11_impl.h"
#include "hs_tpm2.h"

/* Every compiled-in provider, in the order hs_key_open asks them. */
static const struct hs_provider_ops *const providers[] = {
	&hs_provider_soft,
	&hs_provider_pkcs11,
	&hs_provider_tpm2,
	NULL
};

const struct hs_provider_ops *
hs_provider_find(const char *name)
{
	const struct hs_provider_ops *const *p;

	if (name == NULL)
		return NULL;
	for (p = providers; *p != NULL; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

void
hs_provider_foreach(void (*fn)(const struct hs_provider_ops *ops, void *arg), void *arg)
{
	const struct hs_provider_ops *const *p;

	for (p = providers; *p != NULL; p++)
		fn(*p, arg);
}

hs_err
hs_key_open(const char *uri, const char *passphrase, struct hs_key **out, char **comment)
{
	const struct hs_provider_ops *const *p;

	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	HS_ENSURE(uri != NULL && uri[0] != '\0', HS_ERR_NOT_FOUND);
	for (p = providers; *p != NULL; p++) {
		if ((*p)->handles_uri == NULL || !(*p)->handles_uri(uri))
			continue;
		if ((*p)->available != NULL && !(*p)->available()) {
			hs_error("key %s: provider %s is not available", uri, (*p)->name);
			return HS_ERR_PROVIDER;
		}
		return (*p)->key_open(NULL, uri, passphrase, out, comment);
	}
	hs_error("key %s: no provider for this URI scheme", uri);
	return HS_ERR_UNSUPPORTED;
}

/* ---- key exchange routing (KexProvider) ---- */

/* The provider selected for KEX and its open ctx; NULL: software for every method. */
static const struct hs_provider_ops *kex_ops;
static void *kex_ctx;

static void
kex_unselect(void)
{
	if (kex_ops != NULL && kex_ops->kex_close != NULL)
		kex_ops->kex_close(kex_ctx);
	kex_ops = NULL;
	kex_ctx = NULL;
}

hs_err
hs_kex_provider_set(const char *spec)
{
	const struct hs_provider_ops *const *p;
	void *ctx = NULL;
	hs_err r;

	kex_unselect();
	if (spec == NULL || spec[0] == '\0' || strcmp(spec, "soft") == 0)
		return HS_OK;
	for (p = providers; *p != NULL; p++) {
		if ((*p)->handles_uri == NULL || !(*p)->handles_uri(spec))
			continue;
		if ((*p)->kex_open == NULL) {
			hs_error("KexProvider %s: provider %s does no key exchange", spec, (*p)->name);
			return HS_ERR_UNSUPPORTED;
		}
		if ((r = (*p)->kex_open(spec, &ctx)) != HS_OK) {
			hs_error("KexProvider %s: cannot open it: %s", spec, hs_err_str(r));
			return r;
		}
		kex_ops = *p;
		kex_ctx = ctx;
		return HS_OK;
	}
	hs_error("KexProvider %s: no provider for this URI scheme", spec);
	return HS_ERR_UNSUPPORTED;
}

bool
hs_kex_provider_supports(enum hs_kex_method m)
{
	return kex_ops != NULL && kex_ops->kex_supports != NULL && kex_ops->kex_supports(kex_ctx, m);
}

const char *
hs_kex_provider_for(enum hs_kex_method m)
{
	return hs_kex_provider_supports(m) ? kex_ops->name : hs_provider_soft.name;
}

hs_err
hs_kex_keypair(enum hs_kex_method m, struct hs_kex_priv **priv, struct hs_buf *pub)
{
	if (hs_kex_provider_supports(m))
		return kex_ops->kex_keypair(kex_ctx, m, priv, pub);
	return hs_provider_soft.kex_keypair(NULL, m, priv, pub);
}

hs_err
hs_kex_derive(struct hs_kex_priv *priv, const uint8_t *peer, size_t len, struct hs_buf *secret)
{
	const struct hs_kex_head *h = (const struct hs_kex_head *)priv;

	HS_ENSURE(priv != NULL && h->ops != NULL, HS_ERR_INTERNAL);
	return h->ops->kex_derive(h->ctx, priv, peer, len, secret);
}

void
hs_kex_priv_free(struct hs_kex_priv *priv)
{
	if (priv != NULL)
		((const struct hs_kex_head *)priv)->release(priv);
}
