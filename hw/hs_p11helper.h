/* hs_p11helper.h: client identities on smartcards through libpkcs11-helper (hssh -I MODULE,
 * PKCS11Provider; issue 5). pkcs11-helper enumerates the keys of a module's tokens that carry an
 * X.509 certificate, asks for the token and its PIN through hooks, and signs with the key of the
 * same CKA_ID. The library is dlopen()ed ("libpkcs11-helper.so.1") on the first call, so a process
 * that never uses -I never maps it (nor the OpenSSL it links). No pkcs11-helper or PKCS#11 type
 * appears here.
 *
 * The keys returned are ordinary struct hs_key: hs_key_public_blob, hs_key_fingerprint and
 * hs_key_sign work on them; hs_key_provider() says "pkcs11-helper". They come from this header
 * only: the provider is not in the URI registry (URIs go to the raw PKCS#11 provider).
 * Supported: ECDSA P-256/P-384/P-521 (CKM_ECDSA over our digest) and RSA >= 2048 bits with
 * rsa-sha2-256/512 (CKM_RSA_PKCS over the DER DigestInfo, RFC 8017 9.2). Single-threaded use.
 */
#ifndef HS_P11HELPER_H
#define HS_P11HELPER_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_err.h"
#include "hs_provider.h"

/* Prompts, called from pkcs11-helper's hooks while enumerating or signing. */
struct hs_p11helper_prompts {
	/* Write the user PIN of the token labelled token into pin (NUL-terminated, fewer than cap
	 * bytes). retry is 0 on the first request for this login and counts wrong PINs after it.
	 * HS_OK to try the PIN; anything else gives up on the key (no further attempt, so a PIN
	 * from a file is never retried against the token's lockout counter). */
	hs_err (*pin)(void *arg, const char *token, unsigned retry, char *pin, size_t cap);
	/* Ask for the token labelled token to be inserted; HS_OK once the user says it is. NULL:
	 * never wait for a token. */
	hs_err (*token)(void *arg, const char *token, unsigned retry);
	void *arg;
};

/* Load module (an absolute path to a PKCS#11 module, else HS_ERR_CONFIG) into pkcs11-helper and
 * return a key for each certificate-bearing key on its tokens, at most max, in keys[0..*n).
 * labels[i] receives pkcs11-helper's display name of the certificate ("/CN=... on <token
 * label>") for messages; caller frees each key with hs_key_free and each label with free.
 * Certificates whose public key is of a type we do not support are skipped (debug log). The
 * prompts are copied and kept for later signatures. HS_ERR_NOT_FOUND if the library or the module
 * cannot be loaded (logged); HS_ERR_PROVIDER for a pkcs11-helper failure (its message logged);
 * *n is 0 then. Zero keys is HS_OK with *n 0. */
HS_MUST_USE hs_err hs_p11helper_keys(const char *module, const struct hs_p11helper_prompts *pr,
    struct hs_key **keys, char **labels, size_t max, size_t *n);

/* The ops of these keys, for listings (hssh -Q provider): name "pkcs11-helper"; available() is
 * true iff libpkcs11-helper.so.1 can be loaded (it is then kept loaded). Not in the registry. */
const struct hs_provider_ops *hs_p11helper_provider(void);

#endif
