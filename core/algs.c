/* algs.c: cipher, MAC and host key algorithm tables; the default lists (OpenSSH 9.2's order where
 * we support the algorithm) and OpenSSH's list syntax (sshd_config(5) Ciphers, KexAlgorithms...).
 * The KEX table lives in kex.c and is read through hs_kex_algs(). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_algs.h"
#include "hs_match.h"
#include "hs_mem.h"
#include "kex_impl.h"
#include "transport_impl.h"

/* Table order is the default order. */
static const struct hs_cipher_alg cipher_algs[] = {
	{ .name = "chacha20-poly1305@openssh.com", .id = HS_CIPHER_CHACHA20_POLY1305, .aead = true,
	  .fips = false },
	{ .name = "aes128-ctr", .id = HS_CIPHER_AES128_CTR, .fips = true },
	{ .name = "aes192-ctr", .id = HS_CIPHER_AES192_CTR, .fips = true },
	{ .name = "aes256-ctr", .id = HS_CIPHER_AES256_CTR, .fips = true },
	{ .name = "aes128-gcm@openssh.com", .id = HS_CIPHER_AES128_GCM, .aead = true,
	  .fips = true },
	{ .name = "aes256-gcm@openssh.com", .id = HS_CIPHER_AES256_GCM, .aead = true,
	  .fips = true },
	{ 0 }
};

static const struct hs_mac_alg mac_algs[] = {
	{ .name = "hmac-sha2-256-etm@openssh.com", .hash = HS_HASH_SHA256, .key_len = 32,
	  .etm = true, .fips = true },
	{ .name = "hmac-sha2-512-etm@openssh.com", .hash = HS_HASH_SHA512, .key_len = 64,
	  .etm = true, .fips = true },
	{ .name = "hmac-sha2-256", .hash = HS_HASH_SHA256, .key_len = 32, .etm = false,
	  .fips = true },
	{ .name = "hmac-sha2-512", .hash = HS_HASH_SHA512, .key_len = 64, .etm = false,
	  .fips = true },
	{ 0 }
};

static const struct hs_hostkey_alg hostkey_algs[] = {
	{ .sig = HS_SIG_ED25519, .fips = false },
	{ .sig = HS_SIG_ECDSA_P256, .fips = true },
	{ .sig = HS_SIG_ECDSA_P384, .fips = true },
	{ .sig = HS_SIG_ECDSA_P521, .fips = true },
	{ .sig = HS_SIG_RSA_SHA512, .fips = true },
	{ .sig = HS_SIG_RSA_SHA256, .fips = true },
	{ .sig = HS_SIG_UNKNOWN }
};

#define ALGS_MAX_LIST	1024	/* longer than any list of our names */

static const char *
kex_name(size_t i)
{
	return hs_kex_algs()[i].name;
}

static const char *
cipher_name(size_t i)
{
	return cipher_algs[i].name;
}

static const char *
mac_name(size_t i)
{
	return mac_algs[i].name;
}

static const char *
hostkey_name(size_t i)
{
	return hostkey_algs[i].sig == HS_SIG_UNKNOWN ? NULL : hs_sig_alg_name(hostkey_algs[i].sig);
}

/* Row names of each family's table, indexed by enum hs_alg_family. */
static const char *(*const fam_names[])(size_t i) = {
	[HS_ALGS_KEX] = kex_name,
	[HS_ALGS_CIPHER] = cipher_name,
	[HS_ALGS_MAC] = mac_name,
	[HS_ALGS_HOSTKEY] = hostkey_name,
};

/* Name of row i of the family's table, or NULL past the end (or for an unknown family). */
static const char *
fam_name(enum hs_alg_family fam, size_t i)
{
	if (fam < HS_ALGS_KEX || fam > HS_ALGS_HOSTKEY)
		return NULL;
	return fam_names[fam](i);
}

static bool
fam_has(enum hs_alg_family fam, const char *name, size_t len)
{
	const char *n;

	for (size_t i = 0; (n = fam_name(fam, i)) != NULL; i++)
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return true;
	return false;
}

const struct hs_cipher_alg *
hs_algs_cipher_find(const char *name, size_t len)
{
	for (size_t i = 0; cipher_algs[i].name != NULL; i++) {
		const char *n = cipher_algs[i].name;

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return &cipher_algs[i];
	}
	return NULL;
}

const struct hs_mac_alg *
hs_algs_mac_find(const char *name, size_t len)
{
	for (size_t i = 0; mac_algs[i].name != NULL; i++)
		if (strlen(mac_algs[i].name) == len && memcmp(mac_algs[i].name, name, len) == 0)
			return &mac_algs[i];
	return NULL;
}

