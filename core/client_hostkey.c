/* client_hostkey.c: the server host key against known_hosts, with ssh's StrictHostKeyChecking policy
 * and prompts, and the host key algorithm order that prefers keys already known. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_impl.h"
#include "hs_algs.h"
#include "hs_mem.h"

#define KH_MAX_FILES	(2 * HS_CLIENT_MAX_LIST)

/* User files first, then the global ones (ssh_config(5) UserKnownHostsFile/GlobalKnownHostsFile). */
static size_t
kh_files(const struct hs_client_config *c, const char **files)
{
	size_t n = 0;

	for (size_t i = 0; i < c->user_known_hosts.n && n < KH_MAX_FILES; i++)
		if (strcmp(c->user_known_hosts.v[i], "none") != 0)
			files[n++] = c->user_known_hosts.v[i];
	for (size_t i = 0; i < c->global_known_hosts.n && n < KH_MAX_FILES; i++)
		if (strcmp(c->global_known_hosts.v[i], "none") != 0)
			files[n++] = c->global_known_hosts.v[i];
	return n;
}

static void
warn_changed(const struct hs_client *cl, const char *kshort, const char *fp,
    const struct hs_kh_result *res)
{
	static const char bar[] = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

	fprintf(stderr, "%s\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n%s\r\n",
	    bar, bar);
	fprintf(stderr, "The server now presents a different host key than the one on record.\r\n"
	    "Either its key was replaced, or someone is intercepting this connection.\r\n");
	fprintf(stderr, "The %s key offered by the server has the fingerprint\r\n%s.\r\n",
	    kshort, fp);
	fprintf(stderr, "Check the new fingerprint with the server's administrator; if it is right,\r\n"
	    "replace the old key in %s.\r\n",
	    cl->cfg.user_known_hosts.n > 0 ? cl->cfg.user_known_hosts.v[0] : res->file);
	fprintf(stderr, "Offending %s key in %s:%u\r\n", kshort, res->file, res->line);
	fprintf(stderr, "Refusing to connect to %s with a changed host key.\r\n"
	    "Host key verification failed.\r\n", cl->host_key_name);
}

static void
warn_revoked(const struct hs_client *cl, const char *kshort, const struct hs_kh_result *res)
{
	static const char bar[] = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

	fprintf(stderr, "%s\r\n@       WARNING: REVOKED HOST KEY DETECTED!               @\r\n%s\r\n",
	    bar, bar);
	fprintf(stderr, "The %s host key for %s is marked as revoked (%s:%u).\r\n"
	    "Host key verification failed.\r\n", kshort, cl->host_key_name, res->file, res->line);
}

/* Ask "yes/no/[fingerprint]" on the terminal; true to accept. */
static bool
ask_accept(const struct hs_client *cl, const char *kshort, const char *fp)
{
	char *prompt = NULL, *ans = NULL;
	bool ok = false;

	if (asprintf(&prompt, "The authenticity of host '%s (%s)' can't be established.\r\n"
	    "%s key fingerprint is %s.\r\nThis key is not known by any other names.\r\n"
	    "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
	    cl->host_key_name, cl->ip_key_name ? cl->ip_key_name : cl->ipstr, kshort, fp) < 0)
		return false;
	for (;;) {
		if (hs_client_read_tty(prompt, true, &ans) != HS_OK)
			break;
		if (strcasecmp(ans, "yes") == 0 || strcmp(ans, fp) == 0) {
			ok = true;
			break;
		}
		if (strcasecmp(ans, "no") == 0)
			break;
		free(prompt);
		prompt = strdup("Please type 'yes', 'no' or the fingerprint: ");
		free(ans);
		ans = NULL;
		if (prompt == NULL)
			break;
	}
	free(ans);
	free(prompt);
	return ok;
}

static hs_err
add_key(const struct hs_client *cl, const char *kshort, const uint8_t *blob, size_t len)
{
	const char *file;

	if (cl->cfg.user_known_hosts.n == 0 || strcmp(cl->cfg.user_known_hosts.v[0], "none") == 0)
		return HS_OK;
	file = cl->cfg.user_known_hosts.v[0];
	if (hs_kh_add(file, cl->host_key_name, blob, len, cl->cfg.hash_known_hosts == 1) != HS_OK) {
		fprintf(stderr, "Failed to add the host to the list of known hosts (%s).\r\n", file);
		return HS_OK;
	}
	hs_info("Warning: Permanently added '%s' (%s) to the list of known hosts.",
	    cl->host_key_name, kshort);
	return HS_OK;
}

