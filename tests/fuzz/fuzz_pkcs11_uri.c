/* fuzz_pkcs11_uri.c: libFuzzer target for RFC 7512 PKCS#11 URIs (hw/hs_pkcs11_uri.h). A URI that
 * parses must format, the canonical text must parse back to an equal struct, and formatting that
 * again must give the same text. Seeds: tests/fuzz/corpus/pkcs11_uri. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_pkcs11_uri.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_p11uri a, b;
	char *s, *t1 = NULL, *t2 = NULL;
	hs_err r;

	if ((s = fz_input_string(data, size)) == NULL)
		return 0;
	r = hs_p11uri_parse(s, &a);
	if (r != HS_OK) {
		if (r != HS_ERR_FORMAT && r != HS_ERR_TOO_LARGE)
			abort();
		free(s);
		return 0;
	}
	/* Percent-encoding may grow the text past HS_P11URI_MAX; anything else must round-trip. */
	r = hs_p11uri_format(&a, &t1);
	if (r == HS_OK) {
		if (hs_p11uri_parse(t1, &b) != HS_OK || !fz_p11uri_equal(&a, &b))
			abort();
		if (hs_p11uri_format(&b, &t2) != HS_OK || strcmp(t1, t2) != 0)
			abort();
		hs_p11uri_free(&b);
	} else if (r != HS_ERR_TOO_LARGE) {
		abort();
	}
	free(t2);
	free(t1);
	hs_p11uri_free(&a);
	free(s);
	return 0;
}
