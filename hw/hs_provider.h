/* hs_provider.h: keys, signatures and key exchange, routed to a provider chosen at run time
 * (STYLE.md section 5). Only our own types cross this interface.
 *
 * Key references are URIs: a file path (software provider), later `pkcs11:...` and `tpm2:...`.
 * Every entry point returns HS_ERR_FIPS_STATE once the process is in the FIPS error state.
 */
#ifndef HS_PROVIDER_H
#define HS_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_crypto.h"
#include "hs_err.h"

enum hs_key_type {
	HS_KEY_UNKNOWN = 0,
	HS_KEY_ED25519,
	HS_KEY_ECDSA_P256,
	HS_KEY_ECDSA_P384,
	HS_KEY_ECDSA_P521,
	HS_KEY_RSA,
};

/* Signature algorithms as negotiated (RFC 8332, 5656, 8709). */
enum hs_sig_alg {
	HS_SIG_UNKNOWN = 0,
	HS_SIG_ED25519,		/* ssh-ed25519 */
	HS_SIG_ECDSA_P256,	/* ecdsa-sha2-nistp256 */
	HS_SIG_ECDSA_P384,	/* ecdsa-sha2-nistp384 */
	HS_SIG_ECDSA_P521,	/* ecdsa-sha2-nistp521 */
	HS_SIG_RSA_SHA256,	/* rsa-sha2-256 */
	HS_SIG_RSA_SHA512,	/* rsa-sha2-512 */
	HS_SIG_RSA_SHA1,	/* ssh-rsa: parsed so it can be refused by name, never produced */
};

enum hs_kex_method {
	HS_KEXM_X25519 = 1,	/* curve25519-sha256 (RFC 8731) */
	HS_KEXM_ECDH_P256,	/* ecdh-sha2-nistp256 (RFC 5656) */
	HS_KEXM_ECDH_P384,
	HS_KEXM_ECDH_P521,
	HS_KEXM_DH_GROUP14,	/* RFC 3526 2048-bit MODP group, RFC 8268 */
	HS_KEXM_DH_GROUP16,	/* RFC 3526 4096-bit MODP group */
};

/* ---- names (the one table of key and signature names lives in hw/key_names.c) ---- */
/* "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa" for the key type. */
const char *hs_key_type_name(enum hs_key_type t);
enum hs_key_type hs_key_type_from_name(const char *name, size_t len);
/* "ssh-ed25519", ..., "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa". */
const char *hs_sig_alg_name(enum hs_sig_alg a);
enum hs_sig_alg hs_sig_alg_from_name(const char *name, size_t len);
/* Key type a signature algorithm applies to. */
enum hs_key_type hs_sig_alg_key_type(enum hs_sig_alg a);
/* OpenSSH's short names in fingerprints and logs: "ED25519", "ECDSA", "RSA". */
const char *hs_key_type_short(enum hs_key_type t);

/* ---- keys ---- */
struct hs_key;		/* opaque; owned by its provider */

/* Raw components of a software key, for key files and tests. Big-endian unsigned magnitudes, no
 * leading zeros required. Fields not used by the type are empty (len 0). Secrets: wipe with
 * hs_key_raw_wipe(). */
struct hs_key_raw {
	enum hs_key_type type;
	uint8_t pub[133];	/* ed25519: 32-byte A; ecdsa: uncompressed point Q (0x04||X||Y) */
	size_t pub_len;
	uint8_t priv[66];	/* ed25519: 32-byte seed; ecdsa: scalar d */
	size_t priv_len;
	uint8_t n[512], e[8], d[512], p[256], q[256], iqmp[256];	/* rsa */
	size_t n_len, e_len, d_len, p_len, q_len, iqmp_len;
};
void hs_key_raw_wipe(struct hs_key_raw *raw);

