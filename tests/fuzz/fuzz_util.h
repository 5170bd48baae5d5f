/* fuzz_util.h: the input handling and comparisons that the URI fuzz targets (fuzz_pkcs11_uri.c,
 * fuzz_tpm2_uri.c) and test_pkcs11_uri.c share. Header only (static inline): the fuzz targets link no cmocka, so they
 * cannot use tests/unit/testvec.c. */
#ifndef HS_FUZZ_UTIL_H
#define HS_FUZZ_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hs_log.h"
#include "hs_pkcs11_uri.h"

/* The fuzz input as a C string (caller frees; NULL when out of memory), with logging switched to
 * quiet on the first call so refusals do not flood the run. */
static inline char *
fz_input_string(const uint8_t *data, size_t size)
{
	static bool init;

	if (!init) {
		hs_log_init("fuzz", HS_LOG_QUIET, true, 0);
		init = true;
	}
	return strndup((const char *)data, size);
}

/* Strings equal, or both NULL. */
static inline bool
fz_streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Two parsed RFC 7512 URIs equal field by field. */
static inline bool
fz_p11uri_equal(const struct hs_p11uri *a, const struct hs_p11uri *b)
{
	return fz_streq_null(a->token, b->token) &&
	    fz_streq_null(a->manufacturer, b->manufacturer) &&
	    fz_streq_null(a->serial, b->serial) && fz_streq_null(a->model, b->model) &&
	    fz_streq_null(a->lib_manufacturer, b->lib_manufacturer) &&
	    fz_streq_null(a->lib_description, b->lib_description) &&
	    fz_streq_null(a->lib_version, b->lib_version) &&
	    fz_streq_null(a->slot_description, b->slot_description) &&
	    fz_streq_null(a->slot_manufacturer, b->slot_manufacturer) &&
	    a->has_slot_id == b->has_slot_id && a->slot_id == b->slot_id &&
	    fz_streq_null(a->object, b->object) && a->has_id == b->has_id &&
	    a->id_len == b->id_len && (a->id_len == 0 || memcmp(a->id, b->id, a->id_len) == 0) &&
	    a->type == b->type && fz_streq_null(a->module_path, b->module_path) &&
	    fz_streq_null(a->module_name, b->module_name) &&
	    fz_streq_null(a->pin_source, b->pin_source);
}

#endif
