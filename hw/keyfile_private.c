/* keyfile_private.c: OpenSSH's private key file format, "openssh-key-v1" (OpenSSH PROTOCOL.key).
 *
 *   "-----BEGIN OPENSSH PRIVATE KEY-----", base64 (70 columns) of:
 *   byte[15] "openssh-key-v1\0"; string ciphername; string kdfname; string kdfoptions;
 *   uint32 nkeys (1); string publickey; string encrypted section
 *   section: uint32 checkint, uint32 checkint, string keytype, private fields, string comment,
 *            padding 1, 2, 3, ... to the cipher's block size
 *
 * kdfoptions for "bcrypt" are string salt, uint32 rounds; key || IV = bcrypt_pbkdf(passphrase, salt,
 * rounds). Only "none"/"none" and "aes256-ctr"/"bcrypt" are read or written.
 */
#include <stdlib.h>
#include <string.h>

#include "hs_b64.h"
#include "hs_blowfish.h"
#include "hs_crypto.h"
#include "hs_keyfile.h"
#include "hs_mem.h"
#include "hs_provider.h"
#include "keyfile_impl.h"

#define KF_MAGIC	"openssh-key-v1"	/* written with its NUL: 15 bytes */
#define KF_BEGIN	"-----BEGIN OPENSSH PRIVATE KEY-----"
#define KF_END		"-----END OPENSSH PRIVATE KEY-----"
#define KF_WRAP		70		/* base64 columns, as ssh-keygen writes */
#define KF_SALT_LEN	16		/* ssh-keygen's salt size */
#define KF_ROUNDS	16		/* ssh-keygen's default -a */
#define KF_MAX_ROUNDS	(1u << 16)	/* bound the work a hostile file can ask for */
#define KF_MAX_SALT	256
#define KF_MAX_TEXT	(1u << 20)
#define KF_WRITE_CIPHER	"aes256-ctr"	/* ssh-keygen's choice for a key with a passphrase */

/* Ciphers of the encrypted section; the KDF is tied to the cipher. */
struct kf_cipher {
	const char *name;
	const char *kdf;
	enum hs_cipher_id id;
	size_t block;
	size_t key_len;
	size_t iv_len;
};

static const struct kf_cipher kf_ciphers[] = {
	{ .name = "none", .kdf = "none", .id = HS_CIPHER_NONE, .block = 8 },
	{ .name = "aes256-ctr", .kdf = "bcrypt", .id = HS_CIPHER_AES256_CTR, .block = 16,
	    .key_len = 32, .iv_len = 16 },
	{ 0 }
};

static const struct kf_cipher *
kf_cipher_find(const uint8_t *name, size_t len)
{
	const struct kf_cipher *c;

	for (c = kf_ciphers; c->name != NULL; c++)
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
			return c;
	return NULL;
}

/* Run the section through aes256-ctr keyed from the passphrase (the same call both ways). */
static hs_err
kf_crypt(const struct kf_cipher *ci, bool encrypt, const char *passphrase, const uint8_t *salt,
    size_t saltlen, unsigned rounds, struct hs_buf *sec)
{
	struct hs_cipher *c = NULL;
	uint8_t kiv[HS_MAX_KEYLEN + HS_MAX_IVLEN];
	uint8_t *p;
	hs_err r;

	HS_ENSURE(ci->key_len + ci->iv_len <= sizeof(kiv), HS_ERR_INTERNAL);
	HS_GUARD_GOTO(hs_bcrypt_pbkdf((const uint8_t *)passphrase, strlen(passphrase), salt, saltlen,
	    kiv, ci->key_len + ci->iv_len, rounds), r, out);
	HS_GUARD_GOTO(hs_cipher_new(ci->id, encrypt, kiv, kiv + ci->key_len, &c), r, out);
	p = hs_buf_mutable_ptr(sec);
	HS_ENSURE_GOTO(p != NULL, HS_ERR_INTERNAL, r, out);
	HS_GUARD_GOTO(hs_cipher_crypt(c, 0, p, p, hs_buf_len(sec), 0), r, out);
	r = HS_OK;
out:
	hs_cipher_free(c);
	hs_wipe(kiv, sizeof(kiv));
	return r;
}

/* ---- writing ---- */

/* checkints, key, comment, padding 1, 2, 3, ... to a multiple of block. */
static hs_err
kf_build_section(const struct hs_key_raw *raw, const char *comment, size_t block,
    struct hs_buf *sec)
{
	uint32_t check;
	uint8_t i;

