/* hs_match.h: '*' and '?' wildcard matching, shared by every pattern OpenSSH's files use
 * (algorithm lists, ssh_config Host, known_hosts, authorized_keys from=). */
#ifndef HS_MATCH_H
#define HS_MATCH_H

#include <stdbool.h>
#include <stddef.h>

/* True iff the slen bytes at s match the plen-byte pattern pat ('*' any run, '?' one byte).
 * nocase folds ASCII case. Iterative with one backtrack point: at most slen * plen steps, whatever
 * the input, so no pattern can make it run away. */
bool hs_match_glob_n(const char *s, size_t slen, const char *pat, size_t plen, bool nocase);

/* The same for a NUL-terminated subject. */
bool hs_match_glob(const char *s, const char *pat, size_t patlen, bool nocase);

#endif
