/* fuzz_userauth.c: libFuzzer target for the SSH_MSG_USERAUTH_REQUEST parser of hsshd (the payload
 * after the type byte). Seeds: tests/fuzz/corpus/userauth. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "server_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_userauth_req req;
	struct hs_buf *b = NULL;

	hs_log_init("fuzz", HS_LOG_QUIET, true, 0);
	if (hs_buf_from(data, size, &b) != HS_OK)
		return 0;
	if (hs_userauth_req_parse(b, &req) == HS_OK) {
		/* Invariants of a parsed request. */
		if (req.user == NULL || req.service == NULL || req.method == NULL)
			abort();
		if (strlen(req.user) > HS_USERAUTH_MAX_NAME)
			abort();
		if (req.has_sig && req.sig == NULL && req.sig_len != 0)
			abort();
		if (strcmp(req.method, "password") == 0 && req.password == NULL)
			abort();
		hs_userauth_req_clear(&req);
	} else if (req.user != NULL || req.password != NULL) {
		abort();	/* a failed parse leaves nothing behind */
	}
	hs_buf_free(b);
	return 0;
}
