/* transport_state.c: hand a live transport from one process to another (the pre-auth child to the
 * monitor to the post-auth process, OpenSSH's keystate export idea).
 *
 * The blob (version 1) holds everything the receiving side needs to continue the connection
 * byte-exactly: both version strings, the session id, the negotiated names, per direction the key
 * material, the cipher position, the sequence number and the RekeyLimit counters, the strict-KEX
 * and authentication flags, and the bytes read from the socket but not yet processed. It is only
 * written between key exchanges with nothing queued for output, so no KEX state travels. Host keys
 * are not in it: the importer passes them again in its cfg. The blob holds keys: wipe it.
 *
 *   string  "hardssh-keystate"    uint32 version
 *   bool    server                string peer_version       string session_id
 *   string  kex name              string host key algorithm  uint32 host key index
 *   uint64  kex_count             bool strict  bool peer_ext_info  bool authenticated
 *   uint64  last_kex_time         uint64 total_in  uint64 total_out  uint64 packets_in
 *   uint32  last_seq_in
 *   dir in, dir out:  string cipher  string mac ("" for AEAD)  string key  string iv
 *                     string mac_key  uint64 position  uint32 seq  uint64 bytes  uint64 packets
 *   string  unprocessed input     string messages already decoded, not yet delivered
 */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "kex_impl.h"
#include "transport_impl.h"

#define KS_MAGIC	"hardssh-keystate"
#define KS_VERSION	1u
#define KS_NO_HOSTKEY	UINT32_MAX

static hs_err
dir_put(const struct hs_dir *d, struct hs_buf *b)
{
	struct hs_cipher_info info;
	uint64_t pos;

	HS_ENSURE(d->cipher != NULL && d->calg != NULL, HS_ERR_PROTOCOL);
	HS_GUARD(hs_cipher_info(d->calg->id, &info));
	HS_GUARD(hs_cipher_position(d->cipher, &pos));
	HS_GUARD(hs_buf_put_cstring(b, d->calg->name));
	HS_GUARD(hs_buf_put_cstring(b, d->malg ? d->malg->name : ""));
	HS_GUARD(hs_buf_put_string(b, d->key, info.key_len));
	HS_GUARD(hs_buf_put_string(b, d->iv, info.iv_len));
	HS_GUARD(hs_buf_put_string(b, d->mac_key, d->malg ? d->malg->key_len : 0));
	HS_GUARD(hs_buf_put_u64(b, pos));
	HS_GUARD(hs_buf_put_u32(b, d->seq));
	HS_GUARD(hs_buf_put_u64(b, d->bytes));
	return hs_buf_put_u64(b, d->packets);
}

static hs_err
hostkey_index(const struct hs_transport *t, uint32_t *idx)
{
	*idx = KS_NO_HOSTKEY;
	for (size_t i = 0; i < t->cfg.n_hostkeys; i++)
		if (t->hostkeys[i] == t->used_hostkey)
			*idx = (uint32_t)i;
	return *idx == KS_NO_HOSTKEY ? HS_ERR_PROTOCOL : HS_OK;
}

/* A buffer's unread bytes as a string. hs_buf_put_stringb is not used on a buffer that never
 * held anything (its storage pointer is NULL, and NULL + 0 is undefined in C). */
static hs_err
put_bufstring(struct hs_buf *b, const struct hs_buf *src)
{
	if (hs_buf_len(src) == 0)
		return hs_buf_put_u32(b, 0);
	return hs_buf_put_stringb(b, src);
}

static hs_err
state_put(struct hs_transport *t, struct hs_buf *b)
{
	uint32_t hk;

	HS_GUARD(hostkey_index(t, &hk));
	HS_GUARD(hs_buf_put_cstring(b, KS_MAGIC));
	HS_GUARD(hs_buf_put_u32(b, KS_VERSION));
	HS_GUARD(hs_buf_put_bool(b, t->cfg.server));
	HS_GUARD(hs_buf_put_cstring(b, t->peer_version));
	HS_GUARD(hs_buf_put_string(b, t->session_id, t->sid_len));
	HS_GUARD(hs_buf_put_cstring(b, t->algs.kex));
	HS_GUARD(hs_buf_put_cstring(b, t->algs.hostkey));
	HS_GUARD(hs_buf_put_u32(b, hk));
	HS_GUARD(hs_buf_put_u64(b, t->kex_count));
	HS_GUARD(hs_buf_put_bool(b, t->strict));
	HS_GUARD(hs_buf_put_bool(b, t->peer_ext_info));
	HS_GUARD(hs_buf_put_bool(b, t->authenticated));
	HS_GUARD(hs_buf_put_u64(b, (uint64_t)t->last_kex_time));
	HS_GUARD(hs_buf_put_u64(b, t->total_in));
	HS_GUARD(hs_buf_put_u64(b, t->total_out));
	HS_GUARD(hs_buf_put_u64(b, t->packets_in));
	HS_GUARD(hs_buf_put_u32(b, t->last_seq_in));
	HS_GUARD(dir_put(&t->in, b));
	HS_GUARD(dir_put(&t->out, b));
	HS_GUARD(put_bufstring(b, t->ibuf));
	return put_bufstring(b, t->inq);
}

