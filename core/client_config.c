/* client_config.c: ssh_config(5) parsing for hssh: one keyword table, Host and Match blocks, first
 * obtained value wins. */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_impl.h"
#include "hs_client_config.h"
#include "hs_log.h"
#include "hs_mem.h"

#define CF_MAX_ARGS	64
#define CF_MAX_LINE	8192
#define CF_MAX_DEPTH	16	/* Include nesting */

static const struct cf_choice cf_flag[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 }, { NULL, 0 }
};
static const struct cf_choice cf_strict[] = {
	{ "yes", HS_SHK_YES }, { "no", HS_SHK_NO }, { "ask", HS_SHK_ASK },
	{ "accept-new", HS_SHK_ACCEPT_NEW }, { "off", HS_SHK_NO }, { "true", HS_SHK_YES },
	{ "false", HS_SHK_NO }, { NULL, 0 }
};
static const struct cf_choice cf_tty[] = {
	{ "auto", HS_RTTY_AUTO }, { "no", HS_RTTY_NO }, { "yes", HS_RTTY_YES },
	{ "force", HS_RTTY_FORCE }, { "false", HS_RTTY_NO }, { "true", HS_RTTY_YES }, { NULL, 0 }
};
static const struct cf_choice cf_af[] = {
	{ "any", HS_AF_ANY }, { "inet", HS_AF_INET }, { "inet6", HS_AF_INET6 }, { NULL, 0 }
};
static const struct cf_choice cf_loglevel[] = {
	{ "QUIET", HS_LOG_QUIET }, { "FATAL", HS_LOG_FATAL }, { "ERROR", HS_LOG_ERROR },
	{ "INFO", HS_LOG_INFO }, { "VERBOSE", HS_LOG_VERBOSE }, { "DEBUG1", HS_LOG_DEBUG1 },
	{ "DEBUG2", HS_LOG_DEBUG2 }, { "DEBUG3", HS_LOG_DEBUG3 }, { "DEBUG", HS_LOG_DEBUG1 },
	{ NULL, 0 }
};

#define F(field)	offsetof(struct hs_client_config, field)

/* ssh_config(5) keywords we know. Names are matched case-insensitively; -G prints them lowercased in
 * this order. */
