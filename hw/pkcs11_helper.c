/* pkcs11_helper.c: client keys on smartcards through libpkcs11-helper (hw/hs_p11helper.h).
 * The library is dlopen()ed and called through a small function table; its prompt hooks are
 * routed to the caller's prompts. Public keys come from the certificates (X.509, RFC 5280 4.1:
 * subjectPublicKeyInfo), decoded with wolfCrypt. Signatures are encoded as hs_key_sign's
 * contract says: ecdsa-sha2-*: mpint r, mpint s (RFC 5656 3.1.2); rsa-sha2-256/512: PKCS#1 v1.5
 * signature of the modulus length (RFC 8332 3).
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pkcs11-helper-1.0/pkcs11h-certificate.h>
#include <pkcs11-helper-1.0/pkcs11h-core.h>

#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_p11helper.h"

#define P11H_LIBRARY	"libpkcs11-helper.so.1"
#define P11H_SIG_MAX	512		/* RSA 4096 */
#define P11H_CERT_MAX	(64u * 1024)
#define P11H_LOGIN_TRIES	3	/* pkcs11-helper's own bound on PIN prompts per login */

/* The entry points we use, typed from pkcs11-helper's own prototypes. */
struct p11h_fns {
	__typeof__(pkcs11h_initialize) *initialize;
	__typeof__(pkcs11h_terminate) *terminate;
	__typeof__(pkcs11h_getMessage) *get_message;
	__typeof__(pkcs11h_setLogHook) *set_log_hook;
	__typeof__(pkcs11h_setLogLevel) *set_log_level;
	__typeof__(pkcs11h_setPINPromptHook) *set_pin_hook;
	__typeof__(pkcs11h_setTokenPromptHook) *set_token_hook;
	__typeof__(pkcs11h_setPINCachePeriod) *set_pin_cache;
	__typeof__(pkcs11h_setMaxLoginRetries) *set_login_retries;
	__typeof__(pkcs11h_addProvider) *add_provider;
	__typeof__(pkcs11h_certificate_enumCertificateIds) *enum_ids;
	__typeof__(pkcs11h_certificate_freeCertificateIdList) *free_id_list;
	__typeof__(pkcs11h_certificate_create) *cert_create;
	__typeof__(pkcs11h_certificate_freeCertificate) *cert_free;
	__typeof__(pkcs11h_certificate_getCertificateBlob) *cert_blob;
	__typeof__(pkcs11h_certificate_signAny) *sign_any;
};

#define FN(field, sym)	{ #sym, offsetof(struct p11h_fns, field) }
static const struct {
	const char *sym;
	size_t off;
} p11h_syms[] = {
	FN(initialize, pkcs11h_initialize), FN(terminate, pkcs11h_terminate),
	FN(get_message, pkcs11h_getMessage), FN(set_log_hook, pkcs11h_setLogHook),
	FN(set_log_level, pkcs11h_setLogLevel), FN(set_pin_hook, pkcs11h_setPINPromptHook),
	FN(set_token_hook, pkcs11h_setTokenPromptHook),
	FN(set_pin_cache, pkcs11h_setPINCachePeriod),
	FN(set_login_retries, pkcs11h_setMaxLoginRetries), FN(add_provider, pkcs11h_addProvider),
	FN(enum_ids, pkcs11h_certificate_enumCertificateIds),
	FN(free_id_list, pkcs11h_certificate_freeCertificateIdList),
	FN(cert_create, pkcs11h_certificate_create),
	FN(cert_free, pkcs11h_certificate_freeCertificate),
	FN(cert_blob, pkcs11h_certificate_getCertificateBlob),
	FN(sign_any, pkcs11h_certificate_signAny),
};
#undef FN

/* Process-wide state: pkcs11-helper itself is process-wide (one initialize, global hooks). */
static struct {
	void *dl;
	struct p11h_fns f;
	bool init;
	unsigned refs;			/* live keys */
	struct hs_p11helper_prompts prompts;
	char *modules;			/* modules added, "\n"-separated, to add each once */
} p11h;

