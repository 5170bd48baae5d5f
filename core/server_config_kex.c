/* server_config_kex.c: where hsshd's key exchange is computed (issue 5): KexProvider,
 * KexProviderFallback, what they do to the offered KexAlgorithms, and their -T lines with one line
 * per compiled-in provider. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hs_algs.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_provider.h"
#include "hs_server_config.h"

/* The KEX methods both hardware providers implement (an ECDH ephemeral in a PKCS#11 token,
 * CKM_ECDH1_DERIVE; TPM2_EC_Ephemeral / TPM2_ECDH_ZGen): the algorithms a hardware KexProvider
 * without fallback leaves in KexAlgorithms. */
static const char *const hw_kex_algs[] = { "ecdh-sha2-nistp256", "ecdh-sha2-nistp384" };

/* URI schemes of the hardware providers, with their separator. */
static const char *const hw_schemes[] = { "pkcs11:", "tpm2:" };

hs_err
hs_cfg_parse_kex_provider(const char *s)
{
	HS_ENSURE(s != NULL, HS_ERR_CONFIG);
	if (strcasecmp(s, HS_CFG_KEX_SOFT) == 0)
		return HS_OK;
	for (size_t i = 0; i < sizeof(hw_schemes) / sizeof(hw_schemes[0]); i++) {
		size_t n = strlen(hw_schemes[i]);

		/* The provider parses the rest when it opens the device (hs_kex_provider_set). */
		if (strncasecmp(s, hw_schemes[i], n) == 0 && s[n] != '\0')
			return HS_OK;
	}
	return HS_ERR_CONFIG;
}

bool
hs_server_config_kex_hw(const struct hs_server_config *c)
{
	return c->kex_provider != NULL && strcasecmp(c->kex_provider, HS_CFG_KEX_SOFT) != 0;
}

static bool
hw_capable(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(hw_kex_algs) / sizeof(hw_kex_algs[0]); i++)
		if (strlen(hw_kex_algs[i]) == len && memcmp(hw_kex_algs[i], name, len) == 0)
			return true;
	return false;
}

/* The names of list that hardware computes, in the configured order, as a new comma list (empty
 * if none). */
static hs_err
reduce_to_hw(const char *list, char **out)
{
	size_t cap = strlen(list) + 1, at = 0;
	const char *p = list;
	char *r;

	HS_ENSURE((r = calloc(1, cap)) != NULL, HS_ERR_ALLOC);
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (hw_capable(p, len)) {
			if (at > 0)
				r[at++] = ',';
			memcpy(r + at, p, len);
			at += len;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	r[at] = '\0';
	*out = r;
	return HS_OK;
}

hs_err
hs_cfg_kex_finish(struct hs_server_config *c)
{
	char *reduced = NULL;

	if (c->kex_provider_fallback == -1)
		c->kex_provider_fallback = 0;
	if (c->kex_provider == NULL || strcasecmp(c->kex_provider, HS_CFG_KEX_SOFT) == 0) {
		free(c->kex_provider);	/* "SOFT" is printed by -T as "soft" */
		c->kex_provider = hs_strdup(HS_CFG_KEX_SOFT);
		HS_ENSURE(c->kex_provider != NULL, HS_ERR_ALLOC);
	}
	if (!hs_server_config_kex_hw(c) || c->kex_provider_fallback || c->kex_algs == NULL)
		return HS_OK;
	/* Without fallback every offered method must be one the hardware computes: a client that
	 * only knows others is refused at negotiation, never served by software behind the
	 * administrator's back. */
	HS_GUARD(reduce_to_hw(c->kex_algs, &reduced));
	if (reduced[0] == '\0') {
		hs_error("KexProvider %s with KexProviderFallback no: none of KexAlgorithms (%s) is "
		    "computed in hardware; allow ecdh-sha2-nistp256 or ecdh-sha2-nistp384, or set "
		    "KexProviderFallback yes", c->kex_provider, c->kex_algs);
		free(reduced);
		return HS_ERR_CONFIG;
	}
	if (strcmp(reduced, c->kex_algs) != 0)
		hs_debug("KexProvider %s without fallback: KexAlgorithms reduced to %s",
		    c->kex_provider, reduced);
	free(c->kex_algs);
	c->kex_algs = reduced;
	return HS_OK;
}

static void
dump_provider(const struct hs_provider_ops *ops, void *arg)
{
	FILE *f = arg;
	bool avail = ops->available == NULL || ops->available();

	fprintf(f, "provider %s %s %s\n", ops->name, avail ? "yes" : "no",
	    ops->summary != NULL ? ops->summary : "-");
}

void
hs_cfg_kex_dump(const struct hs_server_config *c, FILE *f)
{
	fprintf(f, "kexprovider %s\n", c->kex_provider != NULL ? c->kex_provider : HS_CFG_KEX_SOFT);
	fprintf(f, "kexproviderfallback %s\n", c->kex_provider_fallback > 0 ? "yes" : "no");
	if (c->tpm2_tcti != NULL)
		fprintf(f, "tpm2tcti %s\n", c->tpm2_tcti);
	hs_provider_foreach(dump_provider, f);
}
