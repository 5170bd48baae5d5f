/* hs_tpm2.h: the TPM 2.0 provider's public face (hw/provider_tpm2.c, hw/tpm2_*.c). Names no TSS2
 * type, so the tests and the fuzz target include it without the tpm2-tss headers.
 *
 * Key references (issue 5):
 *
 *   tpm2:handle=0x81000001[;auth-file=PATH][;tcti=CONF]
 *       a persistent key (TPM 2.0 Part 2 7.3: persistent object handles 0x81000000-0x81ffffff).
 *   tpm2:blob=PUB_PATH,PRIV_PATH[;parent=0x81000000][;auth-file=PATH][;tcti=CONF]
 *   tpm2:blob=BASE[;parent=...]...
 *       a key loaded from the TPM2B_PUBLIC and TPM2B_PRIVATE that `tpm2_create -u PUB -r PRIV`
 *       writes (TSS marshalled form). The single-path form reads BASE.pub and BASE.priv. The
 *       parent is a persistent storage key; default 0x81000001 is the TCG provisioning guidance's
 *       SRK handle, so most setups name it. The parent must need no auth value.
 *   tpm2:[tcti=CONF]
 *       no key: only for KexProvider, which needs the TPM, not an object.
 *
 * Attributes are separated by ';' and appear at most once. A value runs to the next ';' and may
 * carry %XX escapes (a ';' inside a TCTI string is %3B). auth-file names a file whose bytes, as
 * `tpm2_create -p file:PATH` reads them, are the key's auth value (at most 64 bytes; the file must
 * not be readable by group or others); never an auth value in the URI or on a command line.
 * tcti is a tctildr configuration string ("swtpm:host=127.0.0.1,port=2321", "device:/dev/tpmrm0",
 * "tabrmd"); without it the default set by hs_tpm2_set_tcti() is used, else $TPM2TCTI, else
 * tctildr's own default search.
 */
#ifndef HS_TPM2_H
#define HS_TPM2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"
#include "hs_provider.h"

#define HS_TPM2_AUTH_MAX	64	/* TPM2B_AUTH holds at most a SHA-512 digest (Part 2 10.4.5) */
#define HS_TPM2_SRK_HANDLE	0x81000001u

/* A parsed tpm2: URI. Strings are owned (free with hs_tpm2uri_free); NULL when absent. */
struct hs_tpm2uri {
	bool has_handle;
	uint32_t handle;		/* persistent key handle */
	char *pub_path, *priv_path;	/* blob= */
	bool has_parent;
	uint32_t parent;		/* blob parent; HS_TPM2_SRK_HANDLE if absent */
	char *auth_file;
	char *tcti;
};

/* True iff uri starts with "tpm2:" (the scheme is case-insensitive, RFC 3986 3.1). */
bool hs_tpm2uri_is(const char *uri);
/* Parse uri into *u (zeroed first; on failure it holds nothing to free). HS_ERR_FORMAT for bad
 * syntax, an unknown or repeated attribute, a bad %XX escape or NUL, a handle outside the
 * persistent range, both handle= and blob=, or parent= without blob=; HS_ERR_TOO_LARGE for a URI
 * over 4096 bytes. The reason is logged without echoing attribute values. */
HS_MUST_USE hs_err hs_tpm2uri_parse(const char *uri, struct hs_tpm2uri *u);
void hs_tpm2uri_free(struct hs_tpm2uri *u);
/* True iff the URI names a key (handle= or blob=). */
bool hs_tpm2uri_has_key(const struct hs_tpm2uri *u);
/* Read the auth value from u->auth_file into buf (cap bytes, at least HS_TPM2_AUTH_MAX); *len 0
 * if the URI has no auth-file. HS_ERR_NOT_FOUND (missing), HS_ERR_PERM (group/other can read it,
 * or not a regular file), HS_ERR_TOO_LARGE (over 64 bytes), HS_ERR_IO. Logged, naming the path. */
HS_MUST_USE hs_err hs_tpm2uri_read_auth(const struct hs_tpm2uri *u, uint8_t *buf, size_t cap,
    size_t *len);

/* The TCTI used by tpm2: URIs without tcti= (a copy is kept; NULL or "" restores $TPM2TCTI and
 * then tctildr's default). Takes effect for TPM contexts opened afterwards. */
HS_MUST_USE hs_err hs_tpm2_set_tcti(const char *conf);

/* The provider (hw/provider_tpm2.c). */
extern const struct hs_provider_ops hs_provider_tpm2;

#endif
