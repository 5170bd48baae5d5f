/* auth_client.c: RFC 4252 user authentication, client side: the ssh-userauth service, "none" to
 * learn the methods, then the methods of PreferredAuthentications in order; password here, publickey
 * in auth_client_pubkey.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_impl.h"
#include "hs_algs.h"
#include "hs_mem.h"
#include "hs_ssh.h"

#define AUTH_TIMEOUT_MS	0	/* the server's LoginGraceTime bounds us */

static hs_err
print_banner(const struct auth_ctx *ac, struct hs_buf *msg)
{
	char *text = NULL;
	const uint8_t *lang;
	size_t n, lang_len;

	/* RFC 4252 5.4: string message (UTF-8), string language tag */
	HS_GUARD(hs_buf_get_cstring(msg, &text, &n));
	if (hs_buf_get_string(msg, &lang, &lang_len) != HS_OK)
		hc_debug2("banner without language tag");
	if (!ac->cl->quiet) {
		/* strip terminal controls a hostile server could use, keep tabs and newlines */
		for (size_t i = 0; i < n; i++)
			if (((unsigned char)text[i] < 0x20 && text[i] != '\n' && text[i] != '\t' &&
			    text[i] != '\r') || text[i] == 0x7f)
				text[i] = '?';
		fputs(text, stderr);
	}
	free(text);
	return HS_OK;
}

/* RFC 4252 5.1: string name-list (methods that can continue), boolean partial success */
static hs_err
parse_failure(struct auth_ctx *ac, struct hs_buf *msg)
{
	char *methods = NULL;
	bool partial;

	HS_GUARD(hs_buf_get_cstring(msg, &methods, NULL));
	if (hs_buf_get_bool(msg, &partial) != HS_OK) {
		free(methods);
		return HS_ERR_FORMAT;
	}
	free(ac->methods);
	ac->methods = methods;
	if (partial)
		hc_debug1("Authenticated using a method with partial success.");
	hc_debug1("Authentications that can continue: %s", methods);
	return HS_OK;
}

hs_err
hs_auth_wait(struct auth_ctx *ac, uint8_t *type, struct hs_buf **msg)
{
	for (;;) {
		HS_GUARD(hs_transport_wait(ac->cl->t, AUTH_TIMEOUT_MS, type, msg));
		if (*type == HS_MSG_USERAUTH_BANNER) {
			hs_err r = print_banner(ac, *msg);

			hs_buf_free(*msg);
			*msg = NULL;
			HS_GUARD(r);
			continue;
		}
		if (*type == HS_MSG_USERAUTH_FAILURE) {
			hs_err r = parse_failure(ac, *msg);

			if (r != HS_OK) {
				hs_buf_free(*msg);
				*msg = NULL;
				return r;
			}
		}
		return HS_OK;
	}
}

hs_err
hs_auth_request_start(const struct auth_ctx *ac, const char *method, struct hs_buf *b)
{
	/* RFC 4252 5: byte USERAUTH_REQUEST, string user, string service, string method */
	HS_GUARD(hs_buf_put_u8(b, HS_MSG_USERAUTH_REQUEST));
	HS_GUARD(hs_buf_put_cstring(b, ac->cl->cfg.user));
	HS_GUARD(hs_buf_put_cstring(b, "ssh-connection"));
	return hs_buf_put_cstring(b, method);
}

/* Wait for the verdict on a request: HS_OK on SUCCESS, HS_ERR_AUTH on FAILURE. */
hs_err
hs_auth_verdict(struct auth_ctx *ac)
{
	uint8_t type;
	struct hs_buf *msg = NULL;

	HS_GUARD(hs_auth_wait(ac, &type, &msg));
	hs_buf_free(msg);
	if (type == HS_MSG_USERAUTH_SUCCESS)
		return HS_OK;
	return type == HS_MSG_USERAUTH_FAILURE ? HS_ERR_AUTH : HS_ERR_PROTOCOL;
}

static hs_err
service_request(struct auth_ctx *ac)
{
	struct hs_buf *b = NULL, *msg = NULL;
	uint8_t type;
	hs_err r;

	/* RFC 4253 10 */
	HS_GUARD(hs_buf_new(256, &b));
	HS_GUARD_GOTO(hs_buf_put_u8(b, HS_MSG_SERVICE_REQUEST), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, "ssh-userauth"), r, out);
	HS_GUARD_GOTO(hs_transport_send(ac->cl->t, b), r, out);
	HS_GUARD_GOTO(hs_transport_wait(ac->cl->t, AUTH_TIMEOUT_MS, &type, &msg), r, out);
	HS_ENSURE_GOTO(type == HS_MSG_SERVICE_ACCEPT, HS_ERR_PROTOCOL, r, out);
	r = HS_OK;
out:
	hs_buf_free(msg);
	hs_buf_free(b);
	return r;
}

