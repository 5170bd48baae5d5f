/* hs_buf.c: bounded byte buffers with a read cursor. The only file that does pointer arithmetic on
 * wire bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "hs_mem.h"

struct hs_buf {
	uint8_t *d;		/* storage */
	size_t off;		/* read cursor */
	size_t size;		/* end of valid data */
	size_t alloc;		/* bytes allocated at d */
	size_t max;		/* bound on size - off + growth */
	bool readonly;		/* a view of someone else's bytes */
};

#define BUF_INITIAL	256
#define BUF_COMPACT_MIN	4096

#ifdef HS_DEBUG_BUF
#define BUF_CHECK(b) do { if (!hs_buf_valid(b)) abort(); } while (0)
#else
#define BUF_CHECK(b) do { } while (0)
#endif

bool
hs_buf_valid(const struct hs_buf *b)
{
	if (b == NULL)
		return false;
	if (b->off > b->size || b->size > b->alloc)
		return false;
	if (!b->readonly && b->size - b->off > b->max)
		return false;
	if (b->alloc > 0 && b->d == NULL)
		return false;
	return true;
}

hs_err
hs_buf_new(size_t max, struct hs_buf **out)
{
	struct hs_buf *b;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return HS_ERR_ALLOC;
	b->max = max;
	*out = b;
	return HS_OK;
}

hs_err
hs_buf_from(const void *p, size_t len, struct hs_buf **out)
{
	struct hs_buf *b;

	*out = NULL;
	if (p == NULL && len != 0)
		return HS_ERR_INTERNAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return HS_ERR_ALLOC;
	b->d = (uint8_t *)(uintptr_t)p;
	b->size = b->alloc = b->max = len;
	b->readonly = true;
	*out = b;
	return HS_OK;
}

hs_err
hs_buf_dup(const struct hs_buf *src, struct hs_buf **out)
{
	hs_err r;
	struct hs_buf *b = NULL;

	*out = NULL;
	HS_GUARD(hs_buf_new(src->readonly ? src->size - src->off : src->max, &b));
	if ((r = hs_buf_put_buf(b, src)) != HS_OK) {
		hs_buf_free(b);
		return r;
	}
	*out = b;
	return HS_OK;
}

void
hs_buf_free(struct hs_buf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly)
		hs_free_wiped(b->d, b->alloc);
	hs_wipe(b, sizeof(*b));
	free(b);
}

void
hs_buf_reset(struct hs_buf *b)
{
	if (b->readonly) {
		b->off = b->size;
		return;
	}
	hs_wipe(b->d, b->alloc);
	b->off = b->size = 0;
}

size_t
hs_buf_len(const struct hs_buf *b)
{
	return b->size - b->off;
}

size_t
hs_buf_max(const struct hs_buf *b)
{
	return b->max;
}

hs_err
hs_buf_set_max(struct hs_buf *b, size_t max)
{
	HS_ENSURE(!b->readonly, HS_ERR_INTERNAL);
	HS_ENSURE(b->size - b->off <= max, HS_ERR_TOO_LARGE);
	b->max = max;
	return HS_OK;
}

const uint8_t *
hs_buf_ptr(const struct hs_buf *b)
{
	return b->size > b->off ? b->d + b->off : NULL;
}

uint8_t *
hs_buf_mutable_ptr(struct hs_buf *b)
{
	if (b->readonly || b->size == b->off)
		return NULL;
	return b->d + b->off;
}

/* Make room for n more bytes at the end; the data may move. */
static hs_err
buf_grow(struct hs_buf *b, size_t n)
{
	size_t used, need, nalloc;
	uint8_t *nd;

	BUF_CHECK(b);
	HS_ENSURE(!b->readonly, HS_ERR_INTERNAL);
	used = b->size - b->off;
	HS_ENSURE(n <= b->max && used <= b->max - n, HS_ERR_TOO_LARGE);
	if (b->alloc - b->size >= n)
		return HS_OK;
	/* Reclaim consumed space before reallocating. */
	if (b->off > 0 && (b->off >= BUF_COMPACT_MIN || b->off >= used) && b->alloc - used >= n) {
		memmove(b->d, b->d + b->off, used);
		hs_wipe(b->d + used, b->alloc - used);
		b->size = used;
		b->off = 0;
		return HS_OK;
	}
	/* The fresh block holds only the unread bytes, so it needs used + n. */
	need = used + n;
	nalloc = b->alloc ? b->alloc : BUF_INITIAL;
	while (nalloc < need)
		nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
	/* Never allocate past the bound (need <= max was checked above). */
	if (nalloc > b->max)
		nalloc = b->max;
	if ((nd = malloc(nalloc)) == NULL)
		return HS_ERR_ALLOC;
	if (b->d != NULL) {
		memcpy(nd, b->d + b->off, used);
		hs_free_wiped(b->d, b->alloc);
	}
	memset(nd + used, 0, nalloc - used);
	b->d = nd;
	b->alloc = nalloc;
	b->size = used;
	b->off = 0;
	return HS_OK;
}

