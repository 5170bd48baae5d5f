/* fuzz_pkcs11_uri.c: libFuzzer target for RFC 7512 PKCS#11 URIs (hw/hs_pkcs11_uri.h). A URI that
 * parses must format, the canonical text must parse back to an equal struct, and formatting that
 * again must give the same text. Seeds: tests/fuzz/corpus/pkcs11_uri. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_pkcs11_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
uri_equal(const struct hs_p11uri *a, const struct hs_p11uri *b)
{
	return streq_null(a->token, b->token) && streq_null(a->manufacturer, b->manufacturer) &&
	    streq_null(a->serial, b->serial) && streq_null(a->model, b->model) &&
	    streq_null(a->lib_manufacturer, b->lib_manufacturer) &&
	    streq_null(a->lib_description, b->lib_description) &&
	    streq_null(a->lib_version, b->lib_version) &&
	    streq_null(a->slot_description, b->slot_description) &&
	    streq_null(a->slot_manufacturer, b->slot_manufacturer) &&
	    a->has_slot_id == b->has_slot_id && a->slot_id == b->slot_id &&
	    streq_null(a->object, b->object) && a->has_id == b->has_id &&
	    a->id_len == b->id_len && (a->id_len == 0 || memcmp(a->id, b->id, a->id_len) == 0) &&
	    a->type == b->type && streq_null(a->module_path, b->module_path) &&
	    streq_null(a->module_name, b->module_name) && streq_null(a->pin_source, b->pin_source);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct hs_p11uri a, b;
	char *s, *t1 = NULL, *t2 = NULL;
	hs_err r;

	if (!init) {
		hs_log_init("fuzz", HS_LOG_QUIET, true, 0);
		init = true;
	}
	if ((s = strndup((const char *)data, size)) == NULL)
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
		if (hs_p11uri_parse(t1, &b) != HS_OK || !uri_equal(&a, &b))
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
