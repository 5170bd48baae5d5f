/* fuzz_keystate.c: libFuzzer target for the transport state blob (hs_transport_import), the
 * hand-over from the pre-auth child to the monitor. A blob that imports must export again to the
 * same bytes, and a refused one must leave no transport behind. Seeds: blobs from
 * test_transport_state hand-overs (ctr+hmac, ctr+etm, gcm, chacha), throwaway keys. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "hs_provider.h"
#include "hs_transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hs_key *hostkey;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_transport_cfg cfg;
	struct hs_transport *t = NULL;
	struct hs_buf *in, *again;
	hs_err r;

	if (hostkey == NULL) {
		hs_log_init("fuzz_keystate", HS_LOG_QUIET, true, 0);
		if (hs_key_generate(HS_KEY_ED25519, 0, &hostkey) != HS_OK)
			abort();
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.server = true;
	cfg.hostkeys = &hostkey;
	cfg.n_hostkeys = 1;
	if (hs_buf_from(data, size, &in) != HS_OK ||
	    hs_buf_new(HS_BUF_MAX_DEFAULT, &again) != HS_OK)
		abort();
	r = hs_transport_import(-1, -1, &cfg, in, &t);
	if ((r == HS_OK) != (t != NULL))
		abort();
	if (r == HS_OK) {
		/* Everything the blob says is state: export gives back exactly the input. */
		if (hs_transport_export(t, again) != HS_OK || hs_buf_len(again) != size ||
		    memcmp(hs_buf_ptr(again), data, size) != 0)
			abort();
	}
	hs_transport_free(t);
	hs_buf_free(again);
	hs_buf_free(in);
	return 0;
}