static const struct cf_kw cf_keywords[] = {
	{ .name = "User", .type = CF_STR, .off = F(user) },
	{ .name = "Hostname", .type = CF_STR, .off = F(hostname) },
	{ .name = "Port", .type = CF_INT, .off = F(port) },
	{ .name = "AddressFamily", .type = CF_ENUM, .off = F(address_family), .choices = cf_af },
	{ .name = "BatchMode", .type = CF_ENUM, .off = F(batch_mode), .choices = cf_flag },
	{ .name = "BindAddress", .type = CF_STR, .off = F(bind_address) },
	{ .name = "CheckHostIP", .type = CF_ENUM, .off = F(check_host_ip), .choices = cf_flag },
	{ .name = "Compression", .type = CF_COMPRESSION, .off = F(compression), .choices = cf_flag },
	{ .name = "ConnectionAttempts", .type = CF_INT, .off = F(connection_attempts) },
	{ .name = "ConnectTimeout", .type = CF_TIME, .off = F(connect_timeout) },
	{ .name = "FIPSMode", .type = CF_ENUM, .off = F(fips_mode), .choices = cf_flag },
	{ .name = "ForwardAgent", .type = CF_ENUM, .off = F(forward_agent), .choices = cf_flag },
	{ .name = "HashKnownHosts", .type = CF_ENUM, .off = F(hash_known_hosts), .choices = cf_flag },
	{ .name = "IdentitiesOnly", .type = CF_ENUM, .off = F(identities_only), .choices = cf_flag },
	{ .name = "KbdInteractiveAuthentication", .type = CF_ENUM, .off = F(kbdint_auth),
	  .choices = cf_flag },
	{ .name = "PasswordAuthentication", .type = CF_ENUM, .off = F(password_auth),
	  .choices = cf_flag },
	{ .name = "PermitLocalCommand", .type = CF_ENUM, .off = F(permit_local_command),
	  .choices = cf_flag },
	{ .name = "PubkeyAuthentication", .type = CF_ENUM, .off = F(pubkey_auth), .choices = cf_flag },
	{ .name = "StrictHostKeyChecking", .type = CF_ENUM, .off = F(strict_hostkey),
	  .choices = cf_strict },
	{ .name = "NumberOfPasswordPrompts", .type = CF_INT, .off = F(password_prompts) },
	{ .name = "ServerAliveCountMax", .type = CF_INT, .off = F(server_alive_count_max) },
	{ .name = "ServerAliveInterval", .type = CF_TIME, .off = F(server_alive_interval) },
	{ .name = "RequestTTY", .type = CF_ENUM, .off = F(request_tty), .choices = cf_tty },
	{ .name = "LogLevel", .type = CF_ENUM, .off = F(log_level), .choices = cf_loglevel },
	{ .name = "Ciphers", .type = CF_STR, .off = F(ciphers) },
	{ .name = "MACs", .type = CF_STR, .off = F(macs) },
	{ .name = "KexAlgorithms", .type = CF_STR, .off = F(kex_algs) },
	{ .name = "HostKeyAlgorithms", .type = CF_STR, .off = F(hostkey_algs) },
	{ .name = "PubkeyAcceptedAlgorithms", .type = CF_STR, .off = F(pubkey_algs) },
	{ .name = "PubkeyAcceptedKeyTypes", .type = CF_STR, .off = F(pubkey_algs), .alias = true },
	{ .name = "PreferredAuthentications", .type = CF_STR, .off = F(preferred_auth) },
	{ .name = "IdentityAgent", .type = CF_STR, .off = F(identity_agent) },
	{ .name = "IdentityFile", .type = CF_LIST_ADD, .off = F(identity_files) },
	{ .name = "UserKnownHostsFile", .type = CF_LIST_FIRST, .off = F(user_known_hosts) },
	{ .name = "GlobalKnownHostsFile", .type = CF_LIST_FIRST, .off = F(global_known_hosts) },
	{ .name = "SendEnv", .type = CF_LIST_ADD, .off = F(send_env) },
	{ .name = "SetEnv", .type = CF_LIST_ADD, .off = F(set_env) },
	{ .name = "RekeyLimit", .type = CF_REKEY, .off = F(rekey_limit) },
	{ .name = "UpdateHostKeys", .type = CF_STR, .off = F(update_host_keys) },
	{ .name = "ProxyCommand", .type = CF_REST, .off = F(proxy_command) },
	{ .name = "LocalCommand", .type = CF_REST, .off = F(local_command) },
	{ .name = "ControlMaster", .type = CF_STR, .off = F(control_master) },
	{ .name = "ControlPath", .type = CF_STR, .off = F(control_path) },
	{ .name = "ControlPersist", .type = CF_STR, .off = F(control_persist) },
	{ .name = "IgnoreUnknown", .type = CF_STR, .off = F(ignore_unknown) },
	{ .name = "TCPKeepAlive", .type = CF_ENUM, .off = F(tcp_keepalive), .choices = cf_flag },
	{ .name = "GSSAPIAuthentication", .type = CF_ENUM, .off = F(gssapi_auth), .choices = cf_flag },
	{ .name = "ForwardX11", .type = CF_ENUM, .off = F(forward_x11), .choices = cf_flag },
	{ .name = "VisualHostKey", .type = CF_ENUM, .off = F(visual_host_key), .choices = cf_flag },
	{ .name = "AddKeysToAgent", .type = CF_STR, .off = F(add_keys_to_agent) },
	{ .name = "PKCS11Provider", .type = CF_STR, .off = F(pkcs11_provider) },
	{ .name = "KexProvider", .type = CF_STR, .off = F(kex_provider) },
	{ .name = "KexProviderFallback", .type = CF_ENUM, .off = F(kex_provider_fallback),
	  .choices = cf_flag },
	{ .name = "TPM2TCTI", .type = CF_STR, .off = F(tpm2_tcti) },
	{ 0 }
};

const struct cf_kw *
hs_client_config_keywords(void)
{
	return cf_keywords;
}

void
hs_client_config_init(struct hs_client_config *c)
{
	memset(c, 0, sizeof(*c));
	for (const struct cf_kw *k = cf_keywords; k->name != NULL; k++) {
		if (k->type == CF_INT || k->type == CF_TIME || k->type == CF_ENUM ||
		    k->type == CF_COMPRESSION)
			*(int *)((char *)c + k->off) = -1;
	}
	c->rekey_bytes = -1;
	c->rekey_seconds = -1;
}

