/* client_config_util.c: %-token expansion, defaults and -G output for hssh's configuration. */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client_impl.h"
#include "hs_algs.h"
#include "hs_client_config.h"
#include "hs_fips.h"
#include "hs_mem.h"

#define HS_EXPAND_MAX	4096

static hs_err
expand_tilde(const char **sp, const struct hs_client_tokens *tok, struct hs_buf *b)
{
	const char *s = *sp + 1;
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char name[256];
	struct passwd *pw;

	if (n == 0) {
		HS_GUARD(hs_buf_put_bytes(b, tok->home ? tok->home : "", tok->home ? strlen(tok->home) : 0));
		*sp = s;
		return HS_OK;
	}
	HS_ENSURE(n < sizeof(name), HS_ERR_CONFIG);
	memcpy(name, s, n);
	name[n] = '\0';
	HS_ENSURE((pw = getpwnam(name)) != NULL, HS_ERR_CONFIG);
	HS_GUARD(hs_buf_put_bytes(b, pw->pw_dir, strlen(pw->pw_dir)));
	*sp = s + n;
	return HS_OK;
}

static hs_err
expand_token(char ch, const struct hs_client_tokens *tok, struct hs_buf *b)
{
	/* ssh_config(5) TOKENS */
	const struct {
		char ch;
		const char *val;
	} toks[] = {
		{ 'd', tok->home }, { 'u', tok->luser }, { 'l', tok->lhost }, { 'h', tok->host },
		{ 'r', tok->ruser }, { 'n', tok->orig_host }, { '%', "%" },
	};

	if (ch == 'p')
		return hs_buf_putf(b, "%d", tok->port);
	if (ch == 'i')
		return hs_buf_putf(b, "%u", (unsigned)getuid());
	for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
		if (toks[i].ch == ch)
			return toks[i].val ? hs_buf_put_bytes(b, toks[i].val, strlen(toks[i].val))
			    : HS_OK;
	}
	return HS_ERR_CONFIG;
}

