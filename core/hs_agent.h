/* hs_agent.h: client for the SSH agent protocol over a unix socket (draft-miller-ssh-agent). Every
 * reply is length-bounded (HS_AGENT_MAX_MSG) and parsed through hs_buf. */
#ifndef HS_AGENT_H
#define HS_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"

#define HS_AGENT_MAX_MSG	(256u * 1024)
#define HS_AGENT_MAX_IDS	1024

/* draft-miller-ssh-agent 5.1, 5.3 */
enum hs_agent_msg {
	HS_AGENT_FAILURE = 5,
	HS_AGENT_SUCCESS = 6,
	HS_AGENTC_REQUEST_IDENTITIES = 11,
	HS_AGENT_IDENTITIES_ANSWER = 12,
	HS_AGENTC_SIGN_REQUEST = 13,
	HS_AGENT_SIGN_RESPONSE = 14,
};
/* draft-miller-ssh-agent 5.3: signature flags */
#define HS_AGENT_RSA_SHA2_256	2u
#define HS_AGENT_RSA_SHA2_512	4u

struct hs_agent;

struct hs_agent_id {
	uint8_t *blob;		/* public key blob */
	size_t blob_len;
	char *comment;
};

/* Connect to the agent socket at path. HS_ERR_NOT_FOUND if it cannot be reached. */
HS_MUST_USE hs_err hs_agent_open(const char *path, struct hs_agent **out);
void hs_agent_close(struct hs_agent *a);
/* REQUEST_IDENTITIES. *ids: array of *n entries, free with hs_agent_ids_free. */
HS_MUST_USE hs_err hs_agent_list(struct hs_agent *a, struct hs_agent_id **ids, size_t *n);
void hs_agent_ids_free(struct hs_agent_id *ids, size_t n);
/* SIGN_REQUEST for the key blob over data with flags; appends the SSH signature encoding (string
 * alg, string sig; not length-prefixed) to sig. HS_ERR_AUTH if the agent refuses. */
HS_MUST_USE hs_err hs_agent_sign(struct hs_agent *a, const uint8_t *blob, size_t blob_len,
    const uint8_t *data, size_t len, uint32_t flags, struct hs_buf *sig);

/* Parsers for one reply body (type byte first, without the uint32 length), fuzzed directly. */
HS_MUST_USE hs_err hs_agent_parse_identities(struct hs_buf *msg, struct hs_agent_id **ids,
    size_t *n);
HS_MUST_USE hs_err hs_agent_parse_sign_response(struct hs_buf *msg, struct hs_buf *sig);

#endif
