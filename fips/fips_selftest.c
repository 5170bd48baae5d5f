/* fips_selftest.c: the power-on self-test runner (issue 6). Every KAT row runs in table order and
 * is timed; the first failure enters the sticky error state (hs_crypto_enter_error logs
 * "self-test failed: <test> on <backend>") and stops the run, as FIPS 140-3 (ISO/IEC 19790 7.10)
 * asks of a module whose pre-operational or conditional self-test fails. hs_fips_post runs the
 * set once per process; its verdict and statistics are static, so a forked child inherits them
 * and does not run the tests again. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "fips_run.h"
#include "hs_crypto.h"
#include "hs_fips.h"
#include "hs_log.h"

#define POST_BACKENDS_MAX	64	/* "soft,aesni,vaes,pkcs11" and room to spare */

/* The once-per-process POST: verdict, tests run, their wall time, the backends they covered. */
static struct {
	bool done;
	hs_err verdict;
	size_t n_tests;		/* integrity and KATs */
	bool integrity;		/* the integrity test ran */
	uint64_t usec;
	char backends[POST_BACKENDS_MAX];
} post;

/* The integrity test as a row: hs_fips_integrity_check reads the program file and compares its
 * HMAC with the stamp. HS_FIPS_CORRUPT=integrity (test builds) makes the comparison fail as a
 * changed file would; tests of the real thing change a byte of a copy of the program. */
static hs_err
run_integrity(const struct hs_fips_kat *k)
{
	hs_err r = hs_fips_integrity_check();

	if (r == HS_OK && hs_fips_corrupt(k->name))
		r = HS_ERR_FIPS_STATE;
	return r;
}

static const struct hs_fips_kat integrity_row = {
	.name = "integrity", .backend = "soft", .approved = true, .run = run_integrity,
};

size_t
hs_fips_rows(void)
{
	size_t n = 0;

	if (hs_fips_kats(&n) == NULL)
		n = 0;
	return n + (hs_fips_integrity_stamped() ? 1 : 0);
}

const struct hs_fips_kat *
hs_fips_row(size_t i)
{
	size_t n = 0;
	const struct hs_fips_kat *kats = hs_fips_kats(&n);

	if (hs_fips_integrity_stamped()) {
		if (i == 0)
			return &integrity_row;
		i--;
	}
	return kats != NULL && i < n ? &kats[i] : NULL;
}

uint64_t
hs_fips_now_usec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
hs_fips_run_one(const struct hs_fips_kat *k, struct hs_fips_result *res)
{
	uint64_t t0 = hs_fips_now_usec();

	res->test = k->name;
	res->backend = k->backend;
	res->approved = k->approved;
	res->err = k->run(k);
	res->usec = hs_fips_now_usec() - t0;
	res->ok = res->err == HS_OK;
}

hs_err
hs_fips_selftest(void (*cb)(const struct hs_fips_result *r, void *arg), void *arg)
{
	struct hs_fips_result res;
	size_t n = 0;

	if (hs_crypto_error_state())
		return HS_ERR_FIPS_STATE;
	/* A build without KAT rows has tested nothing: that is not a pass. */
	if (hs_fips_kats(&n) == NULL || n == 0) {
		hs_crypto_enter_error("known-answer test table (empty)", "any");
		return HS_ERR_FIPS_STATE;
	}
	if (!hs_fips_integrity_stamped())
		hs_debug("integrity test: this program is not stamped by the build; skipped");
	n = hs_fips_rows();
	for (size_t i = 0; i < n; i++) {
		hs_fips_run_one(hs_fips_row(i), &res);
		if (cb != NULL)
			cb(&res, arg);
		if (!res.ok) {
			hs_debug("self-test %s on %s: %s", res.test, res.backend, hs_err_str(res.err));
			hs_crypto_enter_error(res.test, res.backend);
			return HS_ERR_FIPS_STATE;
		}
	}
	return HS_OK;
}

/* Append name to the comma list in post.backends unless it is there already. */
static void
post_add_backend(const char *name)
{
	size_t have = strlen(post.backends), len = strlen(name);
	const char *p = post.backends;

	while (*p != '\0') {
		size_t w = strcspn(p, ",");

		if (w == len && strncmp(p, name, len) == 0)
			return;
		p += w + (p[w] == ',');
	}
	if (have + (have > 0) + len + 1 > sizeof(post.backends))
		return;	/* more backends than fit: the summary names the first ones */
	if (have > 0)
		post.backends[have++] = ',';
	memcpy(post.backends + have, name, len + 1);
}

/* Each POST result at DEBUG1 (hsshd -d shows the start-up report line by line). */
static void
post_result(const struct hs_fips_result *r, void *arg)
{
	(void)arg;
	post.n_tests++;
	post.integrity |= r->test == integrity_row.name;
	post_add_backend(r->backend);
	hs_debug("self-test %s on %s: %s (%" PRIu64 " us)", r->test, r->backend,
	    r->ok ? "pass" : "FAIL", r->usec);
}

hs_err
hs_fips_post(void)
{
	uint64_t t0;

	if (post.done)
		return post.verdict;
	t0 = hs_fips_now_usec();
	post.verdict = hs_fips_selftest(post_result, NULL);
	post.usec = hs_fips_now_usec() - t0;
	post.done = true;
	if (post.verdict == HS_OK)
		hs_verbose("self-tests passed: %zu KATs on %s in %" PRIu64 " us%s",
		    post.n_tests - (post.integrity ? 1 : 0), post.backends, post.usec,
		    post.integrity ? " (and the integrity test)" : "");
	return post.verdict;
}

void
hs_fips_post_stats(size_t *n_tests, uint64_t *usec)
{
	*n_tests = post.n_tests;
	*usec = post.usec;
}
