/* test_keyfile.c: OpenSSH private key files (openssh-key-v1) and public key lines.
 *
 * Reads keys ssh-keygen (OpenSSH 9.2) made, in $HS_SRCDIR/vectors/bcrypt_pbkdf/openssh_keys/, and
 * round-trips keys of every type through our writer and parser. The parser is attacked with
 * truncation at every byte, oversized lengths, trailing data, flipped bits, a swapped public blob,
 * differing checkints, bad padding and unsupported ciphers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hs_b64.h"
#include "hs_crypto.h"
#include "hs_keyfile.h"
#include "hs_mem.h"
#include "hs_provider.h"

#define VEC_PASS	"hs vector pass"
#define BEGIN		"-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define END		"-----END OPENSSH PRIVATE KEY-----\n"

static char *
read_vector(const char *name, size_t *len)
{
	const char *src = getenv("HS_SRCDIR");
	char path[1024], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/vectors/bcrypt_pbkdf/openssh_keys/%s", src ? src : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (set HS_SRCDIR)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = calloc((size_t)n + 1, 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/* The base64 payload of an armoured file, decoded. */
static struct hs_buf *
dearmour(const char *text)
{
	const char *b = strstr(text, BEGIN), *e = strstr(text, END);
	struct hs_buf *bin;

	assert_non_null(b);
	assert_non_null(e);
	b += strlen(BEGIN);
	assert_int_equal(hs_buf_new(1 << 20, &bin), HS_OK);
	assert_int_equal(hs_b64_decode(b, (size_t)(e - b), bin), HS_OK);
	return bin;
}

/* Armour n bytes at p again (one long base64 line is accepted by the parser). */
static char *
armour(const uint8_t *p, size_t n)
{
	struct hs_buf *t;
	char *s;

	assert_int_equal(hs_buf_new(1 << 21, &t), HS_OK);
	assert_int_equal(hs_buf_putf(t, "%s", BEGIN), HS_OK);
	assert_int_equal(hs_b64_encode(p, n, true, t), HS_OK);
	assert_int_equal(hs_buf_putf(t, "\n%s", END), HS_OK);
	s = strndup((const char *)hs_buf_ptr(t), hs_buf_len(t));
	assert_non_null(s);
	hs_buf_free(t);
	return s;
}

static hs_err
parse_bytes(const uint8_t *p, size_t n, const char *pass, struct hs_key **k, char **comment)
{
	char *text = armour(p, n);
	hs_err r = hs_keyfile_parse_private(text, strlen(text), pass, k, comment);

	free(text);
	return r;
}

static void
check_vector(const char *name, const char *pass, bool encrypted)
{
	char pubname[128], *text, *pubtext, *line, *comment;
	struct hs_key *k, *pk;
	size_t len, plen;

	text = read_vector(name, &len);
	snprintf(pubname, sizeof(pubname), "%s.pub", name);
	pubtext = read_vector(pubname, NULL);
	/* ssh-keygen writes "type b64 comment", leaving a space before an empty comment */
	plen = strcspn(pubtext, "\n");
	while (plen > 0 && pubtext[plen - 1] == ' ')
		plen--;
	pubtext[plen] = '\0';
	assert_int_equal(hs_keyfile_parse_private(text, len, pass, &k, &comment), HS_OK);
	assert_true(hs_key_has_private(k));
	assert_int_equal(hs_keyfile_public_line(k, comment, &line), HS_OK);
	assert_string_equal(line, pubtext);
	/* the cleartext header carries the same public key */
	assert_int_equal(hs_keyfile_peek_private(text, len, &pk, NULL), HS_OK);
	assert_true(hs_key_equal_public(k, pk));
	hs_key_free(pk);
	if (encrypted) {
		assert_int_equal(hs_keyfile_parse_private(text, len, "wrong", &pk, NULL),
		    HS_ERR_PASSPHRASE);
		assert_int_equal(hs_keyfile_parse_private(text, len, NULL, &pk, NULL),
		    HS_ERR_PASSPHRASE);
		assert_null(pk);
	}
	hs_key_free(k);
	free(comment);
	free(line);
	free(text);
	free(pubtext);
}

static void
test_openssh_vectors(void **state)
{
	check_vector("ed25519_plain", NULL, false);
	check_vector("ed25519_enc", VEC_PASS, true);
	check_vector("ed25519_enc_a3", VEC_PASS, true);
	check_vector("ecdsa256_plain", NULL, false);
	check_vector("ecdsa384_enc", VEC_PASS, true);
	check_vector("ecdsa521_plain", NULL, false);
	check_vector("rsa2048_enc", VEC_PASS, true);
	/* a passphrase given for an unencrypted key is ignored, as ssh-keygen -P does */
	check_vector("rsa3072_plain", "ignored", false);
}

