/* server_config.c: sshd_config(5) keywords for hsshd, as one table (STYLE.md section 4).
 *
 * Each row names a keyword, the handler that parses its arguments, where it stores the value and how
 * -T prints it. Keywords hsshd knows but does not implement are accepted and logged at debug level so
 * that Debian's default sshd_config and the OpenSSH regress configs load unchanged.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <stdbool.h>

#include "hs_algs.h"
#include "hs_mem.h"
#include "server_impl.h"

#define CFG_MAX_ARGS	256
#define CFG_MAX_LINE	8192

static hs_err
bad_value(const struct cfg_where *w, const char *kw, const char *v)
{
	hs_error("%s line %u: invalid value for %s: \"%s\"", w->file, w->line, kw, v ? v : "");
	return HS_ERR_CONFIG;
}

static hs_err
need_args(const struct cfg_where *w, const char *kw, int ac, int min, int max)
{
	if (ac < min) {
		hs_error("%s line %u: %s: missing argument.", w->file, w->line, kw);
		return HS_ERR_CONFIG;
	}
	if (max >= 0 && ac > max) {
		hs_error("%s line %u: %s: garbage at end of line.", w->file, w->line, kw);
		return HS_ERR_CONFIG;
	}
	return HS_OK;
}

/* ---- generic handlers: the row's offset says where the value goes ---- */

/* yes/no flags (sshd_config(5) "yes" or "no"). */
static hs_err
set_flag(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	int *p = CFG_FIELD(c, kw, int);

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (strcasecmp(av[0], "yes") == 0)
		*p = 1;
	else if (strcasecmp(av[0], "no") == 0)
		*p = 0;
	else
		return bad_value(w, kw->name, av[0]);
	return HS_OK;
}

static hs_err
set_int(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	char *end;
	long v;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	errno = 0;
	v = strtol(av[0], &end, 10);
	if (errno != 0 || *end != '\0' || end == av[0] || v < 0 || v > INT_MAX)
		return bad_value(w, kw->name, av[0]);
	*CFG_FIELD(c, kw, int) = (int)v;
	return HS_OK;
}

static hs_err
set_time(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (hs_cfg_parse_time(av[0], CFG_FIELD(c, kw, int)) != HS_OK)
		return bad_value(w, kw->name, av[0]);
	return HS_OK;
}

static hs_err
set_string(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	char **p = CFG_FIELD(c, kw, char *);

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	free(*p);
	*p = hs_strdup(av[0]);
	HS_ENSURE(*p != NULL, HS_ERR_ALLOC);
	return HS_OK;
}

/* The rest of the line as one string (ForceCommand, Subsystem command). */
static char *
join_args(char **av, int ac)
{
	size_t n = 1;
	char *s;

	for (int i = 0; i < ac; i++)
		n += strlen(av[i]) + 1;
	s = calloc(1, n);
	if (s == NULL)
		return NULL;
	for (int i = 0; i < ac; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, av[i]);
	}
	return s;
}

static hs_err
set_rest(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	char **p = CFG_FIELD(c, kw, char *);

	HS_GUARD(need_args(w, kw->name, ac, 1, -1));
	free(*p);
	*p = join_args(av, ac);
	HS_ENSURE(*p != NULL, HS_ERR_ALLOC);
	return HS_OK;
}

/* KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms, PubkeyAcceptedAlgorithms: +,-,^ syntax. */
static hs_err
set_algs(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	char **p = CFG_FIELD(c, kw, char *);
	char *list = NULL, *bad = NULL;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (hs_algs_apply((enum hs_alg_family)kw->arg, av[0], &list, &bad) != HS_OK) {
		hs_error("%s line %u: Bad SSH2 algorithm '%s' for %s.", w->file, w->line,
		    bad ? bad : av[0], kw->name);
		free(bad);
		return HS_ERR_CONFIG;
	}
	free(*p);
	*p = list;
	return HS_OK;
}

/* Known keyword that hsshd accepts but does not implement. */
static hs_err
set_ignored(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	hs_debug("%s line %u: %s is not implemented by hsshd; ignored", w->file, w->line, kw->name);
	return HS_OK;
}

