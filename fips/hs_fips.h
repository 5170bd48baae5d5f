/* hs_fips.h: FIPS 140-3 style self-tests (issue 6). hardssh is FIPS-oriented, not validated.
 *
 * Power-on self-tests (POST) run in every program before any cryptographic service: known-answer
 * tests (KATs) of every algorithm family on every backend this machine enables (today the
 * software backend, wolfCrypt; hardware paths register their own rows later). The first failure
 * puts the process in the sticky error state (hs_crypto_error_state / hs_crypto_enter_error in
 * hw/hs_crypto.h): every cryptographic entry point then returns HS_ERR_FIPS_STATE, and the
 * failure is logged as "self-test failed: <test> on <backend>".
 *
 * The KAT inputs and expected outputs are compiled in (fips/fips_kat_data.c) and mirror data
 * files in vectors/fips/ (vectors/README.md names each source); tests/unit/test_fips_kat.c checks
 * that the two agree.
 */
#ifndef HS_FIPS_H
#define HS_FIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hs_err.h"

/* One known-answer test. run() computes the output for the compiled-in input and compares it with
 * the expected value in constant time; HS_OK or HS_ERR_FIPS_STATE (a mismatch), or the error the
 * primitive returned. */
struct hs_fips_kat {
	const char *name;	/* "SHA-256", "AES-256-GCM encrypt", "ECDSA P-256 verify", ... */
	const char *backend;	/* "soft" (wolfCrypt), later "aesni", "vaes", "armv8", "pkcs11" */
	bool approved;		/* false for Ed25519, X25519 (tested, not approved) */
	hs_err (*run)(const struct hs_fips_kat *k);
	const void *data;	/* the row's vectors (fips_kat_data.c) */
};

/* The KAT table, in run order; *n receives its length. */
const struct hs_fips_kat *hs_fips_kats(size_t *n);

/* Fault injection for tests (issue 6): only in builds with -DHS_FIPS_TEST_HOOKS=ON, the
 * environment variable HS_FIPS_CORRUPT=<kat name> makes that KAT compare against an expected
 * value with one bit flipped, so it must fail. Without the build option this returns false. */
bool hs_fips_corrupt(const char *kat_name);

/* ---- the software integrity test (fips/fips_integrity.c) ----
 * Each program carries HS_FIPS_MAC_LEN bytes that the build step (fips/tool/hs_stamp.c, run by
 * CMake after linking) overwrites with HMAC-SHA-256(HS_FIPS_INTEGRITY_KEY, the program file with
 * those bytes zeroed). At run time the program reads its own file (/proc/self/exe), finds its
 * value there exactly once, zeroes it, recomputes and compares. The key is public: the test
 * detects corruption and accidental change, not an attacker who can rewrite the file. */
#define HS_FIPS_MAC_LEN	32

/* True iff this program was stamped by the build step. */
bool hs_fips_integrity_stamped(void);
/* HS_OK if the program file matches its stamp; HS_ERR_FIPS_STATE on a mismatch, HS_ERR_NOT_FOUND if
 * the program was never stamped, HS_ERR_IO if it cannot read its file. Logs what failed. */
HS_MUST_USE hs_err hs_fips_integrity_check(void);
/* The build step's side: find the placeholder in the file image (exactly once; HS_ERR_FORMAT
 * otherwise) and write the MAC over it in place. */
HS_MUST_USE hs_err hs_fips_integrity_stamp(uint8_t *image, size_t len);

/* One line of the self-test report. */
struct hs_fips_result {
	const char *test;	/* KAT name, or "integrity" */
	const char *backend;
	bool approved;
	bool ok;
	hs_err err;
	uint64_t usec;		/* wall time of this test */
};

/* Run the power-on self-tests in table order; cb (may be NULL) sees each result. Stops at the
 * first failure, which it logs and which enters the sticky error state. HS_OK or
 * HS_ERR_FIPS_STATE. */
HS_MUST_USE hs_err hs_fips_selftest(void (*cb)(const struct hs_fips_result *r, void *arg),
    void *arg);

/* Run the self-tests once per process (later calls return the first call's verdict): what each
 * program's main calls before any cryptographic service. */
HS_MUST_USE hs_err hs_fips_post(void);

/* --self-test: run every test and print the report to f, as text (one line per test: test,
 * backend, result, microseconds, then a summary) or as JSON (also version, FIPS mode, the
 * approved algorithms). Returns 0 if all passed, 1 otherwise (the program's exit status). */
int hs_fips_report(FILE *f, bool json, const char *program);

/* After hs_fips_post: how many tests it ran and their total wall time in microseconds (0 and 0
 * before the first call). For the one-line start-up summary hsshd logs at INFO. */
void hs_fips_post_stats(size_t *n_tests, uint64_t *usec);

/* The programs' --self-test option: if an argument is "--self-test", every other argument must be
 * "--json"; prints the report (hs_fips_report on stdout, or a usage line on stderr) and returns
 * the exit status, 0 or 1. Returns -1, printing nothing, when "--self-test" is not there. */
int hs_fips_self_test_cmd(int argc, char **argv, const char *program);

/* FIPS mode (fips/fips_mode.c): true iff the kernel is in FIPS mode (/proc/sys/crypto/fips_enabled
 * reads 1). Builds with -DHS_FIPS_TEST_HOOKS=ON read the file named by HS_FIPS_ENABLED_FILE instead
 * when it is set. */
bool hs_fips_mode_system(void);

#endif