hs_err
hs_transport_export(struct hs_transport *t, struct hs_buf *out)
{
	hs_err r;
	struct hs_buf *b = NULL;

	if (t->dead != HS_OK)
		return t->dead;
	/* Only the server side hands its transport on (the client has no privilege separation). */
	HS_ENSURE(t->cfg.server, HS_ERR_UNSUPPORTED);
	/* Between key exchanges, with nothing held or waiting to be written: no KEX state travels.
	 * A refusal here leaves t usable (finish the KEX or flush, then try again). */
	if (t->kex_state != HS_KEXS_IDLE || t->kex != NULL || t->kex_count == 0 ||
	    !t->version_done || t->disc_sent || hs_buf_len(t->obuf) > 0 ||
	    hs_buf_len(t->held) > 0 || t->next_in.cipher != NULL || t->next_out.cipher != NULL) {
		hs_debug("Transport export refused: key exchange running or output queued");
		return HS_ERR_PROTOCOL;
	}
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &b), r, out);
	HS_GUARD_GOTO(state_put(t, b), r, out);
	HS_GUARD_GOTO(hs_buf_put_buf(out, b), r, out);
	hs_debug2("Transport state exported (%zu bytes)", hs_buf_len(b));
	r = HS_OK;
out:
	hs_buf_free(b);	/* wipes the keys */
	/* The state now lives elsewhere: this copy must never send or receive again. */
	hs_dir_clear(&t->in);
	hs_dir_clear(&t->out);
	hs_buf_reset(t->ibuf);
	hs_buf_reset(t->inq);
	t->dead = HS_ERR_PROTOCOL;
	return r;
}

/* Our own format is strict: a flag is 0 or 1 (RFC 4251's any-non-zero rule is for the wire). */
static hs_err
get_flag(struct hs_buf *b, bool *out)
{
	uint8_t v;

	HS_GUARD(hs_buf_get_u8(b, &v));
	HS_ENSURE(v <= 1, HS_ERR_FORMAT);
	*out = v == 1;
	return HS_OK;
}

/* A string that must be exactly n bytes, copied into dst. */
static hs_err
get_fixed(struct hs_buf *b, uint8_t *dst, size_t n)
{
	const uint8_t *p;
	size_t len;

	HS_GUARD(hs_buf_get_string(b, &p, &len));
	HS_ENSURE(len == n, HS_ERR_FORMAT);
	memcpy(dst, p, n);
	return HS_OK;
}

/* Look up a table row by a name from the blob. */
static hs_err
get_name(struct hs_buf *b, const uint8_t **p, size_t *len)
{
	HS_GUARD(hs_buf_get_string(b, p, len));
	HS_ENSURE(*len <= 256, HS_ERR_FORMAT);
	return HS_OK;
}

static hs_err
dir_keys(struct hs_dir *d, struct hs_buf *b, bool encrypt)
{
	const uint8_t *n;
	size_t nl;
	struct hs_cipher_info info;

	HS_GUARD(get_name(b, &n, &nl));
	HS_ENSURE((d->calg = hs_algs_cipher_find((const char *)n, nl)) != NULL, HS_ERR_FORMAT);
	HS_GUARD(get_name(b, &n, &nl));
	d->malg = nl ? hs_algs_mac_find((const char *)n, nl) : NULL;
	HS_ENSURE((nl == 0) == (d->malg == NULL), HS_ERR_FORMAT);
	/* An AEAD cipher has no MAC; any other cipher needs one. */
	HS_ENSURE(d->calg->aead == (d->malg == NULL), HS_ERR_FORMAT);
	HS_GUARD(hs_cipher_info(d->calg->id, &info));
	HS_GUARD(get_fixed(b, d->key, info.key_len));
	HS_GUARD(get_fixed(b, d->iv, info.iv_len));
	HS_GUARD(get_fixed(b, d->mac_key, d->malg ? d->malg->key_len : 0));
	HS_GUARD(hs_cipher_new(d->calg->id, encrypt, d->key, info.iv_len ? d->iv : NULL,
	    &d->cipher));
	d->block = info.block_len > 8 ? info.block_len : 8;
	d->tag_len = info.tag_len;
	if (d->malg != NULL) {
		HS_GUARD(hs_mac_new(d->malg->hash, d->mac_key, d->malg->key_len, &d->mac));
		d->mac_len = hs_mac_len(d->mac);
		d->etm = d->malg->etm;
	}
	return HS_OK;
}

static hs_err
dir_get(struct hs_dir *d, struct hs_buf *b, bool encrypt)
{
	uint64_t pos;

	HS_GUARD(dir_keys(d, b, encrypt));
	HS_GUARD(hs_buf_get_u64(b, &pos));
	HS_GUARD(hs_cipher_seek(d->cipher, pos));
	HS_GUARD(hs_buf_get_u32(b, &d->seq));
	HS_GUARD(hs_buf_get_u64(b, &d->bytes));
	return hs_buf_get_u64(b, &d->packets);
}

