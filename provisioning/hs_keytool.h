/* hs_keytool.h: the logic of hssh-keygen(1) (layer hs_keytool), kept apart from option parsing so
 * that it can be tested. Each entry point prints what ssh-keygen prints and returns the exit status
 * ssh-keygen would: 0 success, 1 a refused or declined action, 255 a failure. */
#ifndef HS_KEYTOOL_H
#define HS_KEYTOOL_H

#include <stdbool.h>

struct hs_keytool_opts {
	const char *type;	/* -t: "ed25519", "ecdsa", "rsa" (NULL: rsa, as ssh-keygen 9.2) */
	unsigned bits;		/* -b: 0 for the type's default */
	const char *file;	/* -f: NULL asks (on a tty) or takes ~/.ssh/id_<type> */
	const char *new_pass;	/* -N: NULL asks */
	const char *old_pass;	/* -P: NULL asks if the key is encrypted */
	const char *comment;	/* -C: NULL for user@host */
	bool quiet;		/* -q */
};

/* Make a key pair and write file (0600) and file.pub (0644). */
int hs_keytool_generate(const struct hs_keytool_opts *o);
/* -l: "BITS SHA256:... comment (TYPE)" for a public key file, a private key file, or file.pub. */
int hs_keytool_fingerprint(const struct hs_keytool_opts *o);
/* -y: the public key line of a private key file. */
int hs_keytool_print_public(const struct hs_keytool_opts *o);

#endif
