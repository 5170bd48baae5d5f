/* hs_pkcs11_impl.h: private to hw/provider_pkcs11.c and hw/pkcs11_*.c. The only header outside
 * p11-kit's that names PKCS#11 types (PKCS#11 v2.40 / v3.0 base specification); nothing above hw/
 * includes it, and no CKR_ value leaves hw/ (STYLE.md section 3).
 */
#ifndef HS_PKCS11_IMPL_H
#define HS_PKCS11_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "hs_err.h"
#include "hs_key_impl.h"
#include "hs_pkcs11_uri.h"

/* PKCS#11 v3.0 names that older headers lack (the values softhsm2 2.6 uses). */
#ifndef CKK_EC_EDWARDS
#define CKK_EC_EDWARDS	0x40UL
#endif
#ifndef CKM_EDDSA
#define CKM_EDDSA	0x1057UL
#endif

/* One loaded module per module path, shared by every key opened from it (reference counted). */
struct hs_p11_module {
	char *path;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	bool finalize;			/* we initialised it, so we finalise it */
	unsigned refs;
	struct hs_p11_module *next;
};

/* struct hs_key.priv of a PKCS#11 key: where the private object lives. */
struct hs_p11_key {
	struct hs_p11_module *mod;
	struct hs_p11uri uri;		/* kept to reconnect after the session is lost */
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE sess;
	bool has_sess;
	CK_OBJECT_HANDLE obj;		/* the CKO_PRIVATE_KEY */
	CK_KEY_TYPE ktype;
	enum hs_key_type type;
	size_t modlen;			/* RSA modulus bytes, ECDSA field bytes, 32 for Ed25519 */
	char label[33];			/* token label, trimmed, for logs */
};

/* ---- hw/provider_pkcs11.c ---- */
extern const struct hs_provider_ops hs_provider_pkcs11;
/* Find the token, open a session, log in if needed and find the private object again (also used
 * after the session was lost). Closes any previous session first. */
HS_MUST_USE hs_err hs_p11_connect(struct hs_p11_key *pk);
/* Close the session (logging out when it is the last one, PKCS#11 5.6 C_CloseSession). */
void hs_p11_disconnect(struct hs_p11_key *pk);

/* ---- hw/pkcs11_obj.c ---- */
/* Name of a CKR_ value for logs ("CKR_PIN_INCORRECT"), or "CKR_0x..." (static buffer). */
const char *hs_p11_rv_name(CK_RV rv);
/* Log "<what>: <CKR name>" and map rv to HS_ERR_PROVIDER (HS_ERR_PERM for PIN errors). */
hs_err hs_p11_fail(const char *what, CK_RV rv);
/* Exactly one object of class cls matching the URI's id and/or label. HS_ERR_NOT_FOUND if none
 * or several (logged by the caller for the private key). */
HS_MUST_USE hs_err hs_p11_find_object(struct hs_p11_key *pk, CK_OBJECT_CLASS cls,
    CK_OBJECT_HANDLE *out, unsigned *count);
/* Public components of pk's key (from the matching public object, else from the private one):
 * fills raw's type and pub or n/e, and pk->type / pk->modlen. */
HS_MUST_USE hs_err hs_p11_read_public(struct hs_p11_key *pk, struct hs_key_raw *raw);

/* ---- hw/pkcs11_sign.c ---- */
HS_MUST_USE hs_err hs_p11_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg,
    const uint8_t *m, size_t mlen, struct hs_buf *sig);

#endif
