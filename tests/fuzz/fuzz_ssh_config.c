/* fuzz_ssh_config.c: libFuzzer target for ssh_config lines (one input = a sequence of lines), then
 * token expansion of what was stored. Parse errors are printed: run with -close_fd_mask=2. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_client_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_client_config c;
	struct hs_cfg_parser p = { .host = "fuzz.example", .file = "fuzz", .active = true };
	struct hs_client_tokens tok = { .home = "/h", .host = "fuzz.example", .port = 22 };
	char *text, *line, *save = NULL, *x;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	hs_client_config_init(&c);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		p.line++;
		if (hs_client_config_parse_line(&c, &p, line) != HS_OK)
			break;
	}
	if (c.hostname != NULL && hs_client_expand(c.hostname, &tok, &x) == HS_OK)
		free(x);
	for (size_t i = 0; i < c.identity_files.n; i++)
		if (hs_client_expand(c.identity_files.v[i], &tok, &x) == HS_OK)
			free(x);
	hs_client_config_clear(&c);
	free(text);
	return 0;
}
