/* test_tpm2.c: the TPM 2.0 provider (hw/provider_tpm2.c, hw/tpm2_*.c) against a real swtpm started
 * for the run on free loopback ports, with keys made by tpm2-tools: tpm2: URI parsing, persistent
 * and loaded (blob) ECDSA P-256/P-384 and RSA 2048/3072 keys whose public blobs equal what
 * `tpm2_readpublic -f pem | ssh-keygen -i -m PKCS8` reads, signatures hs_key_verify accepts, auth
 * file refusals, ECDH in the TPM against software ECDH, and a swtpm restarted between two
 * signatures. swtpm and tpm2-tools are in .ci/packages: without them this test fails.
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_crypto.h"
#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_provider.h"
#include "hs_tpm2.h"
#include "testkey.h"
#include "testvec.h"

static char dir[] = "/tmp/hs_tpm2_XXXXXX";
static int port;
static char tcti[128];

struct tkey {
	const char *name;	/* files <dir>/<name>.pub/.priv/.ssh */
	const char *alg;	/* tpm2_create -G */
	const char *uri_key;	/* "handle=0x81000001" or "blob=..." (filled in) */
	enum hs_key_type type;
	unsigned bits;
	enum hs_sig_alg algs[2];
	bool persistent;
};

static struct tkey tkeys[] = {
	{ "ec256", "ecc256", "handle=0x81000001", HS_KEY_ECDSA_P256, 256, { HS_SIG_ECDSA_P256 },
	  true },
	{ "ec384", "ecc384", "handle=0x81000002", HS_KEY_ECDSA_P384, 384, { HS_SIG_ECDSA_P384 },
	  true },
	{ "rsa3072", "rsa3072", "handle=0x81000003", HS_KEY_RSA, 3072,
	  { HS_SIG_RSA_SHA256, HS_SIG_RSA_SHA512 }, true },
	{ "rsa2048", "rsa2048", NULL, HS_KEY_RSA, 2048, { HS_SIG_RSA_SHA256, HS_SIG_RSA_SHA512 },
	  false },
	{ "ec256b", "ecc256", NULL, HS_KEY_ECDSA_P256, 256, { HS_SIG_ECDSA_P256 }, false },
};
#define NKEYS (sizeof(tkeys) / sizeof(tkeys[0]))

