/* provider.c: the provider registry and URI routing for hs_key_open (STYLE.md section 5). */
#include <string.h>

#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_pkcs11_impl.h"

/* Every compiled-in provider, in the order hs_key_open asks them. */
static const struct hs_provider_ops *const providers[] = {
	&hs_provider_soft,
	&hs_provider_pkcs11,
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