const struct hs_hostkey_alg *
hs_algs_hostkey_find(const char *name, size_t len)
{
	enum hs_sig_alg a = hs_sig_alg_from_name(name, len);

	for (size_t i = 0; a != HS_SIG_UNKNOWN && hostkey_algs[i].sig != HS_SIG_UNKNOWN; i++)
		if (hostkey_algs[i].sig == a)
			return &hostkey_algs[i];
	return NULL;
}

/* Defaults are the whole table in table order; built once. */
const char *
hs_algs_default(enum hs_alg_family fam)
{
	static char lists[5][ALGS_MAX_LIST];
	char *l;
	const char *n;
	size_t used = 0;

	if (fam < HS_ALGS_KEX || fam > HS_ALGS_HOSTKEY)
		return "";
	l = lists[fam];
	if (l[0] != '\0')
		return l;
	for (size_t i = 0; (n = fam_name(fam, i)) != NULL; i++) {
		int w = snprintf(l + used, ALGS_MAX_LIST - used, "%s%s", used ? "," : "", n);

		if (w < 0 || (size_t)w >= ALGS_MAX_LIST - used)
			break;
		used += (size_t)w;
	}
	return l;
}

bool
hs_algs_match(const char *pat, const char *s, size_t len)
{
	return hs_match_glob_n(s, len, pat, strlen(pat), false);
}

