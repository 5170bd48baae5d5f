/* fuzz_packet.c: libFuzzer target for the binary packet decoder and the transport dispatch
 * (hs_transport_step): the input is the byte stream after the identification line, arriving at a
 * server. The first byte picks the input keys: none, or fixed keys for aes128-ctr + hmac-sha2-256,
 * aes256-ctr + hmac-sha2-512-etm, aes128-gcm or chacha20-poly1305, so the MAC and AEAD paths (and
 * what lies behind a forged tag, reachable only without keys) are all exercised. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_provider.h"
#include "kex_impl.h"
#include "transport_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sv[2] = { -1, -1 };
static struct hs_key *hostkey;

static const struct {
	enum hs_cipher_id cipher;
	enum hs_hash_alg mac;	/* 0: AEAD */
	bool etm;
} modes[] = {
	{ HS_CIPHER_NONE, 0, false },
	{ HS_CIPHER_AES128_CTR, HS_HASH_SHA256, false },
	{ HS_CIPHER_AES256_CTR, HS_HASH_SHA512, true },
	{ HS_CIPHER_AES128_GCM, 0, false },
	{ HS_CIPHER_CHACHA20_POLY1305, 0, false },
};

static void
init_once(void)
{
	hs_log_init("fuzz_packet", getenv("HS_FUZZ_DEBUG") ? HS_LOG_DEBUG3 : HS_LOG_QUIET, true, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 ||
	    hs_key_generate(HS_KEY_ED25519, 0, &hostkey) != HS_OK)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
}

/* Install fixed keys for the mode into t->in. */
static void
set_keys(struct hs_transport *t, size_t m)
{
	static const uint8_t key[HS_MAX_KEYLEN] = { 1 }, iv[HS_MAX_IVLEN] = { 2 },
	    mk[HS_MAX_HASH] = { 3 };
	struct hs_cipher_info info;
	struct hs_dir d;

	if (modes[m].cipher == HS_CIPHER_NONE)
		return;
	memset(&d, 0, sizeof(d));
	if (hs_cipher_info(modes[m].cipher, &info) != HS_OK ||
	    hs_cipher_new(modes[m].cipher, false, key, info.iv_len ? iv : NULL, &d.cipher) != HS_OK)
		abort();
	d.block = info.block_len > 8 ? info.block_len : 8;
	d.tag_len = info.tag_len;
	if (modes[m].mac != 0) {
		if (hs_mac_new(modes[m].mac, mk, hs_hash_len(modes[m].mac), &d.mac) != HS_OK)
			abort();
		d.mac_len = hs_mac_len(d.mac);
		d.etm = modes[m].etm;
	}
	hs_dir_install(&t->in, &d, false);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_transport_cfg c = { .server = true };
	struct hs_transport *t;
	struct hs_buf *msg = NULL;
	uint8_t type, drain[65536];

	if (sv[0] < 0)
		init_once();
	if (size < 1)
		return 0;
	c.hostkeys = &hostkey;
	c.n_hostkeys = 1;
	if (hs_transport_new(sv[0], sv[0], &c, &t) != HS_OK)
		abort();
	t->version_done = true;
	if ((t->peer_version = hs_strdup("SSH-2.0-fuzz")) == NULL)
		abort();
	set_keys(t, data[0] % (sizeof(modes) / sizeof(modes[0])));
	if (hs_buf_put_bytes(t->ibuf, data + 1, size - 1) != HS_OK) {
		hs_transport_free(t);
		return 0;
	}
	/* A server's KEXINIT is out before the client's packets arrive. */
	if (hs_kex_start(t) == HS_OK) {
		while (hs_transport_step(t, &type, &msg) == HS_OK) {
			hs_buf_free(msg);
			msg = NULL;
		}
	}
	hs_transport_free(t);
	while (read(sv[1], drain, sizeof(drain)) > 0)
		;
	return 0;
}