/* struct hs_key.priv of a pkcs11-helper key. */
struct p11h_key {
	pkcs11h_certificate_t cert;
	size_t modlen;			/* RSA modulus bytes, ECDSA field bytes */
};

static const struct hs_provider_ops p11h_ops;

static hs_err
p11h_fail(const char *what, CK_RV rv)
{
	hs_error("pkcs11-helper: %s: %s (0x%lx)", what, p11h.f.get_message != NULL ?
	    p11h.f.get_message(rv) : "error", (unsigned long)rv);
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED ? HS_ERR_PERM : HS_ERR_PROVIDER;
}

/* ---- hooks ---- */

/* pkcs11-helper's log hook hands us its own format string. */
static void __attribute__((format(printf, 3, 0)))
hook_log(void *global, unsigned flags, const char *fmt, va_list ap)
{
	char line[512];

	(void)global;
	(void)flags;
	vsnprintf(line, sizeof(line), fmt, ap);
	hs_debug3("pkcs11-helper: %s", line);
}

static PKCS11H_BOOL
hook_pin(void *global, void *user, pkcs11h_token_id_t token, unsigned retry, char *pin,
    size_t cap)
{
	(void)global;
	(void)user;
	if (p11h.prompts.pin == NULL || cap == 0)
		return FALSE;
	return p11h.prompts.pin(p11h.prompts.arg, token->label, retry, pin, cap) == HS_OK;
}

static PKCS11H_BOOL
hook_token(void *global, void *user, pkcs11h_token_id_t token, unsigned retry)
{
	(void)global;
	(void)user;
	if (p11h.prompts.token == NULL)
		return FALSE;
	return p11h.prompts.token(p11h.prompts.arg, token->label, retry) == HS_OK;
}

/* ---- the library ---- */

