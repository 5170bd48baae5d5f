/* server_config_values.c: the value syntaxes of sshd_config(5): word splitting, time intervals
 * ("TIME FORMATS" in sshd_config(5)) and byte sizes with K/M/G suffixes (RekeyLimit). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
