/* hs_buf.h: bounded byte buffers with a read cursor (STYLE.md section 2).
 *
 * Every byte from the wire is read through these functions. A getter moves the cursor only when it
 * succeeds; on failure *out is left untouched. Every free or reset wipes the storage, so a buffer that
 * held a secret never leaves it behind.
 */
#ifndef HS_BUF_H
#define HS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

struct hs_buf;

#define HS_BUF_MAX_DEFAULT	(16u * 1024 * 1024)	/* a sane cap for anything we build */

/* New empty buffer that may grow to max bytes. *out is NULL on failure. */
HS_MUST_USE hs_err hs_buf_new(size_t max, struct hs_buf **out);

/* New read-only view of len bytes at p (not copied; p must outlive the view). Writes fail. */
HS_MUST_USE hs_err hs_buf_from(const void *p, size_t len, struct hs_buf **out);

/* New buffer holding a copy of the unread bytes of src, bounded like src. */
HS_MUST_USE hs_err hs_buf_dup(const struct hs_buf *src, struct hs_buf **out);

/* Wipe and free. b may be NULL. */
void hs_buf_free(struct hs_buf *b);

/* Wipe all contents; empty the buffer (keeps its allocation and bound). */
void hs_buf_reset(struct hs_buf *b);

/* Bytes not yet read. */
size_t hs_buf_len(const struct hs_buf *b);
/* Maximum size the buffer may grow to. */
size_t hs_buf_max(const struct hs_buf *b);
/* Change the bound; fails with HS_ERR_TOO_LARGE if the current contents exceed it. */
HS_MUST_USE hs_err hs_buf_set_max(struct hs_buf *b, size_t max);
/* Pointer to the unread bytes (valid until the next write); NULL when empty. */
const uint8_t *hs_buf_ptr(const struct hs_buf *b);
/* Writable pointer to the unread bytes; NULL for read-only views or empty buffers. */
uint8_t *hs_buf_mutable_ptr(struct hs_buf *b);
/* Internal consistency check (used by debug builds and tests). */
bool hs_buf_valid(const struct hs_buf *b);

/* ---- readers: cursor moves only on success ---- */
HS_MUST_USE hs_err hs_buf_get_u8(struct hs_buf *b, uint8_t *out);
HS_MUST_USE hs_err hs_buf_get_bool(struct hs_buf *b, bool *out);
HS_MUST_USE hs_err hs_buf_get_u32(struct hs_buf *b, uint32_t *out);
HS_MUST_USE hs_err hs_buf_get_u64(struct hs_buf *b, uint64_t *out);
/* Copy exactly n raw bytes into out. */
HS_MUST_USE hs_err hs_buf_get_bytes(struct hs_buf *b, void *out, size_t n);
/* View of the next n raw bytes (no copy; valid while b is unchanged). */
HS_MUST_USE hs_err hs_buf_get_bytes_view(struct hs_buf *b, size_t n, const uint8_t **p);
/* uint32 length + bytes; *p points into b (no copy). */
HS_MUST_USE hs_err hs_buf_get_string(struct hs_buf *b, const uint8_t **p, size_t *len);
/* A string as a newly allocated NUL-terminated C string; refuses embedded NULs (HS_ERR_FORMAT).
 * Caller frees. len may be NULL. */
HS_MUST_USE hs_err hs_buf_get_cstring(struct hs_buf *b, char **out, size_t *len);
/* A string copied into dst (appended, as raw bytes). */
HS_MUST_USE hs_err hs_buf_get_stringb(struct hs_buf *b, struct hs_buf *dst);
/* A non-negative mpint (RFC 4251 5); *p, *len view the magnitude without any leading zero byte.
 * Negative or non-minimal encodings give HS_ERR_FORMAT. */
HS_MUST_USE hs_err hs_buf_get_mpint(struct hs_buf *b, const uint8_t **p, size_t *len);
/* Skip n bytes. */
HS_MUST_USE hs_err hs_buf_skip(struct hs_buf *b, size_t n);
/* Peek a uint32 at offset off from the cursor, without moving it. */
HS_MUST_USE hs_err hs_buf_peek_u32(const struct hs_buf *b, size_t off, uint32_t *out);
/* Peek a byte at offset off from the cursor. */
HS_MUST_USE hs_err hs_buf_peek_u8(const struct hs_buf *b, size_t off, uint8_t *out);
/* HS_OK iff no unread bytes remain, else HS_ERR_TRAILING. */
HS_MUST_USE hs_err hs_buf_get_end(const struct hs_buf *b);

/* ---- writers: on failure the buffer is unchanged ---- */
HS_MUST_USE hs_err hs_buf_put_u8(struct hs_buf *b, uint8_t v);
HS_MUST_USE hs_err hs_buf_put_bool(struct hs_buf *b, bool v);
HS_MUST_USE hs_err hs_buf_put_u32(struct hs_buf *b, uint32_t v);
HS_MUST_USE hs_err hs_buf_put_u64(struct hs_buf *b, uint64_t v);
HS_MUST_USE hs_err hs_buf_put_bytes(struct hs_buf *b, const void *p, size_t n);
HS_MUST_USE hs_err hs_buf_put_string(struct hs_buf *b, const void *p, size_t n);
HS_MUST_USE hs_err hs_buf_put_cstring(struct hs_buf *b, const char *s);
/* The unread bytes of src as one string. */
HS_MUST_USE hs_err hs_buf_put_stringb(struct hs_buf *b, const struct hs_buf *src);
/* The unread bytes of src, raw. */
HS_MUST_USE hs_err hs_buf_put_buf(struct hs_buf *b, const struct hs_buf *src);
/* An mpint from an unsigned big-endian magnitude (leading zeros stripped, 0x00 added if the top bit
 * is set). */
HS_MUST_USE hs_err hs_buf_put_mpint(struct hs_buf *b, const uint8_t *p, size_t n);
/* Append n bytes and return a pointer to them in *p for the caller to fill. */
HS_MUST_USE hs_err hs_buf_reserve(struct hs_buf *b, size_t n, uint8_t **p);
/* Drop n bytes from the end (after a reserve that was not fully used). */
HS_MUST_USE hs_err hs_buf_trim_end(struct hs_buf *b, size_t n);
/* The unread bytes as a new NUL-terminated string (b unchanged); HS_ERR_FORMAT if they hold a NUL.
 * Caller frees. */
HS_MUST_USE hs_err hs_buf_to_cstring(const struct hs_buf *b, char **out);
/* printf-style append (no NUL stored). */
HS_MUST_USE hs_err hs_buf_putf(struct hs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
