/* client_hw.c: hssh's hardware side (issue 5): KexProvider selection and the KEX list it allows,
 * which provider computed the exchange, pkcs11-helper keys (-I / PKCS11Provider) with their PIN
 * and token prompts, and `hssh -Q provider`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_impl.h"
#include "hs_mem.h"
#include "hs_p11helper.h"
#include "hs_tpm2.h"
#include "kex_impl.h"

#define HW_PIN_MAX	256

static bool
kex_provider_is_soft(const struct hs_client_config *c)
{
	return c->kex_provider == NULL || strcasecmp(c->kex_provider, "soft") == 0;
}

/* KexProviderFallback no: keep only the methods the selected provider computes itself. */
static hs_err
kex_filter(struct hs_client_config *c)
{
	struct hs_buf *b = NULL;
	char *out = NULL;
	const char *p = c->kex_algs;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &b));
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ",");
		const struct hs_kex_alg *a = hs_kex_alg_find(p, len);

		if (a != NULL && hs_kex_provider_supports(a->method)) {
			if (hs_buf_len(b) > 0)
				HS_GUARD_GOTO(hs_buf_put_u8(b, ','), r, out);
			HS_GUARD_GOTO(hs_buf_put_bytes(b, p, len), r, out);
		} else {
			hc_debug1("KexProvider %s does not compute %.*s: not offered",
			    c->kex_provider, (int)len, p);
		}
		p += len + (p[len] == ',');
	}
	if (hs_buf_len(b) == 0) {
		fprintf(stderr, "%s: KexProvider %s computes none of KexAlgorithms %s "
		    "(KexProviderFallback yes allows software)\r\n", HS_PROGNAME, c->kex_provider,
		    c->kex_algs ? c->kex_algs : "");
		r = HS_ERR_NEGOTIATION;
		goto out;
	}
	HS_GUARD_GOTO(hs_buf_to_cstring(b, &out), r, out);
	free(c->kex_algs);
	c->kex_algs = out;
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

hs_err
hs_client_kex_setup(struct hs_client_config *c)
{
	/* Before any tpm2: identity or KexProvider opens the TPM. */
	if (c->tpm2_tcti != NULL && hs_tpm2_set_tcti(c->tpm2_tcti) != HS_OK)
		return HS_ERR_CONFIG;
	if (kex_provider_is_soft(c))
		return HS_OK;
	if (hs_kex_provider_set(c->kex_provider) != HS_OK) {
		fprintf(stderr, "%s: cannot use KexProvider %s\r\n", HS_PROGNAME, c->kex_provider);
		return HS_ERR_PROVIDER;
	}
	if (c->kex_provider_fallback == 1)
		return HS_OK;
	return kex_filter(c);
}

void
hs_client_kex_report(const struct hs_transport *t)
{
	struct hs_transport_algs algs;
	const struct hs_kex_alg *a;

	hs_transport_get_algs(t, &algs);
	if (algs.kex == NULL || (a = hs_kex_alg_find(algs.kex, strlen(algs.kex))) == NULL)
		return;
	hs_verbose("KEX %s computed by %s", algs.kex, hs_kex_provider_for(a->method));
}

/* ---- pkcs11-helper prompts ---- */

/* The first line of the file named by HSSH_PKCS11_PIN_FILE, which must be a regular file that
 * only its owner may read (as ssh wants of private keys). For tests and unattended use. */
