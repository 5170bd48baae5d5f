/* test_pkcs11_kex.c: ECDH computed in a PKCS#11 token (hw/pkcs11_kex.c), the token records shared
 * by keys (hw/pkcs11_token.c) and signing from several threads, against a real softhsm2 token
 * made for the run:
 *   - KexProvider pkcs11:...: the token's ECDH and the software's agree on P-256, P-384, P-521
 *     in both directions; X25519 stays in software; the ephemeral pair is two session objects
 *     while pending and none after release; bad peer points are refused before the token;
 *   - two keys of one token signed from two threads (200 signatures each), every signature
 *     verifies, the token is logged in once; signatures per second from 1 and 2 threads;
 *   - a wrong PIN is presented once, never again, and the token's PIN is not locked.
 * softhsm2 and opensc are in .ci/packages: without them this test fails, it does not skip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_key_impl.h"
#include "hs_pkcs11.h"
#include "hs_provider.h"
#include "testvec.h"

#define MODULE	TV_SOFTHSM_MODULE
#define P11KIT_CLIENT	"/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"
#define NSIGS	200

static char dir[] = "/tmp/hs_p11kex_XXXXXX";

static int
setup_token(void **state)
{
	static const char *const keys[][3] = {
		{ "sig-a", "11", "EC:prime256v1" }, { "sig-b", "12", "EC:prime256v1" },
	};
	size_t i;

	(void)state;
	if (tv_softhsm_token(dir, "hs-kex", "test_pkcs11_kex") != 0)
		return -1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (tv_p11_keygen("hs-kex", keys[i][0], keys[i][1], keys[i][2]) != 0)
			return -1;
	return 0;
}

static int
teardown_token(void **state)
{
	(void)state;
	return tv_run("rm -rf %s", dir) == 0 ? 0 : -1;
}

/* The URI of the token (object attributes optional) with a PIN file from dir. */
static const char *
uri(const char *object, const char *pinfile)
{
	static char u[512];

	snprintf(u, sizeof(u), "pkcs11:token=hs-kex%s%s?module-path=" MODULE
	    "&pin-source=file:%s/%s", object != NULL ? ";object=" : "",
	    object != NULL ? object : "", dir, pinfile);
	return u;
}

static unsigned
session_objects(void)
{
	unsigned n = 99;

	assert_int_equal(hs_pkcs11_session_objects(uri(NULL, "pin"), &n), HS_OK);
	return n;
}

/* Token priv x soft pub and soft priv x token pub give the same secret. */
static void
check_agreement(enum hs_kex_method m, size_t point_len)
{
	struct hs_kex_priv *tok = NULL, *soft = NULL;
	struct hs_buf *tpub, *spub, *z1, *z2;

	assert_int_equal(hs_buf_new(256, &tpub), HS_OK);
	assert_int_equal(hs_buf_new(256, &spub), HS_OK);
	assert_int_equal(hs_buf_new(256, &z1), HS_OK);
	assert_int_equal(hs_buf_new(256, &z2), HS_OK);
	assert_int_equal(hs_kex_keypair(m, &tok, tpub), HS_OK);		/* routed to the token */
	assert_int_equal(hs_soft_kex_keypair(NULL, m, &soft, spub), HS_OK);
	assert_int_equal(hs_buf_len(tpub), point_len);
	assert_int_equal(hs_buf_ptr(tpub)[0], 0x04);
	assert_int_equal(session_objects(), 2);		/* the pending pair */
	assert_int_equal(hs_kex_derive(tok, hs_buf_ptr(spub), hs_buf_len(spub), z1), HS_OK);
	assert_int_equal(hs_kex_derive(soft, hs_buf_ptr(tpub), hs_buf_len(tpub), z2), HS_OK);
	assert_int_equal(session_objects(), 2);		/* the derived secret was destroyed */
	assert_true(hs_buf_len(z1) > 0);
	assert_int_equal(hs_buf_len(z1), hs_buf_len(z2));
	assert_memory_equal(hs_buf_ptr(z1), hs_buf_ptr(z2), hs_buf_len(z1));
	hs_kex_priv_free(tok);
	hs_kex_priv_free(soft);
	assert_int_equal(session_objects(), 0);
	hs_buf_free(tpub);
	hs_buf_free(spub);
	hs_buf_free(z1);
	hs_buf_free(z2);
}

