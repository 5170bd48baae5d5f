/* client_main.c: hssh's command line (ssh(1)-compatible subset) and the connection's life:
 * configuration, connect, transport handshake with known_hosts, authentication, session. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_impl.h"
#include "hs_algs.h"
#include "hs_fips.h"
#include "hs_mem.h"
#include "hs_session.h"
#include "hs_ssh.h"

#define EXIT_ERR	255

struct cli_opts {
	int verbose;
	bool quiet, tty_no, no_session, stdin_null, dump, version;
	int tty;			/* -t count */
	const char *config_file;	/* -F */
	const char *query;		/* -Q */
	char *host;			/* host part of [user@]host */
	char *command;			/* joined remote command or NULL */
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-GNnqTtVv] [-c cipher_spec] [-F configfile] [-I pkcs11]\n"
	    "            [-i identity_file] [-l login_name] [-m mac_spec] [-o option] [-p port]\n"
	    "            [-Q query_option]\n"
	    "            destination [command [argument ...]]\n"
	    "       %s --self-test [--json]\n", HS_PROGNAME, HS_PROGNAME);
	exit(EXIT_ERR);
}

/* hssh -Q: the names ssh accepts, mapped to our tables. */
static const struct {
	const char *name;
	int fam;	/* enum hs_alg_family, or 0 for plain key types */
} query_names[] = {
	{ "cipher", HS_ALGS_CIPHER }, { "Ciphers", HS_ALGS_CIPHER }, { "mac", HS_ALGS_MAC },
	{ "MACs", HS_ALGS_MAC }, { "kex", HS_ALGS_KEX }, { "KexAlgorithms", HS_ALGS_KEX },
	{ "key", 0 }, { "key-plain", 0 }, { "key-sig", HS_ALGS_HOSTKEY },
	{ "sig", HS_ALGS_HOSTKEY }, { "HostKeyAlgorithms", HS_ALGS_HOSTKEY },
	{ "PubkeyAcceptedAlgorithms", HS_ALGS_HOSTKEY },
	{ "HostbasedAcceptedAlgorithms", HS_ALGS_HOSTKEY },
};

static int
do_query(const char *what)
{
	if (strcasecmp(what, "provider") == 0) {
		hs_client_print_providers(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(query_names) / sizeof(query_names[0]); i++) {
		if (strcasecmp(what, query_names[i].name) != 0)
			continue;
		if (query_names[i].fam != 0) {
			hs_algs_print((enum hs_alg_family)query_names[i].fam, stdout);
			return 0;
		}
		for (int t = HS_KEY_ED25519; t <= HS_KEY_RSA; t++)
			printf("%s\n", hs_key_type_name((enum hs_key_type)t));
		return 0;
	}
	fprintf(stderr, "%s: Unsupported query \"%s\"\n", HS_PROGNAME, what);
	return EXIT_ERR;
}

/* Options that set config values go through the same first-wins path as -o. */
static void
cli_config(struct hs_client_config *c, const char *kw, const char *val)
{
	char *line = NULL;

	if (asprintf(&line, "%s \"%s\"", kw, val) < 0 || hs_client_config_option(c, line, NULL) != HS_OK)
		exit(EXIT_ERR);
	free(line);
}

static void
parse_flag(int ch, struct cli_opts *o, struct hs_client_config *c)
{
	static const struct {
		int ch;
		const char *kw;
	} kw_flags[] = {
		{ 'p', "Port" }, { 'l', "User" }, { 'i', "IdentityFile" }, { 'c', "Ciphers" },
		{ 'm', "MACs" }, { 'I', "PKCS11Provider" },
	};

	for (size_t i = 0; i < sizeof(kw_flags) / sizeof(kw_flags[0]); i++) {
		if (kw_flags[i].ch == ch) {
			cli_config(c, kw_flags[i].kw, optarg);
			return;
		}
	}
	switch (ch) {
	case 'o':
		if (hs_client_config_option(c, optarg, NULL) != HS_OK)
			exit(EXIT_ERR);
		break;
	case 'v': o->verbose++; break;
	case 'q': o->quiet = true; break;
	case 't': o->tty++; break;
	case 'T': o->tty_no = true; break;
	case 'N': o->no_session = true; break;
	case 'n': o->stdin_null = true; break;
	case 'G': o->dump = true; break;
	case 'V': o->version = true; break;
	case 'F': o->config_file = optarg; break;
	case 'Q': o->query = optarg; break;
	default: usage();
	}
}

/* ssh(1): destination is [user@]host or ssh://[user@]host[:port] (RFC 3986 authority). */
static void
parse_destination(const char *arg, struct cli_opts *o, struct hs_client_config *c)
{
	static const char scheme[] = "ssh://";
	bool uri = strncmp(arg, scheme, strlen(scheme)) == 0;
	const char *at, *colon;

	if (uri)
		arg += strlen(scheme);
	if ((at = strrchr(arg, '@')) != NULL) {
		char *user = strndup(arg, (size_t)(at - arg));

		if (user == NULL)
			exit(EXIT_ERR);
		/* -l and -o User given earlier win (first obtained value) */
		if (c->user == NULL && user[0] != '\0')
			c->user = user;
		else
			free(user);
		arg = at + 1;
	}
	colon = uri ? strrchr(arg, ':') : NULL;
	if (colon != NULL && strchr(arg, ']') > colon)
		colon = NULL;	/* inside an IPv6 literal */
	if (colon != NULL)
		cli_config(c, "Port", colon + 1);
	o->host = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
	if (o->host == NULL)
		exit(EXIT_ERR);
	if (uri && o->host[0] == '[' && o->host[strlen(o->host) - 1] == ']') {
		memmove(o->host, o->host + 1, strlen(o->host) - 2);
		o->host[strlen(o->host) - 2] = '\0';
	}
	if (o->host[0] == '\0')
		usage();
	if (uri && strchr(arg, '/') != NULL)
		usage();
}

static void
join_command(int argc, char **argv, struct cli_opts *o)
{
	size_t len = 0;

	if (argc <= 0)
		return;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((o->command = calloc(1, len)) == NULL)
		exit(EXIT_ERR);
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(o->command, " ");
		strcat(o->command, argv[i]);
	}
}

