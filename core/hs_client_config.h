/* hs_client_config.h: hssh's configuration (ssh_config(5) subset), pattern matching and %-token
 * expansion.
 *
 * Values follow ssh's rule: the first obtained value wins (command line, then ~/.ssh/config, then
 * /etc/hardssh/ssh_config). Repeatable keywords (IdentityFile, SendEnv, SetEnv) accumulate. Unset
 * integers are -1, unset strings NULL, unset lists empty; hs_client_config_finalize() fills defaults.
 */
#ifndef HS_CLIENT_CONFIG_H
#define HS_CLIENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hs_err.h"
#include "hs_match.h"

#define HS_CLIENT_SYSTEM_CONFIG	"/etc/hardssh/ssh_config"
#define HS_CLIENT_MAX_LIST	64	/* cap on one list keyword's entries */

struct hs_strlist {
	char **v;
	size_t n;
};

enum hs_strict_hostkey { HS_SHK_YES = 0, HS_SHK_NO, HS_SHK_ASK, HS_SHK_ACCEPT_NEW };
enum hs_request_tty { HS_RTTY_AUTO = 0, HS_RTTY_NO, HS_RTTY_YES, HS_RTTY_FORCE };
enum hs_addr_family { HS_AF_ANY = 0, HS_AF_INET, HS_AF_INET6 };

struct hs_client_config {
	char *hostname;
	int port;
	char *user;
	struct hs_strlist identity_files;
	bool identity_defaults;		/* identity_files are the built-in defaults (may be absent) */
	int identities_only;
	char *identity_agent;
	struct hs_strlist user_known_hosts;
	struct hs_strlist global_known_hosts;
	int strict_hostkey;		/* enum hs_strict_hostkey */
	int hash_known_hosts;
	char *kex_algs, *ciphers, *macs, *hostkey_algs, *pubkey_algs;
	int fips_mode;		/* FIPSMode (issue 6); after finalize also 1 if the kernel is in FIPS mode */
	int pubkey_auth, password_auth, kbdint_auth;
	char *preferred_auth;
	int batch_mode;
	int connect_timeout;		/* seconds */
	int connection_attempts;
	int server_alive_interval;	/* seconds */
	int server_alive_count_max;
	int request_tty;		/* enum hs_request_tty */
	struct hs_strlist send_env;
	struct hs_strlist set_env;
	int log_level;			/* enum hs_log_level */
	char *rekey_limit;		/* as written; parsed into the two fields below */
	int64_t rekey_bytes;		/* 0 = default */
	int rekey_seconds;		/* 0 = none */
	int password_prompts;
	int check_host_ip;
	int address_family;		/* enum hs_addr_family */
	char *bind_address;
	char *local_command;
	int permit_local_command;
	int compression;
	char *update_host_keys;
	int forward_agent;
	char *proxy_command;
	char *control_master, *control_path, *control_persist;
	char *ignore_unknown;		/* IgnoreUnknown patterns */
	int tcp_keepalive;
	/* accepted so common configs load; not acted on */
	int gssapi_auth, forward_x11, visual_host_key;
	char *add_keys_to_agent;
	/* issue 5: hardware keys and key exchange */
	char *pkcs11_provider;		/* PKCS11Provider / -I: pkcs11-helper's module, or "none" */
	char *kex_provider;		/* KexProvider: "soft" or a pkcs11:/tpm2: device URI */
	int kex_provider_fallback;	/* KexProviderFallback: software for what it lacks */
	char *tpm2_tcti;		/* TPM2TCTI: tctildr string for tpm2: URIs without tcti= */
};

/* State while reading one source (a file or the command line). */
struct hs_cfg_parser {
	const char *host;	/* the host as given on the command line (Host patterns match it) */
	const char *file;	/* for messages: a path or "command-line" */
	unsigned line;
	bool active;		/* the current Host/Match block applies */
	bool cmdline;		/* -o: Host and Match are not allowed */
	unsigned depth;		/* Include nesting */
};

/* Values for %-tokens (ssh_config(5) TOKENS). NULL fields expand to "". */
struct hs_client_tokens {
	const char *home;	/* %d and ~ */
	const char *luser;	/* %u */
	const char *lhost;	/* %l */
	const char *host;	/* %h: the host name to connect to */
	const char *ruser;	/* %r */
	const char *orig_host;	/* %n */
	int port;		/* %p */
};

/* Empty configuration (all unset). */
void hs_client_config_init(struct hs_client_config *c);
/* Free everything the config owns (not c itself). */
void hs_client_config_clear(struct hs_client_config *c);

/* Parse one line of ssh_config. Blank and comment lines are accepted. Errors are printed to stderr
 * as ssh does ("<file>: line <n>: Bad configuration option: <kw>") and return HS_ERR_CONFIG. */
HS_MUST_USE hs_err hs_client_config_parse_line(struct hs_client_config *c, struct hs_cfg_parser *p,
    const char *line);
/* Read a file line by line. A missing file gives HS_ERR_NOT_FOUND (nothing printed). */
HS_MUST_USE hs_err hs_client_config_read_file(struct hs_client_config *c, const char *path,
    const char *host);
/* One -o "Keyword=value" or "Keyword value" argument. */
HS_MUST_USE hs_err hs_client_config_option(struct hs_client_config *c, const char *arg,
    const char *host);
/* Fill defaults (port 22, user = local user, hostname = host, known_hosts files, ...) and expand
 * tokens in Hostname, IdentityFile (not key URIs), UserKnownHostsFile, IdentityAgent, PKCS11Provider
 * and ProxyCommand's %h/%p. KexProvider defaults to "soft", KexProviderFallback to no. */
HS_MUST_USE hs_err hs_client_config_finalize(struct hs_client_config *c, const char *host);
/* Print the effective config as lowercase "keyword value" lines (hssh -G). */
void hs_client_config_dump(const struct hs_client_config *c, FILE *f);

/* Expand ~ (at the start) and %d %u %l %h %r %n %p %% in s. HS_ERR_CONFIG on an unknown token.
 * *out: caller frees. */
HS_MUST_USE hs_err hs_client_expand(const char *s, const struct hs_client_tokens *tok, char **out);
/* Tokens for this config and host (after finalize or with the fields so far). Strings point into c
 * and static storage. */
void hs_client_tokens_fill(const struct hs_client_config *c, const char *orig_host,
    struct hs_client_tokens *tok);

/* Match s against a sep-separated pattern list with '!' negation (case-insensitive): 1 if a positive
 * pattern matches and no negated one does, -1 if a negated pattern matches, 0 otherwise. */
int hs_match_list(const char *s, const char *list, char sep);

/* True iff s names a key by URI ("pkcs11:..." RFC 7512, "tpm2:...") rather than a file: such an
 * IdentityFile is opened through its provider (hs_key_open), needs no .pub file and is never
 * ~- or %-expanded (RFC 7512 values are percent-encoded). The scheme is case-insensitive. */
bool hs_client_is_key_uri(const char *s);

/* Parse "yes"/"no" style seconds with optional s/m/h/d/w suffixes (sshd_config(5) TIME FORMATS). */
HS_MUST_USE hs_err hs_client_parse_time(const char *s, int *out);

#endif
