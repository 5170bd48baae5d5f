/* testvec.h: what the unit tests share: the reader for the vector files under vectors/ (records of
 * "name = value" lines, hex unless the field is a name, separated by blank lines; '#' starts a
 * comment), and the fixture helpers (command lines, small files, a softhsm2 token made for the
 * run). Only libc and cmocka here (hs_testvec is built without the project's include
 * folders); helpers that need the project's headers are in testkey.h. */
#ifndef HS_TESTVEC_H
#define HS_TESTVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

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

/* ---- fixtures ---- */

/* Run a printf-style command line under bash (not sh: tests use bash's /dev/tcp). Returns its
 * exit status, or -1 when it could not run, was killed, or did not fit in 4 KiB (said on
 * stderr). */
int tv_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fail the test, with the command line of the last tv_run, unless status is 0. */
void tv_run_ok(int status);
/* tv_run, failing the test (with the command line) unless it exits 0. */
#define tv_must_run(...)	tv_run_ok(tv_run(__VA_ARGS__))
/* Write text to dir/name and chmod it to mode; any failure fails the test. */
void tv_write_file(const char *dir, const char *name, const char *text, mode_t mode);
/* The whole text of path (up to 64 KiB, NUL-terminated) in a static buffer that the next call
 * overwrites; a file that cannot be opened fails the test. For the tests that read a log file. */
const char *tv_read_text(const char *path);

/* softhsm2, for the PKCS#11 tests. */
#define TV_SOFTHSM_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define TV_P11_PIN		"1234"
/* softhsm2 leaves a few bytes of OpenSSL ASN.1 state behind after C_Finalize; that is the
 * module's, not ours. A test that loads it says TV_SOFTHSM_LSAN once at file scope: LeakSanitizer
 * reads this hook in sanitizer builds (only in the tests that load the module). */
#define TV_SOFTHSM_LSAN							\
	const char *__lsan_default_suppressions(void);			\
	const char *							\
	__lsan_default_suppressions(void)				\
	{								\
		return "leak:libcrypto.so\nleak:libsofthsm2.so\n";	\
	}
/* A softhsm2 token labelled token, with user PIN TV_P11_PIN, in a new directory made from the
 * mkdtemp template dir (rewritten in place): dir/softhsm2.conf (exported as $SOFTHSM2_CONF), the
 * token store dir/tokens, and the PIN files dir/pin (TV_P11_PIN) and dir/badpin (9999), mode 0600.
 * softhsm2 and opensc's pkcs11-tool are required: without them it says so on stderr, naming test,
 * and returns -1 (the test fails, it does not skip). Returns 0 when the token is ready. */
int tv_softhsm_token(char *dir, const char *token, const char *test);
/* A key pair made in that token by pkcs11-tool (keytype as its --key-type: "EC:prime256v1",
 * "rsa:3072", ...). Returns 0, or -1 after saying on stderr which key could not be made. */
int tv_p11_keygen(const char *token, const char *label, const char *id, const char *keytype);

#endif
