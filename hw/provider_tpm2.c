/* provider_tpm2.c: host and user keys in a TPM 2.0 through tpm2-tss ESAPI (TCG TSS 2.0 ESAPI
 * specification), named by tpm2: URIs (hw/hs_tpm2.h): persistent keys by handle, or keys loaded
 * from tpm2_create's public/private files. Keys of one TCTI share one ESAPI context
 * (hw/tpm2_ctx.c); signatures are in hw/tpm2_sign.c, key exchange in hw/tpm2_kex.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_tpm2_impl.h"

#define BLOB_FILE_MAX	4096	/* a TPM2B_PUBLIC or TPM2B_PRIVATE is well under 2 KiB */

static void
unlink_key(struct hs_tpm2_key *tk)
{
	struct hs_tpm2_key **pp;

	for (pp = &tk->tc->keys; *pp != NULL; pp = &(*pp)->next)
		if (*pp == tk) {
			*pp = tk->next;
			break;
		}
}

static void
tpm2_key_free(void *priv)
{
	struct hs_tpm2_key *tk = priv;
	struct hs_tpm2_ctx *tc;

	if (tk == NULL)
		return;
	if ((tc = tk->tc) != NULL) {
		pthread_mutex_lock(&tc->lock);
		unlink_key(tk);
		if (tk->obj != ESYS_TR_NONE && tc->esys != NULL &&
		    tk->generation == tc->generation) {
			if (tk->transient)
				(void)tc->fn->flush(tc->esys, tk->obj);
			else
				(void)tc->fn->tr_close(tc->esys, &tk->obj);
		}
		pthread_mutex_unlock(&tc->lock);
		hs_tpm2_ctx_put(tc);
	}
	hs_tpm2uri_free(&tk->uri);
	free(tk->uri_text);
	hs_free_wiped(tk, sizeof(*tk));
}

/* The whole of a small file into buf. */
static hs_err
read_small(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	ssize_t k = 0;
	size_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		hs_error("tpm2: %s: %s", path, strerror(errno));
		return errno == ENOENT ? HS_ERR_NOT_FOUND : HS_ERR_IO;
	}
	while (n < cap && ((k = read(fd, buf + n, cap - n)) > 0 || (k < 0 && errno == EINTR)))
		n += k > 0 ? (size_t)k : 0;
	close(fd);
	if (k < 0 || n == cap) {
		hs_error("tpm2: %s: %s", path, k < 0 ? strerror(errno) : "too large for a key blob");
		return k < 0 ? HS_ERR_IO : HS_ERR_TOO_LARGE;
	}
	*len = n;
	return HS_OK;
}

/* tpm2_create's -u/-r files: a marshalled TPM2B_PUBLIC and TPM2B_PRIVATE, nothing after. */
static hs_err
read_blobs(struct hs_tpm2_key *tk)
{
	const struct hs_tpm2_fn *f = tk->tc->fn;
	uint8_t buf[BLOB_FILE_MAX];
	size_t n = 0, off = 0;
	hs_err r;

	HS_GUARD_GOTO(read_small(tk->uri.pub_path, buf, sizeof(buf), &n), r, out);
	if (f->mu_public(buf, n, &off, &tk->blob_pub) != TSS2_RC_SUCCESS || off != n) {
		hs_error("tpm2 %s: %s is not a TPM2B_PUBLIC", tk->uri_text, tk->uri.pub_path);
		r = HS_ERR_FORMAT;
		goto out;
	}
	off = 0;
	HS_GUARD_GOTO(read_small(tk->uri.priv_path, buf, sizeof(buf), &n), r, out);
	if (f->mu_private(buf, n, &off, &tk->blob_priv) != TSS2_RC_SUCCESS || off != n) {
		hs_error("tpm2 %s: %s is not a TPM2B_PRIVATE", tk->uri_text, tk->uri.priv_path);
		r = HS_ERR_FORMAT;
		goto out;
	}
	tk->transient = true;
	r = HS_OK;
out:
	hs_wipe(buf, sizeof(buf));
	return r;
}

