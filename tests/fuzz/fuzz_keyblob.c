/* fuzz_keyblob.c: libFuzzer target for the SSH public key blob parser (hs_key_from_blob) and the
 * signature parser behind hs_key_verify. A blob that parses must re-encode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "hs_crypto.h"
#include "hs_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8032 7.1 TEST 1 key pair: a fixed public key to check arbitrary signatures against. */
static const uint8_t ed_seed[32] = { 0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84,
    0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b,
    0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60 };
static const uint8_t ed_pub[32] = { 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b,
    0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02,
    0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a };

static struct hs_key *fixed[3];

static void
init_fixed(void)
{
	struct hs_key_raw raw = { .type = HS_KEY_ED25519, .pub_len = 32, .priv_len = 32 };

	if (hs_crypto_init() != HS_OK)
		abort();
	memcpy(raw.pub, ed_pub, 32);
	memcpy(raw.priv, ed_seed, 32);
	if (hs_key_from_raw(&raw, &fixed[0]) != HS_OK ||
	    hs_key_generate(HS_KEY_ECDSA_P256, 0, &fixed[1]) != HS_OK ||
	    hs_key_generate(HS_KEY_RSA, 2048, &fixed[2]) != HS_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_key *k = NULL;
	struct hs_buf *b;
	char *fp;

	if (fixed[0] == NULL)
		init_fixed();
	if (hs_key_from_blob(data, size, &k) == HS_OK) {
		if (k == NULL || hs_buf_new(HS_BUF_MAX_DEFAULT, &b) != HS_OK)
			abort();
		/* Strict parsing: exactly one encoding per key. */
		if (hs_key_public_blob(k, b) != HS_OK || hs_buf_len(b) != size ||
		    memcmp(hs_buf_ptr(b), data, size) != 0)
			abort();
		if (hs_key_fingerprint(k, &fp) == HS_OK)
			free(fp);
		if (hs_key_verify(k, data, size, data, size, NULL) == HS_OK)
			abort();	/* a key blob is not a valid signature */
		hs_buf_free(b);
		hs_key_free(k);
	} else if (k != NULL) {
		abort();
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (hs_key_verify(fixed[i], data, size, (const uint8_t *)"m", 1, NULL) == HS_OK)
			abort();	/* nobody forges a signature by fuzzing */
	return 0;
}