bool
hs_algs_list_has(const char *list, const char *name, size_t name_len)
{
	const char *p = list, *c;
	size_t n;

	if (list == NULL)
		return false;
	while (*p != '\0') {
		c = strchr(p, ',');
		n = c ? (size_t)(c - p) : strlen(p);
		if (n == name_len && memcmp(p, name, n) == 0)
			return true;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return false;
}

/* Append name to the list in out (capacity ALGS_MAX_LIST) unless present. */
static hs_err
list_add(char *out, const char *name, size_t len)
{
	size_t used = strlen(out);

	if (hs_algs_list_has(out, name, len))
		return HS_OK;
	HS_ENSURE(used + len + 2 < ALGS_MAX_LIST, HS_ERR_CONFIG);
	if (used > 0)
		out[used++] = ',';
	memcpy(out + used, name, len);
	out[used + len] = '\0';
	return HS_OK;
}

static hs_err
set_bad(char **bad, const char *name, size_t len)
{
	if (bad != NULL && (*bad = malloc(len + 1)) != NULL) {
		memcpy(*bad, name, len);
		(*bad)[len] = '\0';
	}
	return HS_ERR_CONFIG;
}

/* Append to out every table name matched by the patterns in spec (in spec order, then table order
 * for a wildcard). Each pattern must match something unless allow_none. */
static hs_err
expand(enum hs_alg_family fam, const char *spec, bool allow_none, char *out, char **bad)
{
	const char *p = spec, *c, *n;
	char pat[256];
	size_t len;
	bool hit;

	while (*p != '\0') {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		if (len == 0 || len >= sizeof(pat))
			return set_bad(bad, p, len);
		memcpy(pat, p, len);
		pat[len] = '\0';
		hit = false;
		for (size_t i = 0; (n = fam_name(fam, i)) != NULL; i++) {
			if (hs_algs_match(pat, n, strlen(n))) {
				HS_GUARD(list_add(out, n, strlen(n)));
				hit = true;
			}
		}
		if (!hit && !allow_none)
			return set_bad(bad, p, len);
		if (c == NULL)
			break;
		p = c + 1;
	}
	return HS_OK;
}

/* Append to out the names of base that are not in drop (drop may be NULL). */
static hs_err
list_merge(char *out, const char *base, const char *drop)
{
	const char *p = base, *c;
	size_t len;

	while (*p != '\0') {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		if (drop == NULL || !hs_algs_list_has(drop, p, len))
			HS_GUARD(list_add(out, p, len));
		if (c == NULL)
			break;
		p = c + 1;
	}
	return HS_OK;
}

hs_err
hs_algs_apply(enum hs_alg_family fam, const char *spec, char **out, char **bad)
{
	char sel[ALGS_MAX_LIST] = "", res[ALGS_MAX_LIST] = "";
	const char *dflt = hs_algs_default(fam);

	*out = NULL;
	if (bad != NULL)
		*bad = NULL;
	if (spec == NULL || spec[0] == '\0') {
		snprintf(res, sizeof(res), "%s", dflt);
	} else if (spec[0] == '+') {
		snprintf(res, sizeof(res), "%s", dflt);
		HS_GUARD(expand(fam, spec + 1, false, res, bad));
	} else if (spec[0] == '-') {
		HS_GUARD(expand(fam, spec + 1, true, sel, bad));
		HS_GUARD(list_merge(res, dflt, sel));
	} else if (spec[0] == '^') {
		HS_GUARD(expand(fam, spec + 1, false, res, bad));
		HS_GUARD(list_merge(res, dflt, NULL));
	} else {
		HS_GUARD(expand(fam, spec, false, res, bad));
	}
	HS_ENSURE(res[0] != '\0', set_bad(bad, spec, strlen(spec)));
	if ((*out = hs_strdup(res)) == NULL)
		return HS_ERR_ALLOC;
	return HS_OK;
}

hs_err
hs_algs_validate(enum hs_alg_family fam, const char *list, char **bad)
{
	const char *p = list, *c;
	size_t len;

	if (bad != NULL)
		*bad = NULL;
	while (p != NULL && *p != '\0') {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		if (!fam_has(fam, p, len))
			return set_bad(bad, p, len);
		if (c == NULL)
			break;
		p = c + 1;
	}
	return HS_OK;
}

/* The FIPS mode approved list: Fedora's FIPS crypto policy for OpenSSH (issue 6), by family.
 * The order within a family does not matter: defaults keep the default order. */
static const struct {
	enum hs_alg_family fam;
	const char *name;
} fips_approved[] = {
	{ HS_ALGS_KEX, "ecdh-sha2-nistp256" },
	{ HS_ALGS_KEX, "ecdh-sha2-nistp384" },
	{ HS_ALGS_KEX, "ecdh-sha2-nistp521" },
	{ HS_ALGS_KEX, "diffie-hellman-group14-sha256" },
	{ HS_ALGS_KEX, "diffie-hellman-group16-sha512" },
	{ HS_ALGS_CIPHER, "aes256-gcm@openssh.com" },
	{ HS_ALGS_CIPHER, "aes128-gcm@openssh.com" },
	{ HS_ALGS_CIPHER, "aes256-ctr" },
	{ HS_ALGS_CIPHER, "aes128-ctr" },
	{ HS_ALGS_MAC, "hmac-sha2-256" },
	{ HS_ALGS_MAC, "hmac-sha2-512" },
	{ HS_ALGS_MAC, "hmac-sha2-256-etm@openssh.com" },
	{ HS_ALGS_MAC, "hmac-sha2-512-etm@openssh.com" },
	{ HS_ALGS_HOSTKEY, "ecdsa-sha2-nistp256" },
	{ HS_ALGS_HOSTKEY, "ecdsa-sha2-nistp384" },
	{ HS_ALGS_HOSTKEY, "ecdsa-sha2-nistp521" },
	{ HS_ALGS_HOSTKEY, "rsa-sha2-256" },
	{ HS_ALGS_HOSTKEY, "rsa-sha2-512" },
};

bool
hs_algs_fips_approved_n(enum hs_alg_family fam, const char *name, size_t len)
{
	for (size_t i = 0; name != NULL && i < sizeof(fips_approved) / sizeof(fips_approved[0]);
	    i++)
		if (fips_approved[i].fam == fam && strlen(fips_approved[i].name) == len &&
		    memcmp(fips_approved[i].name, name, len) == 0)
			return true;
	return false;
}

bool
hs_algs_fips_approved(enum hs_alg_family fam, const char *name)
{
	return name != NULL && hs_algs_fips_approved_n(fam, name, strlen(name));
}

hs_err
hs_algs_fips_list(enum hs_alg_family fam, char **list, bool configured, char **bad)
{
	char res[ALGS_MAX_LIST] = "";
	const char *p, *c;
	size_t len;

	if (bad != NULL)
		*bad = NULL;
	p = (*list != NULL && configured) ? *list : hs_algs_default(fam);
	while (*p != '\0') {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		if (hs_algs_fips_approved_n(fam, p, len))
			HS_GUARD(list_add(res, p, len));
		else if (configured)
			return set_bad(bad, p, len);
		if (c == NULL)
			break;
		p = c + 1;
	}
	HS_ENSURE(res[0] != '\0', HS_ERR_CONFIG);
	free(*list);
	if ((*list = hs_strdup(res)) == NULL)
		return HS_ERR_ALLOC;
	return HS_OK;
}

void
hs_algs_print(enum hs_alg_family fam, FILE *f)
{
	const char *n;

	for (size_t i = 0; (n = fam_name(fam, i)) != NULL; i++)
		fprintf(f, "%s\n", n);
}