/* Register tk with its context, load it and read its public area (ReadPublic, Part 3 12.4). */
static hs_err
load_public(struct hs_tpm2_key *tk, struct hs_key_raw *raw)
{
	struct hs_tpm2_ctx *tc = tk->tc;
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC rc;
	hs_err r;

	pthread_mutex_lock(&tc->lock);
	tk->next = tc->keys;
	tc->keys = tk;
	HS_GUARD_GOTO(hs_tpm2_key_ensure(tk), r, out);
	rc = tc->fn->read_public(tc->esys, tk->obj, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
	    NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		r = hs_tpm2_fail(tc, tk->uri_text, "ReadPublic", rc);
		goto out;
	}
	r = hs_tpm2_public_raw(tk, &pub->publicArea, raw);
out:
	pthread_mutex_unlock(&tc->lock);
	tc->fn->free(pub);
	return r;
}

/* The key shell: public blob, then the pairwise test (issue 6) before any use. */
static hs_err
make_key(struct hs_tpm2_key *tk, struct hs_key **out)
{
	struct hs_key_raw *raw;
	hs_err r;

	if ((raw = hs_calloc(1, sizeof(*raw))) == NULL)
		return HS_ERR_ALLOC;
	r = load_public(tk, raw);
	if (r == HS_OK)
		r = hs_key_wrap_hw(&hs_provider_tpm2, raw, tk->type == HS_KEY_RSA ?
		    (unsigned)tk->modlen * 8 : hs_key_type_bits(tk->type), tk, tpm2_key_free,
		    tk->uri_text, out);
	hs_free_wiped(raw, sizeof(*raw));
	return r;
}

static hs_err
tpm2_key_open(void *ctx, const char *uri, const char *passphrase, struct hs_key **out,
    char **comment)
{
	struct hs_tpm2_key *tk;
	size_t alen = 0;
	hs_err r;

	(void)ctx;
	(void)passphrase;	/* the auth value comes from the URI's auth-file */
	*out = NULL;
	if ((tk = hs_calloc(1, sizeof(*tk))) == NULL)
		return HS_ERR_ALLOC;
	tk->obj = ESYS_TR_NONE;
	HS_ENSURE_GOTO((tk->uri_text = hs_strdup(uri)) != NULL, HS_ERR_ALLOC, r, out);
	HS_GUARD_GOTO(hs_tpm2uri_parse(uri, &tk->uri), r, out);
	if (!hs_tpm2uri_has_key(&tk->uri)) {
		hs_error("tpm2 %s: name the key with handle= or blob=", uri);
		r = HS_ERR_CONFIG;
		goto out;
	}
	HS_GUARD_GOTO(hs_tpm2uri_read_auth(&tk->uri, tk->auth.buffer, sizeof(tk->auth.buffer),
	    &alen), r, out);
	tk->auth.size = (UINT16)alen;
	HS_GUARD_GOTO(hs_tpm2_ctx_get(tk->uri.tcti, uri, &tk->tc), r, out);
	if (tk->uri.pub_path != NULL)
		HS_GUARD_GOTO(read_blobs(tk), r, out);
	HS_GUARD_GOTO(make_key(tk, out), r, out);
	tk = NULL;
	if (comment != NULL && (*comment = hs_strdup(uri)) == NULL) {
		hs_key_free(*out);
		*out = NULL;
		r = HS_ERR_ALLOC;
		goto out;
	}
	r = HS_OK;
out:
	tpm2_key_free(tk);
	return r;
}

static bool
tpm2_available(void)
{
	return true;	/* the TSS libraries are loaded per context; their absence is reported then */
}

static bool
tpm2_handles_uri(const char *uri)
{
	return hs_tpm2uri_is(uri);
}

const struct hs_provider_ops hs_provider_tpm2 = {
	.name = "tpm2",
	.available = tpm2_available,
	.self_test = NULL,
	.handles_uri = tpm2_handles_uri,
	.key_open = tpm2_key_open,
	.sign = hs_tpm2_sign,
	.kex_keypair = hs_tpm2_kex_keypair,
	.kex_derive = hs_tpm2_kex_derive,
	.kex_open = hs_tpm2_kex_open,
	.kex_supports = hs_tpm2_kex_supports,
	.kex_close = hs_tpm2_kex_close,
	.summary = "TPM 2.0 via tpm2-tss ESAPI (dlopen): keys tpm2:handle= / tpm2:blob=; "
	    "ecdsa-sha2-nistp256/384, rsa-sha2-256/512 (RSA 2048/3072); KEX ecdh-sha2-nistp256/384; "
	    "salted AES-128-CFB sessions; TPM2_GetRandom into the DRBG",
};
