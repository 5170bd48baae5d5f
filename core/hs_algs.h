/* hs_algs.h: the algorithm tables as name lists, and OpenSSH's list syntax (sshd_config(5):
 * "a,b" replaces the defaults, "+a" appends, "-a*" removes (wildcards), "^a" puts first). */
#ifndef HS_ALGS_H
#define HS_ALGS_H

#include <stdbool.h>
#include <stdio.h>

#include "hs_err.h"

enum hs_alg_family {
	HS_ALGS_KEX = 1,
	HS_ALGS_CIPHER,
	HS_ALGS_MAC,
	HS_ALGS_HOSTKEY,	/* host key and signature algorithms (also PubkeyAcceptedAlgorithms) */
};

/* The default list for a family, comma-separated, best first. */
const char *hs_algs_default(enum hs_alg_family fam);
/* Apply spec (NULL or "" = defaults) to the defaults. Every named algorithm must exist in the table
 * (patterns after '-' may match nothing). *out: newly allocated comma list, caller frees. On
 * HS_ERR_CONFIG, *bad (if not NULL) receives a copy of the offending name, caller frees. */
HS_MUST_USE hs_err hs_algs_apply(enum hs_alg_family fam, const char *spec, char **out, char **bad);
/* Print every supported name of the family, one per line (hssh -Q). */
void hs_algs_print(enum hs_alg_family fam, FILE *f);
/* True iff name is in the comma list. */
bool hs_algs_list_has(const char *list, const char *name, size_t name_len);

#endif
