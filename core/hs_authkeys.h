/* hs_authkeys.h: authorized_keys files (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"), private to the
 * hs_server layer.
 *
 * A line is "[options] keytype base64 [comment]". Options are comma-separated, values are double
 * quoted with \" escapes. The line parser is separate from file handling so it can be fuzzed.
 */
#ifndef HS_AUTHKEYS_H
#define HS_AUTHKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "hs_err.h"
#include "hs_provider.h"

#define HS_AUTHKEYS_MAX_ENV	16

struct hs_authkey_opts {
	char *command;		/* command="..." or NULL */
	char *from;		/* from="pattern-list" or NULL */
	char *env[HS_AUTHKEYS_MAX_ENV];	/* environment="NAME=value" (stored only) */
	size_t n_env;
	bool no_pty, no_port_forwarding, no_agent_forwarding, no_x11_forwarding, no_user_rc;
	time_t expiry;		/* expiry-time=; 0 = none */
};

struct hs_authkey {
	struct hs_authkey_opts opts;
	struct hs_key *key;	/* public key, owned */
	uint8_t *blob;		/* the decoded key blob, owned */
	size_t blob_len;
	char *comment;		/* may be NULL */
};

/* Parse one line (without its newline; len bytes, need not be NUL-terminated).
 * HS_OK: *out holds the entry (release with hs_authkey_clear()).
 * HS_ERR_NOT_FOUND: blank or comment line. HS_ERR_UNSUPPORTED: an unknown option (sshd skips such
 * lines). HS_ERR_FORMAT: malformed options or key. On failure *out is zeroed. */
HS_MUST_USE hs_err hs_authkeys_parse_line(const char *line, size_t len, struct hs_authkey *out);
void hs_authkey_clear(struct hs_authkey *k);

/* Only the options prefix: parses "opt,opt=\"v\"" up to the first unquoted space or the end.
 * *consumed receives the bytes used. Same errors as above. */
HS_MUST_USE hs_err hs_authkeys_parse_opts(const char *s, size_t len, struct hs_authkey_opts *o,
    size_t *consumed);

/* True iff the address text ip matches the from= pattern list: comma-separated patterns, each an
 * address with * and ? wildcards, a CIDR block (a.b.c.d/n, x::/n), or a name (compared as text);
 * a pattern starting with '!' that matches denies regardless of the others. */
bool hs_authkeys_match_from(const char *patterns, const char *ip);

/* sshd's "pattern-list" matching of a plain string (no CIDR): '*', '?', '!' negation. */
bool hs_authkeys_match_list(const char *s, const char *patterns);

/* Parse "YYYYMMDD[HHMM[SS]]" (local time; a trailing 'Z' means UTC) into *t. */
HS_MUST_USE hs_err hs_authkeys_parse_time(const char *s, time_t *t);

/* Expand an AuthorizedKeysFile entry: %h home, %u user, %U uid, %% a percent; a relative result is
 * prefixed by home. Caller frees *out. HS_ERR_FORMAT on an unknown token. */
HS_MUST_USE hs_err hs_authkeys_expand_path(const char *pattern, const char *user, uid_t uid,
    const char *home, char **out);

/* StrictModes (sshd's secure-path rule): the file and every directory from it up to the root must be
 * owned by root or uid and not writable by group or others; the walk stops after home. HS_ERR_PERM
 * with the reason logged. */
HS_MUST_USE hs_err hs_authkeys_check_perms(const char *path, uid_t uid, const char *home);

struct hs_authkeys_query {
	const char *user;
	uid_t uid;
	gid_t gid;
	const char *home;
	const char *const *files;	/* unexpanded AuthorizedKeysFile entries */
	size_t n_files;
	bool strict_modes;
	const char *client_ip;
	const uint8_t *blob;		/* the key blob the client offered */
	size_t blob_len;
};

/* Search the user's authorized_keys files for blob. HS_OK with *out filled (the matching line's
 * options and key; caller clears) if found and its from= and expiry-time= allow it;
 * HS_ERR_NOT_FOUND otherwise (reasons logged at debug/verbose). When running as root the files are
 * opened with the user's file-system uid and gid (as sshd reads them as the user). */
HS_MUST_USE hs_err hs_authkeys_find(const struct hs_authkeys_query *q, struct hs_authkey *out);

#endif