	HS_GUARD(hs_random(&check, sizeof(check)));
	HS_GUARD(hs_buf_put_u32(sec, check));
	HS_GUARD(hs_buf_put_u32(sec, check));
	HS_GUARD(hs_keyfile_put_private_fields(sec, raw));
	HS_GUARD(hs_buf_put_cstring(sec, comment != NULL ? comment : ""));
	for (i = 1; hs_buf_len(sec) % block != 0; i++)
		HS_GUARD(hs_buf_put_u8(sec, i));
	return HS_OK;
}

/* PEM-style armour: the base64 folded at KF_WRAP columns. */
static hs_err
kf_armour(const struct hs_buf *bin, char **out)
{
	struct hs_buf *b64 = NULL, *txt = NULL;
	const uint8_t *p;
	size_t n, off, take;
	hs_err r;

	*out = NULL;
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &b64), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &txt), r, out);
	HS_GUARD_GOTO(hs_b64_encode(hs_buf_ptr(bin), hs_buf_len(bin), true, b64), r, out);
	HS_GUARD_GOTO(hs_buf_putf(txt, "%s\n", KF_BEGIN), r, out);
	for (off = 0, n = hs_buf_len(b64); off < n; off += take) {
		take = n - off < KF_WRAP ? n - off : KF_WRAP;
		HS_GUARD_GOTO(hs_buf_get_bytes_view(b64, take, &p), r, out);
		HS_GUARD_GOTO(hs_buf_put_bytes(txt, p, take), r, out);
		HS_GUARD_GOTO(hs_buf_put_u8(txt, '\n'), r, out);
	}
	HS_GUARD_GOTO(hs_buf_putf(txt, "%s\n", KF_END), r, out);
	HS_GUARD_GOTO(hs_buf_to_cstring(txt, out), r, out);
	r = HS_OK;
out:
	hs_buf_free(b64);
	hs_buf_free(txt);
	return r;
}

static hs_err
kf_put_header(struct hs_buf *bin, const struct kf_cipher *ci, const uint8_t *salt,
    const struct hs_buf *pub)
{
	struct hs_buf *opts = NULL;
	hs_err r;

	HS_GUARD_GOTO(hs_buf_new(64, &opts), r, out);
	if (salt != NULL) {
		HS_GUARD_GOTO(hs_buf_put_string(opts, salt, KF_SALT_LEN), r, out);
		HS_GUARD_GOTO(hs_buf_put_u32(opts, KF_ROUNDS), r, out);
	}
	HS_GUARD_GOTO(hs_buf_put_bytes(bin, KF_MAGIC, sizeof(KF_MAGIC)), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(bin, ci->name), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(bin, ci->kdf), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(bin, opts), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(bin, 1), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(bin, pub), r, out);
	r = HS_OK;
out:
	hs_buf_free(opts);
	return r;
}

hs_err
hs_keyfile_write_private(const struct hs_key *k, const char *passphrase, const char *comment,
    char **out)
{
	const struct kf_cipher *ci;
	struct hs_key_raw raw;
	struct hs_buf *pub = NULL, *sec = NULL, *bin = NULL;
	uint8_t salt[KF_SALT_LEN];
	bool encrypt = passphrase != NULL && passphrase[0] != '\0';
	hs_err r;

	memset(&raw, 0, sizeof(raw));
	HS_ENSURE_GOTO(k != NULL && out != NULL, HS_ERR_INTERNAL, r, out);
	*out = NULL;
	ci = encrypt ? kf_cipher_find((const uint8_t *)KF_WRITE_CIPHER, strlen(KF_WRITE_CIPHER)) :
	    kf_cipher_find((const uint8_t *)"none", 4);
	HS_ENSURE_GOTO(ci != NULL, HS_ERR_INTERNAL, r, out);
	if (encrypt)
		HS_GUARD_GOTO(hs_random(salt, sizeof(salt)), r, out);
	HS_GUARD_GOTO(hs_key_to_raw(k, &raw), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &pub), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &sec), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &bin), r, out);
	HS_GUARD_GOTO(hs_key_public_blob(k, pub), r, out);
	HS_GUARD_GOTO(kf_build_section(&raw, comment, ci->block, sec), r, out);
	if (encrypt)
		HS_GUARD_GOTO(kf_crypt(ci, true, passphrase, salt, sizeof(salt), KF_ROUNDS, sec),
		    r, out);
	HS_GUARD_GOTO(kf_put_header(bin, ci, encrypt ? salt : NULL, pub), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(bin, sec), r, out);
	HS_GUARD_GOTO(kf_armour(bin, out), r, out);
	r = HS_OK;
