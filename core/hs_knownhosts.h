/* hs_knownhosts.h: OpenSSH known_hosts files (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT): plain and hashed
 * host fields, patterns with '*' '?' and '!' negation, "[host]:port" names, @revoked and
 * @cert-authority markers. */
#ifndef HS_KNOWNHOSTS_H
#define HS_KNOWNHOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"

#define HS_KH_SALT_LEN	20	/* SHA-1 sized salt, as ssh-keygen -H writes */
#define HS_KH_MAX_LINE	16384	/* longer lines are ignored (an 8 kbit RSA key fits easily) */

enum hs_kh_marker { HS_KH_MARK_NONE = 0, HS_KH_MARK_REVOKED, HS_KH_MARK_CA };

/* One parsed line. */
struct hs_kh_entry {
	enum hs_kh_marker marker;
	char *hosts;		/* host field as written: patterns, or "|1|salt|hash" */
	char *keytype;		/* key type field ("ssh-ed25519", ...) */
	struct hs_buf *blob;	/* the decoded public key blob */
};

/* Parse one line (without or with its newline). HS_ERR_NOT_FOUND for blank and comment lines,
 * HS_ERR_FORMAT for malformed ones. On success e owns its fields (free with hs_kh_entry_clear);
 * on failure e is empty. */
HS_MUST_USE hs_err hs_kh_parse_line(const char *line, size_t len, struct hs_kh_entry *e);
void hs_kh_entry_clear(struct hs_kh_entry *e);

/* The name a host is stored under: "host" for port 22, "[host]:port" otherwise. Caller frees. */
HS_MUST_USE hs_err hs_kh_host_name(const char *host, int port, char **out);
/* Does a host field match name? 1 yes, 0 no, -1 a negated pattern matched (never a match).
 * Hashed fields are compared in constant time. */
int hs_kh_host_match(const char *field, const char *name);
/* "|1|base64(salt)|base64(HMAC-SHA1(salt, name))". salt NULL: a fresh random salt. Caller frees. */
HS_MUST_USE hs_err hs_kh_hash_host(const char *name, const uint8_t *salt, size_t salt_len,
    char **out);

enum hs_kh_status {
	HS_KH_NOT_FOUND = 0,	/* no key of this type for this host */
	HS_KH_MATCH,		/* the key is known for this host */
	HS_KH_MISMATCH,		/* the host has a different key of the same type */
	HS_KH_REVOKED,		/* the key is marked @revoked */
};

struct hs_kh_result {
	enum hs_kh_status status;
	char file[512];		/* where the match, mismatch or revocation was found */
	unsigned line;
	unsigned known_types;	/* bit (1u << enum hs_key_type) per key type known for the host */
	bool any_known;		/* the host has at least one key in the files */
};

/* Look up the key (its SSH blob) for name (as from hs_kh_host_name) in the files, in order. Missing
 * files are skipped. @revoked anywhere wins, then a match, then a mismatch. */
HS_MUST_USE hs_err hs_kh_check(const char *const *files, size_t n_files, const char *name,
    const uint8_t *blob, size_t blob_len, struct hs_kh_result *res);
/* Key types known for name in the files (bit (1u << enum hs_key_type) each), for ordering the host
 * key algorithms so that a known key is chosen. */
HS_MUST_USE hs_err hs_kh_known_types(const char *const *files, size_t n_files, const char *name,
    unsigned *mask);
/* Append "name keytype base64" (name hashed when hashed) to path, creating the file (0600) and, if
 * needed, its directory (0700). */
HS_MUST_USE hs_err hs_kh_add(const char *path, const char *name, const uint8_t *blob,
    size_t blob_len, bool hashed);

#endif