static hs_err
lib_load(void)
{
	void *sym;

	if (p11h.f.initialize != NULL)
		return HS_OK;
	if (p11h.dl == NULL && (p11h.dl = dlopen(P11H_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		hs_error("pkcs11-helper: cannot load %s: %s", P11H_LIBRARY, dlerror());
		return HS_ERR_NOT_FOUND;
	}
	for (size_t i = 0; i < sizeof(p11h_syms) / sizeof(p11h_syms[0]); i++) {
		if ((sym = dlsym(p11h.dl, p11h_syms[i].sym)) == NULL) {
			hs_error("pkcs11-helper: %s lacks %s", P11H_LIBRARY, p11h_syms[i].sym);
			/* the handle stays open (libcrypto pins itself); the table stays empty */
			memset(&p11h.f, 0, sizeof(p11h.f));
			return HS_ERR_NOT_FOUND;
		}
		memcpy((char *)&p11h.f + p11h_syms[i].off, &sym, sizeof(sym));
	}
	return HS_OK;
}

static hs_err
lib_init(const struct hs_p11helper_prompts *pr)
{
	CK_RV rv;

	HS_GUARD(lib_load());
	if (pr != NULL)
		p11h.prompts = *pr;
	if (p11h.init)
		return HS_OK;
	if ((rv = p11h.f.initialize()) != CKR_OK)
		return p11h_fail("initialize", rv);
	p11h.init = true;
	(void)p11h.f.set_log_hook(hook_log, NULL);
	p11h.f.set_log_level(hs_log_get_level() >= HS_LOG_DEBUG3 ? PKCS11H_LOG_DEBUG1 :
	    PKCS11H_LOG_QUIET);
	if ((rv = p11h.f.set_pin_hook(hook_pin, NULL)) != CKR_OK ||
	    (rv = p11h.f.set_token_hook(hook_token, NULL)) != CKR_OK ||
	    (rv = p11h.f.set_pin_cache(PKCS11H_PIN_CACHE_INFINITE)) != CKR_OK ||
	    (rv = p11h.f.set_login_retries(P11H_LOGIN_TRIES)) != CKR_OK)
		return p11h_fail("set up hooks", rv);
	return HS_OK;
}

static void
lib_release(void)
{
	if (p11h.refs > 0 && --p11h.refs > 0)
		return;
	if (p11h.init)
		(void)p11h.f.terminate();
	p11h.init = false;
	free(p11h.modules);
	p11h.modules = NULL;
	hs_wipe(&p11h.prompts, sizeof(p11h.prompts));
}

/* Add module once per process (pkcs11-helper refuses a reference given twice). */
static hs_err
add_module(const char *module)
{
	char *list = NULL;
	CK_RV rv;

	if (p11h.modules != NULL) {
		for (const char *p = p11h.modules; *p != '\0'; p += strcspn(p, "\n") + 1)
			if (strncmp(p, module, strcspn(p, "\n")) == 0 &&
			    strlen(module) == strcspn(p, "\n"))
				return HS_OK;
	}
	rv = p11h.f.add_provider(module, module, FALSE, PKCS11H_PRIVATEMODE_MASK_AUTO,
	    PKCS11H_SLOTEVENT_METHOD_AUTO, 0, FALSE);
	if (rv != CKR_OK) {
		hs_error("pkcs11-helper: cannot add module %s: %s", module, p11h.f.get_message(rv));
		return HS_ERR_NOT_FOUND;
	}
	if (asprintf(&list, "%s%s\n", p11h.modules ? p11h.modules : "", module) < 0)
		return HS_ERR_ALLOC;
	free(p11h.modules);
	p11h.modules = list;
	return HS_OK;
}

/* ---- certificates ---- */

static hs_err
spki_raw(const uint8_t *spki, word32 len, struct hs_key_raw *raw)
{
	static const enum hs_key_type ec_types[] = {
		HS_KEY_ECDSA_P256, HS_KEY_ECDSA_P384, HS_KEY_ECDSA_P521,
	};
	union { ecc_key ec; RsaKey rsa; } k;
	word32 idx = 0, plen = sizeof(raw->pub), nlen = sizeof(raw->n), elen = sizeof(raw->e);
	size_t size;
	int curve, ret;

	if (wc_ecc_init(&k.ec) == 0) {
		ret = wc_EccPublicKeyDecode(spki, &idx, &k.ec, len);
		for (size_t i = 0; ret == 0 && i < sizeof(ec_types) / sizeof(ec_types[0]); i++) {
			if (hs_soft_curve(ec_types[i], &curve, &size) && k.ec.dp != NULL &&
			    k.ec.dp->id == curve) {
				raw->type = ec_types[i];
				ret = wc_ecc_export_x963(&k.ec, raw->pub, &plen);
				raw->pub_len = plen;
				wc_ecc_free(&k.ec);
				return ret == 0 ? HS_OK : HS_ERR_FORMAT;
			}
		}
		wc_ecc_free(&k.ec);
		if (ret == 0)
			return HS_ERR_UNSUPPORTED;	/* a curve SSH does not name */
	}
	idx = 0;
	if (wc_InitRsaKey(&k.rsa, NULL) != 0)
		return HS_ERR_PROVIDER;
	ret = wc_RsaPublicKeyDecode(spki, &idx, &k.rsa, len);
	if (ret == 0)
		ret = wc_RsaFlattenPublicKey(&k.rsa, raw->e, &elen, raw->n, &nlen);
	wc_FreeRsaKey(&k.rsa);
	HS_ENSURE(ret == 0, HS_ERR_UNSUPPORTED);
	raw->type = HS_KEY_RSA;
	raw->e_len = elen;
	raw->n_len = nlen;
	return HS_OK;
}

/* The SSH public blob of a certificate's subject key, checked by the strict blob parser. */
static hs_err
cert_blob(const uint8_t *der, size_t len, struct hs_buf *blob, struct hs_key_raw *raw)
{
	DecodedCert dc;
	uint8_t spki[1200];
	word32 slen = sizeof(spki);
	struct hs_key *check = NULL;
	int ret;

	HS_ENSURE(len > 0 && len <= P11H_CERT_MAX, HS_ERR_FORMAT);
	wc_InitDecodedCert(&dc, der, (word32)len, NULL);
	ret = wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL);
	if (ret == 0)
		ret = wc_GetPubKeyDerFromCert(&dc, spki, &slen);
	wc_FreeDecodedCert(&dc);
	if (ret != 0) {
		hs_debug("pkcs11-helper: certificate does not parse (wolfCrypt %d)", ret);
		return HS_ERR_FORMAT;
	}
	HS_GUARD(spki_raw(spki, slen, raw));
	HS_GUARD(hs_soft_blob_from_raw(raw, blob));
	HS_GUARD(hs_key_from_blob(hs_buf_ptr(blob), hs_buf_len(blob), &check));
	hs_key_free(check);
	return HS_OK;
}

/* ---- keys ---- */

static void
p11h_key_free(void *priv)
{
	struct p11h_key *pk = priv;

	if (pk == NULL)
		return;
	if (pk->cert != NULL)
		(void)p11h.f.cert_free(pk->cert);
	free(pk);
	lib_release();
}

/* A key around an opened certificate; takes cert (freed on failure too). */
static hs_err
make_key(pkcs11h_certificate_t cert, struct hs_key **out)
{
	uint8_t *der = NULL;
	size_t dlen = 0;
	struct hs_key_raw raw;
	struct hs_buf *blob = NULL;
	struct p11h_key *pk = NULL;
	hs_err r;
	CK_RV rv;

	memset(&raw, 0, sizeof(raw));
	if ((rv = p11h.f.cert_blob(cert, NULL, &dlen)) != CKR_OK) {
		r = p11h_fail("certificate blob", rv);
		goto out;
	}
	HS_ENSURE_GOTO(dlen > 0 && dlen <= P11H_CERT_MAX, HS_ERR_FORMAT, r, out);
	HS_ENSURE_GOTO((der = malloc(dlen)) != NULL, HS_ERR_ALLOC, r, out);
	if ((rv = p11h.f.cert_blob(cert, der, &dlen)) != CKR_OK) {
		r = p11h_fail("certificate blob", rv);
		goto out;
	}
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &blob), r, out);
	HS_GUARD_GOTO(cert_blob(der, dlen, blob, &raw), r, out);
	HS_ENSURE_GOTO((pk = hs_calloc(1, sizeof(*pk))) != NULL, HS_ERR_ALLOC, r, out);
	HS_GUARD_GOTO(hs_key_alloc(&p11h_ops, raw.type, hs_buf_ptr(blob), hs_buf_len(blob), out),
	    r, out);
	pk->cert = cert;
	pk->modlen = raw.type == HS_KEY_RSA ? raw.n_len : (hs_key_type_bits(raw.type) + 7) / 8;
	(*out)->has_private = true;
	(*out)->bits = raw.type == HS_KEY_RSA ? (unsigned)raw.n_len * 8 :
	    hs_key_type_bits(raw.type);
	(*out)->priv = pk;
	(*out)->priv_free = p11h_key_free;
	p11h.refs++;
	cert = NULL;
	pk = NULL;
	r = HS_OK;