/* RFC 4252 5.2: "none" reveals the methods that can continue (or succeeds outright). */
static hs_err
auth_none(struct auth_ctx *ac)
{
	struct hs_buf *b = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(1024, &b));
	HS_GUARD_GOTO(hs_auth_request_start(ac, "none", b), r, out);
	HS_GUARD_GOTO(hs_transport_send(ac->cl->t, b), r, out);
	r = hs_auth_verdict(ac);
out:
	hs_buf_free(b);
	return r;
}

static hs_err
password_try(struct auth_ctx *ac, const char *pw)
{
	struct hs_buf *b = NULL;
	hs_err r;

	/* RFC 4252 8: boolean FALSE, string plaintext password */
	HS_GUARD(hs_buf_new(4096, &b));
	HS_GUARD_GOTO(hs_auth_request_start(ac, "password", b), r, out);
	HS_GUARD_GOTO(hs_buf_put_bool(b, false), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, pw), r, out);
	HS_GUARD_GOTO(hs_transport_send(ac->cl->t, b), r, out);
	r = hs_auth_verdict(ac);
out:
	hs_buf_free(b);	/* wipes the password copy */
	return r;
}

static hs_err
auth_password(struct auth_ctx *ac)
{
	char *prompt = NULL, *pw = NULL;
	hs_err r = HS_ERR_AUTH;

	if (ac->cl->cfg.batch_mode == 1)
		return HS_ERR_AUTH;
	if (asprintf(&prompt, "%s@%s's password: ", ac->cl->cfg.user, ac->cl->cfg.hostname) < 0)
		return HS_ERR_ALLOC;
	for (int i = 0; i < ac->cl->cfg.password_prompts; i++) {
		if (i > 0)
			fprintf(stderr, "Permission denied, please try again.\r\n");
		if (hs_client_read_tty(prompt, false, &pw) != HS_OK)
			break;
		r = password_try(ac, pw);
		hs_free_wiped(pw, strlen(pw));
		pw = NULL;
		if (r != HS_ERR_AUTH || !hs_auth_method_allowed(ac, "password"))
			break;
	}
	free(prompt);
	return r;
}

bool
hs_auth_method_allowed(const struct auth_ctx *ac, const char *method)
{
	return ac->methods != NULL && hs_algs_list_has(ac->methods, method, strlen(method));
}

/* PreferredAuthentications, filtered by the per-method switches. */
static const struct {
	const char *name;
	size_t enabled_off;
	hs_err (*run)(struct auth_ctx *ac);
} auth_methods[] = {
	{ "publickey", offsetof(struct hs_client_config, pubkey_auth), hs_auth_pubkey },
	{ "keyboard-interactive", offsetof(struct hs_client_config, kbdint_auth), hs_auth_kbdint },
	{ "password", offsetof(struct hs_client_config, password_auth), auth_password },
};

static hs_err
run_method(struct auth_ctx *ac, const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(auth_methods) / sizeof(auth_methods[0]); i++) {
		const int *enabled = (const int *)((const char *)&ac->cl->cfg +
		    auth_methods[i].enabled_off);

		if (strlen(auth_methods[i].name) != len || memcmp(auth_methods[i].name, name, len) != 0)
			continue;
		if (*enabled != 1 || !hs_auth_method_allowed(ac, auth_methods[i].name))
			return HS_ERR_AUTH;
		hc_debug1("Next authentication method: %s", auth_methods[i].name);
		HS_GUARD(auth_methods[i].run(ac));
		ac->cl->auth_method = auth_methods[i].name;
		return HS_OK;
	}
	return HS_ERR_AUTH;
}

static hs_err
auth_loop(struct auth_ctx *ac)
{
	const char *p = ac->cl->cfg.preferred_auth;
	hs_err r = auth_none(ac);

	if (r == HS_OK) {
		ac->cl->auth_method = "none";
		return HS_OK;
	}
	HS_ENSURE(r == HS_ERR_AUTH, r);
	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		r = run_method(ac, p, len);
		if (r != HS_ERR_AUTH)
			return r;
		p += len + (e ? 1 : 0);
	}
	return HS_ERR_AUTH;
}

hs_err
hs_client_auth(struct hs_client *cl)
{
	struct auth_ctx ac = { .cl = cl };
	hs_err r;

	ac.sid = hs_transport_session_id(cl->t, &ac.sid_len);
	HS_GUARD_GOTO(service_request(&ac), r, out);
	r = auth_loop(&ac);
	if (r == HS_OK)
		hc_debug1("Authentication succeeded (%s).", cl->auth_method);
	else if (r == HS_ERR_AUTH)
		fprintf(stderr, "%s@%s: Permission denied (%s).\r\n", cl->cfg.user, cl->cfg.hostname,
		    ac.methods ? ac.methods : "none");
out:
	hs_auth_ctx_clear(&ac);
	return r;
}