static hs_err
pin_from_file(const char *path, char *pin, size_t cap)
{
	char buf[HW_PIN_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd;
	hs_err r = HS_ERR_PERM;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		hs_error("PIN file %s: %s", path, strerror(errno));
		return HS_ERR_NOT_FOUND;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		hs_error("PIN file %s must be a regular file not accessible by group or others",
		    path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	r = HS_ERR_FORMAT;
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	HS_ENSURE_GOTO(strlen(buf) > 0 && strlen(buf) < cap, HS_ERR_TOO_LARGE, r, out);
	memcpy(pin, buf, strlen(buf) + 1);
	r = HS_OK;
out:
	hs_wipe(buf, sizeof(buf));
	close(fd);
	return r;
}

/* Set once the token refused the PIN from $HSSH_PKCS11_PIN_FILE. */
static bool pin_refused;

static hs_err
prompt_pin(void *arg, const char *token, unsigned retry, char *pin, size_t cap)
{
	const struct hs_client_config *c = arg;
	const char *file = getenv("HSSH_PKCS11_PIN_FILE");
	char *prompt = NULL, *ans = NULL;
	hs_err r;

	if (file != NULL && file[0] != '\0') {
		/* a wrong PIN from a file is never tried again, not even for another key of the
		 * same token: each try counts towards the token's lockout */
		if (retry > 0 || pin_refused) {
			if (!pin_refused)
				hs_error("PIN from %s refused by token %s; not retrying", file,
				    token);
			pin_refused = true;
			return HS_ERR_PERM;
		}
		hc_debug1("PIN for token '%s' from %s", token, file);
		return pin_from_file(file, pin, cap);
	}
	if (c->batch_mode == 1)
		return HS_ERR_AUTH;
	if (retry > 0)
		fprintf(stderr, "Wrong PIN for token '%s'.\r\n", token);
	if (asprintf(&prompt, "Enter PIN for '%s': ", token) < 0)
		return HS_ERR_ALLOC;
	r = hs_client_read_tty(prompt, false, &ans);
	free(prompt);
	if (r == HS_OK && (ans[0] == '\0' || strlen(ans) >= cap))
		r = HS_ERR_AUTH;
	if (r == HS_OK)
		memcpy(pin, ans, strlen(ans) + 1);
	if (ans != NULL)
		hs_free_wiped(ans, strlen(ans));
	return r;
}

static hs_err
prompt_token(void *arg, const char *token, unsigned retry)
{
	const struct hs_client_config *c = arg;
	char *prompt = NULL, *ans = NULL;
	hs_err r;

	if (c->batch_mode == 1 || retry > 2)
		return HS_ERR_NOT_FOUND;
	if (asprintf(&prompt, "Please insert token '%s' and press Enter (or type 'no'): ",
	    token) < 0)
		return HS_ERR_ALLOC;
	r = hs_client_read_tty(prompt, true, &ans);
	free(prompt);
	if (r == HS_OK && strcasecmp(ans, "no") == 0)
		r = HS_ERR_NOT_FOUND;
	free(ans);
	return r;
}

hs_err
hs_client_p11helper_keys(const struct hs_client_config *c, struct hs_key **keys, char **labels,
    size_t max, size_t *n)
{
	const struct hs_p11helper_prompts pr = {
		.pin = prompt_pin, .token = prompt_token, .arg = (void *)c,
	};
	hs_err r;

	*n = 0;
	if (c->pkcs11_provider == NULL || strcasecmp(c->pkcs11_provider, "none") == 0 || max == 0)
		return HS_OK;
	r = hs_p11helper_keys(c->pkcs11_provider, &pr, keys, labels, max, n);
	if (r != HS_OK)
		fprintf(stderr, "%s: cannot use PKCS11Provider %s: %s\r\n", HS_PROGNAME,
		    c->pkcs11_provider, hs_err_str(r));
	return r;
}

/* ---- hssh -Q provider ---- */

static void
print_provider(const struct hs_provider_ops *ops, void *arg)
{
	FILE *f = arg;
	bool avail = ops->available == NULL || ops->available();

	fprintf(f, "%s %s %s\n", ops->name, avail ? "yes" : "no",
	    ops->summary != NULL ? ops->summary : "-");
}

void
hs_client_print_providers(FILE *f)
{
	hs_provider_foreach(print_provider, f);
	/* client keys through pkcs11-helper (-I): not a URI provider, so not in the registry */
	print_provider(hs_p11helper_provider(), f);
}
