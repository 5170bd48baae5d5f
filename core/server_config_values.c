/* server_config_values.c: the value syntaxes of sshd_config(5): word splitting, time intervals
 * ("TIME FORMATS" in sshd_config(5)), byte sizes with K/M/G suffixes (RekeyLimit), address blocks
 * (PerSourcePenaltyExemptList) and the PerSourcePenalties name:value list. */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "hs_server_config.h"

/* Seconds per time unit; the unit letters are case-insensitive (sshd_config(5) TIME FORMATS). */
static const struct {
	char unit;
	int secs;
} time_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
};

static int
time_unit_secs(char c)
{
	c = (char)tolower((unsigned char)c);
	for (size_t i = 0; i < sizeof(time_units) / sizeof(time_units[0]); i++)
		if (time_units[i].unit == c)
			return time_units[i].secs;
	return -1;
}

hs_err
hs_cfg_parse_time(const char *s, int *secs)
{
	int64_t total = 0;
	const char *p = s;

	HS_ENSURE(s != NULL && *s != '\0', HS_ERR_CONFIG);
	while (*p != '\0') {
		char *end;
		long long v;
		int mult = 1;

		HS_ENSURE(isdigit((unsigned char)*p), HS_ERR_CONFIG);
		v = strtoll(p, &end, 10);
		HS_ENSURE(v >= 0 && v <= INT32_MAX, HS_ERR_CONFIG);
		p = end;
		if (*p != '\0') {
			mult = time_unit_secs(*p);
			HS_ENSURE(mult > 0, HS_ERR_CONFIG);
			p++;
		}
		total += (int64_t)v * mult;
		HS_ENSURE(total <= INT32_MAX, HS_ERR_CONFIG);
	}
	*secs = (int)total;
	return HS_OK;
}

hs_err
hs_cfg_parse_size(const char *s, int64_t *bytes)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	HS_ENSURE(s != NULL && isdigit((unsigned char)*s), HS_ERR_CONFIG);
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		const char *units = "kmg";
		const char *u = strchr(units, tolower((unsigned char)*end));

		HS_ENSURE(u != NULL && end[1] == '\0', HS_ERR_CONFIG);
		shift = 10 * (int)(u - units + 1);
	}
	HS_ENSURE(v <= ((unsigned long long)INT64_MAX >> shift), HS_ERR_CONFIG);
	*bytes = (int64_t)(v << shift);
	return HS_OK;
}

/* Copy one word starting at *pp into *dp, removing double or single quotes (as sshd's argv_split). */
static hs_err
split_word(const char **pp, char **dp)
{
	const char *p = *pp;
	char *d = *dp;
	char quote = 0;

	while (*p != '\0' && (quote != 0 || !isspace((unsigned char)*p))) {
		if (quote == 0 && (*p == '"' || *p == '\'')) {
			quote = *p++;
			continue;
		}
		if (quote != 0 && *p == quote) {
			quote = 0;
			p++;
			continue;
		}
		if (*p == '\\' && quote != 0 && (p[1] == quote || p[1] == '\\'))
			p++;
		*d++ = *p++;
	}
	HS_ENSURE(quote == 0, HS_ERR_CONFIG);	/* unterminated quote */
	*d++ = '\0';
	*pp = p;
	*dp = d;
	return HS_OK;
}

hs_err
hs_cfg_split(const char *line, char *buf, size_t bufsz, char **argv, int max, int *argc)
{
	const char *p = line;
	char *d = buf;
	int n = 0;

	HS_ENSURE(strlen(line) < bufsz, HS_ERR_TOO_LARGE);
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#') {
		*argc = 0;
		return HS_OK;
	}
	/* The keyword: ends at whitespace or '=' ("Keyword=value"). */
	argv[n++] = d;
	while (*p != '\0' && *p != '=' && !isspace((unsigned char)*p))
		*d++ = *p++;
	*d++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '=')
		p++;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			break;
		HS_ENSURE(n < max, HS_ERR_TOO_LARGE);
		argv[n++] = d;
		HS_GUARD(split_word(&p, &d));
	}
	*argc = n;
	return HS_OK;
}