static void
test_kex_in_token(void **state)
{
	(void)state;
	assert_int_equal(hs_kex_provider_set(uri(NULL, "pin")), HS_OK);
	assert_true(hs_kex_provider_supports(HS_KEXM_ECDH_P256));
	assert_true(hs_kex_provider_supports(HS_KEXM_ECDH_P384));
	assert_string_equal(hs_kex_provider_for(HS_KEXM_ECDH_P256), "pkcs11");
	assert_false(hs_kex_provider_supports(HS_KEXM_X25519));
	assert_string_equal(hs_kex_provider_for(HS_KEXM_X25519), "soft");
	assert_false(hs_kex_provider_supports(HS_KEXM_DH_GROUP14));
	assert_int_equal(session_objects(), 0);		/* the curve probe left nothing */
	check_agreement(HS_KEXM_ECDH_P256, 65);
	check_agreement(HS_KEXM_ECDH_P384, 97);
	if (hs_kex_provider_supports(HS_KEXM_ECDH_P521))	/* softhsm2 2.6 has it */
		check_agreement(HS_KEXM_ECDH_P521, 133);
	assert_int_equal(hs_kex_provider_set(NULL), HS_OK);
}

/* Off the curve, the identity, a compressed point, wrong lengths: refused before the token. */
static void
test_bad_peer(void **state)
{
	struct hs_kex_priv *tok = NULL, *soft = NULL;
	struct hs_buf *tpub, *spub, *z;
	uint8_t p[65];
	size_t i;

	(void)state;
	assert_int_equal(hs_kex_provider_set(uri(NULL, "pin")), HS_OK);
	assert_int_equal(hs_buf_new(256, &tpub), HS_OK);
	assert_int_equal(hs_buf_new(256, &spub), HS_OK);
	assert_int_equal(hs_buf_new(256, &z), HS_OK);
	assert_int_equal(hs_kex_keypair(HS_KEXM_ECDH_P256, &tok, tpub), HS_OK);
	assert_int_equal(hs_soft_kex_keypair(NULL, HS_KEXM_ECDH_P256, &soft, spub), HS_OK);
	memcpy(p, hs_buf_ptr(spub), sizeof(p));
	p[64] ^= 0x01;					/* y flipped: off the curve */
	assert_int_not_equal(hs_kex_derive(tok, p, sizeof(p), z), HS_OK);
	memset(p, 0, sizeof(p));			/* the point at infinity */
	assert_int_not_equal(hs_kex_derive(tok, p, 1, z), HS_OK);
	p[0] = 0x04;					/* (0, 0) */
	assert_int_not_equal(hs_kex_derive(tok, p, sizeof(p), z), HS_OK);
	memcpy(p, hs_buf_ptr(spub), sizeof(p));
	p[0] = 0x02;					/* compressed form: RFC 5656 wants 0x04 */
	assert_int_not_equal(hs_kex_derive(tok, p, 33, z), HS_OK);
	p[0] = 0x04;
	for (i = 0; i < sizeof(p); i += 16)		/* truncated */
		assert_int_not_equal(hs_kex_derive(tok, p, i, z), HS_OK);
	assert_int_equal(hs_buf_len(z), 0);		/* nothing was appended */
	/* The pair is still usable with a good point afterwards. */
	assert_int_equal(hs_kex_derive(tok, hs_buf_ptr(spub), hs_buf_len(spub), z), HS_OK);
	assert_int_equal(hs_buf_len(z) > 0 && hs_buf_len(z) <= 32, true);
	hs_kex_priv_free(tok);
	hs_kex_priv_free(soft);
	assert_int_equal(session_objects(), 0);
	hs_buf_free(tpub);
	hs_buf_free(spub);
	hs_buf_free(z);
	assert_int_equal(hs_kex_provider_set(NULL), HS_OK);
}

/* Signatures made in a thread are kept and verified afterwards in the main thread: wolfCrypt's
 * fixed-point ECC cache is per thread and only wc_ecc_fp_free() in that thread frees it, so
 * verifying in the signer threads would leave it to LeakSanitizer. The token path itself calls
 * no wolfCrypt ECC. */
struct signer {
	struct hs_key *k;
	unsigned n, ok;
	struct hs_buf *sig[NSIGS];
};

static void
signed_msg(unsigned i, uint8_t msg[32])
{
	memset(msg, (int)(i & 0xff), 32);
	msg[0] = (uint8_t)(i >> 8);
}

static void *
sign_loop(void *arg)
{
	struct signer *s = arg;
	uint8_t msg[32];
	unsigned i;

	for (i = 0; i < s->n; i++) {
		signed_msg(i, msg);
		if (hs_buf_new(HS_BUF_MAX_DEFAULT, &s->sig[i]) == HS_OK &&
		    hs_key_sign(s->k, HS_SIG_ECDSA_P256, msg, sizeof(msg), s->sig[i]) == HS_OK)
			s->ok++;
	}
	return NULL;
}