static hs_err
set_unsupported(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	hs_error("%s line %u: %s is not supported by hsshd.", w->file, w->line, kw->name);
	return HS_ERR_CONFIG;
}

/* Keywords that restrict who may log in or what a session may do, and that hsshd does not implement
 * yet. Ignoring one would fail open (an "AllowUsers admin" that lets everyone in), so each is a
 * start-up error unless it is set to its no-op value. */
static const struct {
	const char *kw;
	const char *noop;	/* the value that restricts nothing, or NULL */
} restrictions[] = {
	{ "AllowUsers", NULL },
	{ "DenyUsers", NULL },
	{ "AllowGroups", NULL },
	{ "DenyGroups", NULL },
	{ "AuthenticationMethods", "any" },
	{ "RevokedKeys", "none" },
	{ "PermitTTY", "yes" },
	{ "ChrootDirectory", "none" },
};

static hs_err
set_restriction(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	for (size_t i = 0; i < sizeof(restrictions) / sizeof(restrictions[0]); i++) {
		if (strcasecmp(kw->name, restrictions[i].kw) != 0)
			continue;
		if (restrictions[i].noop != NULL && ac == 1 &&
		    strcasecmp(av[0], restrictions[i].noop) == 0)
			return HS_OK;
		break;
	}
	hs_error("%s line %u: %s restricts access and is not implemented by hsshd yet; refusing to "
	    "start rather than ignore it.", w->file, w->line, kw->name);
	return HS_ERR_CONFIG;
}

/* ---- specific handlers ---- */

static hs_err
parse_port(const char *s, int *port)
{
	char *end;
	long v = strtol(s, &end, 10);

	HS_ENSURE(*s != '\0' && *end == '\0' && v > 0 && v <= 65535, HS_ERR_CONFIG);
	*port = (int)v;
	return HS_OK;
}

static hs_err
set_port(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	int port;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (parse_port(av[0], &port) != HS_OK)
		return bad_value(w, kw->name, av[0]);
	if (c->ports_from_cmdline)
		return HS_OK;	/* -p wins over the file, as in sshd */
	if (c->n_ports >= HS_CFG_MAX_PORTS) {
		hs_error("%s line %u: too many ports.", w->file, w->line);
		return HS_ERR_CONFIG;
	}
	c->ports[c->n_ports++] = port;
	return HS_OK;
}

/* ListenAddress host|IPv4|IPv6 [":" port], or "[IPv6]:port" (sshd_config(5)). */
static hs_err
set_listen(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	char host[256];
	const char *a, *colon;
	size_t hlen;
	int port = 0;

	HS_GUARD(need_args(w, kw->name, ac, 1, 3));	/* "rdomain X" is accepted and ignored */
	a = av[0];
	if (a[0] == '[') {
		const char *rb = strchr(a, ']');

		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			return bad_value(w, kw->name, a);
		hlen = (size_t)(rb - a - 1);
		a++;
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strchr(a, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* a bare IPv6 address */
		hlen = colon ? (size_t)(colon - a) : strlen(a);
	}
	if (hlen == 0 || hlen >= sizeof(host) || c->n_listen >= HS_CFG_MAX_LISTEN)
		return bad_value(w, kw->name, av[0]);
	if (colon != NULL && parse_port(colon + 1, &port) != HS_OK)
		return bad_value(w, kw->name, av[0]);
	memcpy(host, a, hlen);
	host[hlen] = '\0';
	c->listen[c->n_listen].host = hs_strdup(host);
	HS_ENSURE(c->listen[c->n_listen].host != NULL, HS_ERR_ALLOC);
	c->listen[c->n_listen++].port = port;
	return HS_OK;
}

static const struct {
	const char *name;
	int af;
} family_names[] = {
	{ "any", AF_UNSPEC }, { "inet", AF_INET }, { "inet6", AF_INET6 },
};

static hs_err
set_family(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	for (size_t i = 0; i < sizeof(family_names) / sizeof(family_names[0]); i++) {
		if (strcasecmp(av[0], family_names[i].name) == 0) {
			c->address_family = family_names[i].af;
			return HS_OK;
		}
	}
	return bad_value(w, kw->name, av[0]);
}

const char *
hs_cfg_family_name(int af)
{
	for (size_t i = 0; i < sizeof(family_names) / sizeof(family_names[0]); i++)
		if (family_names[i].af == af)
			return family_names[i].name;
	return "any";
}

static hs_err
set_hostkey(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	return hs_cfg_add_hostkey(c, av[0]);
}

hs_err
hs_cfg_add_hostkey(struct hs_server_config *c, const char *path)
{
	if (c->n_hostkeys >= HS_CFG_MAX_HOSTKEYS) {
		hs_error("too many host keys (at most %d)", HS_CFG_MAX_HOSTKEYS);
		return HS_ERR_CONFIG;
	}
	c->hostkeys[c->n_hostkeys] = hs_strdup(path);
	HS_ENSURE(c->hostkeys[c->n_hostkeys] != NULL, HS_ERR_ALLOC);
	c->n_hostkeys++;
	return HS_OK;
}

/* AuthorizedKeysFile: one or more paths with %h %u %% tokens, or "none". */
static hs_err
set_akfile(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, HS_CFG_MAX_AKFILES));
	c->ak_files_set = true;
	if (ac == 1 && strcasecmp(av[0], "none") == 0)
		return HS_OK;
	for (int i = 0; i < ac; i++) {
		c->ak_files[c->n_ak_files] = hs_strdup(av[i]);
		HS_ENSURE(c->ak_files[c->n_ak_files] != NULL, HS_ERR_ALLOC);
		c->n_ak_files++;
	}
	return HS_OK;
}

