/* auth_client_kbdint.c: RFC 4256 keyboard-interactive authentication, client side: the server's
 * prompts are shown on the terminal and the answers sent back (PAM-backed servers use this). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_impl.h"
#include "hs_mem.h"
#include "hs_ssh.h"

#define KI_MAX_PROMPTS	16	/* more than any real server asks in one round */
#define KI_MAX_ROUNDS	8
/* RFC 4256 5: message 60 is INFO_REQUEST while this method runs */
#define KI_INFO_REQUEST	HS_MSG_USERAUTH_PK_OK

/* Replace terminal controls in server text (a hostile server must not drive our terminal). */
static void
ki_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f)
			*s = '?';
}

/* RFC 4256 3.2: string name, string instruction, string language, int num-prompts. */
static hs_err
ki_header(struct hs_buf *msg, uint32_t *n)
{
	char *name = NULL, *instr = NULL;
	const uint8_t *lang;
	size_t lang_len;
	hs_err r;

	HS_GUARD_GOTO(hs_buf_get_cstring(msg, &name, NULL), r, out);
	HS_GUARD_GOTO(hs_buf_get_cstring(msg, &instr, NULL), r, out);
	HS_GUARD_GOTO(hs_buf_get_string(msg, &lang, &lang_len), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(msg, n), r, out);
	HS_ENSURE_GOTO(*n <= KI_MAX_PROMPTS, HS_ERR_TOO_LARGE, r, out);
	ki_sanitize(name);
	ki_sanitize(instr);
	if (name[0] != '\0')
		fprintf(stderr, "%s\r\n", name);
	if (instr[0] != '\0')
		fprintf(stderr, "%s\r\n", instr);
	r = HS_OK;
out:
	free(name);
	free(instr);
	return r;
}

/* Answer one INFO_REQUEST with an INFO_RESPONSE (RFC 4256 3.4). */
static hs_err
ki_answer(struct auth_ctx *ac, struct hs_buf *msg)
{
	struct hs_buf *resp = NULL;
	char *prompt = NULL, *ans = NULL;
	uint32_t n;
	bool echo;
	hs_err r;

	HS_GUARD(ki_header(msg, &n));
	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &resp));
	HS_GUARD_GOTO(hs_buf_put_u8(resp, HS_MSG_USERAUTH_INFO_RESPONSE), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(resp, n), r, out);
	for (uint32_t i = 0; i < n; i++) {
		HS_GUARD_GOTO(hs_buf_get_cstring(msg, &prompt, NULL), r, out);
		HS_GUARD_GOTO(hs_buf_get_bool(msg, &echo), r, out);
		ki_sanitize(prompt);
		HS_GUARD_GOTO(hs_client_read_tty(prompt, echo, &ans), r, out);
		r = hs_buf_put_cstring(resp, ans);
		hs_free_wiped(ans, strlen(ans));
		ans = NULL;
		free(prompt);
		prompt = NULL;
		HS_GUARD_GOTO(r, r, out);
	}
	HS_GUARD_GOTO(hs_buf_get_end(msg), r, out);
	r = hs_transport_send(ac->cl->t, resp);
out:
	free(prompt);
	hs_buf_free(resp);	/* wipes the answers */
	return r;
}

static hs_err
ki_start(struct auth_ctx *ac)
{
	struct hs_buf *b = NULL;
	hs_err r;

	/* RFC 4256 3.1: string language tag (deprecated, empty), string submethods (empty) */
	HS_GUARD(hs_buf_new(1024, &b));
	HS_GUARD_GOTO(hs_auth_request_start(ac, "keyboard-interactive", b), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, ""), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, ""), r, out);
	r = hs_transport_send(ac->cl->t, b);
out:
	hs_buf_free(b);
	return r;
}

/* One keyboard-interactive conversation: HS_OK on SUCCESS, HS_ERR_AUTH on FAILURE. */
static hs_err
ki_conversation(struct auth_ctx *ac, bool *asked)
{
	struct hs_buf *msg = NULL;
	uint8_t type;
	hs_err r;

	HS_GUARD(ki_start(ac));
	for (int round = 0; round < KI_MAX_ROUNDS; round++) {
		HS_GUARD(hs_auth_wait(ac, &type, &msg));
		if (type != KI_INFO_REQUEST) {
			hs_buf_free(msg);
			if (type == HS_MSG_USERAUTH_SUCCESS)
				return HS_OK;
			return type == HS_MSG_USERAUTH_FAILURE ? HS_ERR_AUTH : HS_ERR_PROTOCOL;
		}
		*asked = true;
		r = ki_answer(ac, msg);
		hs_buf_free(msg);
		msg = NULL;
		if (r != HS_OK)
			return r == HS_ERR_NOT_FOUND ? HS_ERR_AUTH : r;
	}
	return HS_ERR_PROTOCOL;
}

hs_err
hs_auth_kbdint(struct auth_ctx *ac)
{
	hs_err r = HS_ERR_AUTH;

	if (ac->cl->cfg.batch_mode == 1)
		return HS_ERR_AUTH;
	/* as with passwords, NumberOfPasswordPrompts tries while the server still offers it */
	for (int i = 0; i < ac->cl->cfg.password_prompts; i++) {
		bool asked = false;

		r = ki_conversation(ac, &asked);
		/* a refusal without any prompt means the server has nothing to ask: stop */
		if (r != HS_ERR_AUTH || !asked ||
		    !hs_auth_method_allowed(ac, "keyboard-interactive"))
			break;
	}
	return r;
}
