/* fuzz_knownhosts.c: libFuzzer target for one known_hosts line and host matching. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_knownhosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_kh_entry e;

	if (hs_kh_parse_line((const char *)data, size, &e) == HS_OK) {
		(void)hs_kh_host_match(e.hosts, "host.example.com");
		(void)hs_kh_host_match(e.hosts, "[127.0.0.1]:2222");
		hs_kh_entry_clear(&e);
	}
	return 0;
}