/* Open a private key by URI. A file path is read as an OpenSSH private key file ("-----BEGIN OPENSSH
 * PRIVATE KEY-----"); passphrase may be NULL (HS_ERR_PASSPHRASE if the file needs one or it is
 * wrong). *comment (may be NULL) receives the key's comment, caller frees. */
HS_MUST_USE hs_err hs_key_open(const char *uri, const char *passphrase, struct hs_key **out,
    char **comment);
/* Generate a new software key. bits is used for RSA (2048..4096, multiple of 8; 0 = 3072). */
HS_MUST_USE hs_err hs_key_generate(enum hs_key_type type, unsigned bits, struct hs_key **out);
/* Software key from raw components (checks consistency: pub matches priv; RSA n = p*q). */
HS_MUST_USE hs_err hs_key_from_raw(const struct hs_key_raw *raw, struct hs_key **out);
/* Raw components of a software key (HS_ERR_UNSUPPORTED for hardware keys). */
HS_MUST_USE hs_err hs_key_to_raw(const struct hs_key *k, struct hs_key_raw *raw);
/* A public-only key from an SSH public key blob (RFC 4253 6.6 and friends). Strict: bad curve
 * points, RSA < 1024 bits (we refuse < 2048 for use elsewhere), trailing bytes are errors. */
HS_MUST_USE hs_err hs_key_from_blob(const uint8_t *blob, size_t len, struct hs_key **out);
void hs_key_free(struct hs_key *k);

enum hs_key_type hs_key_type(const struct hs_key *k);
/* Modulus or curve size in bits (256 for ed25519). */
unsigned hs_key_bits(const struct hs_key *k);
bool hs_key_has_private(const struct hs_key *k);
/* Provider name: "soft", "pkcs11", "tpm2". */
const char *hs_key_provider(const struct hs_key *k);
/* Append the SSH public key blob (raw, not length-prefixed) to out. */
HS_MUST_USE hs_err hs_key_public_blob(const struct hs_key *k, struct hs_buf *out);
/* True iff the public keys are the same. */
bool hs_key_equal_public(const struct hs_key *a, const struct hs_key *b);

/* Sign m with k using alg (must suit the key type) and append the SSH signature encoding
 * (string alg-name, string signature-blob; RFC 4253 6.6, RFC 5656 3.1.2, RFC 8332 3) to sig,
 * raw (not length-prefixed). */
HS_MUST_USE hs_err hs_key_sign(const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m,
    size_t mlen, struct hs_buf *sig);
/* Verify an SSH signature encoding over m with k's public part. *alg_out (may be NULL) receives the
 * algorithm named in the signature. HS_ERR_SIG if it does not verify; HS_ERR_FORMAT if malformed. */
HS_MUST_USE hs_err hs_key_verify(const struct hs_key *k, const uint8_t *sig, size_t siglen,
    const uint8_t *m, size_t mlen, enum hs_sig_alg *alg_out);

/* "SHA256:<unpadded base64>" as OpenSSH prints it (alg SHA256) or "MD5:xx:xx..." is not offered.
 * Caller frees *out. */
HS_MUST_USE hs_err hs_key_fingerprint(const struct hs_key *k, char **out);

/* ---- key files (hw/keyfile_*.c; formats are OpenSSH's PROTOCOL.key and sshkey.c) ---- */
/* Serialise a private software key in OpenSSH's format, encrypted with bcrypt-pbkdf + aes256-ctr
 * when passphrase is non-empty (rounds 16 as ssh-keygen's default). *out: PEM-armoured text,
 * caller frees with hs_free_wiped(*out, strlen(*out)). */
HS_MUST_USE hs_err hs_keyfile_write_private(const struct hs_key *k, const char *passphrase,
    const char *comment, char **out);
/* Parse an OpenSSH private key file's text. */
HS_MUST_USE hs_err hs_keyfile_parse_private(const char *text, size_t len, const char *passphrase,
    struct hs_key **out, char **comment);
