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

/* FIPS mode (issue 6): true iff name is on the approved list of the family (one table in algs.c,
 * Fedora's FIPS policy for OpenSSH). */
bool hs_algs_fips_approved(enum hs_alg_family fam, const char *name);
bool hs_algs_fips_approved_n(enum hs_alg_family fam, const char *name, size_t len);
/* FIPS mode on an expanded list *list: if configured, every name must be approved (else
 * HS_ERR_CONFIG and *bad, if not NULL, a copy of the first one that is not, caller frees) and the
 * list stays; otherwise *list is replaced by the approved subset of the defaults, in default
 * order. */
HS_MUST_USE hs_err hs_algs_fips_list(enum hs_alg_family fam, char **list, bool configured,
    char **bad);

#endif
