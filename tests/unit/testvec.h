/* testvec.h: reader for the vector files under vectors/ (records of "name = value" lines, hex unless
 * the field is a name, separated by blank lines; '#' starts a comment). Shared by the unit tests. */
#ifndef HS_TESTVEC_H
#define HS_TESTVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VEC_MAX 12
struct vec {
	int n;
	char name[VEC_MAX][16];
	char *text[VEC_MAX];
	uint8_t *bin[VEC_MAX];
	size_t len[VEC_MAX];
};

/* Open vectors/<rel> under $HS_SRCDIR. Names under "wycheproof/" are read from $HS_WYCHEPROOF, the
 * build's conversion of ../shared/vectors/wycheproof (tests/tools/wycheproof_convert.py, run by the
 * ctest fixture "wycheproof"); when that folder is absent the calling test is skipped with a message
 * saying so. Fails the test if the file cannot be opened. */
FILE *vec_open(const char *rel);
/* Next record; false at end of file. Frees the previous record's fields. */
bool vec_next(FILE *f, struct vec *v);
void vec_clear(struct vec *v);
/* Field as bytes (hex-decoded) or text; a missing field fails the test. */
const uint8_t *vec_get(const struct vec *v, const char *name, size_t *len);
const char *vec_text(const struct vec *v, const char *name);
bool vec_has(const struct vec *v, const char *name);
/* Hex string to a new buffer (caller frees), NULL on a non-hex digit. */
uint8_t *unhex(const char *s, size_t *len);

#endif