/* "ssh-ed25519 AAAA... comment" (no newline). Caller frees. */
HS_MUST_USE hs_err hs_keyfile_public_line(const struct hs_key *k, const char *comment, char **out);
/* Parse "type base64 [comment]" (one line, leading/trailing space allowed). *comment may be NULL. */
HS_MUST_USE hs_err hs_keyfile_parse_public(const char *line, struct hs_key **out, char **comment);

/* ---- key exchange ---- */
struct hs_kex_priv;	/* an ephemeral private value, owned by its provider */

/* Make an ephemeral key pair for method m and append our public value to pub in its raw form:
 * X25519 32 bytes; ECDH the uncompressed point; DH the big-endian magnitude of e = g^x mod p
 * (the caller encodes it as an mpint). */
HS_MUST_USE hs_err hs_kex_keypair(enum hs_kex_method m, struct hs_kex_priv **priv, struct hs_buf *pub);
/* Validate the peer's public value (point on the curve; 1 < f < p-1) and append the shared secret's
 * big-endian magnitude to secret (X25519: the 32-byte output, RFC 8731 3.1 says to read it as an
 * mpint). Rejects an all-zero X25519 result. The caller wipes secret. */
HS_MUST_USE hs_err hs_kex_derive(struct hs_kex_priv *priv, const uint8_t *peer, size_t len,
    struct hs_buf *secret);
/* Wipes and frees. NULL allowed. */
void hs_kex_priv_free(struct hs_kex_priv *priv);

/* ---- where key exchange runs (KexProvider, issue 5) ---- */
/* Select the provider that computes KEX ephemerals and shared secrets for the methods it can:
 * NULL or "soft" for software, or a "pkcs11:..." / "tpm2:..." URI naming the token or TPM (module,
 * token, PIN source or auth file as for keys; no object is needed). Opens it now: HS_ERR_PROVIDER
 * (reason logged, naming the URI) if it cannot. Process-wide; later calls replace the selection. */
HS_MUST_USE hs_err hs_kex_provider_set(const char *spec);
/* Name of the provider that computes method m: the selected one if it supports m, else "soft". */
const char *hs_kex_provider_for(enum hs_kex_method m);
/* True iff the selected provider (not the software fallback) computes method m. */
bool hs_kex_provider_supports(enum hs_kex_method m);

/* ---- provider registry ---- */
struct hs_provider_ops {
	const char *name;					/* "soft", "pkcs11", "tpm2" */
	bool (*available)(void);				/* CPU feature, token or TPM present */
	hs_err (*self_test)(void *ctx);				/* runs before first use */
	bool (*handles_uri)(const char *uri);			/* this provider opens this URI */
	hs_err (*key_open)(void *ctx, const char *uri, const char *passphrase, struct hs_key **out,
	    char **comment);
	hs_err (*sign)(void *ctx, const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m,
	    size_t mlen, struct hs_buf *sig);
	hs_err (*kex_keypair)(void *ctx, enum hs_kex_method m, struct hs_kex_priv **priv,
	    struct hs_buf *pub);
	hs_err (*kex_derive)(void *ctx, struct hs_kex_priv *priv, const uint8_t *peer, size_t len,
	    struct hs_buf *secret);
	void (*close)(void *ctx);
	/* KEX in this provider (optional; NULL: software does every method). kex_open opens the
	 * token/TPM named by uri and returns the ctx passed to kex_keypair/kex_derive/kex_close. */
	hs_err (*kex_open)(const char *uri, void **ctx);
	bool (*kex_supports)(void *ctx, enum hs_kex_method m);
	void (*kex_close)(void *ctx);
	/* One line for -Q provider / hsshd -T: what this provider does (algorithms, backends). */
	const char *summary;
};
/* Provider by name, or NULL. */
const struct hs_provider_ops *hs_provider_find(const char *name);
/* Visit every compiled-in provider (for -Q provider and the self-test report). */
void hs_provider_foreach(void (*fn)(const struct hs_provider_ops *ops, void *arg), void *arg);

#endif
