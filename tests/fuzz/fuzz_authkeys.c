/* fuzz_authkeys.c: libFuzzer target for one authorized_keys line (options + key) and the from=
 * matcher. Seeds: tests/fuzz/corpus/authkeys. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_authkeys.h"
#include "hs_crypto.h"
#include "hs_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct hs_authkey k;
	char *s;

	if (!init) {
		hs_log_init("fuzz", HS_LOG_QUIET, true, 0);
		if (hs_crypto_init() != HS_OK)
			abort();
		init = true;
	}
	if (hs_authkeys_parse_line((const char *)data, size, &k) == HS_OK) {
		/* A parsed entry must hold a key and its blob. */
		if (k.key == NULL || k.blob == NULL || k.blob_len == 0)
			abort();
		hs_authkey_clear(&k);
	}
	/* The same bytes as a from= pattern list against fixed addresses. */
	s = strndup((const char *)data, size);
	if (s != NULL) {
		(void)hs_authkeys_match_from(s, "192.0.2.7");
		(void)hs_authkeys_match_from(s, "2001:db8::7");
		(void)hs_authkeys_match_list("LC_ALL", s);
		free(s);
	}
	return 0;
}
