/* keytool_impl.h: helpers shared by the provisioning/keytool_*.c files. */
#ifndef HS_KEYTOOL_IMPL_H
#define HS_KEYTOOL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hs_err.h"
#include "hs_provider.h"

#define KT_EXIT_OK	0
#define KT_EXIT_NO	1	/* declined (overwrite refused, passphrases differ) */
#define KT_EXIT_FAIL	255	/* as ssh-keygen's fatal() */
#define KT_MAX_FILE	(1u << 20)
#define KT_MAX_PASS	1024

/* Read a whole file (at most KT_MAX_FILE bytes) into a new NUL-terminated buffer. HS_ERR_NOT_FOUND
 * if it does not exist, HS_ERR_IO (errno set) for other failures. Caller frees with
 * hs_free_wiped(*out, *len + 1). */
HS_MUST_USE hs_err hs_kt_read_file(const char *path, char **out, size_t *len);
/* Create or truncate path with mode (applied even if it existed) and write n bytes. */
HS_MUST_USE hs_err hs_kt_write_file(const char *path, mode_t mode, const void *p, size_t n);
/* Ask for a passphrase on the terminal without echo, or read a line from stdin when there is no
 * terminal. buf receives a NUL-terminated string; HS_ERR_IO on EOF. */
HS_MUST_USE hs_err hs_kt_read_pass(const char *prompt, char *buf, size_t n);
/* Print prompt and read a line on a terminal; false (declined) when stdin is not a terminal. */
bool hs_kt_ask_yes(const char *prompt);
/* True iff stdin is a terminal we can ask. */
bool hs_kt_interactive(void);

/* OpenSSH's "randomart" (the drunken bishop walk over the SHA-256 of the public blob), newline
 * terminated lines. Caller frees. */
HS_MUST_USE hs_err hs_kt_randomart(const struct hs_key *k, char **out);

#endif
