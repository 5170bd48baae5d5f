/* kex_init.c: SSH_MSG_KEXINIT (RFC 4253 7.1): building ours, parsing the peer's, and negotiating.
 * Parsing and negotiation keep no transport state, so the fuzzer calls them directly. */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"
#include "kex_impl.h"
#include "transport_impl.h"

void
hs_kexinit_clear(struct hs_kexinit *ki)
{
	for (size_t i = 0; i < HS_KI_COUNT; i++)
		free(ki->lists[i]);
	memset(ki, 0, sizeof(*ki));
}

/* A name-list (RFC 4251 5): comma-separated non-empty names of printable US-ASCII, no commas or
 * spaces inside a name. The empty list is allowed. */
static bool
namelist_ok(const char *s, size_t len)
{
	bool empty_name = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ',') {
			if (empty_name)
				return false;
			empty_name = true;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f)
			return false;
		empty_name = false;
	}
	return len == 0 || !empty_name;
}

hs_err
hs_kexinit_parse(struct hs_buf *msg, struct hs_kexinit *ki)
{
	hs_err r;
	uint32_t reserved;
	size_t len;

	memset(ki, 0, sizeof(*ki));
	HS_GUARD_GOTO(hs_buf_get_bytes(msg, ki->cookie, sizeof(ki->cookie)), r, out);
	for (size_t i = 0; i < HS_KI_COUNT; i++) {
		HS_GUARD_GOTO(hs_buf_get_cstring(msg, &ki->lists[i], &len), r, out);
		HS_ENSURE_GOTO(len <= HS_KEXINIT_LIST_MAX, HS_ERR_TOO_LARGE, r, out);
		HS_ENSURE_GOTO(namelist_ok(ki->lists[i], len), HS_ERR_FORMAT, r, out);
	}
	HS_GUARD_GOTO(hs_buf_get_bool(msg, &ki->first_kex_follows), r, out);
	/* RFC 4253 7.1: uint32 0 (reserved for future extension) */
	HS_GUARD_GOTO(hs_buf_get_u32(msg, &reserved), r, out);
	HS_GUARD_GOTO(hs_buf_get_end(msg), r, out);
	r = HS_OK;
out:
	if (r != HS_OK)
		hs_kexinit_clear(ki);
	return r;
}

