/* provider_pkcs11.c: host keys in a PKCS#11 token, through the module's own function list
 * (PKCS#11 v2.40 base specification, section 5). Keys are named by RFC 7512 URIs
 * (hw/hs_pkcs11_uri.h). Modules are loaded once per path and shared by the keys opened from them.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_impl.h"

static struct hs_p11_module *modules;	/* loaded modules, by path */

static void
module_release(struct hs_p11_module *mod)
{
	struct hs_p11_module **pp;

	if (mod == NULL || --mod->refs > 0)
		return;
	for (pp = &modules; *pp != NULL; pp = &(*pp)->next)
		if (*pp == mod) {
			*pp = mod->next;
			break;
		}
	if (mod->finalize)
		(void)mod->f->C_Finalize(NULL);
	if (mod->dl != NULL)
		dlclose(mod->dl);
	free(mod->path);
	free(mod);
}

/* Load and initialise the module at path (or take another reference to it). */
static hs_err
module_get(const char *path, struct hs_p11_module **out)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_C_GetFunctionList gfl;
	struct hs_p11_module *mod;
	hs_err r = HS_ERR_PROVIDER;
	CK_RV rv;

	for (mod = modules; mod != NULL; mod = mod->next)
		if (strcmp(mod->path, path) == 0) {
			mod->refs++;
			*out = mod;
			return HS_OK;
		}
	if ((mod = hs_calloc(1, sizeof(*mod))) == NULL || (mod->path = hs_strdup(path)) == NULL) {
		free(mod);
		return HS_ERR_ALLOC;
	}
	mod->refs = 1;
	if ((mod->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		hs_error("pkcs11: cannot load module %s: %s", path, dlerror());
		r = HS_ERR_NOT_FOUND;
		goto fail;
	}
	*(void **)&gfl = dlsym(mod->dl, "C_GetFunctionList");
	if (gfl == NULL || (rv = gfl(&mod->f)) != CKR_OK || mod->f == NULL) {
		hs_error("pkcs11: %s has no usable C_GetFunctionList", path);
		goto fail;
	}
	rv = mod->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = hs_p11_fail("C_Initialize", rv);
		goto fail;
	}
	mod->finalize = rv == CKR_OK;
	mod->next = modules;
	modules = mod;
	*out = mod;
	return HS_OK;
fail:
	if (mod->dl != NULL)
		dlclose(mod->dl);
	free(mod->path);
	free(mod);
	return r;
}

/* A space-padded CK_TOKEN_INFO field, trimmed, as a C string (PKCS#11 v2.40 3.2). */
static void
trim_field(const CK_UTF8CHAR *f, size_t n, char *out)
{
	while (n > 0 && f[n - 1] == ' ')
		n--;
	memcpy(out, f, n);
	out[n] = '\0';
}

static bool
field_matches(const char *want, const CK_UTF8CHAR *f, size_t n)
{
	char got[65];

	if (want == NULL)
		return true;
	trim_field(f, n, got);
	return strcmp(want, got) == 0;
}

static bool
token_matches(const struct hs_p11uri *u, const CK_TOKEN_INFO *ti)
{
	return field_matches(u->token, ti->label, sizeof(ti->label)) &&
	    field_matches(u->manufacturer, ti->manufacturerID, sizeof(ti->manufacturerID)) &&
	    field_matches(u->serial, ti->serialNumber, sizeof(ti->serialNumber)) &&
	    field_matches(u->model, ti->model, sizeof(ti->model));
}

/* The one slot whose token matches every token attribute of the URI. */
static hs_err
find_slot(struct hs_p11_key *pk, const char *uri, CK_TOKEN_INFO *ti)
{
	CK_FUNCTION_LIST_PTR f = pk->mod->f;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i, found = 0;
	CK_TOKEN_INFO cur;
	CK_RV rv;

	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return hs_p11_fail("C_GetSlotList", rv);
	for (i = 0; i < n; i++) {
		if (pk->uri.has_slot_id && slots[i] != pk->uri.slot_id)
			continue;
		/* softhsm2 and others keep a free, uninitialised token in a spare slot. */
		if (f->C_GetTokenInfo(slots[i], &cur) != CKR_OK ||
		    (cur.flags & CKF_TOKEN_INITIALIZED) == 0 || !token_matches(&pk->uri, &cur))
			continue;
		if (found++ == 0) {
			pk->slot = slots[i];
			*ti = cur;
		}
	}
	if (found != 1) {
		hs_error("pkcs11: %s: %s", uri, found == 0 ? "no matching token" :
		    "several tokens match (add token=, serial= or slot-id=)");
		return HS_ERR_NOT_FOUND;
	}
	trim_field(ti->label, sizeof(ti->label), pk->label);
	return HS_OK;
}

/* C_Login as CKU_USER with the PIN from the URI's pin-source; a wrong PIN is never retried. */
static hs_err
login(struct hs_p11_key *pk)
{
	char *pin = NULL;
	size_t len = 0;
	hs_err r;
	CK_RV rv;

	if ((r = hs_p11uri_read_pin(&pk->uri, &pin, &len)) != HS_OK) {
		if (r == HS_ERR_NOT_FOUND)
			hs_error("pkcs11: token %s needs a PIN: add pin-source=file:... to the URI",
			    pk->label);
		return r;
	}
	rv = pk->mod->f->C_Login(pk->sess, CKU_USER, (CK_UTF8CHAR_PTR)pin, len);
	hs_free_wiped(pin, len);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return hs_p11_fail("C_Login", rv);
	return HS_OK;
}

