/* p11_rawsign.c: the baseline of issue 5's signing benchmark (bench/hw_bench.sh). A plain
 * C_SignInit + C_Sign loop straight on a PKCS#11 module's function list, with nothing of hardssh
 * in between, so that hs_signbench (the same loop through our provider) can be compared with it.
 *
 * This is benchmark code, not product code: it includes p11-kit's pkcs11.h directly, outside hw/,
 * because it is the thing our PKCS#11 provider is measured against (STYLE.md section 1 keeps
 * product code above hw/ free of PKCS#11 headers; this program is not part of any layer).
 *
 * usage: p11_rawsign MODULE TOKEN-LABEL OBJECT-LABEL PIN-FILE [SECONDS]
 * The key must be an EC private key; it signs a fixed 32-byte digest with CKM_ECDSA (what an
 * ecdsa-sha2-nistp256 host key signature asks of the token: RFC 5656 6.2.1, PKCS#11 v2.40 2.3.6)
 * on one session, one thread, for SECONDS (default 5), and prints "signatures/s N" (wall clock)
 * and "signatures/cpu-s N" (per second of the process's CPU time).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "bench_clock.h"

struct rawsign {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE key;
};

static int
fail(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11_rawsign: %s: CKR 0x%lx\n", what, (unsigned long)rv);
	return -1;
}

/* A space-padded CK_TOKEN_INFO label equals want (PKCS#11 v2.40 3.2). */
static int
label_is(const CK_UTF8CHAR *label, size_t n, const char *want)
{
	size_t wl = strlen(want);

	while (n > 0 && label[n - 1] == ' ')
		n--;
	return n == wl && memcmp(label, want, n) == 0;
}

static int
load(struct rawsign *rs, const char *module)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_C_GetFunctionList gfl;
	CK_RV rv;

	if ((rs->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "p11_rawsign: %s\n", dlerror());
		return -1;
	}
	*(void **)&gfl = dlsym(rs->dl, "C_GetFunctionList");
	if (gfl == NULL || gfl(&rs->f) != CKR_OK)
		return fail("C_GetFunctionList", CKR_GENERAL_ERROR);
	if ((rv = rs->f->C_Initialize(&args)) != CKR_OK)
		return fail("C_Initialize", rv);
	return 0;
}

static int
find_slot(struct rawsign *rs, const char *token)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	if ((rv = rs->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return fail("C_GetSlotList", rv);
	for (i = 0; i < n; i++)
		if (rs->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    label_is(ti.label, sizeof(ti.label), token)) {
			rs->slot = slots[i];
			return 0;
		}
	fprintf(stderr, "p11_rawsign: no token labelled %s\n", token);
	return -1;
}

static int
login(struct rawsign *rs, const char *pinfile)
{
	char pin[256];
	size_t len;
	FILE *f;
	CK_RV rv;

	if ((f = fopen(pinfile, "r")) == NULL || fgets(pin, sizeof(pin), f) == NULL) {
		perror(pinfile);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	len = strcspn(pin, "\r\n");
	rv = rs->f->C_Login(rs->sess, CKU_USER, (CK_UTF8CHAR_PTR)pin, len);
	memset(pin, 0, sizeof(pin));
	return rv == CKR_OK ? 0 : fail("C_Login", rv);
}

static int
find_key(struct rawsign *rs, const char *object)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)object, strlen(object) },
	};
	CK_ULONG found = 0;
	CK_RV rv;

	if ((rv = rs->f->C_FindObjectsInit(rs->sess, tmpl, 2)) != CKR_OK)
		return fail("C_FindObjectsInit", rv);
	rv = rs->f->C_FindObjects(rs->sess, &rs->key, 1, &found);
	(void)rs->f->C_FindObjectsFinal(rs->sess);
	if (rv != CKR_OK || found != 1) {
		fprintf(stderr, "p11_rawsign: no private key labelled %s\n", object);
		return -1;
	}
	return 0;
}

/* Sign for secs seconds; the number of signatures made, or -1. */
static long
sign_loop(struct rawsign *rs, double secs)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	CK_BYTE digest[32], sig[132];
	CK_ULONG slen;
	double end = now_s() + secs;
	long n = 0;
	CK_RV rv;

	memset(digest, 0x5a, sizeof(digest));
	while (n % 16 != 0 || now_s() < end) {
		if ((rv = rs->f->C_SignInit(rs->sess, &m, rs->key)) != CKR_OK)
			return fail("C_SignInit", rv);
		slen = sizeof(sig);
		if ((rv = rs->f->C_Sign(rs->sess, digest, sizeof(digest), sig, &slen)) != CKR_OK)
			return fail("C_Sign", rv);
		n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct rawsign rs = { 0 };
	double secs = argc > 5 ? atof(argv[5]) : 5.0, t0, t1, c0, c1;
	long n;
	CK_RV rv;

	if (argc < 5 || secs <= 0) {
		fprintf(stderr, "usage: p11_rawsign MODULE TOKEN-LABEL OBJECT-LABEL PIN-FILE "
		    "[SECONDS]\n");
		return 2;
	}
	if (load(&rs, argv[1]) != 0 || find_slot(&rs, argv[2]) != 0)
		return 1;
	if ((rv = rs.f->C_OpenSession(rs.slot, CKF_SERIAL_SESSION, NULL, NULL, &rs.sess)) != CKR_OK)
		return fail("C_OpenSession", rv) != 0;
	if (login(&rs, argv[4]) != 0 || find_key(&rs, argv[3]) != 0)
		return 1;
	c0 = cpu_s();
	t0 = now_s();
	n = sign_loop(&rs, secs);
	t1 = now_s();
	c1 = cpu_s();
	(void)rs.f->C_CloseSession(rs.sess);
	(void)rs.f->C_Finalize(NULL);
	if (n < 0)
		return 1;
	printf("signatures %ld seconds %.3f signatures/s %.1f cpu-seconds %.3f "
	    "signatures/cpu-s %.1f\n", n, t1 - t0, (double)n / (t1 - t0), c1 - c0,
	    (double)n / (c1 - c0));
	return 0;
}
