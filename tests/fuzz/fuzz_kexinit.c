/* fuzz_kexinit.c: libFuzzer target for the KEXINIT parser (hs_kexinit_parse) and the negotiation
 * that reads its result (hs_kexinit_negotiate), with the input as client and as server against a
 * fixed peer. A parsed KEXINIT must keep valid name-lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "kex_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const peer_lists[HS_KI_COUNT] = {
	("curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-s,"
	 "kex-strict-s-v00@openssh.com"),
	"ssh-ed25519,rsa-sha2-512",
	"aes128-ctr,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
	"aes128-ctr,chacha20-poly1305@openssh.com", "hmac-sha2-256,hmac-sha2-512-etm@openssh.com",
	"hmac-sha2-512", "none", "none", "", "",
};

static struct hs_kexinit peer;

static void
init_peer(void)
{
	struct hs_buf *b;
	static const uint8_t cookie[16];

	if (hs_buf_new(65536, &b) != HS_OK || hs_buf_put_bytes(b, cookie, 16) != HS_OK)
		abort();
	for (size_t i = 0; i < HS_KI_COUNT; i++)
		if (hs_buf_put_cstring(b, peer_lists[i]) != HS_OK)
			abort();
	if (hs_buf_put_bool(b, false) != HS_OK || hs_buf_put_u32(b, 0) != HS_OK ||
	    hs_kexinit_parse(b, &peer) != HS_OK)
		abort();
	hs_buf_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_buf *b;
	struct hs_kexinit ki;
	struct hs_kex_choice ch;

	if (peer.lists[0] == NULL)
		init_peer();
	if (hs_buf_from(data, size, &b) != HS_OK)
		abort();
	if (hs_kexinit_parse(b, &ki) == HS_OK) {
		for (size_t i = 0; i < HS_KI_COUNT; i++)
			if (ki.lists[i] == NULL || strlen(ki.lists[i]) > HS_KEXINIT_LIST_MAX)
				abort();
		if (hs_kexinit_negotiate(&ki, &peer, &ch) == HS_OK &&
		    (ch.kex == NULL || ch.hostkey == NULL || ch.enc[0] == NULL ||
		    ch.enc[1] == NULL))
			abort();
		if (hs_kexinit_negotiate(&peer, &ki, &ch) == HS_OK &&
		    (ch.enc[0]->aead != (ch.mac[0] == NULL)))
			abort();
		hs_kexinit_clear(&ki);
	} else {
		for (size_t i = 0; i < HS_KI_COUNT; i++)
			if (ki.lists[i] != NULL)
				abort();
	}
	hs_buf_free(b);
	return 0;
}