hs_err
hs_buf_reserve(struct hs_buf *b, size_t n, uint8_t **p)
{
	*p = NULL;
	HS_GUARD(buf_grow(b, n));
	*p = b->d + b->size;
	b->size += n;
	return HS_OK;
}

hs_err
hs_buf_trim_end(struct hs_buf *b, size_t n)
{
	HS_ENSURE(!b->readonly, HS_ERR_INTERNAL);
	HS_ENSURE(n <= b->size - b->off, HS_ERR_INTERNAL);
	b->size -= n;
	hs_wipe(b->d + b->size, n);
	return HS_OK;
}

/* ---- readers ---- */

hs_err
hs_buf_get_bytes_view(struct hs_buf *b, size_t n, const uint8_t **p)
{
	BUF_CHECK(b);
	HS_ENSURE(n <= b->size - b->off, HS_ERR_TRUNCATED);
	/* A buffer that never held data has no storage: NULL + 0 is undefined in C. */
	*p = b->d != NULL ? b->d + b->off : (const uint8_t *)"";
	b->off += n;
	return HS_OK;
}

hs_err
hs_buf_get_bytes(struct hs_buf *b, void *out, size_t n)
{
	const uint8_t *p;

	HS_GUARD(hs_buf_get_bytes_view(b, n, &p));
	if (n > 0)
		memcpy(out, p, n);
	return HS_OK;
}

hs_err
hs_buf_skip(struct hs_buf *b, size_t n)
{
	const uint8_t *p;

	return hs_buf_get_bytes_view(b, n, &p);
}

hs_err
hs_buf_peek_u8(const struct hs_buf *b, size_t off, uint8_t *out)
{
	HS_ENSURE(off < b->size - b->off, HS_ERR_TRUNCATED);
	*out = b->d[b->off + off];
	return HS_OK;
}

hs_err
hs_buf_peek_u32(const struct hs_buf *b, size_t off, uint32_t *out)
{
	const uint8_t *p;

	HS_ENSURE(off <= b->size - b->off && b->size - b->off - off >= 4, HS_ERR_TRUNCATED);
	p = b->d + b->off + off;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return HS_OK;
}

hs_err
hs_buf_get_u8(struct hs_buf *b, uint8_t *out)
{
	const uint8_t *p;

	HS_GUARD(hs_buf_get_bytes_view(b, 1, &p));
	*out = p[0];
	return HS_OK;
}

hs_err
hs_buf_get_bool(struct hs_buf *b, bool *out)
{
	uint8_t v;

	HS_GUARD(hs_buf_get_u8(b, &v));
	*out = v != 0;	/* RFC 4251 5: any non-zero value is TRUE */
	return HS_OK;
}

hs_err
hs_buf_get_u32(struct hs_buf *b, uint32_t *out)
{
	HS_GUARD(hs_buf_peek_u32(b, 0, out));
	b->off += 4;
	return HS_OK;
}

hs_err
hs_buf_get_u64(struct hs_buf *b, uint64_t *out)
{
	uint32_t hi, lo;

	HS_ENSURE(b->size - b->off >= 8, HS_ERR_TRUNCATED);
	HS_GUARD(hs_buf_peek_u32(b, 0, &hi));
	HS_GUARD(hs_buf_peek_u32(b, 4, &lo));
	b->off += 8;
	*out = (uint64_t)hi << 32 | lo;
	return HS_OK;
}

hs_err
hs_buf_get_string(struct hs_buf *b, const uint8_t **p, size_t *len)
{
	uint32_t n;

	HS_GUARD(hs_buf_peek_u32(b, 0, &n));
	HS_ENSURE(n <= b->size - b->off - 4, HS_ERR_TRUNCATED);
	*p = b->d + b->off + 4;
	*len = n;
	b->off += 4 + (size_t)n;
	return HS_OK;
}

hs_err
hs_buf_get_cstring(struct hs_buf *b, char **out, size_t *lenp)
{
	const uint8_t *p;
	size_t len, save = b->off;
	char *s;

	HS_GUARD(hs_buf_get_string(b, &p, &len));
	if (len > 0 && memchr(p, '\0', len) != NULL) {
		b->off = save;
		return HS_ERR_FORMAT;
	}
	if ((s = malloc(len + 1)) == NULL) {
		b->off = save;
		return HS_ERR_ALLOC;
	}
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	*out = s;
	if (lenp != NULL)
		*lenp = len;
	return HS_OK;
}

hs_err
hs_buf_get_stringb(struct hs_buf *b, struct hs_buf *dst)
{
	const uint8_t *p;
	size_t len, save = b->off;
	hs_err r;

	HS_GUARD(hs_buf_get_string(b, &p, &len));
	if ((r = hs_buf_put_bytes(dst, p, len)) != HS_OK)
		b->off = save;
	return r;
}