/* ---- address blocks ---- */

/* Decimal digits in [s, end) with a value of at most max. */
static hs_err
parse_small_uint(const char *s, const char *end, unsigned max, unsigned *out)
{
	unsigned v = 0;

	HS_ENSURE(end > s && end - s <= 3, HS_ERR_CONFIG);
	for (; s < end; s++) {
		HS_ENSURE(isdigit((unsigned char)*s), HS_ERR_CONFIG);
		v = v * 10 + (unsigned)(*s - '0');
	}
	HS_ENSURE(v <= max, HS_ERR_CONFIG);
	*out = v;
	return HS_OK;
}

hs_err
hs_cfg_parse_cidr(const char *s, struct hs_cfg_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	struct hs_cfg_cidr c;
	unsigned alen;

	HS_ENSURE(s != NULL && strlen(s) < sizeof(buf), HS_ERR_CONFIG);
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	memset(&c, 0, sizeof(c));
	if (inet_pton(AF_INET, buf, c.addr) == 1)
		c.af = AF_INET;
	else if (inet_pton(AF_INET6, buf, c.addr) == 1)
		c.af = AF_INET6;
	else
		return HS_ERR_CONFIG;	/* also wildcards and negations: not supported */
	alen = c.af == AF_INET ? 4 : 16;
	c.bits = alen * 8;
	if (slash != NULL)
		HS_GUARD(parse_small_uint(slash, slash + strlen(slash), alen * 8, &c.bits));
	/* sshd_config(5): a block with bits set beyond its prefix is an error (192.0.2.0/8). */
	for (unsigned i = 0; i < alen; i++) {
		unsigned keep = c.bits >= 8 * (i + 1) ? 8 : c.bits > 8 * i ? c.bits - 8 * i : 0;
		uint8_t hostmask = (uint8_t)(0xffu >> keep);

		HS_ENSURE((c.addr[i] & hostmask) == 0, HS_ERR_CONFIG);
	}
	*out = c;
	return HS_OK;
}

hs_err
hs_cfg_parse_cidr_list(const char *s, struct hs_cfg_cidr **out, size_t *n, const char **bad)
{
	struct hs_cfg_cidr *v = NULL;
	size_t count = 1, i = 0;
	const char *p = s;
	hs_err r;

	for (const char *q = s; *q != '\0'; q++)
		count += *q == ',';
	v = calloc(count, sizeof(*v));
	HS_ENSURE(v != NULL, HS_ERR_ALLOC);
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char word[INET6_ADDRSTRLEN + 8];

		if (bad != NULL)
			*bad = p;
		HS_ENSURE_GOTO(len > 0 && len < sizeof(word), HS_ERR_CONFIG, r, out);
		memcpy(word, p, len);
		word[len] = '\0';
		HS_GUARD_GOTO(hs_cfg_parse_cidr(word, &v[i]), r, out);
		i++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = v;
	*n = i;
	v = NULL;
	r = HS_OK;
out:
	free(v);
	return r;
}

hs_err
hs_cfg_parse_netblock(const char *s, int *v4, int *v6)
{
	const char *colon = strchr(s, ':');
	unsigned a, b = 0;

	HS_GUARD(parse_small_uint(s, colon ? colon : s + strlen(s), 32, &a));
	if (colon != NULL)
		HS_GUARD(parse_small_uint(colon + 1, colon + 1 + strlen(colon + 1), 128, &b));
	*v4 = (int)a;
	if (colon != NULL)
		*v6 = (int)b;
	return HS_OK;
}

/* ---- PerSourcePenalties ---- */