/* Every signature verifies with the signer's key (and is freed); returns how many did. */
static unsigned
verify_all(struct signer *s)
{
	uint8_t msg[32];
	unsigned i, good = 0;

	for (i = 0; i < s->n; i++) {
		signed_msg(i, msg);
		if (s->sig[i] != NULL && hs_key_verify(s->k, hs_buf_ptr(s->sig[i]),
		    hs_buf_len(s->sig[i]), msg, sizeof(msg), NULL) == HS_OK)
			good++;
		hs_buf_free(s->sig[i]);
		s->sig[i] = NULL;
	}
	return good;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_threads(void **state)
{
	struct signer s[2] = { { .n = NSIGS }, { .n = NSIGS } };
	pthread_t th[2];
	struct hs_key *b;
	unsigned logins;
	double t0, t1, t2, t3;
	int i;

	(void)state;
	logins = hs_pkcs11_login_count(false);
	assert_int_equal(hs_key_open(uri("sig-a", "pin"), NULL, &s[0].k, NULL), HS_OK);
	assert_int_equal(hs_key_open(uri("sig-b", "pin"), NULL, &s[1].k, NULL), HS_OK);
	assert_int_equal(hs_pkcs11_login_count(false), logins + 1);	/* one token, one login */
	t0 = now_s();
	sign_loop(&s[0]);				/* one thread */
	t1 = now_s();
	assert_int_equal(s[0].ok, NSIGS);
	assert_int_equal(verify_all(&s[0]), NSIGS);
	s[0].ok = 0;
	t2 = now_s();
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &s[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	t3 = now_s();
	assert_int_equal(s[0].ok, NSIGS);
	assert_int_equal(s[1].ok, NSIGS);
	assert_int_equal(verify_all(&s[0]), NSIGS);
	assert_int_equal(verify_all(&s[1]), NSIGS);
	assert_int_equal(hs_pkcs11_login_count(false), logins + 1);
	fprintf(stderr, "test_pkcs11_kex: softhsm2 ECDSA P-256 signatures: 1 thread %.0f/s, "
	    "2 threads %.0f/s\n", NSIGS / (t1 - t0), 2 * NSIGS / (t3 - t2));
	/* The same key from two threads: each borrows its own session. */
	b = s[1].k;
	s[1].k = s[0].k;
	s[0].ok = s[1].ok = 0;
	s[0].n = s[1].n = NSIGS / 4;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &s[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(s[0].ok + s[1].ok, NSIGS / 2);
	assert_int_equal(verify_all(&s[0]) + verify_all(&s[1]), NSIGS / 2);
	hs_key_free(s[0].k);
	hs_key_free(b);
}

/* Start (or restart) a p11-kit server exporting the token on dir/p11kit.sock. */
static int
p11kit_server(void)
{
	char sock[256];
	int i;

	snprintf(sock, sizeof(sock), "%s/p11kit.sock", dir);
	unlink(sock);
	if (tv_run("p11-kit server -f -n %s -p " MODULE " 'pkcs11:token=hs-kex' >%s/p11kit.log "
	    "2>&1 & echo $! >%s/p11kit.pid", sock, dir, dir) != 0)
		return -1;
	/* Ready when a client sees the token through it (the socket exists before listen()). */
	for (i = 0; i < 50; i++) {
		if (tv_run("pkcs11-tool --module " P11KIT_CLIENT " -L 2>/dev/null | "
		    "grep -q hs-kex") == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

static hs_err
sign_once(const struct hs_key *k)
{
	static const uint8_t msg[] = "exchange hash H";
	struct hs_buf *sig;
	hs_err r;

	assert_int_equal(hs_buf_new(HS_BUF_MAX_DEFAULT, &sig), HS_OK);
	if ((r = hs_key_sign(k, HS_SIG_ECDSA_P256, msg, sizeof(msg), sig)) == HS_OK)
		r = hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), msg, sizeof(msg), NULL);
	hs_buf_free(sig);
	return r;
}

/* The token behind p11-kit's client module: its server killed (the token gone, as a removed
 * token or a dead daemon looks to the module) and restarted; then softhsm2's own token files
 * moved away and back. Signatures fail cleanly while it is gone and work again, with a new
 * login, once it is back. */
static void
test_token_removed(void **state)
{
	char u[512], addr[300];
	struct hs_key *k;
	unsigned logins;

	(void)state;
	/* p11-kit's client writes to the dead server's socket without MSG_NOSIGNAL: a process
	 * using it ignores SIGPIPE, as hsshd does. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(addr, sizeof(addr), "unix:path=%s/p11kit.sock", dir);
	setenv("P11_KIT_SERVER_ADDRESS", addr, 1);
	assert_int_equal(p11kit_server(), 0);
	snprintf(u, sizeof(u), "pkcs11:token=hs-kex;object=sig-a?module-path=" P11KIT_CLIENT
	    "&pin-source=file:%s/pin", dir);
	logins = hs_pkcs11_login_count(false);
	assert_int_equal(hs_key_open(u, NULL, &k, NULL), HS_OK);
	assert_int_equal(sign_once(k), HS_OK);
	assert_int_equal(tv_run("p=$(cat %s/p11kit.pid); pkill -P $p; kill $p", dir), 0);
	usleep(200000);
	assert_int_equal(sign_once(k), HS_ERR_PROVIDER);
	assert_int_equal(sign_once(k), HS_ERR_PROVIDER);	/* looked for again, still gone */
	assert_int_equal(p11kit_server(), 0);
	sleep(1);		/* the module is initialised again at most once a second */
	assert_int_equal(sign_once(k), HS_OK);
	assert_int_equal(sign_once(k), HS_OK);
	assert_int_equal(hs_pkcs11_login_count(false), logins + 2);	/* once more, once */
	hs_key_free(k);
	assert_int_equal(tv_run("p=$(cat %s/p11kit.pid); pkill -P $p; kill $p", dir), 0);

	/* softhsm2 itself: its token directory taken away and put back. */
	assert_int_equal(hs_key_open(uri("sig-a", "pin"), NULL, &k, NULL), HS_OK);
	assert_int_equal(sign_once(k), HS_OK);
	assert_int_equal(tv_run("mv %s/tokens %s/tokens.away", dir, dir), 0);
	assert_int_equal(sign_once(k), HS_ERR_PROVIDER);
	assert_int_equal(sign_once(k), HS_ERR_PROVIDER);
	assert_int_equal(tv_run("mv %s/tokens.away %s/tokens", dir, dir), 0);
	sleep(1);
	assert_int_equal(sign_once(k), HS_OK);
	hs_key_free(k);
}

/* pkcs11-tool's token flags line contains what. */
static bool
token_flag(const char *what)
{
	return tv_run("pkcs11-tool --module " MODULE " -T 2>/dev/null | grep -q '%s'", what) == 0;
}

static void
test_wrong_pin(void **state)
{
	struct hs_key *k = NULL;
	unsigned tries, ok;

	(void)state;
	tries = hs_pkcs11_login_count(true);
	ok = hs_pkcs11_login_count(false);
	assert_int_equal(hs_key_open(uri("sig-a", "badpin"), NULL, &k, NULL), HS_ERR_PERM);
	assert_null(k);
	assert_int_equal(hs_pkcs11_login_count(true), tries + 1);
	/* Never presented again in this process: not for another key, not for KEX. */
	assert_int_equal(hs_key_open(uri("sig-a", "badpin"), NULL, &k, NULL), HS_ERR_PERM);
	assert_int_equal(hs_key_open(uri("sig-b", "badpin"), NULL, &k, NULL), HS_ERR_PERM);
	assert_int_not_equal(hs_kex_provider_set(uri(NULL, "badpin")), HS_OK);
	assert_int_equal(hs_pkcs11_login_count(true), tries + 1);
	assert_int_equal(hs_pkcs11_login_count(false), ok);
	/* softhsm2 marks one refusal as "count low"; the PIN is neither final-try nor locked. */
	assert_true(token_flag("user PIN count low"));
	assert_false(token_flag("final try"));
	assert_false(token_flag("locked"));
	/* The right PIN still works, and clears the count. */
	assert_int_equal(hs_key_open(uri("sig-a", "pin"), NULL, &k, NULL), HS_OK);
	assert_int_equal(hs_pkcs11_login_count(false), ok + 1);
	hs_key_free(k);
	assert_false(token_flag("user PIN count low"));
}

/* softhsm2's own leaks (see testvec.h) */
TV_SOFTHSM_LSAN

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kex_in_token),
		cmocka_unit_test(test_bad_peer),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_token_removed),
		cmocka_unit_test(test_wrong_pin),
	};

	return cmocka_run_group_tests_name("pkcs11_kex", tests, setup_token, teardown_token);
}