out:
	hs_key_raw_wipe(&raw);
	hs_buf_free(pub);
	hs_buf_free(sec);
	hs_buf_free(bin);
	return r;
}

/* ---- reading ---- */

/* The parsed outer structure; pointers view the decoded binary. */
struct kf_header {
	const struct kf_cipher *cipher;
	const uint8_t *salt, *pub, *sec;
	size_t salt_len, pub_len, sec_len;
	uint32_t rounds;
};

/* Find the armour and decode the base64 between its lines into bin. */
static hs_err
kf_dearmour(const char *text, size_t len, struct hs_buf *bin)
{
	const char *begin, *end;

	HS_ENSURE(len <= KF_MAX_TEXT, HS_ERR_TOO_LARGE);
	begin = memmem(text, len, KF_BEGIN, strlen(KF_BEGIN));
	HS_ENSURE(begin != NULL, HS_ERR_FORMAT);
	begin += strlen(KF_BEGIN);
	end = memmem(begin, len - (size_t)(begin - text), KF_END, strlen(KF_END));
	HS_ENSURE(end != NULL, HS_ERR_FORMAT);
	return hs_b64_decode(begin, (size_t)(end - begin), bin);
}

static hs_err
kf_get_kdfoptions(struct hs_buf *b, struct kf_header *h)
{
	struct hs_buf *opts = NULL;
	const uint8_t *p;
	size_t n;
	hs_err r;

	HS_GUARD(hs_buf_get_string(b, &p, &n));
	if (h->cipher->id == HS_CIPHER_NONE) {
		HS_ENSURE(n == 0, HS_ERR_FORMAT);
		return HS_OK;
	}
	HS_GUARD(hs_buf_from(p, n, &opts));
	HS_GUARD_GOTO(hs_buf_get_string(opts, &h->salt, &h->salt_len), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(opts, &h->rounds), r, out);
	HS_GUARD_GOTO(hs_buf_get_end(opts), r, out);
	HS_ENSURE_GOTO(h->salt_len > 0 && h->salt_len <= KF_MAX_SALT, HS_ERR_FORMAT, r, out);
	HS_ENSURE_GOTO(h->rounds > 0 && h->rounds <= KF_MAX_ROUNDS, HS_ERR_FORMAT, r, out);
	r = HS_OK;
out:
	hs_buf_free(opts);
	return r;
}

static hs_err
kf_get_header(struct hs_buf *b, struct kf_header *h)
{
	uint8_t magic[sizeof(KF_MAGIC)];
	const uint8_t *name, *kdf;
	size_t name_len, kdf_len;
	uint32_t nkeys;

	HS_GUARD(hs_buf_get_bytes(b, magic, sizeof(magic)));
	HS_ENSURE(memcmp(magic, KF_MAGIC, sizeof(magic)) == 0, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_string(b, &name, &name_len));
	HS_GUARD(hs_buf_get_string(b, &kdf, &kdf_len));
	h->cipher = kf_cipher_find(name, name_len);
	HS_ENSURE(h->cipher != NULL, HS_ERR_UNSUPPORTED);
	HS_ENSURE(strlen(h->cipher->kdf) == kdf_len &&
	    memcmp(h->cipher->kdf, kdf, kdf_len) == 0, HS_ERR_UNSUPPORTED);
	HS_GUARD(kf_get_kdfoptions(b, h));
	HS_GUARD(hs_buf_get_u32(b, &nkeys));
	HS_ENSURE(nkeys == 1, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_buf_get_string(b, &h->pub, &h->pub_len));
	HS_GUARD(hs_buf_get_string(b, &h->sec, &h->sec_len));
	HS_GUARD(hs_buf_get_end(b));
	HS_ENSURE(h->sec_len > 0 && h->sec_len % h->cipher->block == 0, HS_ERR_FORMAT);
	return HS_OK;
}

/* After the comment: exactly 1, 2, 3, ... and fewer bytes than a block. */
static hs_err
kf_check_padding(struct hs_buf *sec, size_t block)
{
	uint8_t v, i;

	HS_ENSURE(hs_buf_len(sec) < block, HS_ERR_FORMAT);
	for (i = 1; hs_buf_len(sec) > 0; i++) {
		HS_GUARD(hs_buf_get_u8(sec, &v));
		HS_ENSURE(v == i, HS_ERR_FORMAT);
	}
	return HS_OK;
}

