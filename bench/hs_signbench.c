/* hs_signbench.c: host-key signatures per second through hardssh's provider interface
 * (hs_key_open + hs_key_sign, hw/hs_provider.h), the figure bench/hw_bench.sh sets against
 * p11_rawsign's plain C_Sign loop on the same token key (issue 5: goal >= 0.9x).
 *
 * usage: hs_signbench URI [SECONDS]
 * URI is anything HostKey accepts (a key file, pkcs11:..., tpm2:...). The key signs a 32-byte
 * message (the size of a SHA-256 exchange hash H, RFC 4253 8) with its first signature algorithm
 * (rsa-sha2-256 for RSA), one thread, for SECONDS (default 5). The first signature is verified
 * with the key's public blob, so a provider that returned garbage would not be timed. Prints
 * "signatures/s N" (wall clock) and "signatures/cpu-s N" (per second of the process's CPU time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

#include "hs_buf.h"
#include "hs_crypto.h"
#include "hs_log.h"
#include "hs_provider.h"

/* The algorithm each key type signs with here. */
static const struct {
	enum hs_key_type type;
	enum hs_sig_alg alg;
} sig_for_type[] = {
	{ HS_KEY_ED25519, HS_SIG_ED25519 },
	{ HS_KEY_ECDSA_P256, HS_SIG_ECDSA_P256 },
	{ HS_KEY_ECDSA_P384, HS_SIG_ECDSA_P384 },
	{ HS_KEY_ECDSA_P521, HS_SIG_ECDSA_P521 },
	{ HS_KEY_RSA, HS_SIG_RSA_SHA256 },
	{ HS_KEY_UNKNOWN, HS_SIG_UNKNOWN },
};

static enum hs_sig_alg
alg_for(const struct hs_key *k)
{
	size_t i;

	for (i = 0; sig_for_type[i].type != HS_KEY_UNKNOWN; i++)
		if (sig_for_type[i].type == hs_key_type(k))
			return sig_for_type[i].alg;
	return HS_SIG_UNKNOWN;
}

/* One signature, checked against the public key. */
static hs_err
sign_checked(const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m, size_t mlen)
{
	struct hs_buf *sig = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &sig));
	HS_GUARD_GOTO(hs_key_sign(k, alg, m, mlen, sig), r, out);
	r = hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), m, mlen, NULL);
out:
	hs_buf_free(sig);
	return r;
}

/* Sign for secs seconds; *n receives the number of signatures. */
static hs_err
sign_loop(const struct hs_key *k, enum hs_sig_alg alg, double secs, long *n)
{
	uint8_t m[32];
	struct hs_buf *sig = NULL;
	double end = now_s() + secs;
	hs_err r;

	memset(m, 0x5a, sizeof(m));
	*n = 0;
	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &sig));
	while (*n % 16 != 0 || now_s() < end) {
		hs_buf_reset(sig);
		HS_GUARD_GOTO(hs_key_sign(k, alg, m, sizeof(m), sig), r, out);
		(*n)++;
	}
	r = HS_OK;
out:
	hs_buf_free(sig);
	return r;
}

int
main(int argc, char **argv)
{
	struct hs_key *k = NULL;
	uint8_t m[32];
	double secs = argc > 2 ? atof(argv[2]) : 5.0, t0, t1, c0, c1;
	enum hs_sig_alg alg;
	long n = 0;
	hs_err r;

	if (argc < 2 || secs <= 0) {
		fprintf(stderr, "usage: hs_signbench URI [SECONDS]\n");
		return 2;
	}
	hs_log_init("hs_signbench", HS_LOG_ERROR, true, 0);
	if (hs_crypto_init() != HS_OK) {
		fprintf(stderr, "hs_signbench: crypto backend failed to initialise\n");
		return 1;
	}
	if ((r = hs_key_open(argv[1], NULL, &k, NULL)) != HS_OK) {
		fprintf(stderr, "hs_signbench: cannot open %s: %s\n", argv[1], hs_err_str(r));
		return 1;
	}
	if ((alg = alg_for(k)) == HS_SIG_UNKNOWN) {
		fprintf(stderr, "hs_signbench: no signature algorithm for this key type\n");
		hs_key_free(k);
		return 1;
	}
	memset(m, 0x5a, sizeof(m));
	t0 = t1 = c0 = c1 = 0;
	if ((r = sign_checked(k, alg, m, sizeof(m))) == HS_OK) {
		c0 = cpu_s();
		t0 = now_s();
		r = sign_loop(k, alg, secs, &n);
		t1 = now_s();
		c1 = cpu_s();
	}
	hs_key_free(k);
	if (r != HS_OK) {
		fprintf(stderr, "hs_signbench: %s: %s\n", hs_sig_alg_name(alg), hs_err_str(r));
		return 1;
	}
	printf("signatures %ld seconds %.3f signatures/s %.1f cpu-seconds %.3f "
	    "signatures/cpu-s %.1f (%s)\n", n, t1 - t0, (double)n / (t1 - t0), c1 - c0, (double)n / (c1 - c0),
	    hs_sig_alg_name(alg));
	return 0;
}