static void
strlist_clear(struct hs_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
hs_client_config_clear(struct hs_client_config *c)
{
	for (const struct cf_kw *k = cf_keywords; k->name != NULL; k++) {
		void *f = (char *)c + k->off;

		if (k->alias)
			continue;
		if (k->type == CF_STR || k->type == CF_REST || k->type == CF_REKEY) {
			free(*(char **)f);
			*(char **)f = NULL;
		} else if (k->type == CF_LIST_ADD || k->type == CF_LIST_FIRST) {
			strlist_clear(f);
		}
	}
}

hs_err
hs_strlist_add(struct hs_strlist *l, const char *s)
{
	char **nv;

	HS_ENSURE(l->n < HS_CLIENT_MAX_LIST, HS_ERR_TOO_LARGE);
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
		return HS_ERR_ALLOC;
	l->v = nv;
	if ((l->v[l->n] = strdup(s)) == NULL)
		return HS_ERR_ALLOC;
	l->n++;
	return HS_OK;
}

/* Split s into whitespace-separated words; double quotes group (ssh_config(5): "Arguments may
 * optionally be enclosed in double quotes"). Modifies s. */
static hs_err
cf_split(char *s, char **argv, size_t *argc)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			break;
		HS_ENSURE(n < CF_MAX_ARGS, HS_ERR_TOO_LARGE);
		if (*s == '"') {
			argv[n++] = ++s;
			while (*s != '\0' && *s != '"')
				s++;
			HS_ENSURE(*s == '"', HS_ERR_FORMAT);
		} else {
			argv[n++] = s;
			while (*s != '\0' && *s != ' ' && *s != '\t')
				s++;
			if (*s == '\0')
				break;
		}
		*s++ = '\0';
	}
	*argc = n;
	return HS_OK;
}

static const struct cf_kw *
cf_lookup(const char *name)
{
	for (const struct cf_kw *k = cf_keywords; k->name != NULL; k++)
		if (strcasecmp(k->name, name) == 0)
			return k;
	return NULL;
}

static void
cf_complain(const struct hs_cfg_parser *p, const char *what, const char *arg)
{
	fprintf(stderr, "%s: line %u: %s%s%s\n", p->file, p->line, what, arg ? ": " : "",
	    arg ? arg : "");
}

hs_err
hs_cfg_choice(const struct cf_choice *ch, const char *s, int *out)
{
	for (; ch->name != NULL; ch++) {
		if (strcasecmp(ch->name, s) == 0) {
			*out = ch->val;
			return HS_OK;
		}
	}
	return HS_ERR_CONFIG;
}

/* "1G", "500M", "64K", "default" -> bytes (0 = default). */
static hs_err
cf_parse_size(const char *s, int64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (strcasecmp(s, "default") == 0) {
		*out = 0;
		return HS_OK;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	HS_ENSURE(errno == 0 && end != s && isdigit((unsigned char)s[0]), HS_ERR_CONFIG);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift != 0)
		end++;
	HS_ENSURE(*end == '\0' && v < (1ull << (62 - shift)), HS_ERR_CONFIG);
	*out = (int64_t)(v << shift);
	return HS_OK;
}

static hs_err
cf_parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	HS_ENSURE(errno == 0 && end != s && *end == '\0' && v >= 0 && v <= 0x7fffffff &&
	    isdigit((unsigned char)s[0]), HS_ERR_CONFIG);
	*out = (int)v;
	return HS_OK;
}

/* Parse the value of a single-int keyword; *out is the parsed value. */
static hs_err
cf_parse_scalar(const struct cf_kw *k, const struct hs_cfg_parser *p, const char *arg, int *out)
{
	hs_err r;

	switch (k->type) {
	case CF_INT:
		r = cf_parse_int(arg, out);
		break;
	case CF_TIME:
		r = strcasecmp(arg, "none") == 0 ? (*out = 0, HS_OK) : hs_client_parse_time(arg, out);
		break;
	default:
		r = hs_cfg_choice(k->choices, arg, out);
		break;
	}
	if (r != HS_OK)
		fprintf(stderr, "%s: line %u: unsupported option \"%s\".\n", p->file, p->line, arg);
	if (r == HS_OK && k->type == CF_COMPRESSION && *out == 1 && p->active) {
		fprintf(stderr, "Compression is not supported by hssh; ignoring \"Compression yes\"\n");
		*out = 0;
	}
	return r == HS_OK ? HS_OK : HS_ERR_CONFIG;
}