static int
swtpm_start(void)
{
	int i;

	if (tv_run("swtpm socket --tpm2 --server type=tcp,port=%d,bindaddr=127.0.0.1 --ctrl "
	    "type=tcp,port=%d,bindaddr=127.0.0.1 --tpmstate dir=%s/state --flags startup-clear "
	    "--daemon --pid file=%s/swtpm.pid --log file=%s/swtpm.log", port, port + 1, dir, dir,
	    dir) != 0)
		return -1;
	for (i = 0; i < 50; i++) {	/* the daemon listens before it returns; be patient anyway */
		if (tv_run("(exec 3<>/dev/tcp/127.0.0.1/%d) 2>/dev/null", port) == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

static void
swtpm_stop(void)
{
	(void)tv_run("p=$(cat %s/swtpm.pid 2>/dev/null) && kill $p && for i in $(seq 50); do "
	    "kill -0 $p 2>/dev/null || break; sleep 0.1; done", dir);
}

/* Two free loopback ports P, P+1: the kernel's choice for P, and P+1 bindable too. */
static int
pick_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int s1, s2, p = -1, tries;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (tries = 0; tries < 50 && p < 0; tries++) {
		s1 = socket(AF_INET, SOCK_STREAM, 0);
		s2 = socket(AF_INET, SOCK_STREAM, 0);
		a.sin_port = 0;
		if (s1 >= 0 && s2 >= 0 && bind(s1, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    getsockname(s1, (struct sockaddr *)&a, &alen) == 0 && ntohs(a.sin_port) < 65535) {
			a.sin_port = htons(ntohs(a.sin_port) + 1);
			if (bind(s2, (struct sockaddr *)&a, sizeof(a)) == 0)
				p = ntohs(a.sin_port) - 1;
		}
		close(s1);
		close(s2);
	}
	return p;
}

#define TOOLS "TPM2TOOLS_TCTI=%s "

static int
make_key(struct tkey *t)
{
	static char blob[NKEYS][512];
	size_t i = (size_t)(t - tkeys);

	if (tv_run("cd %s && " TOOLS "tpm2_create -Q -C 0x81000000 -G %s -u %s.pub -r %s.priv "
	    "-p file:auth && " TOOLS "tpm2_flushcontext -t", dir, tcti, t->alg, t->name, t->name,
	    tcti) != 0)
		return -1;
	if (t->persistent) {
		if (tv_run("cd %s && " TOOLS "tpm2_load -Q -C 0x81000000 -u %s.pub -r %s.priv -c %s.ctx "
		    "&& " TOOLS "tpm2_evictcontrol -Q -C o -c %s.ctx %s && " TOOLS
		    "tpm2_flushcontext -t && " TOOLS "tpm2_readpublic -Q -c %s -f pem -o %s.pem",
		    dir, tcti, t->name, t->name, t->name, tcti, t->name, t->uri_key + 7, tcti, tcti,
		    t->uri_key + 7, t->name) != 0)
			return -1;
	} else {
		if (tv_run("cd %s && " TOOLS "tpm2_load -Q -C 0x81000000 -u %s.pub -r %s.priv -c %s.ctx "
		    "&& " TOOLS "tpm2_readpublic -Q -c %s.ctx -f pem -o %s.pem && " TOOLS
		    "tpm2_flushcontext -t", dir, tcti, t->name, t->name, t->name, tcti, t->name,
		    t->name, tcti) != 0)
			return -1;
		/* One blob key by its two paths, one by the single-path form. */
		if (strcmp(t->name, "ec256b") == 0)
			snprintf(blob[i], sizeof(blob[i]), "blob=%s/%s;parent=0x81000000", dir,
			    t->name);
		else
			snprintf(blob[i], sizeof(blob[i]), "blob=%s/%s.pub,%s/%s.priv;parent=0x81000000",
			    dir, t->name, dir, t->name);
		t->uri_key = blob[i];
	}
	/* The independent reading of the public key: OpenSSH's own PKCS#8 import. */
	return tv_run("ssh-keygen -i -m PKCS8 -f %s/%s.pem > %s/%s.ssh", dir, t->name, dir, t->name);
}

static int
setup_tpm(void **state)
{
	size_t i;

	(void)state;
	if (tv_run("command -v swtpm tpm2_createprimary ssh-keygen >/dev/null") != 0) {
		fprintf(stderr, "test_tpm2: FAIL: swtpm and tpm2-tools are required (apt-get install "
		    "swtpm swtpm-tools tpm2-tools; see .ci/packages)\n");
		return -1;
	}
	if (mkdtemp(dir) == NULL || (port = pick_port()) < 0 ||
	    tv_run("mkdir %s/state", dir) != 0 || swtpm_start() != 0) {
		fprintf(stderr, "test_tpm2: cannot start swtpm on port %d (%s/swtpm.log)\n", port,
		    dir);
		return -1;
	}
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	tv_write_file(dir, "auth", "host-key-auth", 0600);
	tv_write_file(dir, "badauth", "not-the-auth", 0600);
	tv_write_file(dir, "openauth", "host-key-auth", 0644);
	/* The storage parent at 0x81000000; a lenient DA policy so the wrong-auth case cannot lock
	 * the rest of the run out. */
	if (tv_run("cd %s && " TOOLS "tpm2_dictionarylockout -Q -s -n 100 -t 1 -l 1 && " TOOLS
	    "tpm2_createprimary -Q -C o -G ecc -c prim.ctx && " TOOLS "tpm2_evictcontrol -Q -C o "
	    "-c prim.ctx 0x81000000 && " TOOLS "tpm2_flushcontext -t", dir, tcti, tcti, tcti,
	    tcti) != 0) {
		fprintf(stderr, "test_tpm2: tpm2-tools could not make the parent key\n");
		return -1;
	}
	for (i = 0; i < NKEYS; i++)
		if (make_key(&tkeys[i]) != 0) {
			fprintf(stderr, "test_tpm2: tpm2-tools could not make %s\n", tkeys[i].name);
			return -1;
		}
	if (hs_tpm2_set_tcti(tcti) != HS_OK)
		return -1;
	return 0;
}

static int
teardown_tpm(void **state)
{
	(void)state;
	swtpm_stop();
	return tv_run("rm -rf %s", dir) == 0 ? 0 : -1;
}

static hs_err
open_key(const struct tkey *t, const char *authfile, struct hs_key **k)
{
	char uri[1024];

	snprintf(uri, sizeof(uri), "tpm2:%s%s%s%s", t->uri_key, authfile ? ";auth-file=" : "",
	    authfile ? dir : "", authfile ? "/" : "");
	if (authfile != NULL)
		strncat(uri, authfile, sizeof(uri) - strlen(uri) - 1);
	return hs_key_open(uri, NULL, k, NULL);
}

static void
assert_same_as_ssh_keygen(const struct hs_key *k, const struct tkey *t)
{
	char path[256], want[2048], *ours = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.ssh", dir, t->name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(want, sizeof(want), f));
	fclose(f);
	want[strcspn(want, "\n")] = '\0';
	assert_int_equal(hs_keyfile_public_line(k, NULL, &ours), HS_OK);
	ours[strcspn(ours, "\n")] = '\0';
	while (strlen(ours) > 0 && ours[strlen(ours) - 1] == ' ')
		ours[strlen(ours) - 1] = '\0';
	assert_string_equal(ours, want);
	free(ours);
}

static void
check_key(const struct tkey *t, struct hs_key *k)
{
	tv_check_key_signs(k, "tpm2", t->type, t->bits, t->algs,
	    sizeof(t->algs) / sizeof(t->algs[0]));
}

static void
test_uri(void **state)
{
	static const char *const bad[] = {
		"tpm2:handle=81000001", "tpm2:handle=0x01000001", "tpm2:handle=0x810000011",
		"tpm2:handle=0x8100000g", "tpm2:handle=", "tpm2:handle", "tpm2:colour=red",
		"tpm2:handle=0x81000001;handle=0x81000002", "tpm2:handle=0x81000001;blob=/a",
		"tpm2:parent=0x81000000", "tpm2:blob=/a,/b,/c", "tpm2:blob=,/b", "tpm2:blob=/a,",
		"tpm2:tcti=%zz", "tpm2:tcti=%4", "tpm2:tcti=a%00b", "tpm2:auth-file=",
		"pkcs11:object=x", "tpm2:handle=0x81000001;", "tpm2:;handle=0x81000001",
	};
	struct hs_tpm2uri u;
	char *big;
	size_t i;

	(void)state;
	assert_true(hs_tpm2uri_is("TPM2:handle=0x81000001"));
	assert_false(hs_tpm2uri_is("tpm:handle=0x81000001"));
	assert_int_equal(hs_tpm2uri_parse("tpm2:handle=0x81000001;auth-file=/etc/hs/a;"
	    "tcti=swtpm:host=127.0.0.1,port=2321", &u), HS_OK);
	assert_true(u.has_handle);
	assert_int_equal(u.handle, 0x81000001u);
	assert_string_equal(u.auth_file, "/etc/hs/a");
	assert_string_equal(u.tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_null(u.pub_path);
	assert_true(hs_tpm2uri_has_key(&u));
	hs_tpm2uri_free(&u);
	assert_int_equal(hs_tpm2uri_parse("tpm2:blob=/k/a.pub,/k/a.priv;parent=0x81000010", &u),
	    HS_OK);
	assert_string_equal(u.pub_path, "/k/a.pub");
	assert_string_equal(u.priv_path, "/k/a.priv");
	assert_int_equal(u.parent, 0x81000010u);
	hs_tpm2uri_free(&u);
	assert_int_equal(hs_tpm2uri_parse("tpm2:blob=/k/a%3Bb", &u), HS_OK);
	assert_string_equal(u.pub_path, "/k/a;b.pub");
	assert_string_equal(u.priv_path, "/k/a;b.priv");
	assert_int_equal(u.parent, HS_TPM2_SRK_HANDLE);
	hs_tpm2uri_free(&u);
	assert_int_equal(hs_tpm2uri_parse("tpm2:", &u), HS_OK);
	assert_false(hs_tpm2uri_has_key(&u));
	hs_tpm2uri_free(&u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hs_tpm2uri_parse(bad[i], &u) != HS_ERR_FORMAT)
			fail_msg("accepted: %s", bad[i]);
		assert_null(u.tcti);
	}
	assert_non_null(big = malloc(5000));
	memset(big, 'a', 4999);
	memcpy(big, "tpm2:tcti=", 10);
	big[4999] = '\0';
	assert_int_equal(hs_tpm2uri_parse(big, &u), HS_ERR_TOO_LARGE);
	free(big);
}

static void
test_keys(void **state)
{
	struct hs_key *k;
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++) {
		assert_int_equal(open_key(&tkeys[i], "auth", &k), HS_OK);
		check_key(&tkeys[i], k);
		assert_same_as_ssh_keygen(k, &tkeys[i]);
		hs_key_free(k);
	}
}

/* Several keys of one TPM open at once share one context; freeing one leaves the others usable. */
static void
test_shared_context(void **state)
{
	struct hs_key *a, *b, *c;

	(void)state;
	assert_int_equal(open_key(&tkeys[0], "auth", &a), HS_OK);
	assert_int_equal(open_key(&tkeys[3], "auth", &b), HS_OK);
	assert_int_equal(open_key(&tkeys[1], "auth", &c), HS_OK);
	assert_int_equal(tv_run("grep -q libtss2-esys /proc/%d/maps", (int)getpid()), 0);
	hs_key_free(b);
	check_key(&tkeys[0], a);
	check_key(&tkeys[1], c);
	hs_key_free(a);
	hs_key_free(c);
	/* The last context closed: the TSS libraries are unmapped again (hsshd's listener only
	 * checks its keys and must not keep them). */
	assert_int_not_equal(tv_run("grep -q libtss2-esys /proc/%d/maps", (int)getpid()), 0);
}

static void
test_refusals(void **state)
{
	struct hs_key *k = (struct hs_key *)1, *good;

	(void)state;
	/* A wrong auth value fails the pairwise test's TPM2_Sign, once (no retry into lockout). */
	assert_int_equal(open_key(&tkeys[0], "badauth", &k), HS_ERR_PERM);
	assert_null(k);
	assert_int_equal(open_key(&tkeys[0], "openauth", &k), HS_ERR_PERM);
	assert_int_equal(open_key(&tkeys[0], "missing", &k), HS_ERR_NOT_FOUND);
	assert_int_not_equal(open_key(&tkeys[0], NULL, &k), HS_OK);	/* needs its auth */
	assert_int_not_equal(hs_key_open("tpm2:handle=0x81000077", NULL, &k, NULL), HS_OK);
	assert_int_not_equal(hs_key_open("tpm2:blob=/nonexistent/k;parent=0x81000000", NULL, &k,
	    NULL), HS_OK);
	assert_int_equal(hs_key_open("tpm2:tcti=mssim", NULL, &k, NULL), HS_ERR_CONFIG);
	assert_int_not_equal(hs_key_open("tpm2:handle=0x81000001;tcti=swtpm:host=127.0.0.1,"
	    "port=1", NULL, &k, NULL), HS_OK);
	assert_null(k);
	/* The right auth still works, through the same context as the failures. */
	assert_int_equal(open_key(&tkeys[0], "auth", &good), HS_OK);
	check_key(&tkeys[0], good);
	hs_key_free(good);
}

/* ECDH in the TPM against software ECDH: equal secrets; a point off the curve is refused. */
static void
kex_one(enum hs_kex_method m)
{
	struct hs_kex_priv *tp = NULL, *sp = NULL;
	struct hs_buf *tpub, *spub, *ts, *ss;

	assert_int_equal(hs_buf_new(1024, &tpub), HS_OK);
	assert_int_equal(hs_buf_new(1024, &spub), HS_OK);
	assert_int_equal(hs_buf_new(1024, &ts), HS_OK);
	assert_int_equal(hs_buf_new(1024, &ss), HS_OK);
	assert_int_equal(hs_kex_keypair(m, &tp, tpub), HS_OK);
	assert_ptr_equal(((struct hs_kex_head *)tp)->ops, &hs_provider_tpm2);
	assert_int_equal(hs_soft_kex_keypair(NULL, m, &sp, spub), HS_OK);
	assert_int_equal(hs_kex_derive(sp, hs_buf_ptr(tpub), hs_buf_len(tpub), ss), HS_OK);
	assert_int_equal(hs_kex_derive(tp, hs_buf_ptr(spub), hs_buf_len(spub), ts), HS_OK);
	assert_int_equal(hs_buf_len(ts), hs_buf_len(ss));
	assert_memory_equal(hs_buf_ptr(ts), hs_buf_ptr(ss), hs_buf_len(ss));
	hs_kex_priv_free(tp);
	/* Off the curve: Y + 1. */
	assert_int_equal(hs_kex_keypair(m, &tp, tpub), HS_OK);
	hs_buf_mutable_ptr(spub)[hs_buf_len(spub) - 1] ^= 1;
	hs_buf_reset(ts);
	assert_int_equal(hs_kex_derive(tp, hs_buf_ptr(spub), hs_buf_len(spub), ts), HS_ERR_FORMAT);
	assert_int_equal(hs_kex_derive(tp, hs_buf_ptr(spub), 10, ts), HS_ERR_FORMAT);
	assert_int_equal(hs_buf_len(ts), 0);
	hs_kex_priv_free(tp);
	hs_kex_priv_free(sp);
	hs_buf_free(tpub);
	hs_buf_free(spub);
	hs_buf_free(ts);
	hs_buf_free(ss);
}

static void
test_kex(void **state)
{
	int i;

	(void)state;
	assert_int_equal(hs_kex_provider_set("tpm2:"), HS_OK);
	assert_true(hs_kex_provider_supports(HS_KEXM_ECDH_P256));
	assert_true(hs_kex_provider_supports(HS_KEXM_ECDH_P384));
	assert_false(hs_kex_provider_supports(HS_KEXM_X25519));
	assert_string_equal(hs_kex_provider_for(HS_KEXM_ECDH_P256), "tpm2");
	assert_string_equal(hs_kex_provider_for(HS_KEXM_X25519), "soft");
	for (i = 0; i < 3; i++) {	/* transient keys are flushed: no TPM object slots run out */
		kex_one(HS_KEXM_ECDH_P256);
		kex_one(HS_KEXM_ECDH_P384);
	}
	assert_int_equal(hs_kex_provider_set("soft"), HS_OK);
	assert_false(hs_kex_provider_supports(HS_KEXM_ECDH_P256));
	assert_int_not_equal(hs_kex_provider_set("tpm2:tcti=swtpm:host=127.0.0.1,port=1"), HS_OK);
}

struct signer {
	struct hs_key *k;
	enum hs_sig_alg alg;
	struct hs_buf *sig[8];
	int ok;
};

static const uint8_t par_msg[] = "parallel";

/* Only signs: verifying here would grow wolfSSL's per-thread FP_ECC cache, which a thread that
 * exits without wc_ecc_fp_free() leaks; the main thread verifies. */
static void *
sign_loop(void *arg)
{
	struct signer *sg = arg;
	int i;

	for (i = 0; i < 8; i++)
		if (hs_key_sign(sg->k, sg->alg, par_msg, sizeof(par_msg), sg->sig[i]) == HS_OK)
			sg->ok++;
	return NULL;
}

/* Keys of one TPM signed from several threads at once (hsshd's host-key service has one worker
 * per key): the shared context serialises them; the two blob keys and the persistent ones share
 * the TPM's few object slots, so blob keys are unloaded and loaded again between signatures. */
static void
test_threads(void **state)
{
	struct signer sg[NKEYS];
	pthread_t th[NKEYS];
	size_t i;

	(void)state;
	int j;

	for (i = 0; i < NKEYS; i++) {
		sg[i] = (struct signer){ .alg = tkeys[i].algs[0] };
		assert_int_equal(open_key(&tkeys[i], "auth", &sg[i].k), HS_OK);
		for (j = 0; j < 8; j++)
			assert_int_equal(hs_buf_new(HS_BUF_MAX_DEFAULT, &sg[i].sig[j]), HS_OK);
	}
	for (i = 0; i < NKEYS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &sg[i]), 0);
	for (i = 0; i < NKEYS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(sg[i].ok, 8);
		for (j = 0; j < 8; j++) {
			assert_int_equal(hs_key_verify(sg[i].k, hs_buf_ptr(sg[i].sig[j]),
			    hs_buf_len(sg[i].sig[j]), par_msg, sizeof(par_msg), NULL), HS_OK);
			hs_buf_free(sg[i].sig[j]);
		}
		hs_key_free(sg[i].k);
	}
}

/* TPM2_GetRandom's bytes go in through hs_soft_rng_mix: the DRBG keeps working after it, and more
 * than 64 bytes are refused. */
static void
test_rng_mix(void **state)
{
	uint8_t in[65] = { 1, 2, 3 }, a[32], b[32];

	(void)state;
	assert_int_equal(hs_random(a, sizeof(a)), HS_OK);
	assert_int_equal(hs_soft_rng_mix(in, 32), HS_OK);
	assert_int_equal(hs_random(b, sizeof(b)), HS_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(hs_soft_rng_mix(in, sizeof(in)), HS_ERR_TOO_LARGE);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* swtpm killed and started again between two signatures: the second one still works, for a
 * persistent and for a blob key (reloaded); also measures the signature latency. */
static void
test_reconnect(void **state)
{
	static const uint8_t msg[] = "m";
	struct hs_key *k[NKEYS];
	struct hs_buf *sig;
	double t0;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		assert_int_equal(open_key(&tkeys[i], "auth", &k[i]), HS_OK);
	assert_int_equal(hs_buf_new(HS_BUF_MAX_DEFAULT, &sig), HS_OK);
	for (i = 0; i < NKEYS; i++) {
		t0 = now_ms();
		for (n = 0; n < 20; n++) {
			hs_buf_reset(sig);
			assert_int_equal(hs_key_sign(k[i], tkeys[i].algs[0], msg, sizeof(msg), sig),
			    HS_OK);
		}
		fprintf(stderr, "test_tpm2: %s (%s): %.2f ms per signature on swtpm\n",
		    tkeys[i].name, hs_sig_alg_name(tkeys[i].algs[0]), (now_ms() - t0) / n);
	}
	swtpm_stop();
	assert_int_equal(swtpm_start(), 0);
	for (i = 0; i < NKEYS; i++)
		check_key(&tkeys[i], k[i]);
	/* Stopped and not back: a clean error, then working again once it is. */
	swtpm_stop();
	hs_buf_reset(sig);
	assert_int_equal(hs_key_sign(k[0], tkeys[0].algs[0], msg, sizeof(msg), sig),
	    HS_ERR_PROVIDER);
	assert_int_equal(swtpm_start(), 0);
	check_key(&tkeys[0], k[0]);
	hs_buf_free(sig);
	for (i = 0; i < NKEYS; i++)
		hs_key_free(k[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_shared_context),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_kex),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_rng_mix),
		cmocka_unit_test(test_reconnect),
	};

	hs_log_init("test_tpm2", HS_LOG_INFO, true, 0);
	return cmocka_run_group_tests(tests, setup_tpm, teardown_tpm);
}
