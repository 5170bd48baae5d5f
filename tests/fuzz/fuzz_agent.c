/* fuzz_agent.c: libFuzzer target for agent replies (IDENTITIES_ANSWER and SIGN_RESPONSE). */
#include <stddef.h>
#include <stdint.h>

#include "hs_agent.h"
#include "hs_buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_buf *m = NULL, *sig = NULL;
	struct hs_agent_id *ids;
	size_t n;

	if (size > HS_AGENT_MAX_MSG || hs_buf_from(data, size, &m) != HS_OK)
		return 0;
	if (hs_agent_parse_identities(m, &ids, &n) == HS_OK)
		hs_agent_ids_free(ids, n);
	hs_buf_free(m);
	if (hs_buf_from(data, size, &m) == HS_OK && hs_buf_new(HS_AGENT_MAX_MSG, &sig) == HS_OK)
		(void)hs_agent_parse_sign_response(m, sig);
	hs_buf_free(sig);
	hs_buf_free(m);
	return 0;
}