/* The decrypted section: checkints, key fields, comment, padding. */
static hs_err
kf_get_section(struct hs_buf *sec, size_t block, struct hs_key_raw *raw, char **comment)
{
	uint32_t c1, c2;

	HS_GUARD(hs_buf_get_u32(sec, &c1));
	HS_GUARD(hs_buf_get_u32(sec, &c2));
	/* PROTOCOL.key: differing checkints mean a wrong passphrase (or a damaged file) */
	HS_ENSURE(c1 == c2, HS_ERR_PASSPHRASE);
	HS_GUARD(hs_keyfile_get_private_fields(sec, raw));
	HS_GUARD(hs_buf_get_cstring(sec, comment, NULL));
	return kf_check_padding(sec, block);
}

/* Key from raw, and its public blob must be the one the header announced. */
static hs_err
kf_make_key(const struct hs_key_raw *raw, const struct kf_header *h, struct hs_key **out)
{
	struct hs_key *k = NULL;
	struct hs_buf *blob = NULL;
	hs_err r;

	HS_GUARD_GOTO(hs_key_from_raw(raw, &k), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &blob), r, out);
	HS_GUARD_GOTO(hs_key_public_blob(k, blob), r, out);
	HS_ENSURE_GOTO(hs_buf_len(blob) == h->pub_len &&
	    memcmp(hs_buf_ptr(blob), h->pub, h->pub_len) == 0, HS_ERR_FORMAT, r, out);
	*out = k;
	k = NULL;
	r = HS_OK;
out:
	hs_key_free(k);
	hs_buf_free(blob);
	return r;
}

hs_err
hs_keyfile_parse_private(const char *text, size_t len, const char *passphrase,
    struct hs_key **out, char **comment)
{
	struct hs_buf *bin = NULL, *sec = NULL;
	struct kf_header h;
	struct hs_key_raw raw;
	char *cmt = NULL;
	hs_err r;

	memset(&raw, 0, sizeof(raw));
	memset(&h, 0, sizeof(h));
	HS_ENSURE_GOTO(text != NULL && out != NULL, HS_ERR_INTERNAL, r, out);
	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	HS_GUARD_GOTO(hs_buf_new(KF_MAX_TEXT, &bin), r, out);
	HS_GUARD_GOTO(kf_dearmour(text, len, bin), r, out);
	HS_GUARD_GOTO(kf_get_header(bin, &h), r, out);
	HS_GUARD_GOTO(hs_buf_new(KF_MAX_TEXT, &sec), r, out);
	HS_GUARD_GOTO(hs_buf_put_bytes(sec, h.sec, h.sec_len), r, out);
	if (h.cipher->id != HS_CIPHER_NONE) {
		HS_ENSURE_GOTO(passphrase != NULL && passphrase[0] != '\0', HS_ERR_PASSPHRASE,
		    r, out);
		HS_GUARD_GOTO(kf_crypt(h.cipher, false, passphrase, h.salt, h.salt_len, h.rounds,
		    sec), r, out);
	}
	HS_GUARD_GOTO(kf_get_section(sec, h.cipher->block, &raw, &cmt), r, out);
	HS_GUARD_GOTO(kf_make_key(&raw, &h, out), r, out);
	if (comment != NULL) {
		*comment = cmt;
		cmt = NULL;
	}
	r = HS_OK;
out:
	free(cmt);
	hs_key_raw_wipe(&raw);
	hs_buf_free(sec);
	hs_buf_free(bin);
	return r;
}

hs_err
hs_keyfile_peek_private(const char *text, size_t len, struct hs_key **pub, bool *encrypted)
{
	struct hs_buf *bin = NULL;
	struct kf_header h;
	hs_err r;

	memset(&h, 0, sizeof(h));
	if (pub != NULL)
		*pub = NULL;
	HS_ENSURE(text != NULL, HS_ERR_INTERNAL);
	HS_GUARD_GOTO(hs_buf_new(KF_MAX_TEXT, &bin), r, out);
	HS_GUARD_GOTO(kf_dearmour(text, len, bin), r, out);
	HS_GUARD_GOTO(kf_get_header(bin, &h), r, out);
	if (pub != NULL)
		HS_GUARD_GOTO(hs_key_from_blob(h.pub, h.pub_len, pub), r, out);
	if (encrypted != NULL)
		*encrypted = h.cipher->id != HS_CIPHER_NONE;
	r = HS_OK;
out:
	hs_buf_free(bin);
	return r;
}