hs_err
hs_buf_get_mpint(struct hs_buf *b, const uint8_t **pp, size_t *lenp)
{
	const uint8_t *p;
	size_t len, save = b->off;

	HS_GUARD(hs_buf_get_string(b, &p, &len));
	/* RFC 4251 5: two's complement, no unnecessary leading bytes; we accept only non-negative. */
	if ((len > 0 && (p[0] & 0x80) != 0) ||
	    (len > 1 && p[0] == 0 && (p[1] & 0x80) == 0) ||
	    (len == 1 && p[0] == 0)) {
		b->off = save;
		return HS_ERR_FORMAT;
	}
	if (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	*pp = p;
	*lenp = len;
	return HS_OK;
}

hs_err
hs_buf_get_end(const struct hs_buf *b)
{
	return b->size == b->off ? HS_OK : HS_ERR_TRAILING;
}

/* ---- writers ---- */

hs_err
hs_buf_put_bytes(struct hs_buf *b, const void *p, size_t n)
{
	uint8_t *dst;

	if (n == 0)
		return b->readonly ? HS_ERR_INTERNAL : HS_OK;
	HS_GUARD(hs_buf_reserve(b, n, &dst));
	memcpy(dst, p, n);
	return HS_OK;
}

hs_err
hs_buf_put_u8(struct hs_buf *b, uint8_t v)
{
	return hs_buf_put_bytes(b, &v, 1);
}

hs_err
hs_buf_put_bool(struct hs_buf *b, bool v)
{
	return hs_buf_put_u8(b, v ? 1 : 0);
}

hs_err
hs_buf_put_u32(struct hs_buf *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	return hs_buf_put_bytes(b, x, 4);
}

hs_err
hs_buf_put_u64(struct hs_buf *b, uint64_t v)
{
	uint8_t x[8] = { v >> 56, v >> 48, v >> 40, v >> 32, v >> 24, v >> 16, v >> 8, v };

	return hs_buf_put_bytes(b, x, 8);
}

hs_err
hs_buf_put_string(struct hs_buf *b, const void *p, size_t n)
{
	uint8_t *dst;

	HS_ENSURE(n <= UINT32_MAX && n <= SIZE_MAX - 4, HS_ERR_TOO_LARGE);
	HS_GUARD(hs_buf_reserve(b, 4 + n, &dst));
	dst[0] = (uint8_t)(n >> 24);
	dst[1] = (uint8_t)(n >> 16);
	dst[2] = (uint8_t)(n >> 8);
	dst[3] = (uint8_t)n;
	if (n > 0)
		memcpy(dst + 4, p, n);
	return HS_OK;
}

hs_err
hs_buf_put_cstring(struct hs_buf *b, const char *s)
{
	return hs_buf_put_string(b, s, s ? strlen(s) : 0);
}

hs_err
hs_buf_put_stringb(struct hs_buf *b, const struct hs_buf *src)
{
	return hs_buf_put_string(b, hs_buf_ptr(src), src->size - src->off);
}

hs_err
hs_buf_put_buf(struct hs_buf *b, const struct hs_buf *src)
{
	if (src->size == src->off)
		return HS_OK;
	return hs_buf_put_bytes(b, src->d + src->off, src->size - src->off);
}

hs_err
hs_buf_put_mpint(struct hs_buf *b, const uint8_t *p, size_t n)
{
	uint8_t *dst;
	size_t pad;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	pad = (n > 0 && (p[0] & 0x80)) ? 1 : 0;
	HS_ENSURE(n <= UINT32_MAX - 1 - 4, HS_ERR_TOO_LARGE);
	HS_GUARD(hs_buf_reserve(b, 4 + pad + n, &dst));
	dst[0] = (uint8_t)((n + pad) >> 24);
	dst[1] = (uint8_t)((n + pad) >> 16);
	dst[2] = (uint8_t)((n + pad) >> 8);
	dst[3] = (uint8_t)(n + pad);
	if (pad)
		dst[4] = 0;
	if (n > 0)
		memcpy(dst + 4 + pad, p, n);
	return HS_OK;
}

hs_err
hs_buf_to_cstring(const struct hs_buf *b, char **out)
{
	size_t n = b->size - b->off;
	char *s;

	*out = NULL;
	HS_ENSURE(n == 0 || memchr(b->d + b->off, '\0', n) == NULL, HS_ERR_FORMAT);
	if ((s = malloc(n + 1)) == NULL)
		return HS_ERR_ALLOC;
	if (n > 0)
		memcpy(s, b->d + b->off, n);
	s[n] = '\0';
	*out = s;
	return HS_OK;
}

hs_err
hs_buf_putf(struct hs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	uint8_t *dst;
	char *tmp;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	HS_ENSURE(n >= 0, HS_ERR_FORMAT);
	if ((tmp = malloc((size_t)n + 1)) == NULL)
		return HS_ERR_ALLOC;
	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (hs_buf_reserve(b, (size_t)n, &dst) != HS_OK) {
		hs_free_wiped(tmp, (size_t)n + 1);
		return HS_ERR_TOO_LARGE;
	}
	memcpy(dst, tmp, (size_t)n);
	hs_free_wiped(tmp, (size_t)n + 1);
	return HS_OK;
}
