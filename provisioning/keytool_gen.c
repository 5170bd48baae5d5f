/* keytool_gen.c: hssh-keygen's key generation (ssh-keygen -t/-b/-f/-N/-C/-q). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_keytool.h"
#include "hs_mem.h"
#include "keytool_impl.h"

/* -t names and sizes; one row per (type, bits) that -b may choose. */
struct kt_type {
	const char *name;
	enum hs_key_type type;
	unsigned bits;		/* 0: any in [min_bits, max_bits] */
	unsigned min_bits, max_bits;
	bool is_default;	/* the row taken when -b is absent */
	bool any_bits;		/* -b is ignored (ed25519 has one size), as ssh-keygen does */
	const char *bits_error;	/* on the default row: what a bad -b is told */
	const char *file;	/* default file under ~/.ssh */
};

static const struct kt_type kt_types[] = {
	{ .name = "ed25519", .type = HS_KEY_ED25519, .bits = 256, .is_default = true,
	    .any_bits = true, .file = "id_ed25519" },
	{ .name = "ecdsa", .type = HS_KEY_ECDSA_P256, .bits = 256, .is_default = true,
	    .bits_error = "Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits",
	    .file = "id_ecdsa" },
	{ .name = "ecdsa", .type = HS_KEY_ECDSA_P384, .bits = 384, .file = "id_ecdsa" },
	{ .name = "ecdsa", .type = HS_KEY_ECDSA_P521, .bits = 521, .file = "id_ecdsa" },
	/* RSA below 2048 bits is refused (NIST SP 800-131A); wolfSSL stops at 4096 */
	{ .name = "rsa", .type = HS_KEY_RSA, .min_bits = 2048, .max_bits = 4096, .is_default = true,
	    .bits_error = "Invalid RSA key length: must be 2048 to 4096 bits", .file = "id_rsa" },
	{ 0 }
};
#define KT_RSA_DEFAULT_BITS	3072	/* ssh-keygen's default */

/* Whether -b bits (0 when absent) selects this row. */
static bool
kt_type_fits(const struct kt_type *t, unsigned bits)
{
	if (bits == 0)
		return t->is_default;
	if (t->any_bits)
		return true;
	if (t->bits != 0)
		return bits == t->bits;
	return bits >= t->min_bits && bits <= t->max_bits;
}

static const struct kt_type *
kt_type_find(const char *name, unsigned bits)
{
	const struct kt_type *t;

	for (t = kt_types; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0 && kt_type_fits(t, bits))
			return t;
	return NULL;
}

/* "user@host" as ssh-keygen's default comment. */
static char *
kt_default_comment(void)
{
	struct passwd *pw = getpwuid(getuid());
	char host[256], *s = NULL;

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if (asprintf(&s, "%s@%s", pw != NULL ? pw->pw_name : "unknown", host) < 0)
		return NULL;
	return s;
}

/* ~/.ssh/<file>, creating ~/.ssh (0700) as ssh-keygen does; asks on a terminal. */
static char *
kt_default_path(const struct kt_type *t, bool quiet)
{
	const char *home = getenv("HOME");
	char *dir = NULL, *path = NULL, line[1024];

	if (home == NULL || asprintf(&dir, "%s/.ssh", home) < 0)
		return NULL;
	if (asprintf(&path, "%s/%s", dir, t->file) < 0)
		path = NULL;
	if (path != NULL && hs_kt_interactive()) {
		printf("Enter file in which to save the key (%s): ", path);
		fflush(stdout);
		if (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] != '\0') {
				free(path);
				path = strdup(line);
			}
		}
	}
	if (path != NULL && mkdir(dir, 0700) == 0 && !quiet)
		printf("Created directory '%s'.\n", dir);
	free(dir);
	return path;
}

/* -N or asked twice; *pass is a buffer of KT_MAX_PASS bytes. */
static int
kt_new_passphrase(const struct hs_keytool_opts *o, char *pass)
{
	char again[KT_MAX_PASS];
	int rc = KT_EXIT_OK;

	if (o->new_pass != NULL) {
		snprintf(pass, KT_MAX_PASS, "%s", o->new_pass);
		return KT_EXIT_OK;
	}
	if (hs_kt_read_pass("Enter passphrase (empty for no passphrase): ", pass, KT_MAX_PASS) !=
	    HS_OK || hs_kt_read_pass("Enter same passphrase again: ", again, sizeof(again)) !=
	    HS_OK) {
		rc = KT_EXIT_NO;
	} else if (strcmp(pass, again) != 0) {
		fprintf(stderr, "Passphrases do not match.\n");
		rc = KT_EXIT_NO;
	}
	hs_wipe(again, sizeof(again));
	return rc;
}

