/* keytool_art.c: the fingerprint picture ssh-keygen draws ("randomart"): the "drunken bishop" walk
 * (D. Loss, T. Limmer, A. von Gernler, "The drunken bishop: An analysis of the OpenSSH fingerprint
 * visualization algorithm", 2009) over the SHA-256 of the public key blob. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "hs_crypto.h"
#include "hs_mem.h"
#include "keytool_impl.h"

#define ART_W	17
#define ART_H	9

/* Visit counts map to these; the last two mark the start and end squares. */
static const char art_symbols[] = " .o+=*BOX@%&#/^SE";
#define ART_MAXCOUNT	(sizeof(art_symbols) - 4)	/* '^' */
#define ART_START	(sizeof(art_symbols) - 3)	/* 'S' */
#define ART_END		(sizeof(art_symbols) - 2)	/* 'E' */

/* Each byte moves the bishop four times, two bits per move from the low end: bit 0 right/left,
 * bit 1 down/up; it stays on the board by sliding along the walls. */
static void
art_walk(const uint8_t *d, size_t n, uint8_t field[ART_W][ART_H])
{
	int x = ART_W / 2, y = ART_H / 2, i;
	size_t b;
	uint8_t v;

	for (b = 0; b < n; b++) {
		v = d[b];
		for (i = 0; i < 4; i++, v >>= 2) {
			x += (v & 1) ? 1 : -1;
			y += (v & 2) ? 1 : -1;
			x = x < 0 ? 0 : (x > ART_W - 1 ? ART_W - 1 : x);
			y = y < 0 ? 0 : (y > ART_H - 1 ? ART_H - 1 : y);
			if (field[x][y] < ART_MAXCOUNT)
				field[x][y]++;
		}
	}
	field[ART_W / 2][ART_H / 2] = ART_START;
	field[x][y] = ART_END;
}

/* "+--[TITLE]--+": title centred in the frame's width, left-biased. */
static hs_err
art_border(struct hs_buf *b, const char *title)
{
	size_t t = strlen(title), left = (ART_W - t) / 2, i;

	HS_GUARD(hs_buf_put_u8(b, '+'));
	for (i = 0; i < left; i++)
		HS_GUARD(hs_buf_put_u8(b, '-'));
	HS_GUARD(hs_buf_put_bytes(b, title, t));
	for (i = left + t; i < ART_W; i++)
		HS_GUARD(hs_buf_put_u8(b, '-'));
	return hs_buf_put_bytes(b, "+\n", 2);
}

hs_err
hs_kt_randomart(const struct hs_key *k, char **out)
{
	uint8_t field[ART_W][ART_H], dgst[HS_MAX_HASH];
	struct hs_buf *blob = NULL, *txt = NULL;
	char title[ART_W + 1];
	int x, y;
	hs_err r;

	*out = NULL;
	memset(field, 0, sizeof(field));
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &blob), r, out);
	HS_GUARD_GOTO(hs_buf_new(4096, &txt), r, out);
	HS_GUARD_GOTO(hs_key_public_blob(k, blob), r, out);
	HS_GUARD_GOTO(hs_hash(HS_HASH_SHA256, hs_buf_ptr(blob), hs_buf_len(blob), dgst), r, out);
	art_walk(dgst, hs_hash_len(HS_HASH_SHA256), field);
	snprintf(title, sizeof(title), "[%s %u]", hs_key_type_short(hs_key_type(k)), hs_key_bits(k));
	HS_GUARD_GOTO(art_border(txt, title), r, out);
	for (y = 0; y < ART_H; y++) {
		HS_GUARD_GOTO(hs_buf_put_u8(txt, '|'), r, out);
		for (x = 0; x < ART_W; x++)
			HS_GUARD_GOTO(hs_buf_put_u8(txt, (uint8_t)art_symbols[field[x][y]]), r, out);
		HS_GUARD_GOTO(hs_buf_put_bytes(txt, "|\n", 2), r, out);
	}
	HS_GUARD_GOTO(art_border(txt, "[SHA256]"), r, out);
	HS_GUARD_GOTO(hs_buf_to_cstring(txt, out), r, out);
	r = HS_OK;
out:
	hs_buf_free(blob);
	hs_buf_free(txt);
	return r;
}
