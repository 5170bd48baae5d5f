/* client_config_match.c: patterns (ssh_config(5) PATTERNS), Host and Match blocks, time values. */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client_impl.h"
#include "hs_client_config.h"
#include "hs_match.h"

int
hs_match_list(const char *s, const char *list, char sep)
{
	int found = 0;
	const char *p = list;

	while (*p != '\0') {
		const char *e = strchr(p, sep);
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool neg = n > 0 && p[0] == '!';

		if (neg && hs_match_glob(s, p + 1, n - 1, true))
			return -1;
		if (!neg && n > 0 && hs_match_glob(s, p, n, true))
			found = 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return found;
}

hs_err
hs_client_config_host(struct hs_client_config *c, struct hs_cfg_parser *p, char **argv, size_t argc)
{
	bool match = false;

	(void)c;
	if (argc == 0) {
		fprintf(stderr, "%s: line %u: Missing argument.\n", p->file, p->line);
		return HS_ERR_CONFIG;
	}
	/* ssh_config(5) Host: whitespace-separated patterns; a matching negated pattern makes the
	 * whole line fail to match. */
	for (size_t i = 0; i < argc; i++) {
		bool neg = argv[i][0] == '!';
		const char *pat = argv[i] + (neg ? 1 : 0);

		if (hs_match_glob(p->host, pat, strlen(pat), true)) {
			if (neg) {
				match = false;
				break;
			}
			match = true;
		}
	}
	p->active = match;
	return HS_OK;
}

static const char *
local_user(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : "";
}

/* Criteria of ssh_config(5) Match that we evaluate; each takes one pattern-list argument. */
enum match_crit { MC_HOST = 1, MC_ORIGHOST, MC_USER, MC_LOCALUSER };

static const struct cf_choice match_criteria[] = {
	{ "host", MC_HOST }, { "originalhost", MC_ORIGHOST }, { "user", MC_USER },
	{ "localuser", MC_LOCALUSER }, { NULL, 0 }
};

/* The string a criterion tests; *tmp receives an allocation to free (Hostname with %h expanded). */
static const char *
match_subject(const struct hs_client_config *c, const struct hs_cfg_parser *p, int crit,
    char **tmp)
{
	struct hs_client_tokens tok = { .host = p->host, .orig_host = p->host };

	*tmp = NULL;
	switch (crit) {
	case MC_HOST:
		if (c->hostname == NULL)
			return p->host;
		return hs_client_expand(c->hostname, &tok, tmp) == HS_OK ? *tmp : c->hostname;
	case MC_ORIGHOST:
		return p->host;
	case MC_USER:
		return c->user ? c->user : local_user();
	default:
		return local_user();
	}
}

hs_err
hs_client_config_match(struct hs_client_config *c, struct hs_cfg_parser *p, char **argv, size_t argc)
{
	bool all_true = true;
	int crit;
	size_t i;

	if (argc == 0) {
		fprintf(stderr, "%s: line %u: Missing Match criteria\n", p->file, p->line);
		return HS_ERR_CONFIG;
	}
	if (strcasecmp(argv[0], "all") == 0) {
		if (argc != 1) {
			fprintf(stderr, "%s: line %u: '%s' cannot be combined with other Match "
			    "attributes\n", p->file, p->line, argv[0]);
			return HS_ERR_CONFIG;
		}
		p->active = true;
		return HS_OK;
	}
	for (i = 0; i < argc; i += 2) {
		bool neg = argv[i][0] == '!';

		if (hs_cfg_choice(match_criteria, argv[i] + (neg ? 1 : 0), &crit) != HS_OK) {
			fprintf(stderr, "%s: line %u: Unsupported Match attribute %s\n", p->file,
			    p->line, argv[i]);
			return HS_ERR_CONFIG;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: line %u: Missing Match criteria for %s\n", p->file,
			    p->line, argv[i]);
			return HS_ERR_CONFIG;
		}
		char *tmp;
		bool hit = hs_match_list(match_subject(c, p, crit, &tmp), argv[i + 1], ',') == 1;

		free(tmp);
		if (hit == neg)
			all_true = false;
	}
	p->active = all_true;
	return HS_OK;
}

/* sshd_config(5) TIME FORMATS: a sequence of number[qualifier], qualifiers s m h d w. */
hs_err
hs_client_parse_time(const char *s, int *out)
{
	static const struct cf_choice units[] = {
		{ "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 }, { "w", 604800 }, { NULL, 0 }
	};
	long long total = 0;

	HS_ENSURE(*s != '\0', HS_ERR_CONFIG);
	while (*s != '\0') {
		char *end, unit[2] = { 0, 0 };
		long long v;
		int mult = 1;

		HS_ENSURE(isdigit((unsigned char)*s), HS_ERR_CONFIG);
		errno = 0;
		v = strtoll(s, &end, 10);
		HS_ENSURE(errno == 0 && v <= 0x7fffffff, HS_ERR_CONFIG);
		if (*end != '\0') {
			unit[0] = *end++;
			HS_GUARD(hs_cfg_choice(units, unit, &mult));
		}
		total += v * mult;
		HS_ENSURE(total <= 0x7fffffff, HS_ERR_CONFIG);
		s = end;
	}
	*out = (int)total;
	return HS_OK;
}
