/* transport_version.c: the protocol version exchange (RFC 4253 4.2). */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "transport_impl.h"

#define OTHER_LINE_MAX	1024	/* bound on a line before the server's identification */

hs_err
hs_version_send(struct hs_transport *t)
{
	static const char id[] = HS_VERSION_STRING "\r\n";

	hs_debug("Local version string %s", HS_VERSION_STRING);
	return hs_buf_put_bytes(t->obuf, id, sizeof(id) - 1);
}

/* Length of the first line in ibuf including its LF, or 0 if no LF within limit bytes. */
static size_t
line_length(const struct hs_buf *b, size_t limit)
{
	size_t n = hs_buf_len(b);
	uint8_t c;

	for (size_t i = 0; i < n && i < limit; i++)
		if (hs_buf_peek_u8(b, i, &c) == HS_OK && c == '\n')
			return i + 1;
	return 0;
}

/* Take the line (n bytes with LF) out of b as a C string without CR LF. NULs (not allowed in an
 * identification, RFC 4253 4.2) become '?' and set *nul. */
static hs_err
line_take(struct hs_buf *b, size_t n, char **out, bool *nul)
{
	char *s;
	size_t len = n - 1;

	if ((s = malloc(n + 1)) == NULL)
		return HS_ERR_ALLOC;
	if (hs_buf_get_bytes(b, s, n) != HS_OK) {
		free(s);
		return HS_ERR_INTERNAL;
	}
	if (len > 0 && s[len - 1] == '\r')
		len--;
	s[len] = '\0';
	*nul = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0') {
			s[i] = '?';
			*nul = true;
		}
	}
	*out = s;
	return HS_OK;
}

static hs_err
version_bad(struct hs_transport *t, const char *line)
{
	static const char mismatch[] = "Protocol mismatch.\r\n";

	hs_error("Bad protocol version identification '%.256s' from %s", line, t->peer);
	if (t->cfg.server && hs_buf_put_bytes(t->obuf, mismatch, sizeof(mismatch) - 1) != HS_OK)
		hs_debug("Could not queue the mismatch message");
	return HS_ERR_PROTOCOL;
}

/* RFC 4253 4.2: "SSH-protoversion-softwareversion SP comments CR LF"; we speak 2.0, and 1.99 means
 * a peer that also speaks 2.0. */
static bool
version_ok(const char *line, size_t n, bool nul)
{
	return n <= HS_VERSION_MAX && !nul &&
	    (strncmp(line, "SSH-2.0-", 8) == 0 || strncmp(line, "SSH-1.99-", 9) == 0);
}

hs_err
hs_version_recv(struct hs_transport *t)
{
	hs_err r;
	size_t n;
	char *line = NULL;
	bool nul;

	while (!t->version_done) {
		n = line_length(t->ibuf, OTHER_LINE_MAX);
		if (n == 0) {
			if (hs_buf_len(t->ibuf) >= OTHER_LINE_MAX) {
				hs_error("Identification line from %s is too long", t->peer);
				return HS_ERR_PROTOCOL;
			}
			return HS_ERR_AGAIN;
		}
		HS_GUARD(line_take(t->ibuf, n, &line, &nul));
		if (strncmp(line, "SSH-", 4) == 0) {
			r = version_ok(line, n, nul) ? HS_OK : version_bad(t, line);
			if (r == HS_OK) {
				t->peer_version = line;
				t->version_done = true;
				hs_debug("Remote protocol version %s, remote software version %s",
				    strncmp(line, "SSH-2.0-", 8) == 0 ? "2.0" : "1.99",
				    strchr(line + 4, '-') + 1);
				return HS_OK;
			}
			free(line);
			return r;
		}
		/* RFC 4253 4.2: only a server may send other lines first. */
		t->banner_lines++;
		t->banner_bytes += n;
		if (t->cfg.server || t->banner_lines > HS_BANNER_MAX_LINES ||
		    t->banner_bytes > HS_BANNER_MAX_BYTES) {
			r = version_bad(t, line);
			free(line);
			return r;
		}
		hs_debug2("banner line %u: %.256s", t->banner_lines, line);
		free(line);
	}
	return HS_OK;
}
