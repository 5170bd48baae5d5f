/* hs_match.c: wildcard matching. */
#include <ctype.h>
#include <string.h>

#include "hs_match.h"

static int
fold(unsigned char ch, bool nocase)
{
	return nocase ? tolower(ch) : ch;
}

bool
hs_match_glob_n(const char *s, size_t slen, const char *pat, size_t plen, bool nocase)
{
	size_t si = 0, pi = 0, star = (size_t)-1, mark = 0;

	while (si < slen) {
		if (pi < plen && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && (pat[pi] == '?' ||
		    fold((unsigned char)pat[pi], nocase) == fold((unsigned char)s[si], nocase))) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			/* Let the last '*' absorb one more byte and retry from there. */
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

bool
hs_match_glob(const char *s, const char *pat, size_t patlen, bool nocase)
{
	return hs_match_glob_n(s, strlen(s), pat, patlen, nocase);
}