void
hs_p11_disconnect(struct hs_p11_key *pk)
{
	/* Closing the last session of the token also logs the user out (PKCS#11 v2.40 5.6). */
	if (pk->has_sess)
		(void)pk->mod->f->C_CloseSession(pk->sess);
	pk->has_sess = false;
}

hs_err
hs_p11_connect(struct hs_p11_key *pk)
{
	CK_FUNCTION_LIST_PTR f = pk->mod->f;
	CK_TOKEN_INFO ti;
	CK_ATTRIBUTE a;
	unsigned count = 0;
	hs_err r;
	CK_RV rv;

	hs_p11_disconnect(pk);
	HS_GUARD(find_slot(pk, pk->uri.module_path, &ti));
	rv = f->C_OpenSession(pk->slot, CKF_SERIAL_SESSION, NULL, NULL, &pk->sess);
	if (rv != CKR_OK)
		return hs_p11_fail("C_OpenSession", rv);
	pk->has_sess = true;
	if ((ti.flags & CKF_LOGIN_REQUIRED) != 0)
		HS_GUARD_GOTO(login(pk), r, out);
	if ((r = hs_p11_find_object(pk, CKO_PRIVATE_KEY, &pk->obj, &count)) != HS_OK) {
		if (r == HS_ERR_NOT_FOUND)
			hs_error("pkcs11: token %s: %s private key matches %s%s", pk->label,
			    count == 0 ? "no" : "more than one",
			    pk->uri.object != NULL ? "object=" : "the id",
			    pk->uri.object != NULL ? pk->uri.object : "");
		goto out;
	}
	a = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &pk->ktype, sizeof(pk->ktype) };
	if ((rv = f->C_GetAttributeValue(pk->sess, pk->obj, &a, 1)) != CKR_OK) {
		r = hs_p11_fail("CKA_KEY_TYPE", rv);
		goto out;
	}
	r = HS_OK;
out:
	if (r != HS_OK)
		hs_p11_disconnect(pk);
	return r;
}

static void
p11_key_free(void *priv)
{
	struct hs_p11_key *pk = priv;

	if (pk == NULL)
		return;
	if (pk->mod != NULL) {
		hs_p11_disconnect(pk);
		module_release(pk->mod);
	}
	hs_p11uri_free(&pk->uri);
	hs_free_wiped(pk, sizeof(*pk));
}

/* Issue 6: sign a fixed message and verify it with the public blob before using the key. */
static hs_err
pairwise_test(const struct hs_key *k)
{
	hs_err r = hs_key_pairwise_test(k);

	if (r != HS_OK) {
		hs_error("pkcs11: pairwise test failed: %s", hs_err_str(r));
		return HS_ERR_PROVIDER;
	}
	return HS_OK;
}

/* The key shell around an opened token object: public blob, then the pairwise test. */
static hs_err
make_key(struct hs_p11_key *pk, struct hs_key **out)
{
	struct hs_key_raw *raw;
	struct hs_buf *blob = NULL;
	struct hs_key *k = NULL;
	char *fp = NULL;
	hs_err r;

	if ((raw = hs_calloc(1, sizeof(*raw))) == NULL)
		return HS_ERR_ALLOC;
	HS_GUARD_GOTO(hs_p11_read_public(pk, raw), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &blob), r, out);
	HS_GUARD_GOTO(hs_soft_blob_from_raw(raw, blob), r, out);
	HS_GUARD_GOTO(hs_key_alloc(&hs_provider_pkcs11, pk->type, hs_buf_ptr(blob),
	    hs_buf_len(blob), &k), r, out);
	k->has_private = true;
	k->bits = pk->type == HS_KEY_RSA ? (unsigned)pk->modlen * 8 : hs_key_type_bits(pk->type);
	k->priv = pk;
	k->priv_free = p11_key_free;
	if ((r = pairwise_test(k)) != HS_OK) {
		k->priv = NULL;		/* the caller still owns pk */
		goto out;
	}
	if (hs_key_fingerprint(k, &fp) == HS_OK)
		hs_verbose("host key pkcs11: %s / %s: %s %s", pk->label,
		    pk->uri.object != NULL ? pk->uri.object : "(by id)",
		    hs_key_type_name(k->type), fp);
	*out = k;
	k = NULL;
	r = HS_OK;
out:
	free(fp);
	hs_key_free(k);
	hs_buf_free(blob);
	hs_free_wiped(raw, sizeof(*raw));
	return r;
}

static bool
p11_available(void)
{
	return true;	/* a module is loaded per key; its absence is reported when opening */
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
	if (pk->uri.module_path == NULL) {
		hs_error("pkcs11: %s: module-path= is required%s", uri, pk->uri.module_name != NULL ?
		    " (module-name= lookup through p11-kit is not supported)" : "");
		r = HS_ERR_CONFIG;
		goto out;
	}
	if (pk->uri.object == NULL && !pk->uri.has_id) {
		hs_error("pkcs11: %s: name the key with object= or id=", uri);
		r = HS_ERR_CONFIG;
		goto out;
	}
	HS_GUARD_GOTO(module_get(pk->uri.module_path, &pk->mod), r, out);
	if ((r = hs_p11_connect(pk)) != HS_OK) {
		if (r == HS_ERR_NOT_FOUND)
			hs_error("pkcs11: key %s not found", uri);
		goto out;
	}
	HS_GUARD_GOTO(make_key(pk, out), r, out);
	pk = NULL;
	if (comment != NULL && (*comment = hs_strdup((*out)->priv != NULL ?
	    ((struct hs_p11_key *)(*out)->priv)->label : "")) == NULL) {
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
};