const struct hs_cfg_enum hs_cfg_permit_root_names[] = {
	{ "yes", HS_ROOT_YES }, { "prohibit-password", HS_ROOT_PROHIBIT_PASSWORD },
	{ "without-password", HS_ROOT_PROHIBIT_PASSWORD },
	{ "forced-commands-only", HS_ROOT_FORCED_ONLY }, { "no", HS_ROOT_NO }, { NULL, 0 },
};

static hs_err
set_enum(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	const struct hs_cfg_enum *e = kw->names;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	for (; e->name != NULL; e++) {
		if (strcasecmp(av[0], e->name) == 0) {
			*CFG_FIELD(c, kw, int) = e->value;
			return HS_OK;
		}
	}
	return bad_value(w, kw->name, av[0]);
}

static hs_err
set_loglevel(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	enum hs_log_level l;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (hs_log_level_from_name(av[0], &l) != HS_OK)
		return bad_value(w, kw->name, av[0]);
	c->log_level = (int)l;
	return HS_OK;
}

static hs_err
set_facility(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (hs_log_facility_from_name(av[0], &c->syslog_facility) != HS_OK)
		return bad_value(w, kw->name, av[0]);
	return HS_OK;
}

/* MaxStartups start[:rate:full] (sshd_config(5)). */
static hs_err
set_maxstartups(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	int b, r, f, n;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (sscanf(av[0], "%d:%d:%d%n", &b, &r, &f, &n) == 3 && av[0][n] == '\0') {
		if (b <= 0 || b > f || r <= 0 || r > 100)
			return bad_value(w, kw->name, av[0]);
	} else if (sscanf(av[0], "%d%n", &b, &n) == 1 && av[0][n] == '\0' && b > 0) {
		r = 100;
		f = b;
	} else {
		return bad_value(w, kw->name, av[0]);
	}
	c->maxstartups_begin = b;
	c->maxstartups_rate = r;
	c->maxstartups_full = f;
	return HS_OK;
}

/* PerSourcePenalties yes|no|name:value... (repeatable: each sub-option keeps its first value). */
static hs_err
set_penalties(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	const char *bad;

	HS_GUARD(need_args(w, kw->name, ac, 1, -1));
	if (hs_cfg_parse_penalties(&c->penalties, av, ac, &bad) != HS_OK) {
		if (ac > 1 && (strcasecmp(bad, "yes") == 0 || strcasecmp(bad, "no") == 0)) {
			hs_error("%s line %u: %s \"%s\" must appear alone.", w->file, w->line,
			    kw->name, bad);
			return HS_ERR_CONFIG;
		}
		return bad_value(w, kw->name, bad);
	}
	return HS_OK;
}

