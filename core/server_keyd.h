/* server_keyd.h: the wire format between a connection's monitor and the host-key service
 * (server_keyd.c). One request per SOCK_SEQPACKET message, one reply per request; a monitor has at
 * most one request outstanding. Private to the hsshd files and the fuzzer. */
#ifndef HS_SERVER_KEYD_H
#define HS_SERVER_KEYD_H

#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"

#define HS_KEYD_MAX_MSG		8192	/* either direction */
#define HS_KEYD_MAX_DATA	4096	/* data to sign: an exchange hash or a hostkeys-prove blob */
#define HS_KEYD_MAX_KEX		1024	/* a KEX public value */
#define HS_KEYD_QUEUE_MAX	32	/* requests waiting per key before the service refuses */

enum hs_keyd_type {
	HS_KEYD_HOSTKEYS = 1,	/* -> OK, u32 n, n x (string blob, string provider) */
	HS_KEYD_SIGN,		/* u32 idx, string alg, string data -> OK, string sig, string prov */
	HS_KEYD_KEX_KEYPAIR,	/* u32 method -> OK, string pub, string provider */
	HS_KEYD_KEX_DERIVE,	/* string peer -> OK, string secret */
};

enum hs_keyd_status {
	HS_KEYD_OK = 0,
	HS_KEYD_FAIL = 1,	/* the operation failed (logged by the service) */
	HS_KEYD_BUSY = 2,	/* the key's signing queue is full */
};

/* A parsed request; views point into the message. */
struct hs_keyd_req {
	enum hs_keyd_type type;
	uint32_t idx;		/* SIGN: host key index */
	uint32_t method;	/* KEX_KEYPAIR: enum hs_kex_method */
	const uint8_t *alg;	/* SIGN: signature algorithm name */
	size_t alg_len;
	const uint8_t *data;	/* SIGN: data; KEX_DERIVE: the peer's public value */
	size_t data_len;
};

/* Strict parse: known type, every field present and within its bound, nothing after. */
HS_MUST_USE hs_err hs_keyd_parse_req(const uint8_t *p, size_t len, struct hs_keyd_req *r);
/* Append the encoding of r to b. */
HS_MUST_USE hs_err hs_keyd_build_req(struct hs_buf *b, const struct hs_keyd_req *r);

#endif
