/* keyfile_impl.h: private to the hw/keyfile_*.c files. */
#ifndef HS_KEYFILE_IMPL_H
#define HS_KEYFILE_IMPL_H

#include "hs_buf.h"
#include "hs_err.h"
#include "hs_provider.h"

/* Append string keytype and the type's private fields as OpenSSH's key file holds them
 * (PROTOCOL.key; sshkey.c's private serialisation): ssh-ed25519 string pk, string seed||pk;
 * ecdsa-sha2-nistpN string curve, string Q, mpint d; ssh-rsa mpint n, e, d, iqmp, p, q. */
HS_MUST_USE hs_err hs_keyfile_put_private_fields(struct hs_buf *b, const struct hs_key_raw *raw);
/* Read string keytype and the fields back into raw (zeroed first). HS_ERR_UNSUPPORTED for an
 * unknown key type, HS_ERR_FORMAT for inconsistent or oversized fields. */
HS_MUST_USE hs_err hs_keyfile_get_private_fields(struct hs_buf *b, struct hs_key_raw *raw);

#endif
