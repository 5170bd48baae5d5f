/* key_names.c: the one table of key types and signature algorithms (STYLE.md section 4).
 * Names from RFC 8709 (ssh-ed25519), RFC 5656 6.2 (ecdsa-sha2-*, curve ids and hashes), RFC 4253
 * 6.6 (ssh-rsa key blob) and RFC 8332 3 (rsa-sha2-256/512).
 */
#include <string.h>

#include "hs_key_impl.h"

struct sig_row {
	enum hs_sig_alg sig;
	const char *sig_name;
	enum hs_key_type key;
	const char *key_name;
	const char *short_name;		/* as ssh-keygen -l prints */
	const char *curve;		/* RFC 5656 6.1 identifier, ECDSA only */
	enum hs_hash_alg hash;		/* digest signed (ed25519 hashes internally: 0) */
	unsigned bits;			/* curve size; 0 for RSA (from the modulus) */
};

/* The first row of each key type is its canonical row. */
static const struct sig_row rows[] = {
	{ .sig = HS_SIG_ED25519, .sig_name = "ssh-ed25519", .key = HS_KEY_ED25519,
	  .key_name = "ssh-ed25519", .short_name = "ED25519", .bits = 256 },
	{ .sig = HS_SIG_ECDSA_P256, .sig_name = "ecdsa-sha2-nistp256", .key = HS_KEY_ECDSA_P256,
	  .key_name = "ecdsa-sha2-nistp256", .short_name = "ECDSA", .curve = "nistp256",
	  .hash = HS_HASH_SHA256, .bits = 256 },
	{ .sig = HS_SIG_ECDSA_P384, .sig_name = "ecdsa-sha2-nistp384", .key = HS_KEY_ECDSA_P384,
	  .key_name = "ecdsa-sha2-nistp384", .short_name = "ECDSA", .curve = "nistp384",
	  .hash = HS_HASH_SHA384, .bits = 384 },
	{ .sig = HS_SIG_ECDSA_P521, .sig_name = "ecdsa-sha2-nistp521", .key = HS_KEY_ECDSA_P521,
	  .key_name = "ecdsa-sha2-nistp521", .short_name = "ECDSA", .curve = "nistp521",
	  .hash = HS_HASH_SHA512, .bits = 521 },
	{ .sig = HS_SIG_RSA_SHA512, .sig_name = "rsa-sha2-512", .key = HS_KEY_RSA,
	  .key_name = "ssh-rsa", .short_name = "RSA", .hash = HS_HASH_SHA512 },
	{ .sig = HS_SIG_RSA_SHA256, .sig_name = "rsa-sha2-256", .key = HS_KEY_RSA,
	  .key_name = "ssh-rsa", .short_name = "RSA", .hash = HS_HASH_SHA256 },
	/* RFC 8332 5 / RFC 9142: SHA-1 RSA signatures are recognised only to be refused. */
	{ .sig = HS_SIG_RSA_SHA1, .sig_name = "ssh-rsa", .key = HS_KEY_RSA,
	  .key_name = "ssh-rsa", .short_name = "RSA", .hash = HS_HASH_SHA1 },
	{ .sig = HS_SIG_UNKNOWN }
};

static const struct sig_row *
row_by_key(enum hs_key_type t)
{
	const struct sig_row *r;

	for (r = rows; r->sig != HS_SIG_UNKNOWN; r++)
		if (r->key == t)
			return r;
	return NULL;
}

static const struct sig_row *
row_by_sig(enum hs_sig_alg a)
{
	const struct sig_row *r;

	for (r = rows; r->sig != HS_SIG_UNKNOWN; r++)
		if (r->sig == a)
			return r;
	return NULL;
}

static bool
name_eq(const char *s, const char *name, size_t len)
{
	return strlen(s) == len && memcmp(s, name, len) == 0;
}

const char *
hs_key_type_name(enum hs_key_type t)
{
	const struct sig_row *r = row_by_key(t);

	return r ? r->key_name : "unknown";
}

enum hs_key_type
hs_key_type_from_name(const char *name, size_t len)
{
	const struct sig_row *r;

	for (r = rows; r->sig != HS_SIG_UNKNOWN; r++)
		if (name_eq(r->key_name, name, len))
			return r->key;
	return HS_KEY_UNKNOWN;
}

const char *
hs_sig_alg_name(enum hs_sig_alg a)
{
	const struct sig_row *r = row_by_sig(a);

	return r ? r->sig_name : "unknown";
}

enum hs_sig_alg
hs_sig_alg_from_name(const char *name, size_t len)
{
	const struct sig_row *r;

	for (r = rows; r->sig != HS_SIG_UNKNOWN; r++)
		if (name_eq(r->sig_name, name, len))
			return r->sig;
	return HS_SIG_UNKNOWN;
}

enum hs_key_type
hs_sig_alg_key_type(enum hs_sig_alg a)
{
	const struct sig_row *r = row_by_sig(a);

	return r ? r->key : HS_KEY_UNKNOWN;
}

const char *
hs_key_type_short(enum hs_key_type t)
{
	const struct sig_row *r = row_by_key(t);

	return r ? r->short_name : "UNKNOWN";
}

const char *
hs_key_curve_name(enum hs_key_type t)
{
	const struct sig_row *r = row_by_key(t);

	return r ? r->curve : NULL;
}

enum hs_hash_alg
hs_sig_alg_hash(enum hs_sig_alg a)
{
	const struct sig_row *r = row_by_sig(a);

	return r ? r->hash : 0;
}

unsigned
hs_key_type_bits(enum hs_key_type t)
{
	const struct sig_row *r = row_by_key(t);

	return r ? r->bits : 0;
}