static void
parse_args(int argc, char **argv, struct cli_opts *o, struct hs_client_config *c)
{
	static const char optstr[] = "+46c:F:GI:i:l:m:Nno:p:Q:qTtVv";
	int ch;

	/* ssh(1) accepts options before and right after the destination */
	for (int round = 0; round < 2; round++) {
		while ((ch = getopt(argc, argv, optstr)) != -1)
			parse_flag(ch, o, c);
		if (round == 0 && optind < argc && o->host == NULL && o->query == NULL &&
		    !o->version)
			parse_destination(argv[optind++], o, c);
	}
	join_command(argc - optind, argv + optind, o);
}

static hs_err
read_configs(struct hs_client_config *c, const struct cli_opts *o)
{
	char *user_cfg = NULL;
	const char *home = getenv("HOME");
	hs_err r;

	if (o->config_file != NULL) {
		if (strcasecmp(o->config_file, "none") == 0)
			return HS_OK;
		r = hs_client_config_read_file(c, o->config_file, o->host);
		if (r == HS_ERR_NOT_FOUND || r == HS_ERR_IO)
			fprintf(stderr, "Can't open user config file %s: No such file or directory\n",
			    o->config_file);
		return r;
	}
	if (home != NULL && asprintf(&user_cfg, "%s/.ssh/config", home) >= 0) {
		r = hs_client_config_read_file(c, user_cfg, o->host);
		free(user_cfg);
		if (r != HS_OK && r != HS_ERR_NOT_FOUND)
			return r;
	}
	r = hs_client_config_read_file(c, HS_CLIENT_SYSTEM_CONFIG, o->host);
	return r == HS_ERR_NOT_FOUND ? HS_OK : r;
}

static void
setup_logging(const struct cli_opts *o, const struct hs_client_config *c)
{
	enum hs_log_level lvl = c->log_level >= 0 ? (enum hs_log_level)c->log_level : HS_LOG_INFO;

	if (o->verbose > 0)
		lvl = o->verbose >= 3 ? HS_LOG_DEBUG3 : (enum hs_log_level)(HS_LOG_DEBUG1 + o->verbose - 1);
	if (o->quiet)
		lvl = HS_LOG_QUIET;
	hs_log_init(HS_PROGNAME, lvl, true, 0);
}

static enum hs_tty_mode
tty_mode(const struct cli_opts *o, const struct hs_client_config *c)
{
	static const enum hs_tty_mode from_cfg[] = {
		[HS_RTTY_AUTO] = HS_TTY_AUTO, [HS_RTTY_NO] = HS_TTY_NO, [HS_RTTY_YES] = HS_TTY_YES,
		[HS_RTTY_FORCE] = HS_TTY_FORCE,
	};

	if (o->tty_no)
		return HS_TTY_NO;
	if (o->tty >= 2)
		return HS_TTY_FORCE;
	if (o->tty == 1)
		return HS_TTY_YES;
	return from_cfg[c->request_tty];
}

static int
run_session(struct hs_client *cl, const struct cli_opts *o)
{
	struct hs_client_session_opts so = {
		.command = o->command,
		.tty = tty_mode(o, &cl->cfg),
		.no_session = o->no_session,
		.stdin_null = o->stdin_null,
		.server_alive_interval = (unsigned)cl->cfg.server_alive_interval,
		.server_alive_count_max = (unsigned)cl->cfg.server_alive_count_max,
	};
	int status = EXIT_ERR;

	const char **env = NULL;

	if (cl->cfg.send_env.n > 0) {
		/* the session wants a NULL-terminated pattern array */
		if ((env = hs_calloc(cl->cfg.send_env.n + 1, sizeof(*env))) == NULL)
			return EXIT_ERR;
		for (size_t i = 0; i < cl->cfg.send_env.n; i++)
			env[i] = cl->cfg.send_env.v[i];
		so.send_env = env;
	}
	if (hs_client_session_run(cl->t, &so, &status) != HS_OK && status == 0)
		status = EXIT_ERR;
	free(env);
	return status;
}

