/* hs_pkcs11.h: what the rest of hardssh may ask the PKCS#11 provider beyond hw/hs_provider.h.
 * No PKCS#11 type appears here (those stay in hw/hs_pkcs11_impl.h).
 */
#ifndef HS_PKCS11_H
#define HS_PKCS11_H

#include <stdbool.h>

#include "hs_err.h"

/* Count the session objects (CKA_TOKEN=FALSE) this process has on the token named by the
 * pkcs11: URI (module-path, token attributes, pin-source; object attributes are ignored), as
 * C_FindObjects sees them from one of our sessions: the KEX ephemerals not yet released, for
 * tests and the log. Opens and logs in to the token if no key or KEX context of this process
 * holds it already. HS_OK and *n; HS_ERR_FORMAT / HS_ERR_CONFIG for the URI; the token's
 * errors as hs_key_open gives them (logged). */
HS_MUST_USE hs_err hs_pkcs11_session_objects(const char *uri, unsigned *n);

/* C_Login calls this process made: the accepted ones, or all (refused ones too) when
 * with_refused. A token is logged in once however many keys and threads use it, and a refused PIN
 * is not presented again, so tests can check both. */
unsigned hs_pkcs11_login_count(bool with_refused);

#endif