static hs_err
get_header(struct hs_transport *t, struct hs_buf *b)
{
	const uint8_t *p;
	size_t n;
	uint32_t v;
	bool server;

	HS_GUARD(hs_buf_get_string(b, &p, &n));
	HS_ENSURE(n == strlen(KS_MAGIC) && memcmp(p, KS_MAGIC, n) == 0, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_u32(b, &v));
	if (v != KS_VERSION) {
		hs_error("Transport state version %u, expected %u", v, KS_VERSION);
		return HS_ERR_UNSUPPORTED;
	}
	HS_GUARD(get_flag(b, &server));
	HS_ENSURE(server == t->cfg.server && server, HS_ERR_PROTOCOL);
	HS_GUARD(hs_buf_get_cstring(b, &t->peer_version, &n));
	HS_ENSURE(n > 0 && n < HS_VERSION_MAX, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_string(b, &p, &n));
	HS_ENSURE(n > 0 && n <= sizeof(t->session_id), HS_ERR_FORMAT);
	memcpy(t->session_id, p, n);
	t->sid_len = n;
	t->version_done = true;
	return HS_OK;
}

static hs_err
get_algs(struct hs_transport *t, struct hs_buf *b)
{
	const struct hs_kex_alg *ka;
	const uint8_t *p;
	size_t n;
	uint32_t hk;
	enum hs_sig_alg sig;

	HS_GUARD(get_name(b, &p, &n));
	HS_ENSURE((ka = hs_kex_alg_find((const char *)p, n)) != NULL, HS_ERR_FORMAT);
	t->algs.kex = ka->name;
	HS_GUARD(get_name(b, &p, &n));
	sig = hs_sig_alg_from_name((const char *)p, n);
	HS_ENSURE(sig != HS_SIG_UNKNOWN, HS_ERR_FORMAT);
	t->algs.hostkey = hs_sig_alg_name(sig);
	HS_GUARD(hs_buf_get_u32(b, &hk));
	/* The caller gives the host keys again, in the same order as the exporter had them. */
	HS_ENSURE(hk < t->cfg.n_hostkeys, HS_ERR_PROTOCOL);
	/* A different key list (or order) than the exporter's shows up as a type mismatch here. */
	HS_ENSURE(t->hostkeys[hk] != NULL &&
	    hs_key_type(t->hostkeys[hk]) == hs_sig_alg_key_type(sig), HS_ERR_PROTOCOL);
	t->used_hostkey = t->hostkeys[hk];
	return HS_OK;
}

static hs_err
get_counters(struct hs_transport *t, struct hs_buf *b)
{
	uint64_t when;

	HS_GUARD(hs_buf_get_u64(b, &t->kex_count));
	HS_ENSURE(t->kex_count > 0, HS_ERR_FORMAT);
	HS_GUARD(get_flag(b, &t->strict));
	HS_GUARD(get_flag(b, &t->peer_ext_info));
	HS_GUARD(get_flag(b, &t->authenticated));
	HS_GUARD(hs_buf_get_u64(b, &when));
	t->last_kex_time = (time_t)when;
	HS_GUARD(hs_buf_get_u64(b, &t->total_in));
	HS_GUARD(hs_buf_get_u64(b, &t->total_out));
	HS_GUARD(hs_buf_get_u64(b, &t->packets_in));
	return hs_buf_get_u32(b, &t->last_seq_in);
}

static hs_err
state_get(struct hs_transport *t, struct hs_buf *b)
{
	HS_GUARD(get_header(t, b));
	HS_GUARD(get_algs(t, b));
	HS_GUARD(get_counters(t, b));
	HS_GUARD(dir_get(&t->in, b, false));
	HS_GUARD(dir_get(&t->out, b, true));
	t->algs.cipher_ctos = t->in.calg->name;
	t->algs.cipher_stoc = t->out.calg->name;
	t->algs.mac_ctos = t->in.malg ? t->in.malg->name : HS_MAC_IMPLICIT;
	t->algs.mac_stoc = t->out.malg ? t->out.malg->name : HS_MAC_IMPLICIT;
	/* Bounded by the buffers' own maximum sizes. */
	HS_GUARD(hs_buf_get_stringb(b, t->ibuf));
	HS_GUARD(hs_buf_get_stringb(b, t->inq));
	return hs_buf_get_end(b);
}

hs_err
hs_transport_import(int fd_in, int fd_out, const struct hs_transport_cfg *cfg,
    struct hs_buf *state, struct hs_transport **out)
{
	hs_err r;
	struct hs_transport *t = NULL;

	*out = NULL;
	HS_GUARD_GOTO(hs_transport_new(fd_in, fd_out, cfg, &t), r, out);
	r = state_get(t, state);
	if (r != HS_OK) {
		hs_error("Bad transport state: %s", hs_err_str(r));
		goto out;
	}
	hs_debug2("Transport state imported (kex %s, cipher %s)", t->algs.kex,
	    t->algs.cipher_ctos);
	*out = t;
	t = NULL;
	r = HS_OK;
out:
	hs_transport_free(t);
	return r;
}