static hs_err
penalty_count(const char *v, int *out)
{
	char *end;
	long n;

	HS_ENSURE(isdigit((unsigned char)*v), HS_ERR_CONFIG);
	n = strtol(v, &end, 10);
	HS_ENSURE(*end == '\0' && n >= 0 && n <= INT_MAX, HS_ERR_CONFIG);
	*out = (int)n;
	return HS_OK;
}

static const struct {
	const char *name;
	int mode;
} overflow_modes[] = {
	{ "deny-all", HS_OVERFLOW_DENY_ALL }, { "permissive", HS_OVERFLOW_PERMISSIVE },
};

static hs_err
penalty_overflow(const char *v, int *out)
{
	for (size_t i = 0; i < sizeof(overflow_modes) / sizeof(overflow_modes[0]); i++) {
		if (strcmp(v, overflow_modes[i].name) == 0) {
			*out = overflow_modes[i].mode;
			return HS_OK;
		}
	}
	return HS_ERR_CONFIG;
}

/* The name:value words of PerSourcePenalties (OpenSSH 9.8 sshd_config(5)); names and overflow
 * modes are case-sensitive, as in sshd. */
static const struct {
	const char *prefix;
	size_t off;
	hs_err (*parse)(const char *v, int *out);
} penalty_opts[] = {
	{ "crash:", offsetof(struct hs_cfg_penalties, crash), hs_cfg_parse_time },
	{ "authfail:", offsetof(struct hs_cfg_penalties, authfail), hs_cfg_parse_time },
	{ "noauth:", offsetof(struct hs_cfg_penalties, noauth), hs_cfg_parse_time },
	{ "grace-exceeded:", offsetof(struct hs_cfg_penalties, grace), hs_cfg_parse_time },
	{ "max:", offsetof(struct hs_cfg_penalties, max), hs_cfg_parse_time },
	{ "min:", offsetof(struct hs_cfg_penalties, min), hs_cfg_parse_time },
	{ "max-sources4:", offsetof(struct hs_cfg_penalties, max_sources4), penalty_count },
	{ "max-sources6:", offsetof(struct hs_cfg_penalties, max_sources6), penalty_count },
	{ "overflow:", offsetof(struct hs_cfg_penalties, overflow4), penalty_overflow },
	{ "overflow6:", offsetof(struct hs_cfg_penalties, overflow6), penalty_overflow },
};

static hs_err
penalty_word(struct hs_cfg_penalties *p, const char *w)
{
	for (size_t i = 0; i < sizeof(penalty_opts) / sizeof(penalty_opts[0]); i++) {
		size_t plen = strlen(penalty_opts[i].prefix);
		int *field = (int *)(void *)((char *)p + penalty_opts[i].off);
		int v;

		if (strncmp(w, penalty_opts[i].prefix, plen) != 0)
			continue;
		HS_GUARD(penalty_opts[i].parse(w + plen, &v));
		/* sshd: the first value of each sub-option wins, and giving one turns penalties on.
		 * sshd turns them on even after an earlier "no" (so "-o 'PerSourcePenalties no'"
		 * loses to a crash: in the file); here the first of "yes", "no" or a name:value
		 * decides, like every other keyword. */
		if (*field == -1)
			*field = v;
		if (p->enabled == -1)
			p->enabled = 1;
		return HS_OK;
	}
	return HS_ERR_CONFIG;
}

hs_err
hs_cfg_parse_penalties(struct hs_cfg_penalties *p, char **av, int ac, const char **bad)
{
	*bad = ac > 0 ? av[0] : "";
	HS_ENSURE(ac > 0, HS_ERR_CONFIG);
	for (int i = 0; i < ac; i++) {
		bool yes = strcasecmp(av[i], "yes") == 0;

		*bad = av[i];
		if (yes || strcasecmp(av[i], "no") == 0) {
			HS_ENSURE(ac == 1, HS_ERR_CONFIG);	/* "yes"/"no" must appear alone */
			if (p->enabled == -1)
				p->enabled = yes;
			continue;
		}
		HS_GUARD(penalty_word(p, av[i]));
	}
	return HS_OK;
}
