/* test_fips_integrity.c: the software integrity test (fips/fips_integrity.c) on a real stamped
 * program, this test itself (CMake runs hs_stamp on it after linking, as on hsshd/hssh/
 * hssh-keygen): its stamp verifies; a copy with one byte changed anywhere (code, the stamp
 * itself, the end of the file) fails; stamping an image without a placeholder, or with two,
 * is refused. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_crypto.h"
#include "hs_fips.h"

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	assert_non_null(p = malloc((size_t)n));
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Write image to a new executable file, run it with --check, return its exit status. */
static int
run_copy(const uint8_t *image, size_t len)
{
	char path[] = "/tmp/hs_integrity_XXXXXX";
	int fd = mkstemp(path), st;
	pid_t pid;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, image, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, 0700), 0);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(path, path, "--check", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	unlink(path);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_stamp_verifies(void **state)
{
	(void)state;
	assert_true(hs_fips_integrity_stamped());
	assert_int_equal(hs_fips_integrity_check(), HS_OK);
}

/* The position of this program's stamp in its file. */
static size_t
stamp_offset(const uint8_t *image, size_t len)
{
	extern const uint8_t hs_fips_integrity_value[HS_FIPS_MAC_LEN];
	size_t off = len;

	for (size_t i = 0; i + HS_FIPS_MAC_LEN <= len; i++)
		if (memcmp(image + i, hs_fips_integrity_value, HS_FIPS_MAC_LEN) == 0)
			off = i;
	assert_true(off < len);
	return off;
}

static void
test_changed_byte_fails(void **state)
{
	size_t len, off, at[4];
	uint8_t *image = read_file("/proc/self/exe", &len);

	(void)state;
	off = stamp_offset(image, len);
	assert_int_equal(run_copy(image, len), 0);	/* the unchanged copy passes */
	/* Bytes whose change does not stop the copy from running its check: a message of this test
	 * in the read-only data, the stamp itself, the last byte (section headers), and the HMAC
	 * key's own bytes. (A changed instruction may crash before the check: refused as well,
	 * but not by us, so the test does not rely on it.) */
	at[0] = (size_t)((const uint8_t *)memmem(image, len, "still passed", 12) - image);
	at[1] = off + 5;
	at[2] = len - 1;
	at[3] = (size_t)((const uint8_t *)memmem(image, len, "software integrity key", 22) - image);
	assert_true(at[0] < len && at[3] < len);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		image[at[i]] ^= 0x01;
		if (run_copy(image, len) != 3)
			fail_msg("a copy with byte %zu changed still passed", at[i]);
		image[at[i]] ^= 0x01;
	}
	free(image);
}

/* The placeholder, spelt with the case of its letters swapped: a literal copy in this file would
 * be a second placeholder in this (stamped) program. */
static void
placeholder(uint8_t *out)
{
	static const char swapped[] = "HARDSSH-INTEGRITY-UNSTAMPED-V1..";
	const volatile char *v = swapped;	/* or the compiler folds the result into a constant */

	for (size_t i = 0; i < HS_FIPS_MAC_LEN; i++)
		out[i] = (uint8_t)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]);
}

static void
test_stamp_refuses(void **state)
{
	static uint8_t buf[4096];
	uint8_t ph[HS_FIPS_MAC_LEN];

	(void)state;
	placeholder(ph);
	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(hs_fips_integrity_stamp(buf, sizeof(buf)), HS_ERR_FORMAT);
	memcpy(buf + 100, ph, sizeof(ph));
	memcpy(buf + 1000, ph, sizeof(ph));
	assert_int_equal(hs_fips_integrity_stamp(buf, sizeof(buf)), HS_ERR_FORMAT);
	memset(buf + 1000, 0x11, HS_FIPS_MAC_LEN);
	assert_int_equal(hs_fips_integrity_stamp(buf, sizeof(buf)), HS_OK);
	assert_int_not_equal(memcmp(buf + 100, ph, sizeof(ph)), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp_verifies),
		cmocka_unit_test(test_changed_byte_fails),
		cmocka_unit_test(test_stamp_refuses),
	};

	if (hs_crypto_init() != HS_OK)
		return 2;
	if (argc == 2 && strcmp(argv[1], "--check") == 0)
		return hs_fips_integrity_check() == HS_OK ? 0 : 3;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
