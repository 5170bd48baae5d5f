/* hs_pkcs11_uri.h: RFC 7512 PKCS#11 URIs, as hardssh takes them in HostKey, IdentityFile and the
 * provisioning tools (issue 5). Private to hw/ and provisioning/; no PKCS#11 type appears here.
 *
 *   pkcs11:token=My%20HSM;object=host-ecdsa;id=%01%02;type=private?module-path=/usr/lib/x.so&pin-source=file:/etc/hardssh/pin
 *
 * Path attributes (';'-separated): token, manufacturer, serial, model, library-manufacturer,
 * library-description, library-version, slot-id, slot-description, slot-manufacturer, object,
 * id, type. Query attributes ('&'-separated): module-path, module-name, pin-source, pin-value.
 * Values are percent-decoded (RFC 7512 2.3; RFC 3986 pct-encoding, two hex digits, either case).
 * hardssh refuses, with a logged reason (HS_ERR_FORMAT):
 *   - a scheme other than "pkcs11:" (case-insensitive), an empty attribute name, a name given twice,
 *     an unknown path attribute (RFC 7512 allows vendor "x-" attributes: those are ignored),
 *     a bad or truncated %-escape, a NUL byte after decoding in a text attribute;
 *   - "pin-value": a PIN must never be on a command line or in a world-readable config (use
 *     pin-source=file:...);
 *   - module-path that is not absolute; slot-id that is not a decimal unsigned long;
 *     type not one of public, private, cert, secret-key, data.
 * Unknown query attributes are ignored, as RFC 7512 2.3 allows.
 */
#ifndef HS_PKCS11_URI_H
#define HS_PKCS11_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

#define HS_P11URI_MAX		4096	/* longest URI accepted */

enum hs_p11uri_type {
	HS_P11URI_ANY = 0,
	HS_P11URI_PUBLIC,
	HS_P11URI_PRIVATE,
	HS_P11URI_CERT,
	HS_P11URI_SECRET_KEY,
	HS_P11URI_DATA,
};

/* Parsed URI. Text attributes are NUL-terminated decoded copies, NULL when absent. */
struct hs_p11uri {
	char *token, *manufacturer, *serial, *model;	/* CK_TOKEN_INFO fields to match */
	char *lib_manufacturer, *lib_description, *lib_version;
	char *slot_description, *slot_manufacturer;
	bool has_slot_id;
	unsigned long slot_id;
	char *object;			/* CKA_LABEL */
	uint8_t *id;			/* CKA_ID bytes (may contain NUL) */
	size_t id_len;
	bool has_id;			/* "id=" present (an empty id is a value) */
	enum hs_p11uri_type type;
	char *module_path;		/* absolute path of the PKCS#11 module */
	char *module_name;		/* p11-kit module name */
	char *pin_source;		/* "file:/path" or "/path" as given (decoded) */
};

/* True if s starts with "pkcs11:" (case-insensitive scheme). */
bool hs_p11uri_is(const char *s);

/* Parse s into *out (zeroed first). HS_OK; HS_ERR_FORMAT (reason logged, without the PIN
 * source's content, which this function never reads); HS_ERR_TOO_LARGE past HS_P11URI_MAX;
 * HS_ERR_ALLOC. On failure *out holds nothing to free. */
HS_MUST_USE hs_err hs_p11uri_parse(const char *s, struct hs_p11uri *out);

/* Free every field and zero *u. NULL-safe. */
void hs_p11uri_free(struct hs_p11uri *u);

/* The canonical text of u (attributes in the order above, values percent-encoded where RFC 7512
 * requires: everything outside unreserved / ":" "[" "]" "@" "!" "$" "'" "(" ")" "*" "+" "," "="
 * in path values, and outside those and "/" "?" "|" in query values; so "&", ";" and "%" always),
 * for logs and for hssh-provision to print. Parsing the result gives back an equal struct.
 * *out is the caller's to free. HS_ERR_TOO_LARGE (*out NULL) if the text would be longer than
 * HS_P11URI_MAX, which hs_p11uri_parse would refuse; HS_ERR_ALLOC. */
HS_MUST_USE hs_err hs_p11uri_format(const struct hs_p11uri *u, char **out);

/* Read the PIN named by u->pin_source ("file:/path" or an absolute path): the file's first line
 * without its newline, at most 256 bytes. The file must be a regular file not readable or
 * writable by group or others (as ssh checks private keys), else HS_ERR_PERM (logged).
 * A symbolic link is refused (HS_ERR_PERM). HS_ERR_NOT_FOUND if u has no pin_source or the file
 * is missing; HS_ERR_TOO_LARGE for a longer first line (its "\n" or "\r\n" not counted);
 * HS_ERR_FORMAT for a relative path or a NUL byte in the PIN; HS_ERR_IO. On failure *pin is NULL
 * and *len 0. *pin is wiped and freed by the caller (hs_free_wiped). */
HS_MUST_USE hs_err hs_p11uri_read_pin(const struct hs_p11uri *u, char **pin, size_t *len);

#endif
