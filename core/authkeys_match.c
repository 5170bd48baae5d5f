/* authkeys_match.c: pattern lists (ssh_config(5) PATTERNS), from= address matching with CIDR blocks,
 * and expiry-time parsing for authorized_keys options. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "hs_authkeys.h"
#include "hs_match.h"

/* Walk a comma list: 1 = a positive pattern matched, -1 = a negated one matched, 0 = none. The
 * matcher decides for each sub-pattern (without its '!'): 1 match, 0 no match, -1 malformed. */
typedef int (*sub_match_fn)(const char *subject, const char *pat, size_t n);

static int
walk_list(const char *subject, const char *list, sub_match_fn fn)
{
	int got = 0;

	while (*list != '\0') {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);
		bool neg = n > 0 && list[0] == '!';
		int m = fn(subject, list + neg, n - neg);

		if (m < 0)
			return -1;	/* a malformed entry denies, as sshd's addr_match_list does */
		if (m > 0) {
			if (neg)
				return -1;
			got = 1;
		}
		if (comma == NULL)
			break;
		list = comma + 1;
	}
	return got;
}

static int
sub_wild(const char *subject, const char *pat, size_t n)
{
	return n > 0 && hs_match_glob(subject, pat, n, true) ? 1 : 0;
}

bool
hs_authkeys_match_list(const char *s, const char *patterns)
{
	return walk_list(s, patterns, sub_wild) == 1;
}

/* Parse "addr" or "addr/bits" (n bytes) into family, 16 address bytes and prefix length. */
static int
parse_cidr(const char *pat, size_t n, int *af, uint8_t a[16], int *bits)
{
	char tmp[64];
	char *slash;
	int maxbits;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, pat, n);
	tmp[n] = '\0';
	slash = strchr(tmp, '/');
	if (slash != NULL)
		*slash = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, tmp, a) == 1) {
		*af = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, tmp, a) == 1) {
		*af = AF_INET6;
		maxbits = 128;
	} else {
		return -1;
	}
	*bits = maxbits;
	if (slash != NULL) {
		char *end;
		long b = strtol(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end != '\0' || b < 0 || b > maxbits)
			return -1;
		*bits = (int)b;
	}
	return 0;
}

static bool
prefix_equal(const uint8_t *x, const uint8_t *y, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(x, y, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((x[full] ^ y[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int
sub_addr(const char *ip, const char *pat, size_t n)
{
	uint8_t pa[16], ia[16];
	int paf, iaf, pbits, ibits;

	if (memchr(pat, '/', n) == NULL)
		return sub_wild(ip, pat, n);	/* address or name with wildcards */
	if (parse_cidr(pat, n, &paf, pa, &pbits) != 0)
		return -1;
	if (parse_cidr(ip, strlen(ip), &iaf, ia, &ibits) != 0 || iaf != paf)
		return 0;
	return prefix_equal(pa, ia, pbits) ? 1 : 0;
}

bool
hs_authkeys_match_from(const char *patterns, const char *ip)
{
	/* An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; match the IPv4 form. */
	if (strncasecmp(ip, "::ffff:", 7) == 0 && strchr(ip, '.') != NULL)
		ip += 7;
	return walk_list(ip, patterns, sub_addr) == 1;
}

hs_err
hs_authkeys_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	size_t n = strlen(s);
	bool utc = false;
	int v[6] = { 0, 0, 0, 0, 0, 0 };
	static const int widths[6] = { 4, 2, 2, 2, 2, 2 };
	time_t r;

	if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
		utc = true;
		n--;
	}
	HS_ENSURE(n == 8 || n == 12 || n == 14, HS_ERR_FORMAT);
	for (size_t i = 0; i < n; i++)
		HS_ENSURE(isdigit((unsigned char)s[i]), HS_ERR_FORMAT);
	for (size_t i = 0, off = 0; off < n; i++) {
		for (int k = 0; k < widths[i]; k++)
			v[i] = v[i] * 10 + (s[off + (size_t)k] - '0');
		off += (size_t)widths[i];
	}
	HS_ENSURE(v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31 && v[3] <= 23 && v[4] <= 59 &&
	    v[5] <= 60 && v[0] >= 1970, HS_ERR_FORMAT);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	tm.tm_isdst = -1;
	r = utc ? timegm(&tm) : mktime(&tm);
	HS_ENSURE(r != (time_t)-1, HS_ERR_FORMAT);
	*t = r;
	return HS_OK;
}
