/* hssh-keygen.c: option parsing for hssh-keygen(1); the work is in provisioning/keytool_*.c.
 * The options, messages and exit statuses follow ssh-keygen(1) of OpenSSH 9.2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_fips.h"
#include "hs_keytool.h"
#include "hs_log.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: hssh-keygen [-q] [-b bits] [-C comment] [-f output_keyfile] [-N new_passphrase]\n"
	    "                   [-t ecdsa | ed25519 | rsa]\n"
	    "       hssh-keygen -l [-f input_keyfile]\n"
	    "       hssh-keygen -y [-P passphrase] [-f input_keyfile]\n"
	    "       hssh-keygen --self-test [--json]\n");
	exit(1);
}

static unsigned
parse_bits(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 16384) {
		fprintf(stderr, "Bits has bad value %s (invalid)\n", s);
		exit(1);
	}
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	struct hs_keytool_opts o;
	char *deflt = NULL;
	int ch, mode = 0, rc;

	memset(&o, 0, sizeof(o));
	hs_log_init("hssh-keygen", HS_LOG_ERROR, true, 0);
	if ((rc = hs_fips_self_test_cmd(argc, argv, "hssh-keygen")) >= 0)
		return rc;
	while ((ch = getopt(argc, argv, "b:C:f:lN:P:qt:y")) != -1) {
		switch (ch) {
		case 'b': o.bits = parse_bits(optarg); break;
		case 'C': o.comment = optarg; break;
		case 'f': o.file = optarg; break;
		case 'N': o.new_pass = optarg; break;
		case 'P': o.old_pass = optarg; break;
		case 'q': o.quiet = true; break;
		case 't': o.type = optarg; break;
		case 'l': case 'y': mode = ch; break;
		default: usage();
		}
	}
	if (optind < argc)
		usage();
	/* Issue 6: the power-on self-tests before any key is generated or read; a failure has
	 * logged "self-test failed: <test> on <backend>". */
	if (hs_fips_post() != HS_OK) {
		fprintf(stderr, "hssh-keygen: FIPS self-tests failed\n");
		return 255;
	}
	if (hs_crypto_init() != HS_OK) {
		fprintf(stderr, "hssh-keygen: crypto initialisation failed\n");
		return 255;
	}
	if (mode != 0 && o.file == NULL) {
		if (getenv("HOME") == NULL || asprintf(&deflt, "%s/.ssh/id_rsa", getenv("HOME")) < 0)
			usage();
		o.file = deflt;
	}
	if (mode == 'l')
		rc = hs_keytool_fingerprint(&o);
	else if (mode == 'y')
		rc = hs_keytool_print_public(&o);
	else
		rc = hs_keytool_generate(&o);
	free(deflt);
	return rc;
}
