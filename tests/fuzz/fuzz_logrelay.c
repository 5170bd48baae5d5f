/* fuzz_logrelay.c: libFuzzer target for the monitor's log relay (hs_log_relay), which reads
 * datagrams a possibly compromised network process wrote: the input is split into datagrams at
 * each 0xff 0x00 pair, sent over a real datagram socketpair and relayed until none is left. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sv[2] = { -1, -1 };

static void
setup(void)
{
	if (sv[0] >= 0)
		return;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0)
		return;
	hs_log_init("fuzz", HS_LOG_DEBUG3, false, 0);
	(void)hs_log_to_file("/dev/null");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;

	setup();
	if (sv[0] < 0 || size > 64 * 1024)
		return 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && !(i + 1 < size && data[i] == 0xff && data[i + 1] == 0x00))
			continue;
		(void)send(sv[1], data + start, i - start, MSG_DONTWAIT);
		start = i + 2;
		i++;
	}
	for (int n = 0; n < 4096 && hs_log_relay(sv[0], " [fuzz]") != HS_ERR_AGAIN; n++)
		;
	return 0;
}