/* Write file and file.pub, then say so as ssh-keygen does. */
static int
kt_save(const struct hs_key *k, const char *path, const char *pass, const char *comment, bool quiet)
{
	char *priv = NULL, *line = NULL, *pub = NULL, *pubpath = NULL, *fp = NULL, *art = NULL;
	int rc = KT_EXIT_FAIL;

	if (hs_keyfile_write_private(k, pass, comment, &priv) != HS_OK ||
	    hs_keyfile_public_line(k, comment, &line) != HS_OK ||
	    asprintf(&pub, "%s\n", line) < 0 || asprintf(&pubpath, "%s.pub", path) < 0) {
		fprintf(stderr, "hssh-keygen: cannot encode the key\n");
		goto out;
	}
	if (hs_kt_write_file(path, 0600, priv, strlen(priv)) != HS_OK) {
		fprintf(stderr, "Saving key \"%s\" failed: %s\n", path, strerror(errno));
		goto out;
	}
	if (hs_kt_write_file(pubpath, 0644, pub, strlen(pub)) != HS_OK) {
		fprintf(stderr, "Unable to save public key to %s: %s\n", pubpath, strerror(errno));
		goto out;
	}
	rc = KT_EXIT_OK;
	if (quiet)
		goto out;
	printf("Your identification has been saved in %s\n", path);
	printf("Your public key has been saved in %s\n", pubpath);
	if (hs_key_fingerprint(k, &fp) == HS_OK && hs_kt_randomart(k, &art) == HS_OK)
		printf("The key fingerprint is:\n%s %s\nThe key's randomart image is:\n%s", fp,
		    comment, art);
out:
	if (priv != NULL)
		hs_free_wiped(priv, strlen(priv));
	free(line);
	free(pub);
	free(pubpath);
	free(fp);
	free(art);
	return rc;
}

static int
kt_check_type(const struct hs_keytool_opts *o, const struct kt_type **out)
{
	const char *name = o->type != NULL ? o->type : "rsa";

	const struct kt_type *dflt = kt_type_find(name, 0);

	*out = kt_type_find(name, o->bits);
	if (*out != NULL)
		return KT_EXIT_OK;
	if (dflt == NULL)
		fprintf(stderr, "unknown key type %s\n", name);
	else
		fprintf(stderr, "%s\n", dflt->bits_error);
	return KT_EXIT_FAIL;
}

int
hs_keytool_generate(const struct hs_keytool_opts *o)
{
	const struct kt_type *t;
	struct hs_key *k = NULL;
	char *path = NULL, *comment = NULL, pass[KT_MAX_PASS];
	struct stat st;
	int rc;

	pass[0] = '\0';
	if ((rc = kt_check_type(o, &t)) != KT_EXIT_OK)
		return rc;
	rc = KT_EXIT_FAIL;
	if (!o->quiet)
		printf("Generating public/private %s key pair.\n", t->name);
	path = o->file != NULL ? strdup(o->file) : kt_default_path(t, o->quiet);
	comment = o->comment != NULL ? strdup(o->comment) : kt_default_comment();
	if (path == NULL || comment == NULL)
		goto out;
	if (stat(path, &st) == 0) {
		/* ssh-keygen asks; with nobody to ask, refuse */
		printf("%s already exists.\n", path);
		if (!hs_kt_ask_yes("Overwrite (y/n)? ")) {
			rc = KT_EXIT_NO;
			goto out;
		}
	}
	if ((rc = kt_new_passphrase(o, pass)) != KT_EXIT_OK)
		goto out;
	rc = KT_EXIT_FAIL;
	if (hs_key_generate(t->type, t->bits == 0 ? (o->bits ? o->bits : KT_RSA_DEFAULT_BITS) : 0,
	    &k) != HS_OK) {
		fprintf(stderr, "hssh-keygen: key generation failed\n");
		goto out;
	}
	rc = kt_save(k, path, pass, comment, o->quiet);
out:
	hs_wipe(pass, sizeof(pass));
	hs_key_free(k);
	free(path);
	free(comment);
	return rc;
}
