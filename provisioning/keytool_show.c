/* keytool_show.c: hssh-keygen -l (fingerprint) and -y (public key of a private key file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_keyfile.h"
#include "hs_keytool.h"
#include "hs_mem.h"
#include "keytool_impl.h"

static void
kt_print_fp(const struct hs_key *k, const char *comment)
{
	char *fp = NULL;

	if (hs_key_fingerprint(k, &fp) != HS_OK) {
		fprintf(stderr, "hssh-keygen: cannot fingerprint the key\n");
		return;
	}
	printf("%u %s %s (%s)\n", hs_key_bits(k), fp, comment, hs_key_type_short(hs_key_type(k)));
	free(fp);
}

/* Fingerprint every public key line of text (blank lines and '#' comments skipped); a line without
 * a comment is labelled with the file name, as ssh-keygen does. Returns the number printed. */
static int
kt_fp_public_lines(char *text, const char *path)
{
	char *line, *save = NULL, *comment;
	struct hs_key *k;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (hs_keyfile_parse_public(line, &k, &comment) != HS_OK)
			continue;
		kt_print_fp(k, comment != NULL ? comment : path);
		hs_key_free(k);
		free(comment);
		n++;
	}
	return n;
}

/* A private key file: its comment if it is not encrypted, else the public half with no comment. */
static int
kt_fp_private(const char *text, size_t len)
{
	struct hs_key *k = NULL;
	char *comment = NULL;
	bool enc;
	int n = 0;

	if (hs_keyfile_peek_private(text, len, NULL, &enc) != HS_OK)
		return 0;
	if (!enc && hs_keyfile_parse_private(text, len, NULL, &k, &comment) == HS_OK) {
		kt_print_fp(k, comment);
		n = 1;
	} else if (hs_keyfile_peek_private(text, len, &k, NULL) == HS_OK) {
		kt_print_fp(k, "no comment");
		n = 1;
	}
	hs_key_free(k);
	free(comment);
	return n;
}

/* As ssh-keygen: a private key file is described by file.pub when there is one. */
int
hs_keytool_fingerprint(const struct hs_keytool_opts *o)
{
	char *text = NULL, *pubpath = NULL, *pubtext = NULL;
	size_t len = 0, publen = 0;
	int found = 0;
	hs_err r;

	if ((r = hs_kt_read_file(o->file, &text, &len)) != HS_OK) {
		fprintf(stderr, "hssh-keygen: %s: %s\n", o->file,
		    r == HS_ERR_NOT_FOUND ? "No such file or directory" : hs_err_str(r));
		return KT_EXIT_FAIL;
	}
	if (hs_keyfile_peek_private(text, len, NULL, NULL) == HS_OK) {
		if (asprintf(&pubpath, "%s.pub", o->file) >= 0 &&
		    hs_kt_read_file(pubpath, &pubtext, &publen) == HS_OK)
			found = kt_fp_public_lines(pubtext, pubpath);
		if (found == 0)
			found = kt_fp_private(text, len);
	} else {
		found = kt_fp_public_lines(text, o->file);
	}
	if (found == 0)
		fprintf(stderr, "%s is not a public key file.\n", o->file);
	hs_free_wiped(text, len + 1);
	hs_free_wiped(pubtext, pubtext != NULL ? publen + 1 : 0);
	free(pubpath);
	return found > 0 ? KT_EXIT_OK : KT_EXIT_FAIL;
}

/* ssh-keygen refuses a private key file that group or others may read (sshkey_perm_ok). */
static bool
kt_perm_ok(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return true;	/* the read reports it */
	if (st.st_uid == getuid() && (st.st_mode & 077) != 0) {
		fprintf(stderr, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		    "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n"
		    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		    "Permissions 0%3.3o for '%s' are too open.\n"
		    "It is required that your private key files are NOT accessible by others.\n"
		    "This private key will be ignored.\n", (unsigned)(st.st_mode & 0777), path);
		return false;
	}
	return true;
}

/* Load a private key, asking for the passphrase when it is encrypted and -P was not given. */
static hs_err
kt_load_private(const struct hs_keytool_opts *o, const char *text, size_t len,
    struct hs_key **k, char **comment)
{
	char pass[KT_MAX_PASS];
	bool enc;
	hs_err r;

	HS_GUARD(hs_keyfile_peek_private(text, len, NULL, &enc));
	if (!enc || o->old_pass != NULL)
		return hs_keyfile_parse_private(text, len, o->old_pass, k, comment);
	/* as ssh-keygen: nothing to read counts as an empty (so wrong) passphrase */
	if (hs_kt_read_pass("Enter passphrase: ", pass, sizeof(pass)) != HS_OK)
		pass[0] = '\0';
	r = hs_keyfile_parse_private(text, len, pass, k, comment);
	hs_wipe(pass, sizeof(pass));
	return r;
}

int
hs_keytool_print_public(const struct hs_keytool_opts *o)
{
	struct hs_key *k = NULL;
	char *text = NULL, *comment = NULL, *line = NULL;
	size_t len = 0;
	int rc = KT_EXIT_FAIL;
	hs_err r;

	if (!kt_perm_ok(o->file)) {
		fprintf(stderr, "Load key \"%s\": bad permissions\n", o->file);
		return KT_EXIT_FAIL;
	}
	if ((r = hs_kt_read_file(o->file, &text, &len)) != HS_OK) {
		fprintf(stderr, "hssh-keygen: %s: %s\n", o->file,
		    r == HS_ERR_NOT_FOUND ? "No such file or directory" : hs_err_str(r));
		return KT_EXIT_FAIL;
	}
	r = kt_load_private(o, text, len, &k, &comment);
	if (r == HS_ERR_PASSPHRASE)
		fprintf(stderr, "Load key \"%s\": incorrect passphrase supplied to decrypt private "
		    "key\n", o->file);
	else if (r != HS_OK)
		fprintf(stderr, "Load key \"%s\": %s\n", o->file,
		    r == HS_ERR_FORMAT ? "invalid format" : hs_err_str(r));
	else if (hs_keyfile_public_line(k, comment, &line) == HS_OK) {
		printf("%s\n", line);
		rc = KT_EXIT_OK;
	}
	hs_free_wiped(text, len + 1);
	hs_key_free(k);
	free(comment);
	free(line);
	return rc;
}
