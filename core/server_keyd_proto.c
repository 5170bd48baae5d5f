/* server_keyd_proto.c: requests to the host-key service (server_keyd.h), built and parsed with
 * hs_buf only. */
#include "hs_buf.h"
#include "server_keyd.h"

static hs_err
get_view(struct hs_buf *b, size_t max, const uint8_t **p, size_t *len)
{
	HS_GUARD(hs_buf_get_string(b, p, len));
	HS_ENSURE(*len > 0 && *len <= max, HS_ERR_FORMAT);
	return HS_OK;
}

hs_err
hs_keyd_parse_req(const uint8_t *p, size_t len, struct hs_keyd_req *r)
{
	struct hs_buf *b = NULL;
	uint8_t type;
	hs_err e;

	*r = (struct hs_keyd_req){ 0 };
	HS_ENSURE(len > 0 && len <= HS_KEYD_MAX_MSG, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_from(p, len, &b));	/* a read-only view: the views below point into p */
	HS_GUARD_GOTO(hs_buf_get_u8(b, &type), e, out);
	r->type = (enum hs_keyd_type)type;
	switch (r->type) {
	case HS_KEYD_HOSTKEYS:
		break;
	case HS_KEYD_SIGN:
		HS_GUARD_GOTO(hs_buf_get_u32(b, &r->idx), e, out);
		HS_GUARD_GOTO(get_view(b, 64, &r->alg, &r->alg_len), e, out);
		HS_GUARD_GOTO(get_view(b, HS_KEYD_MAX_DATA, &r->data, &r->data_len), e, out);
		break;
	case HS_KEYD_KEX_KEYPAIR:
		HS_GUARD_GOTO(hs_buf_get_u32(b, &r->method), e, out);
		break;
	case HS_KEYD_KEX_DERIVE:
		HS_GUARD_GOTO(get_view(b, HS_KEYD_MAX_KEX, &r->data, &r->data_len), e, out);
		break;
	default:
		e = HS_ERR_FORMAT;
		goto out;
	}
	e = hs_buf_get_end(b);
out:
	hs_buf_free(b);
	return e;
}

hs_err
hs_keyd_build_req(struct hs_buf *b, const struct hs_keyd_req *r)
{
	HS_GUARD(hs_buf_put_u8(b, (uint8_t)r->type));
	if (r->type == HS_KEYD_SIGN) {
		HS_GUARD(hs_buf_put_u32(b, r->idx));
		HS_GUARD(hs_buf_put_string(b, r->alg, r->alg_len));
		HS_GUARD(hs_buf_put_string(b, r->data, r->data_len));
	} else if (r->type == HS_KEYD_KEX_KEYPAIR) {
		HS_GUARD(hs_buf_put_u32(b, r->method));
	} else if (r->type == HS_KEYD_KEX_DERIVE) {
		HS_GUARD(hs_buf_put_string(b, r->data, r->data_len));
	}
	return HS_OK;
}
