/* client_impl.h: internals shared by hssh's files (not a public contract). */
#ifndef HS_CLIENT_IMPL_H
#define HS_CLIENT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hs_agent.h"
#include "hs_buf.h"
#include "hs_client_config.h"
#include "hs_err.h"
#include "hs_knownhosts.h"
#include "hs_log.h"
#include "hs_provider.h"
#include "hs_transport.h"

#define HS_PROGNAME	"hssh"

/* OpenSSH-looking debug lines; hs_log adds no level prefix of its own. */
#define hc_debug1(...)	hs_log(HS_LOG_DEBUG1, __VA_ARGS__)
#define hc_debug2(...)	hs_log(HS_LOG_DEBUG2, __VA_ARGS__)
#define hc_debug3(...)	hs_log(HS_LOG_DEBUG3, __VA_ARGS__)

/* ---- configuration table (client_config.c) ---- */
enum cf_type {
	CF_STR = 1,	/* one argument, first wins */
	CF_REST,	/* the rest of the line as one string (commands) */
	CF_INT,		/* non-negative decimal */
	CF_TIME,	/* seconds with optional suffix, "none" = 0 */
	CF_ENUM,	/* a name from a choice table */
	CF_LIST_ADD,	/* every occurrence appends its arguments */
	CF_LIST_FIRST,	/* the first occurrence sets the whole list */
	CF_REKEY,	/* RekeyLimit size [time] */
	CF_COMPRESSION,	/* "no" accepted, "yes" warned about and ignored */
};

struct cf_choice {
	const char *name;
	int val;
};

struct cf_kw {
	const char *name;
	int type;			/* enum cf_type in client_config.c */
	size_t off;			/* field in struct hs_client_config */
	const struct cf_choice *choices;
	bool alias;			/* another spelling of an earlier row (not printed by -G) */
};

/* The keyword table, terminated by a row with name NULL. */
const struct cf_kw *hs_client_config_keywords(void);
/* Look s up in a choice table (case-insensitive). */
HS_MUST_USE hs_err hs_cfg_choice(const struct cf_choice *ch, const char *s, int *out);
HS_MUST_USE hs_err hs_strlist_add(struct hs_strlist *l, const char *s);
/* Host and Match lines (client_config_match.c): set p->active. Print and return HS_ERR_CONFIG on
 * bad syntax. */
HS_MUST_USE hs_err hs_client_config_host(struct hs_client_config *c, struct hs_cfg_parser *p,
    char **argv, size_t argc);
HS_MUST_USE hs_err hs_client_config_match(struct hs_client_config *c, struct hs_cfg_parser *p,
    char **argv, size_t argc);

/* ---- one connection ---- */
struct hs_client {
	struct hs_client_config cfg;
	const char *orig_host;		/* as typed */
	char *host_key_name;		/* "host" or "[host]:port" for known_hosts */
	char *ip_key_name;		/* the same for the address we connected to */
	char ipstr[64];
	struct hs_transport *t;
	bool quiet;
	int fd_in, fd_out;
	int proxy_pid;			/* ProxyCommand child, or 0 */
	const char *auth_method;	/* the method that succeeded */
};

/* client_connect.c: open the TCP connection (or ProxyCommand) per the config; prints ssh-style
 * errors. */
HS_MUST_USE hs_err hs_client_connect(struct hs_client *cl);
/* client_hostkey.c: the transport's hostkey_cb (known_hosts policy and prompts). */
hs_err hs_client_hostkey_cb(void *arg, const struct hs_key *key);
/* Host key algorithms with those already known for the host first. *out: caller frees. */
HS_MUST_USE hs_err hs_client_hostkey_order(struct hs_client *cl, const char *algs, char **out);
/* client_tty.c: prompt on /dev/tty; echo off when !echo. *out is wiped by the caller. */
HS_MUST_USE hs_err hs_client_read_tty(const char *prompt, bool echo, char **out);
/* auth_client.c: RFC 4252 user authentication. HS_ERR_AUTH after "Permission denied" was printed. */
HS_MUST_USE hs_err hs_client_auth(struct hs_client *cl);
/* ---- authentication (auth_client*.c) ---- */
struct auth_ctx {
	struct hs_client *cl;
	char *methods;			/* from the last USERAUTH_FAILURE */
	const uint8_t *sid;		/* session identifier (RFC 4253 7.2) */
	size_t sid_len;
	struct hs_agent *agent;		/* NULL when not used */
};
void hs_auth_ctx_clear(struct auth_ctx *ac);
/* Next reply, with banners printed and FAILURE's method list stored in ac->methods. */
HS_MUST_USE hs_err hs_auth_wait(struct auth_ctx *ac, uint8_t *type, struct hs_buf **msg);
/* Append the RFC 4252 5 request header for method. */
HS_MUST_USE hs_err hs_auth_request_start(const struct auth_ctx *ac, const char *method,
    struct hs_buf *b);
/* HS_OK on USERAUTH_SUCCESS, HS_ERR_AUTH on FAILURE. */
HS_MUST_USE hs_err hs_auth_verdict(struct auth_ctx *ac);
bool hs_auth_method_allowed(const struct auth_ctx *ac, const char *method);
/* auth_client_pubkey.c: agent keys, then IdentityFiles. HS_ERR_AUTH when none was accepted. */
HS_MUST_USE hs_err hs_auth_pubkey(struct auth_ctx *ac);
/* auth_client_kbdint.c: RFC 4256 keyboard-interactive. HS_ERR_AUTH when refused. */
HS_MUST_USE hs_err hs_auth_kbdint(struct auth_ctx *ac);

/* ---- hardware (client_hw.c, issue 5) ---- */
/* KexProvider: select it (hs_kex_provider_set) and, unless KexProviderFallback, keep only the
 * KexAlgorithms it computes (c->kex_algs rewritten). Prints the reason and returns an error if it
 * cannot be opened or computes none of them. No-op for "soft". */
HS_MUST_USE hs_err hs_client_kex_setup(struct hs_client_config *c);
/* After the handshake: log at VERBOSE "KEX <method> computed by <provider>". */
void hs_client_kex_report(const struct hs_transport *t);
/* PKCS11Provider / -I: keys with certificates on the module's tokens (hw/hs_p11helper.h), PINs
 * from $HSSH_PKCS11_PIN_FILE (tests, unattended use; never retried) or the tty (not in
 * BatchMode). Nothing to do (HS_OK, *n 0) when unset or "none". Errors are printed. */
HS_MUST_USE hs_err hs_client_p11helper_keys(const struct hs_client_config *c, struct hs_key **keys,
    char **labels, size_t max, size_t *n);
/* hssh -Q provider: "<name> <available yes|no> <summary>" per compiled-in provider, then
 * pkcs11-helper's line. */
void hs_client_print_providers(FILE *f);

/* client_main.c */
int hs_client_main(int argc, char **argv);

#endif
