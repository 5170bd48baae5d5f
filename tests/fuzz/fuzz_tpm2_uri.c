/* fuzz_tpm2_uri.c: libFuzzer target for tpm2: key references (hw/hs_tpm2.h). A URI either parses
 * or is refused with HS_ERR_FORMAT / HS_ERR_TOO_LARGE; a parsed one keeps the header's invariants
 * (persistent handles only, blob paths in pairs, parent only with a blob), and its canonical text
 * (built here, every ';', '%' and control byte escaped) parses back to an equal struct.
 * Seeds: tests/fuzz/corpus/tpm2_uri. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_tpm2.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
uri_equal(const struct hs_tpm2uri *a, const struct hs_tpm2uri *b)
{
	return a->has_handle == b->has_handle && a->handle == b->handle &&
	    a->has_parent == b->has_parent && a->parent == b->parent &&
	    fz_streq_null(a->pub_path, b->pub_path) && fz_streq_null(a->priv_path, b->priv_path) &&
	    fz_streq_null(a->auth_file, b->auth_file) && fz_streq_null(a->tcti, b->tcti);
}

/* Append v %-escaped where the grammar needs it. */
static void
put_escaped(char *out, size_t cap, const char *v)
{
	size_t n = strlen(out);

	for (; *v != '\0' && n + 4 < cap; v++) {
		if (*v == ';' || *v == '%' || *v == ',' || (unsigned char)*v < 0x20)
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", (unsigned char)*v);
		else
			out[n++] = *v;
	}
	out[n] = '\0';
}

static void
put_attr(char *out, size_t cap, const char *name, const char *v)
{
	size_t n = strlen(out);

	snprintf(out + n, cap - n, "%s%s=", n > 5 ? ";" : "", name);
	put_escaped(out, cap, v);
}

static char *
format(const struct hs_tpm2uri *u)
{
	size_t cap = 3 * 3 * 4096 + 128;
	char *out = malloc(cap);
	char h[16];

	if (out == NULL)
		abort();
	strcpy(out, "tpm2:");
	if (u->has_handle) {
		snprintf(h, sizeof(h), "0x%08x", u->handle);
		put_attr(out, cap, "handle", h);
	}
	if (u->pub_path != NULL) {
		put_attr(out, cap, "blob", u->pub_path);
		strcat(out, ",");
		put_escaped(out, cap, u->priv_path);
	}
	if (u->has_parent) {
		snprintf(h, sizeof(h), "0x%08x", u->parent);
		put_attr(out, cap, "parent", h);
	}
	if (u->auth_file != NULL)
		put_attr(out, cap, "auth-file", u->auth_file);
	if (u->tcti != NULL)
		put_attr(out, cap, "tcti", u->tcti);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_tpm2uri a, b;
	char *s, *t;
	hs_err r;

	if ((s = fz_input_string(data, size)) == NULL)
		return 0;
	r = hs_tpm2uri_parse(s, &a);
	if (r != HS_OK) {
		if (r != HS_ERR_FORMAT && r != HS_ERR_TOO_LARGE)
			abort();
		if (a.tcti != NULL || a.pub_path != NULL || a.auth_file != NULL || a.has_handle)
			abort();	/* nothing left behind on failure */
		free(s);
		return 0;
	}
	if (a.has_handle && (a.handle >> 24) != 0x81)
		abort();
	if ((a.pub_path == NULL) != (a.priv_path == NULL) || (a.has_handle && a.pub_path != NULL))
		abort();
	if ((a.has_parent && a.pub_path == NULL) || (a.parent >> 24) != 0x81)
		abort();
	if (hs_tpm2uri_has_key(&a) != (a.has_handle || a.pub_path != NULL))
		abort();
	t = format(&a);
	r = hs_tpm2uri_parse(t, &b);
	/* Escaping may grow the text past the 4096-byte bound; anything else must round-trip. */
	if (r == HS_OK) {
		if (!uri_equal(&a, &b))
			abort();
		hs_tpm2uri_free(&b);
	} else if (r != HS_ERR_TOO_LARGE || strlen(t) <= 4096) {
		abort();
	}
	free(t);
	hs_tpm2uri_free(&a);
	free(s);
	return 0;
}