out:
	if (cert != NULL)
		(void)p11h.f.cert_free(cert);
	free(pk);
	free(der);
	hs_buf_free(blob);
	return r;
}

/* Open one enumerated certificate id as a key; HS_ERR_UNSUPPORTED etc. skip it. */
static hs_err
open_id(pkcs11h_certificate_id_t id, struct hs_key **key, char **label)
{
	pkcs11h_certificate_t cert = NULL;
	hs_err r;
	CK_RV rv;

	rv = p11h.f.cert_create(id, NULL, PKCS11H_PROMPT_MASK_ALLOW_ALL,
	    PKCS11H_PIN_CACHE_INFINITE, &cert);
	if (rv != CKR_OK)
		return p11h_fail("certificate", rv);
	if ((r = make_key(cert, key)) != HS_OK) {
		hs_debug("pkcs11-helper: skipping %s: %s", id->displayName, hs_err_str(r));
		return r;
	}
	if ((*label = hs_strdup(id->displayName)) == NULL) {
		hs_key_free(*key);
		*key = NULL;
		return HS_ERR_ALLOC;
	}
	return HS_OK;
}

hs_err
hs_p11helper_keys(const char *module, const struct hs_p11helper_prompts *pr,
    struct hs_key **keys, char **labels, size_t max, size_t *n)
{
	pkcs11h_certificate_id_list_t issuers = NULL, ends = NULL, lists[2], l;
	hs_err r;
	CK_RV rv;