static hs_err
start_transport(struct hs_client *cl)
{
	struct hs_transport_cfg tc = {
		.server = false,
		.kex_algs = cl->cfg.kex_algs,
		.ciphers = cl->cfg.ciphers,
		.macs = cl->cfg.macs,
		.rekey_bytes = (uint64_t)cl->cfg.rekey_bytes,
		.rekey_seconds = (uint32_t)cl->cfg.rekey_seconds,
		.hostkey_cb = hs_client_hostkey_cb,
		.cb_arg = cl,
	};
	char *hk = NULL;
	hs_err r;

	HS_GUARD(hs_kh_host_name(cl->cfg.hostname, cl->cfg.port, &cl->host_key_name));
	HS_GUARD(hs_kh_host_name(cl->ipstr, cl->cfg.port, &cl->ip_key_name));
	HS_GUARD(hs_client_hostkey_order(cl, cl->cfg.hostkey_algs, &hk));
	tc.hostkey_algs = hk;
	HS_GUARD_GOTO(hs_transport_new(cl->fd_in, cl->fd_out, &tc, &cl->t), r, out);
	hc_debug1("Authenticating to %s:%d as '%s'", cl->cfg.hostname, cl->cfg.port, cl->cfg.user);
	r = hs_transport_handshake(cl->t, cl->cfg.connect_timeout > 0 ?
	    cl->cfg.connect_timeout * 1000 : 0);
out:
	free(hk);
	return r;
}

static int
connect_and_run(struct hs_client *cl, const struct cli_opts *o)
{
	int status = EXIT_ERR;
	struct hs_transport_algs algs;

	/* Issue 6: the power-on self-tests before any cryptographic service; a failure has logged
	 * "self-test failed: <test> on <backend>" and no connection is made. */
	if (hs_fips_post() != HS_OK) {
		fprintf(stderr, "%s: FIPS self-tests failed, not connecting\r\n", HS_PROGNAME);
		return EXIT_ERR;
	}
	if (hs_crypto_init() != HS_OK) {
		fprintf(stderr, "%s: crypto initialisation failed\r\n", HS_PROGNAME);
		return EXIT_ERR;
	}
	cl->fd_in = cl->fd_out = -1;
	if (hs_client_kex_setup(&cl->cfg) != HS_OK)
		return EXIT_ERR;
	if (hs_client_connect(cl) != HS_OK)
		return EXIT_ERR;
	if (start_transport(cl) != HS_OK)
		goto out;
	hs_transport_get_algs(cl->t, &algs);
	hc_debug2("negotiated %s %s %s", algs.kex, algs.hostkey, algs.cipher_ctos);
	hs_client_kex_report(cl->t);
	if (hs_client_auth(cl) != HS_OK) {
		hs_transport_disconnect(cl->t, HS_DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
		    "No more authentication methods available");
		goto out;
	}
	status = run_session(cl, o);
out:
	hs_transport_free(cl->t);
	cl->t = NULL;
	if (cl->fd_in != -1)
		close(cl->fd_in);
	if (cl->fd_out != -1 && cl->fd_out != cl->fd_in)
		close(cl->fd_out);
	if (cl->proxy_pid > 0) {
		kill(cl->proxy_pid, SIGHUP);
		waitpid(cl->proxy_pid, NULL, 0);
	}
	/* close the KEX token's session and module (a no-op for software) */
	if (hs_kex_provider_set(NULL) != HS_OK)
		hc_debug1("KexProvider: closing failed");
	return status;
}

int
hs_client_main(int argc, char **argv)
{
	struct cli_opts o = { 0 };
	struct hs_client cl = { 0 };
	int status;

	hs_log_init(HS_PROGNAME, HS_LOG_INFO, true, 0);
	signal(SIGPIPE, SIG_IGN);
	hs_client_config_init(&cl.cfg);
	parse_args(argc, argv, &o, &cl.cfg);
	status = 0;
	if (o.version) {
		fprintf(stderr, "%s\n", &HS_VERSION_STRING[strlen("SSH-2.0-")]);
		goto out;
	}
	if (o.query != NULL) {
		status = do_query(o.query);
		goto out;
	}
	if (o.host == NULL)
		usage();
	setup_logging(&o, &cl.cfg);
	status = EXIT_ERR;
	if (read_configs(&cl.cfg, &o) != HS_OK || hs_client_config_finalize(&cl.cfg, o.host) != HS_OK)
		goto out;
	setup_logging(&o, &cl.cfg);
	if (o.dump) {
		printf("host %s\n", o.host);
		hs_client_config_dump(&cl.cfg, stdout);
		status = 0;
		goto out;
	}
	cl.orig_host = o.host;
	cl.quiet = o.quiet || cl.cfg.log_level == HS_LOG_QUIET;
	status = connect_and_run(&cl, &o);
out:
	free(cl.host_key_name);
	free(cl.ip_key_name);
	hs_client_config_clear(&cl.cfg);
	free(o.host);
	free(o.command);
	return status;
}
