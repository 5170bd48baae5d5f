/* kex_ext.c: SSH_MSG_EXT_INFO (RFC 8308 2.3): uint32 nr-extensions, then name/value string pairs.
 * The server announces server-sig-algs (3.1); the client keeps it for public key authentication. */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"
#include "kex_impl.h"
#include "transport_impl.h"

#define EXT_MAX	64	/* more extensions than anyone defines */
#define EXT_SERVER_SIG_ALGS	"server-sig-algs"

hs_err
hs_kex_send_ext_info(struct hs_transport *t)
{
	hs_err r;
	struct hs_buf *b = NULL;

	HS_GUARD_GOTO(hs_buf_new(4096, &b), r, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, HS_MSG_EXT_INFO), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(b, 1), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, EXT_SERVER_SIG_ALGS), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, hs_algs_default(HS_ALGS_HOSTKEY)), r, out);
	HS_GUARD_GOTO(hs_packet_put(t, hs_buf_ptr(b), hs_buf_len(b)), r, out);
	hs_debug("SSH2_MSG_EXT_INFO sent");
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

static hs_err
ext_parse(struct hs_transport *t, struct hs_buf *msg)
{
	uint32_t n;
	char *name = NULL;
	const uint8_t *v;
	size_t vlen, nlen;
	hs_err r;

	HS_GUARD(hs_buf_get_u32(msg, &n));
	HS_ENSURE(n <= EXT_MAX, HS_ERR_TOO_LARGE);
	for (uint32_t i = 0; i < n; i++) {
		HS_GUARD_GOTO(hs_buf_get_cstring(msg, &name, &nlen), r, out);
		HS_GUARD_GOTO(hs_buf_get_string(msg, &v, &vlen), r, out);
		hs_debug("kex_input_ext_info: %s", name);
		if (!t->cfg.server && strcmp(name, EXT_SERVER_SIG_ALGS) == 0) {
			HS_ENSURE_GOTO(memchr(v, '\0', vlen) == NULL, HS_ERR_FORMAT, r, out);
			free(t->server_sig_algs);
			t->server_sig_algs = malloc(vlen + 1);
			HS_ENSURE_GOTO(t->server_sig_algs != NULL, HS_ERR_ALLOC, r, out);
			memcpy(t->server_sig_algs, v, vlen);
			t->server_sig_algs[vlen] = '\0';
			hs_debug("kex_input_ext_info: server-sig-algs=<%.400s>",
			    t->server_sig_algs);
		}
		free(name);
		name = NULL;
	}
	r = hs_buf_get_end(msg);
out:
	free(name);
	return r;
}

hs_err
hs_kex_recv_ext_info(struct hs_transport *t, struct hs_buf *msg)
{
	hs_err r = ext_parse(t, msg);

	if (r != HS_OK) {
		hs_error("Bad EXT_INFO from %s: %s", t->peer, hs_err_str(r));
		return hs_transport_fail(t, r, HS_DISC_PROTOCOL_ERROR, "bad EXT_INFO");
	}
	return HS_OK;
}
