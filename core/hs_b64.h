/* hs_b64.h: base64 (RFC 4648 4) for key files, known_hosts and fingerprints, and the hex digit
 * that URIs' percent-escapes (RFC 3986 2.1) and ids are written with. */
#ifndef HS_B64_H
#define HS_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"

/* Append the base64 of n bytes at p to out as text (no NUL). pad selects '=' padding (fingerprints
 * omit it). */
HS_MUST_USE hs_err hs_b64_encode(const uint8_t *p, size_t n, bool pad, struct hs_buf *out);
/* Decode len characters of text (whitespace skipped, padding optional) and append bytes to out.
 * HS_ERR_FORMAT on a character outside the alphabet or bad padding. */
HS_MUST_USE hs_err hs_b64_decode(const char *text, size_t len, struct hs_buf *out);
/* Value of one hex digit (either case), or -1. */
int hs_hex_value(char c);

#endif
