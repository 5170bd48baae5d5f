/* fuzz_sshd_config.c: libFuzzer target for hsshd's sshd_config parser, then the defaults and the -T
 * dump. Inputs that use Include are skipped so the target never reads other files.
 * Seeds: tests/fuzz/corpus/sshd_config. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hs_log.h"
#include "hs_server_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_server_config c;
	static FILE *devnull;

	if (devnull == NULL) {
		hs_log_init("fuzz", HS_LOG_QUIET, true, 0);
		devnull = fopen("/dev/null", "w");
	}
	if (memmem(data, size, "nclude", 6) != NULL || memmem(data, size, "NCLUDE", 6) != NULL)
		return 0;
	hs_server_config_init(&c);
	if (hs_server_config_parse_text(&c, (const char *)data, size, "fuzz") == HS_OK &&
	    hs_server_config_finish(&c) == HS_OK && devnull != NULL)
		hs_server_config_dump(&c, devnull);
	hs_server_config_free(&c);
	return 0;
}