hs_err
hs_client_expand(const char *s, const struct hs_client_tokens *tok, char **out)
{
	struct hs_buf *b = NULL;
	hs_err r;

	*out = NULL;
	HS_GUARD(hs_buf_new(HS_EXPAND_MAX, &b));
	if (s[0] == '~')
		HS_GUARD_GOTO(expand_tilde(&s, tok, b), r, out);
	for (; *s != '\0'; s++) {
		if (*s != '%') {
			HS_GUARD_GOTO(hs_buf_put_u8(b, (uint8_t)*s), r, out);
			continue;
		}
		HS_ENSURE_GOTO(s[1] != '\0', HS_ERR_CONFIG, r, out);
		HS_GUARD_GOTO(expand_token(*++s, tok, b), r, out);
	}
	HS_GUARD_GOTO(hs_buf_to_cstring(b, out), r, out);
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

void
hs_client_tokens_fill(const struct hs_client_config *c, const char *orig_host,
    struct hs_client_tokens *tok)
{
	static char lhost[256];
	struct passwd *pw = getpwuid(getuid());
	const char *home = getenv("HOME");

	if (gethostname(lhost, sizeof(lhost) - 1) != 0)
		lhost[0] = '\0';
	memset(tok, 0, sizeof(*tok));
	tok->home = pw ? pw->pw_dir : home;
	tok->luser = pw ? pw->pw_name : NULL;
	tok->lhost = lhost;
	tok->host = c->hostname ? c->hostname : orig_host;
	tok->ruser = c->user ? c->user : tok->luser;
	tok->orig_host = orig_host;
	tok->port = c->port > 0 ? c->port : 22;
}

/* Replace *s by its expansion. */
static hs_err
expand_in_place(char **s, const struct hs_client_tokens *tok, const char *what)
{
	char *x;

	if (*s == NULL)
		return HS_OK;
	if (hs_client_expand(*s, tok, &x) != HS_OK) {
		fprintf(stderr, "%s: %s: bad token or path in \"%s\"\n", HS_PROGNAME, what, *s);
		return HS_ERR_CONFIG;
	}
	free(*s);
	*s = x;
	return HS_OK;
}

/* Key URI schemes: the names of the hardware providers' URI schemes (hw/hs_provider.h). */
static const char *const key_uri_schemes[] = { "pkcs11:", "tpm2:", NULL };

bool
hs_client_is_key_uri(const char *s)
{
	for (const char *const *p = key_uri_schemes; s != NULL && *p != NULL; p++)
		if (strncasecmp(s, *p, strlen(*p)) == 0)
			return true;
	return false;
}

/* Expand every entry; key URIs are kept as written (their %xx are RFC 7512 escapes, not tokens). */
static hs_err
expand_list(struct hs_strlist *l, const struct hs_client_tokens *tok, const char *what)
{
	for (size_t i = 0; i < l->n; i++)
		if (!hs_client_is_key_uri(l->v[i]))
			HS_GUARD(expand_in_place(&l->v[i], tok, what));
	return HS_OK;
}

static hs_err
default_list(struct hs_strlist *l, const char *const *defs)
{
	if (l->n > 0)
		return HS_OK;
	for (; *defs != NULL; defs++)
		HS_GUARD(hs_strlist_add(l, *defs));
	return HS_OK;
}

static void
default_int(int *v, int def)
{
	if (*v == -1)
		*v = def;
}

static hs_err
default_str(char **v, const char *def)
{
	if (*v == NULL && (*v = strdup(def)) == NULL)
		return HS_ERR_ALLOC;
	return HS_OK;
}

static hs_err
finalize_scalars(struct hs_client_config *c)
{
	default_int(&c->port, 22);
	default_int(&c->identities_only, 0);
	default_int(&c->strict_hostkey, HS_SHK_ASK);
	default_int(&c->hash_known_hosts, 0);
	default_int(&c->pubkey_auth, 1);
	c->fips_mode = c->fips_mode == 1 || hs_fips_mode_system();
	default_int(&c->password_auth, 1);
	default_int(&c->kbdint_auth, 1);
	default_int(&c->batch_mode, 0);
	default_int(&c->connect_timeout, 0);
	default_int(&c->connection_attempts, 1);
	default_int(&c->server_alive_interval, 0);
	default_int(&c->server_alive_count_max, 3);
	default_int(&c->request_tty, HS_RTTY_AUTO);
	default_int(&c->log_level, HS_LOG_INFO);
	default_int(&c->password_prompts, 3);
	default_int(&c->check_host_ip, 0);
	default_int(&c->address_family, HS_AF_ANY);
	default_int(&c->permit_local_command, 0);
	default_int(&c->compression, 0);
	default_int(&c->forward_agent, 0);
	default_int(&c->tcp_keepalive, 1);
	default_int(&c->gssapi_auth, 0);
	default_int(&c->forward_x11, 0);
	default_int(&c->visual_host_key, 0);
	default_int(&c->kex_provider_fallback, 0);
	if (c->rekey_bytes < 0)
		c->rekey_bytes = 0;
	if (c->rekey_seconds < 0)
		c->rekey_seconds = 0;
	if (c->port <= 0 || c->port > 65535) {
		fprintf(stderr, "%s: Bad port '%d'\n", HS_PROGNAME, c->port);
		return HS_ERR_CONFIG;
	}
	HS_GUARD(default_str(&c->preferred_auth, "publickey,keyboard-interactive,password"));
	HS_GUARD(default_str(&c->update_host_keys, "no"));
	HS_GUARD(default_str(&c->kex_provider, "soft"));
	/* KexProvider: "soft" or a device URI with something after the scheme (the provider checks
	 * the rest when it opens the device at start-up) */
	if (strcasecmp(c->kex_provider, "soft") != 0 && (!hs_client_is_key_uri(c->kex_provider) ||
	    strchr(c->kex_provider, ':')[1] == '\0')) {
		fprintf(stderr, "%s: KexProvider must be soft, pkcs11:... or tpm2:..., not \"%s\"\n",
		    HS_PROGNAME, c->kex_provider);
		return HS_ERR_CONFIG;
	}
	return HS_OK;
}

/* Algorithm lists: expand +, -, ^ against the defaults and refuse unknown names (as ssh does at
 * start-up). */
static hs_err
finalize_algs(struct hs_client_config *c)
{
	const struct {
		size_t off;
		enum hs_alg_family fam;
		const char *msg, *kw;
	} lists[] = {
		{ offsetof(struct hs_client_config, kex_algs), HS_ALGS_KEX, "Bad SSH2 KexAlgorithms",
		  "KexAlgorithms" },
		{ offsetof(struct hs_client_config, ciphers), HS_ALGS_CIPHER, "Bad SSH2 cipher spec",
		  "Ciphers" },
		{ offsetof(struct hs_client_config, macs), HS_ALGS_MAC, "Bad SSH2 MAC spec", "MACs" },
		{ offsetof(struct hs_client_config, hostkey_algs), HS_ALGS_HOSTKEY,
		  "Bad HostKeyAlgorithms", "HostKeyAlgorithms" },
		{ offsetof(struct hs_client_config, pubkey_algs), HS_ALGS_HOSTKEY,
		  "Bad PubkeyAcceptedAlgorithms", "PubkeyAcceptedAlgorithms" },
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char **f = (char **)((char *)c + lists[i].off);
		char *out = NULL, *bad = NULL;

		if (hs_algs_apply(lists[i].fam, *f, &out, &bad) != HS_OK) {
			fprintf(stderr, "%s: %s '%s'.\n", HS_PROGNAME, lists[i].msg,
			    bad ? bad : (*f ? *f : ""));
			free(bad);
			return HS_ERR_CONFIG;
		}
		/* FIPS mode (issue 6): defaults shrink to the approved ones; a configured list must
		 * name only approved algorithms. */
		if (c->fips_mode == 1 && hs_algs_fips_list(lists[i].fam, &out, *f != NULL, &bad)
		    != HS_OK) {
			fprintf(stderr, "%s: FIPSMode: %s names %s, which is not approved\n",
			    HS_PROGNAME, lists[i].kw, bad ? bad : "?");
			free(bad);
			free(out);
			return HS_ERR_CONFIG;
		}
		free(*f);
		*f = out;
	}
	return HS_OK;
}

static const char *const default_ids[] = {
	"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519", NULL
};
static const char *const default_ukh[] = { "~/.ssh/known_hosts", "~/.ssh/known_hosts2", NULL };
static const char *const default_gkh[] = {
	"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2", NULL
};

hs_err
hs_client_config_finalize(struct hs_client_config *c, const char *host)
{
	struct hs_client_tokens tok;
	char *h;

	HS_GUARD(finalize_scalars(c));
	hs_client_tokens_fill(c, host, &tok);
	if (c->user == NULL && tok.luser != NULL)
		HS_GUARD(default_str(&c->user, tok.luser));
	/* ssh_config(5) Hostname: %h is the name given on the command line */
	tok.host = host;
	if (c->hostname == NULL)
		HS_GUARD(default_str(&c->hostname, host));
	else
		HS_GUARD(expand_in_place(&c->hostname, &tok, "Hostname"));
	for (h = c->hostname; *h != '\0'; h++)
		*h = (char)tolower((unsigned char)*h);
	hs_client_tokens_fill(c, host, &tok);
	c->identity_defaults = c->identity_files.n == 0;
	HS_GUARD(default_list(&c->identity_files, default_ids));
	HS_GUARD(default_list(&c->user_known_hosts, default_ukh));
	HS_GUARD(default_list(&c->global_known_hosts, default_gkh));
	HS_GUARD(expand_list(&c->identity_files, &tok, "IdentityFile"));
	HS_GUARD(expand_list(&c->user_known_hosts, &tok, "UserKnownHostsFile"));
	HS_GUARD(expand_list(&c->global_known_hosts, &tok, "GlobalKnownHostsFile"));
	HS_GUARD(expand_in_place(&c->identity_agent, &tok, "IdentityAgent"));
	HS_GUARD(expand_in_place(&c->control_path, &tok, "ControlPath"));
	if (c->pkcs11_provider != NULL && strcasecmp(c->pkcs11_provider, "none") != 0)
		HS_GUARD(expand_in_place(&c->pkcs11_provider, &tok, "PKCS11Provider"));
	HS_GUARD(finalize_algs(c));
	return HS_OK;
}

static void
dump_lower(FILE *f, const char *name)
{
	for (; *name != '\0'; name++)
		fputc(tolower((unsigned char)*name), f);
}

static const char *
choice_name(const struct cf_choice *ch, int v)
{
	for (; ch->name != NULL; ch++)
		if (ch->val == v)
			return ch->name;
	return "unknown";
}

static void
dump_kw(const struct hs_client_config *c, const struct cf_kw *k, FILE *f)
{
	const void *fp = (const char *)c + k->off;
	const struct hs_strlist *l = fp;
	int v = *(const int *)fp;

	if (k->type == CF_LIST_ADD || k->type == CF_LIST_FIRST) {
		for (size_t i = 0; i < l->n; i++) {
			if (i == 0 || k->type == CF_LIST_ADD) {
				if (i > 0)
					fputc('\n', f);
				dump_lower(f, k->name);
			}
			fprintf(f, " %s", l->v[i]);
		}
		if (l->n > 0)
			fputc('\n', f);
		return;
	}
	if (k->type == CF_REKEY) {
		fprintf(f, "rekeylimit %lld %d\n", (long long)c->rekey_bytes, c->rekey_seconds);
		return;
	}
	if ((k->type == CF_STR || k->type == CF_REST) && *(char *const *)fp == NULL)
		return;
	dump_lower(f, k->name);
	if (k->type == CF_STR || k->type == CF_REST)
		fprintf(f, " %s\n", *(char *const *)fp);
	else if (k->type == CF_ENUM || k->type == CF_COMPRESSION)
		fprintf(f, " %s\n", choice_name(k->choices, v));
	else if (k->type == CF_TIME && v == 0)
		fprintf(f, " none\n");
	else
		fprintf(f, " %d\n", v);
}

void
hs_client_config_dump(const struct hs_client_config *c, FILE *f)
{
	for (const struct cf_kw *k = hs_client_config_keywords(); k->name != NULL; k++)
		if (!k->alias)
			dump_kw(c, k, f);
}