static void
roundtrip(enum hs_key_type t, unsigned bits, const char *pass)
{
	struct hs_key *k, *k2;
	char *text, *comment, *p, *nl;
	bool enc;

	assert_int_equal(hs_key_generate(t, bits, &k), HS_OK);
	assert_int_equal(hs_keyfile_write_private(k, pass, "round trip", &text), HS_OK);
	assert_int_equal(strncmp(text, BEGIN, strlen(BEGIN)), 0);
	/* ssh-keygen folds at 70 columns */
	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		assert_true(nl - p <= 70 || strncmp(p, "-----", 5) == 0);
	assert_int_equal(hs_keyfile_peek_private(text, strlen(text), NULL, &enc), HS_OK);
	assert_int_equal(enc, pass != NULL && pass[0] != '\0');
	assert_int_equal(hs_keyfile_parse_private(text, strlen(text), pass, &k2, &comment), HS_OK);
	assert_true(hs_key_equal_public(k, k2));
	assert_true(hs_key_has_private(k2));
	assert_string_equal(comment, "round trip");
	hs_key_free(k);
	hs_key_free(k2);
	free(comment);
	hs_free_wiped(text, strlen(text));
}

static void
test_roundtrip_all_types(void **state)
{
	roundtrip(HS_KEY_ED25519, 0, NULL);
	roundtrip(HS_KEY_ED25519, 0, "pw");
	roundtrip(HS_KEY_ECDSA_P256, 0, "");
	roundtrip(HS_KEY_ECDSA_P384, 0, "pw");
	roundtrip(HS_KEY_ECDSA_P521, 0, NULL);
	roundtrip(HS_KEY_RSA, 2048, "pw");
}

/* An unencrypted ed25519 file with comment "round trip": 141-byte section, 3 bytes of padding. */
static struct hs_buf *
fresh_plain_ed25519(void)
{
	struct hs_key *k;
	struct hs_buf *bin;
	char *text;

	assert_int_equal(hs_key_generate(HS_KEY_ED25519, 0, &k), HS_OK);
	assert_int_equal(hs_keyfile_write_private(k, NULL, "round trip", &text), HS_OK);
	bin = dearmour(text);
	hs_key_free(k);
	hs_free_wiped(text, strlen(text));
	return bin;
}

/* Offsets in an unencrypted ed25519 file: magic 15, "none" 8, "none" 8, "" 4, nkeys 4. */
#define OFF_CIPHER	15
#define OFF_PUB		39
#define PUB_STR_LEN	(4 + 51)
#define OFF_CHECK	(OFF_PUB + PUB_STR_LEN + 4)

static void
test_truncation_every_byte(void **state)
{
	struct hs_buf *bin = fresh_plain_ed25519();
	const uint8_t *p = hs_buf_ptr(bin);
	size_t n, len = hs_buf_len(bin);
	struct hs_key *k;

	assert_int_equal(parse_bytes(p, len, NULL, &k, NULL), HS_OK);
	hs_key_free(k);
	for (n = 0; n < len; n++) {
		assert_int_not_equal(parse_bytes(p, n, NULL, &k, NULL), HS_OK);
		assert_null(k);
	}
	hs_buf_free(bin);
}

static void
test_trailing_and_oversized(void **state)
{
	struct hs_buf *bin = fresh_plain_ed25519();
	uint8_t *p = hs_buf_mutable_ptr(bin);
	size_t len = hs_buf_len(bin);
	struct hs_key *k;
	uint8_t *q = malloc(len + 1);

	assert_non_null(q);
	memcpy(q, p, len);
	q[len] = 0;
	assert_int_equal(parse_bytes(q, len + 1, NULL, &k, NULL), HS_ERR_TRAILING);
	memset(q + OFF_CIPHER, 0xff, 4);	/* cipher name length 2^32-1 */
	assert_int_not_equal(parse_bytes(q, len, NULL, &k, NULL), HS_OK);
	free(q);
	hs_buf_free(bin);
}

/* Any one flipped bit is refused, except inside the comment, which only changes the comment. */
static void
test_flipped_bits(void **state)
{
	struct hs_buf *bin = fresh_plain_ed25519();
	uint8_t *p = hs_buf_mutable_ptr(bin);
	size_t i, len = hs_buf_len(bin), accepted = 0;
	struct hs_key *orig, *k;
	char *comment;

	assert_int_equal(parse_bytes(p, len, NULL, &orig, NULL), HS_OK);
	for (i = 0; i < len; i++) {
		p[i] ^= (uint8_t)(1u << (i % 8));
		if (parse_bytes(p, len, NULL, &k, &comment) == HS_OK) {
			assert_true(hs_key_equal_public(orig, k));
			assert_string_not_equal(comment, "round trip");
			hs_key_free(k);
			free(comment);
			accepted++;
		}
		p[i] ^= (uint8_t)(1u << (i % 8));
	}
	assert_true(accepted <= strlen("round trip"));
	hs_key_free(orig);
	hs_buf_free(bin);
}

