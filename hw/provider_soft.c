/* provider_soft.c: the software provider (wolfCrypt): key files, signatures, key exchange. */
#include <wolfssl/options.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_ct.h"
#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"

#define KEYFILE_MAX	(1024 * 1024)	/* an OpenSSH private key file is a few KiB */

static bool
soft_available(void)
{
	return true;
}

/* Known-answer tests run before first use: SHA-256("abc") (FIPS 180-4 example) and
 * AES-128-GCM (McGrew-Viega test case 2). The full vectors are in vectors/ and the unit tests. */
static hs_err
soft_self_test(void *ctx)
{
	static const uint8_t sha_abc[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
	    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const uint8_t gcm_ct_tag[32] = { 0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92,
	    0xf3, 0x28, 0xc2, 0xb9, 0x71, 0xb2, 0xfe, 0x78, 0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec,
	    0x13, 0xbd, 0xf5, 0x3a, 0x67, 0xb2, 0x12, 0x57, 0xbd, 0xdf };
	uint8_t zero[16] = { 0 }, out[32];
	struct hs_cipher *c;
	hs_err r;

	HS_GUARD(hs_crypto_init());
	HS_GUARD(hs_hash(HS_HASH_SHA256, "abc", 3, out));
	HS_ENSURE(hs_ct_memeq(out, sha_abc, sizeof(sha_abc)), HS_ERR_FIPS_STATE);
	HS_GUARD(hs_cipher_new(HS_CIPHER_AES128_GCM, true, zero, zero, &c));
	r = hs_cipher_crypt(c, 0, out, zero, sizeof(zero), 0);
	hs_cipher_free(c);
	HS_GUARD(r);
	HS_ENSURE(hs_ct_memeq(out, gcm_ct_tag, sizeof(gcm_ct_tag)), HS_ERR_FIPS_STATE);
	return HS_OK;
}

/* Everything that is not "scheme:..." is a file path. "pkcs11:" and "tpm2:" belong to the hardware
 * providers; any other RFC 3986 scheme is nobody's (hs_key_open logs and refuses it). */
static bool
soft_handles_uri(const char *uri)
{
	const char *p = uri;

	if (!isalpha((unsigned char)*p))
		return true;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p != ':';
}

/* OpenSSH refuses private key files that others may read. */
static hs_err
check_perms(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return HS_ERR_IO;
	if (!S_ISREG(st.st_mode)) {
		hs_error("%s is not a regular file", path);
		return HS_ERR_FORMAT;
	}
	if (st.st_uid == getuid() && (st.st_mode & 077) != 0) {
		hs_error("Permissions 0%3.3o for '%s' are too open. It is required that your "
		    "private key files are NOT accessible by others.",
		    (unsigned)(st.st_mode & 0777), path);
		return HS_ERR_PERM;
	}
	HS_ENSURE(st.st_size <= KEYFILE_MAX, HS_ERR_TOO_LARGE);
	return HS_OK;
}

static hs_err
read_keyfile(const char *path, char **text, size_t *len)
{
	char *buf = NULL;
	size_t have = 0;
	ssize_t n;
	hs_err r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		hs_debug("cannot open %s: %s", path, strerror(errno));
		if (errno == ENOENT)
			return HS_ERR_NOT_FOUND;
		return errno == EACCES ? HS_ERR_PERM : HS_ERR_IO;
	}
	HS_GUARD_GOTO(check_perms(path, fd), r, out);
	HS_ENSURE_GOTO((buf = hs_calloc(1, KEYFILE_MAX + 1)) != NULL, HS_ERR_ALLOC, r, out);
	while ((n = read(fd, buf + have, KEYFILE_MAX - have)) > 0)
		have += (size_t)n;
	HS_ENSURE_GOTO(n == 0, HS_ERR_IO, r, out);
	*text = buf;
	*len = have;
	buf = NULL;
	r = HS_OK;
out:
	hs_free_wiped(buf, KEYFILE_MAX + 1);
	close(fd);
	return r;
}

static hs_err
soft_key_open(void *ctx, const char *uri, const char *passphrase, struct hs_key **out,
    char **comment)
{
	char *text = NULL;
	size_t len = 0;
	hs_err r;

	HS_GUARD(read_keyfile(uri, &text, &len));
	r = hs_keyfile_parse_private(text, len, passphrase, out, comment);
	if (r != HS_OK && r != HS_ERR_PASSPHRASE)
		hs_error("Load key \"%s\": %s", uri, hs_err_str(r));
	hs_free_wiped(text, KEYFILE_MAX + 1);
	return r;
}

static void
soft_close(void *ctx)
{
}

const struct hs_provider_ops hs_provider_soft = {
	.name = "soft",
	.available = soft_available,
	.self_test = soft_self_test,
	.handles_uri = soft_handles_uri,
	.key_open = soft_key_open,
	.sign = hs_soft_sign,
	.kex_keypair = hs_soft_kex_keypair,
	.kex_derive = hs_soft_kex_derive,
	.close = soft_close,
	.summary = "wolfCrypt: host keys Ed25519, ECDSA P-256/384/521, RSA (rsa-sha2-256/512) from "
	    "OpenSSH key files; KEX: curve25519-sha256, ECDH P-256/384/521, DH groups 14/16",
};
