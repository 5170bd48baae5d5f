/* fuzz_keyd.c: libFuzzer target for the host-key service's requests (core/server_keyd.h). A
 * request that parses must build back to the same bytes (the format has one encoding), and its
 * views must lie inside the input. Seeds: tests/fuzz/corpus/keyd. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "server_keyd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
inside(const uint8_t *v, size_t n, const uint8_t *data, size_t size)
{
	return v == NULL ? n == 0 : v >= data && n <= size && v - data <= (ptrdiff_t)(size - n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_keyd_req r;
	struct hs_buf *b = NULL;

	hs_log_init("fuzz", HS_LOG_QUIET, false, 0);
	if (hs_keyd_parse_req(data, size, &r) != HS_OK)
		return 0;
	if (!inside(r.alg, r.alg_len, data, size) || !inside(r.data, r.data_len, data, size))
		abort();
	if (hs_buf_new(HS_KEYD_MAX_MSG, &b) != HS_OK)
		return 0;
	if (hs_keyd_build_req(b, &r) != HS_OK || hs_buf_len(b) != size ||
	    memcmp(hs_buf_ptr(b), data, size) != 0)
		abort();
	hs_buf_free(b);
	return 0;
}