static hs_err
cf_set_rekey(struct hs_client_config *c, const struct hs_cfg_parser *p, char **argv, size_t argc)
{
	int64_t bytes;
	int secs = 0;

	if (argc > 2 || cf_parse_size(argv[0], &bytes) != HS_OK ||
	    (argc == 2 && strcasecmp(argv[1], "none") != 0 &&
	    strcasecmp(argv[1], "default") != 0 && hs_client_parse_time(argv[1], &secs) != HS_OK)) {
		cf_complain(p, "Bad RekeyLimit", argv[argc > 1 ? 1 : 0]);
		return HS_ERR_CONFIG;
	}
	if (!p->active || c->rekey_limit != NULL)
		return HS_OK;
	if ((c->rekey_limit = strdup(argv[0])) == NULL)
		return HS_ERR_ALLOC;
	c->rekey_bytes = bytes;
	c->rekey_seconds = secs;
	return HS_OK;
}

static hs_err
cf_set_list(const struct cf_kw *k, struct hs_strlist *l, const struct hs_cfg_parser *p,
    char **argv, size_t argc)
{
	if (!p->active || (k->type == CF_LIST_FIRST && l->n > 0))
		return HS_OK;
	for (size_t i = 0; i < argc; i++) {
		/* ssh_config(5): IdentityFile and known_hosts files name one file per keyword or a
		 * list; duplicates are harmless but bounded. */
		if (hs_strlist_add(l, argv[i]) != HS_OK) {
			cf_complain(p, "too many values for", k->name);
			return HS_ERR_CONFIG;
		}
	}
	return HS_OK;
}

/* Apply keyword k with its arguments. rest is the unsplit remainder for CF_REST. */
static hs_err
cf_apply(struct hs_client_config *c, const struct hs_cfg_parser *p, const struct cf_kw *k,
    char **argv, size_t argc, const char *rest)
{
	void *f = (char *)c + k->off;
	int v;

	if (argc == 0) {
		cf_complain(p, "Missing argument.", NULL);
		return HS_ERR_CONFIG;
	}
	switch (k->type) {
	case CF_REST:
		if (p->active && *(char **)f == NULL && (*(char **)f = strdup(rest)) == NULL)
			return HS_ERR_ALLOC;
		return HS_OK;
	case CF_LIST_ADD:
	case CF_LIST_FIRST:
		return cf_set_list(k, f, p, argv, argc);
	case CF_REKEY:
		return cf_set_rekey(c, p, argv, argc);
	default:
		break;
	}
	if (argc > 1) {
		cf_complain(p, "garbage at end of line", argv[1]);
		return HS_ERR_CONFIG;
	}
	if (k->type == CF_STR) {
		if (p->active && *(char **)f == NULL && (*(char **)f = strdup(argv[0])) == NULL)
			return HS_ERR_ALLOC;
		return HS_OK;
	}
	HS_GUARD(cf_parse_scalar(k, p, argv[0], &v));
	if (p->active && *(int *)f == -1)
		*(int *)f = v;
	return HS_OK;
}

/* Strip trailing whitespace and CR/LF in place. */
static void
cf_rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
	    s[n - 1] == '\n'))
		s[--n] = '\0';
}

static hs_err cf_read(struct hs_client_config *c, const char *path, const struct hs_cfg_parser *parent);

/* One Include argument: ~ expanded, relative to the including file's directory, glob(3) applied. */
static hs_err
cf_include_one(struct hs_client_config *c, const struct hs_cfg_parser *p, const char *arg)
{
	struct hs_client_tokens tok = { .home = getenv("HOME") };
	char *path = NULL, *dir = NULL, *full = NULL;
	glob_t g = { 0 };
	hs_err r = HS_OK;

	if (hs_client_expand(arg, &tok, &path) != HS_OK) {
		cf_complain(p, "bad Include path", arg);
		return HS_ERR_CONFIG;
	}
	if (path[0] != '/' && (dir = strdup(p->file)) != NULL &&
	    asprintf(&full, "%s/%s", dirname(dir), path) < 0)
		full = NULL;
	if (glob(full ? full : path, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && r == HS_OK; i++) {
			r = cf_read(c, g.gl_pathv[i], p);
			if (r == HS_ERR_NOT_FOUND)
				r = HS_OK;
		}
	}
	globfree(&g);
	free(full);
	free(dir);
	free(path);
	return r;
}