/* PerSourcePenaltyExemptList addr[/len],... (sshd_config(5)); "none" exempts nothing. */
static hs_err
set_exempt(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	const char *bad = NULL;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (strcasecmp(av[0], "none") == 0)
		return HS_OK;
	if (hs_cfg_parse_cidr_list(av[0], &c->exempt, &c->n_exempt, &bad) != HS_OK) {
		bad = bad ? bad : av[0];
		hs_error("%s line %u: invalid address block for %s: \"%.*s\"", w->file, w->line,
		    kw->name, (int)strcspn(bad, ","), bad);
		return HS_ERR_CONFIG;
	}
	c->penalty_exempt = hs_strdup(av[0]);
	HS_ENSURE(c->penalty_exempt != NULL, HS_ERR_ALLOC);
	return HS_OK;
}

/* PerSourceNetBlockSize v4[:v6]: prefix lengths that group sources (0..32, 0..128). */
static hs_err
set_netblock(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (hs_cfg_parse_netblock(av[0], &c->netblock4, &c->netblock6) != HS_OK)
		return bad_value(w, kw->name, av[0]);
	return HS_OK;
}

/* PerSourceMaxStartups N|none. 0 would refuse every connection, so it is refused here. */
static hs_err
set_per_source_max(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	char *end;
	long v;

	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (strcmp(av[0], "none") == 0) {
		c->per_source_max_startups = 0;
		return HS_OK;
	}
	v = strtol(av[0], &end, 10);
	if (!isdigit((unsigned char)av[0][0]) || *end != '\0' || v < 1 || v > INT_MAX)
		return bad_value(w, kw->name, av[0]);
	c->per_source_max_startups = (int)v;
	return HS_OK;
}

/* KexProvider soft|pkcs11:...|tpm2:... (issue 5): where the KEX ephemeral and secret are made. */
static hs_err
set_kex_provider(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, 1));
	if (hs_cfg_parse_kex_provider(av[0]) != HS_OK) {
		hs_error("%s line %u: %s must be soft, pkcs11:... or tpm2:..., not \"%s\"", w->file,
		    w->line, kw->name, av[0]);
		return HS_ERR_CONFIG;
	}
	return set_string(c, kw, av, ac, w);
}

/* AcceptEnv pattern ... (repeatable; patterns accumulate). */
static hs_err
set_acceptenv(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	for (int i = 0; i < ac; i++) {
		if (strchr(av[i], '=') != NULL)
			return bad_value(w, kw->name, av[i]);
		if (c->n_accept_env >= HS_CFG_MAX_ENV) {
			hs_error("%s line %u: too many AcceptEnv patterns.", w->file, w->line);
			return HS_ERR_CONFIG;
		}
		c->accept_env[c->n_accept_env] = hs_strdup(av[i]);
		HS_ENSURE(c->accept_env[c->n_accept_env] != NULL, HS_ERR_ALLOC);
		c->n_accept_env++;
	}
	return HS_OK;
}

/* RekeyLimit size|default [time|default|none] (sshd_config(5)). */
static hs_err
set_rekey(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	int64_t bytes = 0;
	int secs = 0;

	HS_GUARD(need_args(w, kw->name, ac, 1, 2));
	if (strcasecmp(av[0], "default") != 0 && strcasecmp(av[0], "none") != 0) {
		if (hs_cfg_parse_size(av[0], &bytes) != HS_OK || bytes < 16)
			return bad_value(w, kw->name, av[0]);
	}
	if (ac == 2 && strcasecmp(av[1], "default") != 0 && strcasecmp(av[1], "none") != 0) {
		if (hs_cfg_parse_time(av[1], &secs) != HS_OK)
			return bad_value(w, kw->name, av[1]);
	}
	c->rekey_bytes = bytes;
	c->rekey_seconds = secs;
	return HS_OK;
}