static void
test_swapped_blob_checkint_padding(void **state)
{
	struct hs_buf *a = fresh_plain_ed25519(), *b = fresh_plain_ed25519();
	uint8_t *pa = hs_buf_mutable_ptr(a);
	const uint8_t *pb = hs_buf_ptr(b);
	size_t len = hs_buf_len(a);
	struct hs_key *k;
	static const uint8_t publen[4] = { 0, 0, 0, 51 };
	uint8_t save[PUB_STR_LEN];

	assert_memory_equal(pa + OFF_PUB, publen, 4);
	/* the header's public key must be the private key's */
	memcpy(save, pa + OFF_PUB, PUB_STR_LEN);
	memcpy(pa + OFF_PUB, pb + OFF_PUB, PUB_STR_LEN);
	assert_int_equal(parse_bytes(pa, len, NULL, &k, NULL), HS_ERR_FORMAT);
	memcpy(pa + OFF_PUB, save, PUB_STR_LEN);
	/* differing checkints */
	pa[OFF_CHECK] ^= 1;
	assert_int_equal(parse_bytes(pa, len, NULL, &k, NULL), HS_ERR_PASSPHRASE);
	pa[OFF_CHECK] ^= 1;
	/* padding must be exactly 1, 2, 3 */
	assert_int_equal(pa[len - 1], 3);
	pa[len - 1] = 4;
	assert_int_equal(parse_bytes(pa, len, NULL, &k, NULL), HS_ERR_FORMAT);
	pa[len - 1] = 3;
	assert_int_equal(parse_bytes(pa, len, NULL, &k, NULL), HS_OK);
	hs_key_free(k);
	/* an unknown cipher */
	memcpy(pa + OFF_CIPHER + 4, "nonf", 4);
	assert_int_equal(parse_bytes(pa, len, NULL, &k, NULL), HS_ERR_UNSUPPORTED);
	hs_buf_free(a);
	hs_buf_free(b);
}

/* kdfoptions of an aes256-ctr file: magic 15, "aes256-ctr" 14, "bcrypt" 10, len 4, salt 4+16. */
#define OFF_ROUNDS	(15 + 14 + 10 + 4 + 4 + 16)

static void
test_bad_rounds(void **state)
{
	char *text = read_vector("ed25519_enc", NULL);
	struct hs_buf *bin = dearmour(text);
	uint8_t *p = hs_buf_mutable_ptr(bin);
	size_t len = hs_buf_len(bin);
	struct hs_key *k;
	static const uint8_t sixteen[4] = { 0, 0, 0, 16 };

	assert_memory_equal(p + OFF_ROUNDS, sixteen, 4);
	assert_int_equal(parse_bytes(p, len, VEC_PASS, &k, NULL), HS_OK);
	hs_key_free(k);
	memset(p + OFF_ROUNDS, 0, 4);
	assert_int_equal(parse_bytes(p, len, VEC_PASS, &k, NULL), HS_ERR_FORMAT);
	memset(p + OFF_ROUNDS, 0x7f, 4);	/* refused before any work is done */
	assert_int_equal(parse_bytes(p, len, VEC_PASS, &k, NULL), HS_ERR_FORMAT);
	hs_buf_free(bin);
	free(text);
}

static void
test_public_lines(void **state)
{
	char *pubtext = read_vector("ed25519_plain.pub", NULL), *comment, *line, *b64;
	struct hs_key *k;
	char buf[512];

	assert_int_equal(hs_keyfile_parse_public(pubtext, &k, &comment), HS_OK);
	assert_string_equal(comment, "ed25519 plain");
	free(comment);
	assert_int_equal(hs_keyfile_public_line(k, NULL, &line), HS_OK);
	assert_int_equal(strncmp(line, pubtext, strlen(line)), 0);
	assert_null(strchr(strchr(line, ' ') + 1, ' '));	/* no comment field */
	hs_key_free(k);
	/* surrounding space, no comment */
	snprintf(buf, sizeof(buf), "  \t%s \r\n", line);
	assert_int_equal(hs_keyfile_parse_public(buf, &k, &comment), HS_OK);
	assert_null(comment);
	hs_key_free(k);
	/* the name outside must match the blob */
	b64 = strchr(line, ' ') + 1;
	snprintf(buf, sizeof(buf), "ssh-rsa %s x", b64);
	assert_int_equal(hs_keyfile_parse_public(buf, &k, NULL), HS_ERR_FORMAT);
	snprintf(buf, sizeof(buf), "ssh-foo %s x", b64);
	assert_int_equal(hs_keyfile_parse_public(buf, &k, NULL), HS_ERR_UNSUPPORTED);
	snprintf(buf, sizeof(buf), "ssh-ed25519 %.20s x", b64);	/* truncated blob */
	assert_int_not_equal(hs_keyfile_parse_public(buf, &k, NULL), HS_OK);
	snprintf(buf, sizeof(buf), "ssh-ed25519 !%s x", b64);
	assert_int_not_equal(hs_keyfile_parse_public(buf, &k, NULL), HS_OK);
	assert_int_equal(hs_keyfile_parse_public("ssh-ed25519", &k, NULL), HS_ERR_FORMAT);
	assert_int_equal(hs_keyfile_parse_public("", &k, NULL), HS_ERR_FORMAT);
	assert_null(k);
	free(line);
	free(pubtext);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssh_vectors),
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_trailing_and_oversized),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_swapped_blob_checkint_padding),
		cmocka_unit_test(test_bad_rounds),
		cmocka_unit_test(test_public_lines),
	};

	if (hs_crypto_init() != HS_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