/* ssh_config(5) Include: read the files where the keyword appears (only in an applying block). */
static hs_err
cf_include(struct hs_client_config *c, const struct hs_cfg_parser *p, char *s)
{
	char *argv[CF_MAX_ARGS];
	size_t argc;

	if (p->cmdline || p->depth >= CF_MAX_DEPTH || cf_split(s, argv, &argc) != HS_OK ||
	    argc == 0) {
		cf_complain(p, "Include not allowed here or too deeply nested", NULL);
		return HS_ERR_CONFIG;
	}
	for (size_t i = 0; i < argc && p->active; i++)
		HS_GUARD(cf_include_one(c, p, argv[i]));
	return HS_OK;
}

static hs_err
cf_parse_line_mut(struct hs_client_config *c, struct hs_cfg_parser *p, char *s)
{
	char *argv[CF_MAX_ARGS], *kw, *rest;
	size_t argc;
	const struct cf_kw *k;

	cf_rstrip(s);
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return HS_OK;
	kw = s;
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '=')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	/* ssh_config(5): the keyword and its arguments may be separated by an optional '=' */
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '=')
		s++;
	while (*s == ' ' || *s == '\t')
		s++;
	rest = s;
	if (strcasecmp(kw, "Include") == 0)
		return cf_include(c, p, s);
	if (strcasecmp(kw, "Host") == 0 || strcasecmp(kw, "Match") == 0) {
		if (p->cmdline) {
			cf_complain(p, "Host/Match not allowed here", NULL);
			return HS_ERR_CONFIG;
		}
		if (cf_split(s, argv, &argc) != HS_OK) {
			cf_complain(p, "bad arguments for", kw);
			return HS_ERR_CONFIG;
		}
		if (strcasecmp(kw, "Host") == 0)
			return hs_client_config_host(c, p, argv, argc);
		return hs_client_config_match(c, p, argv, argc);
	}
	if ((k = cf_lookup(kw)) == NULL) {
		/* ssh_config(5) IgnoreUnknown: set earlier, it silences the keywords it matches */
		if (c->ignore_unknown != NULL && hs_match_list(kw, c->ignore_unknown, ',') == 1)
			return HS_OK;
		cf_complain(p, "Bad configuration option", kw);
		return HS_ERR_CONFIG;
	}
	if (k->type != CF_REST && cf_split(s, argv, &argc) != HS_OK) {
		cf_complain(p, "bad arguments for", kw);
		return HS_ERR_CONFIG;
	}
	if (k->type == CF_REST)
		argc = *rest != '\0' ? 1 : 0;
	return cf_apply(c, p, k, argv, argc, rest);
}

hs_err
hs_client_config_parse_line(struct hs_client_config *c, struct hs_cfg_parser *p, const char *line)
{
	char *copy;
	hs_err r;

	if (strlen(line) > CF_MAX_LINE) {
		cf_complain(p, "line too long", NULL);
		return HS_ERR_CONFIG;
	}
	if ((copy = strdup(line)) == NULL)
		return HS_ERR_ALLOC;
	r = cf_parse_line_mut(c, p, copy);
	free(copy);
	return r;
}

/* Read path; an included file starts in an applying block of its own (ssh_config(5) Include). */
static hs_err
cf_read(struct hs_client_config *c, const char *path, const struct hs_cfg_parser *parent)
{
	struct hs_cfg_parser p = {
		.host = parent->host, .file = path, .active = true, .depth = parent->depth + 1,
	};
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	hs_err r = HS_OK;

	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? HS_ERR_NOT_FOUND : HS_ERR_IO;
	hs_debug("Reading configuration data %s", path);
	while (getline(&line, &cap, f) != -1) {
		p.line++;
		HS_GUARD_GOTO(hs_client_config_parse_line(c, &p, line), r, out);
	}
	if (ferror(f))
		r = HS_ERR_IO;
out:
	free(line);
	fclose(f);
	return r;
}

hs_err
hs_client_config_read_file(struct hs_client_config *c, const char *path, const char *host)
{
	struct hs_cfg_parser top = { .host = host, .file = path };

	return cf_read(c, path, &top);
}

hs_err
hs_client_config_option(struct hs_client_config *c, const char *arg, const char *host)
{
	struct hs_cfg_parser p = {
		.host = host, .file = "command-line", .line = 0, .active = true, .cmdline = true,
	};

	return hs_client_config_parse_line(c, &p, arg);
}