/* Subsystem name command... (stored for the session layer; first definition of a name wins). */
static hs_err
set_subsystem(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	struct hs_subsystem *s;

	HS_GUARD(need_args(w, kw->name, ac, 2, -1));
	for (size_t i = 0; i < c->n_subsys; i++) {
		if (strcmp(c->subsys[i].name, av[0]) == 0) {
			hs_error("%s line %u: Subsystem '%s' already defined.", w->file, w->line,
			    av[0]);
			return HS_ERR_CONFIG;
		}
	}
	if (c->n_subsys >= HS_CFG_MAX_SUBSYS)
		return bad_value(w, kw->name, av[0]);
	s = &c->subsys[c->n_subsys];
	s->name = hs_strdup(av[0]);
	s->command = join_args(av + 1, ac - 1);
	c->n_subsys++;
	HS_ENSURE(s->name != NULL && s->command != NULL, HS_ERR_ALLOC);
	return HS_OK;
}

/* Include pattern ...: each glob, in order; relative names are relative to the including file's
 * directory. Patterns that match nothing are not an error (as sshd). */
static hs_err
include_one(struct hs_server_config *c, const char *pat, const struct cfg_where *w)
{
	char path[PATH_MAX];
	glob_t g;
	hs_err r = HS_OK;

	if (pat[0] == '/') {
		snprintf(path, sizeof(path), "%s", pat);
	} else {
		const char *slash = strrchr(w->file, '/');
		int dl = slash ? (int)(slash - w->file) : 0;

		snprintf(path, sizeof(path), "%.*s%s%s", dl, w->file, dl ? "/" : "", pat);
	}
	if (glob(path, 0, NULL, &g) != 0)
		return HS_OK;
	for (size_t i = 0; i < g.gl_pathc && r == HS_OK; i++) {
		r = hs_server_config_load(c, g.gl_pathv[i]);
		if (r == HS_ERR_NOT_FOUND)
			r = HS_OK;
	}
	globfree(&g);
	return r;
}

static hs_err
set_include(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w)
{
	HS_GUARD(need_args(w, kw->name, ac, 1, -1));
	if (c->include_depth >= 16) {
		hs_error("%s line %u: Include nested too deeply.", w->file, w->line);
		return HS_ERR_CONFIG;
	}
	c->include_depth++;
	for (int i = 0; i < ac; i++) {
		hs_err r = include_one(c, av[i], w);

		if (r != HS_OK) {
			c->include_depth--;
			return r;
		}
	}
	c->include_depth--;
	return HS_OK;
}

#define F(field)	offsetof(struct hs_server_config, field)
#define MULTI		CFG_MULTI

