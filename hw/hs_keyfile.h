/* hs_keyfile.h: key-file helpers beyond the hs_provider.h contract, for hssh-keygen (hw/keyfile_*.c). */
#ifndef HS_KEYFILE_H
#define HS_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_err.h"
#include "hs_provider.h"

/* Read the cleartext header of an OpenSSH private key file without any passphrase: *pub (may be NULL)
 * receives the public-only key it announces, *encrypted (may be NULL) whether the private section is
 * encrypted. HS_ERR_FORMAT / HS_ERR_UNSUPPORTED if the text is not such a file. */
HS_MUST_USE hs_err hs_keyfile_peek_private(const char *text, size_t len, struct hs_key **pub,
    bool *encrypted);

#endif