	*n = 0;
	HS_ENSURE(module != NULL && module[0] == '/', HS_ERR_CONFIG);
	p11h.refs++;		/* held while enumerating, so a skipped key cannot terminate */
	HS_GUARD_GOTO(lib_init(pr), r, out);
	HS_GUARD_GOTO(add_module(module), r, out);
	rv = p11h.f.enum_ids(PKCS11H_ENUM_METHOD_CACHE_EXIST, NULL, PKCS11H_PROMPT_MASK_ALLOW_ALL,
	    &issuers, &ends);
	if (rv != CKR_OK) {
		r = p11h_fail("enumerate certificates", rv);
		goto out;
	}
	/* End-entity certificates first; a self-signed one may be listed as an issuer. */
	lists[0] = ends;
	lists[1] = issuers;
	for (size_t i = 0; i < 2; i++)
		for (l = lists[i]; l != NULL && *n < max; l = l->next)
			if (open_id(l->certificate_id, &keys[*n], &labels[*n]) == HS_OK)
				(*n)++;
	hs_debug("pkcs11-helper: %s: %zu key(s) with certificates", module, *n);
	r = HS_OK;
out:
	if (issuers != NULL)
		(void)p11h.f.free_id_list(issuers);
	if (ends != NULL)
		(void)p11h.f.free_id_list(ends);
	lib_release();
	return r;
}

/* ---- signing ---- */

/* The input to the token's mechanism: the digest (ECDSA) or DigestInfo || digest (RSA,
 * CKM_RSA_PKCS). */
static hs_err
sign_input(enum hs_key_type type, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    uint8_t *in, size_t *inlen)
{
	enum hs_hash_alg ha = hs_sig_alg_hash(alg);

	HS_ENSURE(ha != 0 && hs_sig_alg_key_type(alg) == type && alg != HS_SIG_RSA_SHA1,
	    HS_ERR_UNSUPPORTED);
	if (type == HS_KEY_RSA)
		return hs_rsa_digest_info(ha, m, mlen, in, inlen);
	HS_GUARD(hs_hash(ha, m, mlen, in));
	*inlen = hs_hash_len(ha);
	return HS_OK;
}

static hs_err
p11h_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    struct hs_buf *sig)
{
	const struct p11h_key *pk = k->priv;
	uint8_t in[19 + HS_MAX_HASH], s[P11H_SIG_MAX];
	size_t inlen = 0, slen = sizeof(s);
	struct hs_buf *tmp = NULL;
	hs_err r;
	CK_RV rv;

	(void)ctx;
	HS_ENSURE(pk != NULL && p11h.init, HS_ERR_UNSUPPORTED);
	HS_GUARD_GOTO(sign_input(k->type, alg, m, mlen, in, &inlen), r, out);
	rv = p11h.f.sign_any(pk->cert, k->type == HS_KEY_RSA ? CKM_RSA_PKCS : CKM_ECDSA, in, inlen,
	    s, &slen);
	if (rv != CKR_OK) {
		r = p11h_fail("sign", rv);
		goto out;
	}
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &tmp), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(tmp, hs_sig_alg_name(alg)), r, out);
	HS_GUARD_GOTO(hs_sig_blob_from_raw(k->type, pk->modlen, s, slen, tmp), r, out);
	r = hs_buf_put_buf(sig, tmp);
out:
	hs_wipe(in, sizeof(in));
	hs_buf_free(tmp);
	return r;
}

static bool
p11h_available(void)
{
	return lib_load() == HS_OK;
}

static const struct hs_provider_ops p11h_ops = {
	.name = "pkcs11-helper",
	.available = p11h_available,
	.sign = p11h_sign,
	.summary = "client keys with certificates on smartcards via libpkcs11-helper (hssh -I): "
	    "ecdsa-sha2-nistp256/384/521, rsa-sha2-256/512",
};

const struct hs_provider_ops *
hs_p11helper_provider(void)
{
	return &p11h_ops;
}