/* The keywords. Names appear only here. */
const struct cfg_kw hs_cfg_keywords[] = {
	{ "Port", set_port, 0, 0, MULTI, NULL },
	{ "ListenAddress", set_listen, 0, 0, MULTI, NULL },
	{ "AddressFamily", set_family, 0, 0, 0, NULL },
	{ "HostKey", set_hostkey, 0, 0, MULTI, NULL },
	{ "AuthorizedKeysFile", set_akfile, 0, 0, 0, NULL },
	{ "PermitRootLogin", set_enum, F(permit_root_login), 0, 0, hs_cfg_permit_root_names },
	{ "PubkeyAuthentication", set_flag, F(pubkey_auth), 0, 0, NULL },
	{ "PasswordAuthentication", set_flag, F(password_auth), 0, 0, NULL },
	{ "PermitEmptyPasswords", set_flag, F(permit_empty_passwords), 0, 0, NULL },
	{ "StrictModes", set_flag, F(strict_modes), 0, 0, NULL },
	/* hardssh: "no" leaves the seccomp filter off (valgrind runs); privileges are still dropped. */
	{ "Sandbox", set_flag, F(sandbox), 0, 0, NULL },
	/* hardssh (issue 6): only the approved algorithms (also on with the kernel's fips_enabled). */
	{ "FIPSMode", set_flag, F(fips_mode), 0, 0, NULL },
	{ "KexAlgorithms", set_algs, F(kex_algs), HS_ALGS_KEX, 0, NULL },
	/* hardssh (issue 5): KEX ephemerals and shared secrets in a PKCS#11 token or a TPM. */
	{ "KexProvider", set_kex_provider, F(kex_provider), 0, 0, NULL },
	{ "KexProviderFallback", set_flag, F(kex_provider_fallback), 0, 0, NULL },
	{ "Ciphers", set_algs, F(ciphers), HS_ALGS_CIPHER, 0, NULL },
	{ "MACs", set_algs, F(macs), HS_ALGS_MAC, 0, NULL },
	{ "HostKeyAlgorithms", set_algs, F(hostkey_algs), HS_ALGS_HOSTKEY, 0, NULL },
	{ "PubkeyAcceptedAlgorithms", set_algs, F(pubkey_algs), HS_ALGS_HOSTKEY, 0, NULL },
	{ "PubkeyAcceptedKeyTypes", set_algs, F(pubkey_algs), HS_ALGS_HOSTKEY, 0, NULL },
	{ "LogLevel", set_loglevel, 0, 0, 0, NULL },
	{ "SyslogFacility", set_facility, 0, 0, 0, NULL },
	{ "LoginGraceTime", set_time, F(login_grace_time), 0, 0, NULL },
	{ "MaxAuthTries", set_int, F(max_auth_tries), 0, 0, NULL },
	{ "MaxSessions", set_int, F(max_sessions), 0, 0, NULL },
	{ "MaxStartups", set_maxstartups, 0, 0, 0, NULL },
	{ "ClientAliveInterval", set_time, F(client_alive_interval), 0, 0, NULL },
	{ "ClientAliveCountMax", set_int, F(client_alive_count_max), 0, 0, NULL },
	{ "AcceptEnv", set_acceptenv, 0, 0, MULTI, NULL },
	{ "PidFile", set_string, F(pid_file), 0, 0, NULL },
	{ "TPM2TCTI", set_string, F(tpm2_tcti), 0, 0, NULL },
	{ "RekeyLimit", set_rekey, 0, 0, 0, NULL },
	{ "Include", set_include, 0, 0, MULTI, NULL },
	{ "Subsystem", set_subsystem, 0, 0, MULTI, NULL },
	{ "Banner", set_string, F(banner), 0, 0, NULL },
	{ "ForceCommand", set_rest, F(force_command), 0, 0, NULL },
	{ "ModuliFile", set_string, F(moduli_file), 0, 0, NULL },
	{ "ChrootDirectory", set_restriction, 0, 0, MULTI, NULL },
	{ "KbdInteractiveAuthentication", set_flag, F(kbd_interactive_auth), 0, 0, NULL },
	{ "ChallengeResponseAuthentication", set_flag, F(kbd_interactive_auth), 0, 0, NULL },
	{ "UsePAM", set_flag, F(use_pam), 0, 0, NULL },
	{ "X11Forwarding", set_flag, F(x11_forwarding), 0, 0, NULL },
	{ "PrintMotd", set_flag, F(print_motd), 0, 0, NULL },
	{ "UseDNS", set_flag, F(use_dns), 0, 0, NULL },
	{ "TCPKeepAlive", set_flag, F(tcp_keepalive), 0, 0, NULL },
	{ "Match", set_unsupported, 0, 0, MULTI, NULL },
	{ "PerSourcePenalties", set_penalties, 0, 0, MULTI, NULL },
	{ "PerSourcePenaltyExemptList", set_exempt, 0, 0, 0, NULL },
	{ "PerSourceNetBlockSize", set_netblock, 0, 0, 0, NULL },
	{ "PerSourceMaxStartups", set_per_source_max, 0, 0, 0, NULL },
	/* Known, not implemented: accepted so stock configs load; logged at debug level. */
	{ "SetEnv", set_ignored, 0, 0, MULTI, NULL },
	{ "Compression", set_ignored, 0, 0, MULTI, NULL },
	{ "PrintLastLog", set_ignored, 0, 0, MULTI, NULL },
	{ "PermitUserEnvironment", set_ignored, 0, 0, MULTI, NULL },
	{ "AllowTcpForwarding", set_ignored, 0, 0, MULTI, NULL },
	{ "AllowAgentForwarding", set_ignored, 0, 0, MULTI, NULL },
	{ "AllowStreamLocalForwarding", set_ignored, 0, 0, MULTI, NULL },
	{ "DisableForwarding", set_ignored, 0, 0, MULTI, NULL },
	{ "GatewayPorts", set_ignored, 0, 0, MULTI, NULL },
	{ "PermitTTY", set_restriction, 0, 0, MULTI, NULL },
	{ "PermitTunnel", set_ignored, 0, 0, MULTI, NULL },
	{ "PermitOpen", set_ignored, 0, 0, MULTI, NULL },
	{ "PermitListen", set_ignored, 0, 0, MULTI, NULL },
	{ "PermitUserRC", set_ignored, 0, 0, MULTI, NULL },
	{ "X11DisplayOffset", set_ignored, 0, 0, MULTI, NULL },
	{ "X11UseLocalhost", set_ignored, 0, 0, MULTI, NULL },
	{ "XAuthLocation", set_ignored, 0, 0, MULTI, NULL },
	{ "HostbasedAuthentication", set_ignored, 0, 0, MULTI, NULL },
	{ "IgnoreRhosts", set_ignored, 0, 0, MULTI, NULL },
	{ "IgnoreUserKnownHosts", set_ignored, 0, 0, MULTI, NULL },
	{ "KerberosAuthentication", set_ignored, 0, 0, MULTI, NULL },
	{ "GSSAPIAuthentication", set_ignored, 0, 0, MULTI, NULL },
	{ "GSSAPICleanupCredentials", set_ignored, 0, 0, MULTI, NULL },
	{ "UsePrivilegeSeparation", set_ignored, 0, 0, MULTI, NULL },
	{ "AllowUsers", set_restriction, 0, 0, MULTI, NULL },
	{ "DenyUsers", set_restriction, 0, 0, MULTI, NULL },
	{ "AllowGroups", set_restriction, 0, 0, MULTI, NULL },
	{ "DenyGroups", set_restriction, 0, 0, MULTI, NULL },
	{ "AuthenticationMethods", set_restriction, 0, 0, MULTI, NULL },
	{ "AuthorizedPrincipalsFile", set_ignored, 0, 0, MULTI, NULL },
	{ "AuthorizedKeysCommand", set_ignored, 0, 0, MULTI, NULL },
	{ "AuthorizedKeysCommandUser", set_ignored, 0, 0, MULTI, NULL },
	{ "TrustedUserCAKeys", set_ignored, 0, 0, MULTI, NULL },
	{ "RevokedKeys", set_restriction, 0, 0, MULTI, NULL },
	{ "HostCertificate", set_ignored, 0, 0, MULTI, NULL },
	{ "HostKeyAgent", set_ignored, 0, 0, MULTI, NULL },
	{ "CASignatureAlgorithms", set_ignored, 0, 0, MULTI, NULL },
	{ "HostbasedAcceptedAlgorithms", set_ignored, 0, 0, MULTI, NULL },
	{ "PubkeyAuthOptions", set_ignored, 0, 0, MULTI, NULL },
	{ "SecurityKeyProvider", set_ignored, 0, 0, MULTI, NULL },
	{ "VersionAddendum", set_ignored, 0, 0, MULTI, NULL },
	{ "DebianBanner", set_ignored, 0, 0, MULTI, NULL },
	{ "StreamLocalBindMask", set_ignored, 0, 0, MULTI, NULL },
	{ "StreamLocalBindUnlink", set_ignored, 0, 0, MULTI, NULL },
	{ "ChannelTimeout", set_ignored, 0, 0, MULTI, NULL },
	{ "UnusedConnectionTimeout", set_ignored, 0, 0, MULTI, NULL },
	{ "IPQoS", set_ignored, 0, 0, MULTI, NULL },
	{ "RDomain", set_ignored, 0, 0, MULTI, NULL },
	{ "ExposeAuthInfo", set_ignored, 0, 0, MULTI, NULL },
	{ "FingerprintHash", set_ignored, 0, 0, MULTI, NULL },
	{ "LogVerbose", set_ignored, 0, 0, MULTI, NULL },
	{ "KerberosOrLocalPasswd", set_ignored, 0, 0, MULTI, NULL },
	{ "KerberosTicketCleanup", set_ignored, 0, 0, MULTI, NULL },
	{ "GSSAPIStrictAcceptorCheck", set_ignored, 0, 0, MULTI, NULL },
	{ "ClientAliveCheck", set_ignored, 0, 0, MULTI, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

_Static_assert(sizeof(hs_cfg_keywords) / sizeof(hs_cfg_keywords[0]) <=
    sizeof(((struct hs_server_config *)0)->seen) * 8, "seen bitmap too small");

static const struct cfg_kw *
find_keyword(const char *name, size_t *idx)
{
	for (size_t i = 0; hs_cfg_keywords[i].name != NULL; i++) {
		if (strcasecmp(hs_cfg_keywords[i].name, name) == 0) {
			*idx = i;
			return &hs_cfg_keywords[i];
		}
	}
	return NULL;
}

hs_err
hs_server_config_line(struct hs_server_config *c, const char *line, const char *file,
    unsigned lineno)
{
	struct cfg_where w = { file, lineno };
	char *buf = NULL, **av = NULL;
	const struct cfg_kw *kw;
	size_t len = strlen(line) + 1, idx;
	int ac = 0;
	hs_err r;

	HS_ENSURE(len <= CFG_MAX_LINE, HS_ERR_CONFIG);
	buf = malloc(len);
	av = calloc(CFG_MAX_ARGS, sizeof(*av));
	HS_ENSURE_GOTO(buf != NULL && av != NULL, HS_ERR_ALLOC, r, out);
	if (hs_cfg_split(line, buf, len, av, CFG_MAX_ARGS, &ac) != HS_OK) {
		hs_error("%s line %u: invalid quotes or too many arguments.", file, lineno);
		HS_ENSURE_GOTO(false, HS_ERR_CONFIG, r, out);
	}
	HS_ENSURE_GOTO(ac > 0, HS_OK, r, out);
	kw = find_keyword(av[0], &idx);
	if (kw == NULL) {
		hs_error("%s line %u: Bad configuration option: %s", file, lineno, av[0]);
		HS_ENSURE_GOTO(false, HS_ERR_CONFIG, r, out);
	}
	if (!(kw->flags & CFG_MULTI)) {
		/* sshd: the first value obtained for a single-valued keyword is used. */
		bool seen = (c->seen[idx / 8] >> (idx % 8)) & 1;

		if (seen) {
			hs_debug3("%s line %u: %s already set; ignored", file, lineno, kw->name);
			r = HS_OK;
			goto out;
		}
	}
	HS_GUARD_GOTO(kw->set(c, kw, av + 1, ac - 1, &w), r, out);
	c->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
	r = HS_OK;
out:
	free(av);
	free(buf);
	return r;
}

hs_err
hs_server_config_parse_text(struct hs_server_config *c, const char *text, size_t len,
    const char *name)
{
	char line[CFG_MAX_LINE];
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		size_t n = 0;

		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (n + 1 >= sizeof(line) || text[pos] == '\0') {
				hs_error("%s line %u: line too long or contains NUL.", name, lineno);
				return HS_ERR_CONFIG;
			}
			line[n++] = text[pos++];
		}
		pos++;		/* the newline */
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		HS_GUARD(hs_server_config_line(c, line, name, lineno));
	}
	return HS_OK;
}

hs_err
hs_server_config_load(struct hs_server_config *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, len = 0;
	hs_err r;

	if (f == NULL)
		return errno == ENOENT ? HS_ERR_NOT_FOUND : HS_ERR_IO;
	for (;;) {
		size_t got;

		if (len + 4096 > cap) {
			char *nt = cap >= 4u * 1024 * 1024 ? NULL : realloc(text, cap + 65536);

			HS_ENSURE_GOTO(nt != NULL, HS_ERR_TOO_LARGE, r, out);
			text = nt;
			cap += 65536;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	HS_ENSURE_GOTO(!ferror(f), HS_ERR_IO, r, out);
	r = hs_server_config_parse_text(c, text, len, path);
out:
	free(text);
	fclose(f);
	return r;
}
