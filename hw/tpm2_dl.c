/* tpm2_dl.c: the tpm2-tss libraries, dlopen()ed by the process that first opens a tpm2: key or
 * KexProvider (hsshd's host-key service, hssh), never linked into the binaries.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "hs_log.h"
#include "hs_tpm2_impl.h"

/* Sonames of tpm2-tss 3.x (Debian 12: libtss2-esys-3.0.2-0 and friends). */
enum lib { L_ESYS, L_TCTILDR, L_MU, L_RC, NLIB };

static const char *const lib_names[NLIB] = {
	[L_ESYS] = "libtss2-esys.so.0",
	[L_TCTILDR] = "libtss2-tctildr.so.0",
	[L_MU] = "libtss2-mu.so.0",
	[L_RC] = "libtss2-rc.so.0",
};

struct sym {
	enum lib lib;
	const char *name;
	size_t off;
};

#define SYM(l, n, f) { .lib = (l), .name = (n), .off = offsetof(struct hs_tpm2_fn, f) }

static const struct sym syms[] = {
	SYM(L_TCTILDR, "Tss2_TctiLdr_Initialize", tctildr_init),
	SYM(L_TCTILDR, "Tss2_TctiLdr_Finalize", tctildr_fini),
	SYM(L_ESYS, "Esys_Initialize", init),
	SYM(L_ESYS, "Esys_Finalize", fini),
	SYM(L_ESYS, "Esys_Free", free),
	SYM(L_ESYS, "Esys_TR_FromTPMPublic", tr_from_public),
	SYM(L_ESYS, "Esys_TR_SetAuth", tr_set_auth),
	SYM(L_ESYS, "Esys_TR_Close", tr_close),
	SYM(L_ESYS, "Esys_TRSess_SetAttributes", sess_set_attrs),
	SYM(L_ESYS, "Esys_StartAuthSession", start_auth_session),
	SYM(L_ESYS, "Esys_CreatePrimary", create_primary),
	SYM(L_ESYS, "Esys_Create", create),
	SYM(L_ESYS, "Esys_Load", load),
	SYM(L_ESYS, "Esys_ReadPublic", read_public),
	SYM(L_ESYS, "Esys_Sign", sign),
	SYM(L_ESYS, "Esys_ECDH_ZGen", ecdh_zgen),
	SYM(L_ESYS, "Esys_GetRandom", get_random),
	SYM(L_ESYS, "Esys_FlushContext", flush),
	SYM(L_MU, "Tss2_MU_TPM2B_PUBLIC_Unmarshal", mu_public),
	SYM(L_MU, "Tss2_MU_TPM2B_PRIVATE_Unmarshal", mu_private),
	SYM(L_RC, "Tss2_RC_Decode", rc_decode),
};

static struct hs_tpm2_fn fn;
static void *dl[NLIB];
static unsigned refs;		/* one per open context */
static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

static void
close_all(void)
{
	size_t i;

	for (i = NLIB; i-- > 0;)
		if (dl[i] != NULL) {
			dlclose(dl[i]);
			dl[i] = NULL;
		}
}

static bool
load_all(void)
{
	size_t i;
	void *p;

	/* Our own log line names each failure with Tss2_RC_Decode's text; the libraries' stderr
	 * logging would repeat it (and write into a daemon's stderr). TSS2_LOG set by the user wins. */
	(void)setenv("TSS2_LOG", "all+NONE", 0);
	for (i = 0; i < NLIB; i++)
		if ((dl[i] = dlopen(lib_names[i], RTLD_NOW | RTLD_LOCAL)) == NULL) {
			hs_error("tpm2: cannot load %s: %s (install tpm2-tss: libtss2-esys-3.0.2-0, "
			    "libtss2-tctildr0)", lib_names[i], dlerror());
			close_all();
			return false;
		}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((p = dlsym(dl[syms[i].lib], syms[i].name)) == NULL) {
			hs_error("tpm2: %s has no %s", lib_names[syms[i].lib], syms[i].name);
			close_all();
			return false;
		}
		*(void **)((char *)&fn + syms[i].off) = p;
	}
	return true;
}

const struct hs_tpm2_fn *
hs_tpm2_dl_load(void)
{
	const struct hs_tpm2_fn *f = NULL;

	pthread_mutex_lock(&dl_lock);
	if (refs > 0 || load_all()) {
		refs++;
		f = &fn;
	}
	pthread_mutex_unlock(&dl_lock);
	return f;
}

void
hs_tpm2_dl_unload(void)
{
	pthread_mutex_lock(&dl_lock);
	/* Unmapped with the last context: a process that only checked its keys (hsshd's listener)
	 * keeps no TSS code mapped afterwards. */
	if (refs > 0 && --refs == 0)
		close_all();
	pthread_mutex_unlock(&dl_lock);
}