/* Unknown host: StrictHostKeyChecking decides (ssh_config(5)). */
static hs_err
unknown_host(const struct hs_client *cl, const char *kshort, const char *fp, const uint8_t *blob,
    size_t len)
{
	int mode = cl->cfg.strict_hostkey;

	if (mode == HS_SHK_ASK && cl->cfg.batch_mode == 1)
		mode = HS_SHK_YES;
	if (mode == HS_SHK_YES) {
		fprintf(stderr, "No %s host key is known for %s, and StrictHostKeyChecking does not "
		    "allow adding one.\r\nHost key verification failed.\r\n", kshort,
		    cl->host_key_name);
		return HS_ERR_HOSTKEY;
	}
	if (mode == HS_SHK_ASK && !ask_accept(cl, kshort, fp)) {
		fprintf(stderr, "Host key verification failed.\r\n");
		return HS_ERR_HOSTKEY;
	}
	return add_key(cl, kshort, blob, len);
}

static hs_err
judge(struct hs_client *cl, const struct hs_key *key, const char *fp, struct hs_buf *blob)
{
	const char *files[KH_MAX_FILES];
	size_t n = kh_files(&cl->cfg, files);
	const char *kshort = hs_key_type_short(hs_key_type(key));
	struct hs_kh_result res;

	HS_GUARD(hs_kh_check(files, n, cl->host_key_name, hs_buf_ptr(blob), hs_buf_len(blob), &res));
	switch (res.status) {
	case HS_KH_MATCH:
		hc_debug1("Host '%s' is known and matches the %s host key.", cl->host_key_name,
		    kshort);
		hc_debug1("Found key in %s:%u", res.file, res.line);
		return HS_OK;
	case HS_KH_REVOKED:
		warn_revoked(cl, kshort, &res);
		return HS_ERR_HOSTKEY;
	case HS_KH_MISMATCH:
		/* a changed key is refused whatever StrictHostKeyChecking says */
		warn_changed(cl, kshort, fp, &res);
		return HS_ERR_HOSTKEY;
	default:
		return unknown_host(cl, kshort, fp, hs_buf_ptr(blob), hs_buf_len(blob));
	}
}

hs_err
hs_client_hostkey_cb(void *arg, const struct hs_key *key)
{
	struct hs_client *cl = arg;
	struct hs_buf *blob = NULL;
	char *fp = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &blob));
	HS_GUARD_GOTO(hs_key_public_blob(key, blob), r, out);
	HS_GUARD_GOTO(hs_key_fingerprint(key, &fp), r, out);
	hc_debug1("Server host key: %s %s", hs_key_type_name(hs_key_type(key)), fp);
	r = judge(cl, key, fp, blob);
out:
	free(fp);
	hs_buf_free(blob);
	return r;
}

static hs_err
append_alg(struct hs_buf *b, const char *alg, size_t len)
{
	if (hs_buf_len(b) > 0)
		HS_GUARD(hs_buf_put_u8(b, ','));
	return hs_buf_put_bytes(b, alg, len);
}

/* ssh puts the algorithms of host keys it already knows first, so the server picks one of them. */
hs_err
hs_client_hostkey_order(struct hs_client *cl, const char *algs, char **out)
{
	const char *files[KH_MAX_FILES];
	size_t n = kh_files(&cl->cfg, files);
	unsigned mask = 0;
	struct hs_buf *b = NULL;
	hs_err r;

	*out = NULL;
	HS_GUARD(hs_kh_known_types(files, n, cl->host_key_name, &mask));
	HS_GUARD(hs_buf_new(4096, &b));
	for (int pass = 0; pass < 2; pass++) {
		for (const char *p = algs; *p != '\0';) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			enum hs_key_type kt = hs_sig_alg_key_type(hs_sig_alg_from_name(p, len));
			bool known = kt != HS_KEY_UNKNOWN && (mask & (1u << kt)) != 0;

			if (len > 0 && known == (pass == 0))
				HS_GUARD_GOTO(append_alg(b, p, len), r, out);
			p += len + (e ? 1 : 0);
		}
	}
	HS_GUARD_GOTO(hs_buf_put_u8(b, '\0'), r, out);
	HS_ENSURE_GOTO((*out = strdup((const char *)hs_buf_ptr(b))) != NULL, HS_ERR_ALLOC, r, out);
	if (mask != 0)
		hc_debug1("Preferring known host key algorithms: %s", *out);
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}
