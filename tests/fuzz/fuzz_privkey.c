/* fuzz_privkey.c: libFuzzer target for the key-file parsers: OpenSSH private key files (without a
 * passphrase, so no KDF work), their cleartext header, and one-line public keys. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_crypto.h"
#include "hs_keyfile.h"
#include "hs_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_key *k = NULL;
	char *text, *comment = NULL;
	bool enc;

	if (hs_crypto_init() != HS_OK)
		abort();
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (hs_keyfile_parse_private(text, size, NULL, &k, &comment) == HS_OK) {
		if (k == NULL || comment == NULL)
			abort();	/* success must deliver both */
		hs_key_free(k);
		free(comment);
	}
	if (hs_keyfile_peek_private(text, size, &k, &enc) == HS_OK)
		hs_key_free(k);
	comment = NULL;
	if (hs_keyfile_parse_public(text, &k, &comment) == HS_OK)
		hs_key_free(k);
	free(comment);
	free(text);
	return 0;
}