/* The first name of client's list that server's list has and match() accepts; NULL if none. */
static const void *
first_match(const char *client, const char *server,
    const void *(*find)(const char *name, size_t len))
{
	const char *p = client, *c;
	const void *row;
	size_t n;

	while (*p != '\0') {
		c = strchr(p, ',');
		n = c ? (size_t)(c - p) : strlen(p);
		if (hs_algs_list_has(server, p, n) && (row = find(p, n)) != NULL)
			return row;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return NULL;
}

static const void *
find_kex(const char *n, size_t l)
{
	return hs_kex_alg_find(n, l);
}

static const void *
find_hostkey(const char *n, size_t l)
{
	return hs_algs_hostkey_find(n, l);
}

static const void *
find_cipher(const char *n, size_t l)
{
	return hs_algs_cipher_find(n, l);
}

static const void *
find_mac(const char *n, size_t l)
{
	return hs_algs_mac_find(n, l);
}

static const void *
find_comp(const char *n, size_t l)
{
	/* We only do "none" (RFC 4253 6.2). */
	return (l == 4 && memcmp(n, "none", 4) == 0) ? "none" : NULL;
}

static bool
same_first(const char *a, const char *b)
{
	size_t la = strcspn(a, ","), lb = strcspn(b, ",");

	return la == lb && memcmp(a, b, la) == 0;
}

static const char *const list_what[HS_KI_COUNT] = {
	[HS_KI_KEX] = "key exchange method", [HS_KI_HOSTKEY] = "host key type",
	[HS_KI_ENC_CTOS] = "cipher", [HS_KI_ENC_STOC] = "cipher",
	[HS_KI_MAC_CTOS] = "MAC", [HS_KI_MAC_STOC] = "MAC",
	[HS_KI_COMP_CTOS] = "compression method", [HS_KI_COMP_STOC] = "compression method",
	[HS_KI_LANG_CTOS] = "language", [HS_KI_LANG_STOC] = "language",
};

static hs_err
no_match(struct hs_kex_choice *out, enum hs_kexinit_list l)
{
	out->failed = l;
	out->failed_what = list_what[l];
	return HS_ERR_NEGOTIATION;
}

hs_err
hs_kexinit_negotiate(const struct hs_kexinit *c, const struct hs_kexinit *s,
    struct hs_kex_choice *out)
{
	memset(out, 0, sizeof(*out));
	if ((out->kex = first_match(c->lists[HS_KI_KEX], s->lists[HS_KI_KEX], find_kex)) == NULL)
		return no_match(out, HS_KI_KEX);
	out->hostkey = first_match(c->lists[HS_KI_HOSTKEY], s->lists[HS_KI_HOSTKEY], find_hostkey);
	if (out->hostkey == NULL)
		return no_match(out, HS_KI_HOSTKEY);
	for (size_t d = 0; d < 2; d++) {
		out->enc[d] = first_match(c->lists[HS_KI_ENC_CTOS + d],
		    s->lists[HS_KI_ENC_CTOS + d], find_cipher);
		if (out->enc[d] == NULL)
			return no_match(out, HS_KI_ENC_CTOS + d);
		/* AEAD ciphers carry their own integrity: the MAC list is not consulted. */
		if (!out->enc[d]->aead) {
			out->mac[d] = first_match(c->lists[HS_KI_MAC_CTOS + d],
			    s->lists[HS_KI_MAC_CTOS + d], find_mac);
			if (out->mac[d] == NULL)
				return no_match(out, HS_KI_MAC_CTOS + d);
		}
		if (first_match(c->lists[HS_KI_COMP_CTOS + d], s->lists[HS_KI_COMP_CTOS + d],
		    find_comp) == NULL)
			return no_match(out, HS_KI_COMP_CTOS + d);
	}
	out->peer_ext_info = hs_algs_list_has(c->lists[HS_KI_KEX], HS_EXT_INFO_C,
	    strlen(HS_EXT_INFO_C));
	out->strict = hs_algs_list_has(c->lists[HS_KI_KEX], HS_STRICT_C, strlen(HS_STRICT_C)) &&
	    hs_algs_list_has(s->lists[HS_KI_KEX], HS_STRICT_S, strlen(HS_STRICT_S));
	/* RFC 4253 7: a guessed first packet is wrong unless both sides' first KEX and host key
	 * algorithms agree. We never guess, so only the peer's flag matters. */
	out->guess_wrong = (c->first_kex_follows || s->first_kex_follows) &&
	    (!same_first(c->lists[HS_KI_KEX], s->lists[HS_KI_KEX]) ||
	    !same_first(c->lists[HS_KI_HOSTKEY], s->lists[HS_KI_HOSTKEY]));
	return HS_OK;
}

/* Server: only host key algorithms we hold a key for (RFC 4253 7.1). */
static hs_err
hostkey_list(const struct hs_transport *t, struct hs_buf *b)
{
	const char *p = t->hostkey_algs, *c;
	size_t n, used = 0;
	const struct hs_hostkey_alg *a;

	while (*p != '\0') {
		c = strchr(p, ',');
		n = c ? (size_t)(c - p) : strlen(p);
		a = hs_algs_hostkey_find(p, n);
		for (size_t i = 0; a != NULL && i < t->cfg.n_hostkeys; i++) {
			if (hs_key_type(t->hostkeys[i]) == hs_sig_alg_key_type(a->sig)) {
				if (used++ > 0)
					HS_GUARD(hs_buf_put_u8(b, ','));
				HS_GUARD(hs_buf_put_bytes(b, p, n));
				break;
			}
		}
		if (c == NULL)
			break;
		p = c + 1;
	}
	return HS_OK;
}

static hs_err
put_kex_list(const struct hs_transport *t, bool first, struct hs_buf *b)
{
	HS_GUARD(hs_buf_put_bytes(b, t->kex_algs, strlen(t->kex_algs)));
	/* RFC 8308 2.1 and PROTOCOL 1.10: the pseudo-algorithms go only in the first KEXINIT. */
	if (first)
		HS_GUARD(hs_buf_putf(b, ",%s,%s", t->cfg.server ? HS_EXT_INFO_S : HS_EXT_INFO_C,
		    t->cfg.server ? HS_STRICT_S : HS_STRICT_C));
	return HS_OK;
}

/* Our KEXINIT payload, type byte included (it is I_C or I_S in the exchange hash). */
hs_err
hs_kexinit_build(const struct hs_transport *t, bool first, struct hs_buf *out)
{
	hs_err r;
	struct hs_buf *l = NULL;
	uint8_t *cookie;
	const char *plain[] = { t->ciphers, t->ciphers, t->macs, t->macs, "none", "none", "", "" };

	HS_GUARD(hs_buf_put_u8(out, HS_MSG_KEXINIT));
	HS_GUARD(hs_buf_reserve(out, 16, &cookie));
	HS_GUARD(hs_random(cookie, 16));
	HS_GUARD_GOTO(hs_buf_new(HS_KEXINIT_LIST_MAX, &l), r, out);
	HS_GUARD_GOTO(put_kex_list(t, first, l), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(out, l), r, out);
	hs_buf_reset(l);
	if (t->cfg.server) {
		HS_GUARD_GOTO(hostkey_list(t, l), r, out);
		HS_GUARD_GOTO(hs_buf_put_stringb(out, l), r, out);
	} else {
		HS_GUARD_GOTO(hs_buf_put_cstring(out, t->hostkey_algs), r, out);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		HS_GUARD_GOTO(hs_buf_put_cstring(out, plain[i]), r, out);
	HS_GUARD_GOTO(hs_buf_put_bool(out, false), r, out);	/* first_kex_packet_follows */
	HS_GUARD_GOTO(hs_buf_put_u32(out, 0), r, out);		/* reserved */
	r = HS_OK;
out:
	hs_buf_free(l);
	return r;
}
