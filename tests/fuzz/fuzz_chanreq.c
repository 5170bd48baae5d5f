/* fuzz_chanreq.c: libFuzzer target for the CHANNEL_REQUEST body parser and the terminal-mode
 * decoder (RFC 4254 6, 8). The first byte picks the request type; the rest is the body. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>

#include "hs_buf.h"
#include "hs_channel.h"

static const char *const types[] = {
	"pty-req", "env", "exec", "shell", "subsystem", "window-change", "signal",
	"exit-status", "exit-signal", "break", "x11-req",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_chanreq q;
	struct hs_buf *b = NULL;
	struct termios t;

	if (size < 1)
		return 0;
	if (hs_buf_from(data + 1, size - 1, &b) != HS_OK)
		return 0;
	if (hs_chanreq_parse(types[data[0] % (sizeof(types) / sizeof(types[0]))], b, &q) == HS_OK) {
		if (q.type == HS_REQ_PTY) {
			memset(&t, 0, sizeof(t));
			(void)hs_ttymodes_decode(q.modes, q.modes_len, &t);
		}
		if (q.type == HS_REQ_SIGNAL || q.type == HS_REQ_EXIT_SIGNAL)
			(void)hs_signal_from_name(q.signame);
		hs_chanreq_free(&q);
	}
	hs_buf_free(b);
	return 0;
}
