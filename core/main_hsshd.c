/* main_hsshd.c: the hsshd program: command-line flags as sshd(8) has them, configuration, host keys,
 * then inetd mode (-i) or the listener. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_fips.h"
#include "hs_log.h"
#include "server_impl.h"

#define MAX_OPTS	64

struct hsshd_args {
	const char *config;
	const char *logfile;
	const char *opts[MAX_OPTS];
	int n_opts;
	int debug;		/* number of -d */
	bool no_daemon, log_stderr, inetd, test, dump, quiet;
	bool rexec;		/* -R: the listener's per-connection re-execution */
};

static void
usage(void)
{
	fprintf(stderr, "usage: hsshd [-DdeiqTt] [-E log_file] [-f config_file] [-h host_key_file]\n"
	    "             [-o option] [-p port]\n"
	    "       hsshd --self-test [--json]\n");
	exit(1);
}

static void
add_port(struct hs_server_config *cfg, const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0 || v > 65535) {
		fprintf(stderr, "Bad port number.\n");
		exit(1);
	}
	if (cfg->n_ports >= HS_CFG_MAX_PORTS) {
		fprintf(stderr, "too many ports.\n");
		exit(1);
	}
	cfg->ports[cfg->n_ports++] = (int)v;
	cfg->ports_from_cmdline = true;
}

static void
parse_args(int argc, char **argv, struct hsshd_args *a, struct hs_server_config *cfg)
{
	int ch;

	while ((ch = getopt(argc, argv, "f:p:h:dDeE:itTo:qR")) != -1) {
		if (ch == 'f')
			a->config = optarg;
		else if (ch == 'p')
			add_port(cfg, optarg);
		else if (ch == 'h') {
			if (hs_cfg_add_hostkey(cfg, optarg) != HS_OK)
				exit(1);
		} else if (ch == 'd')
			a->debug++;
		else if (ch == 'D')
			a->no_daemon = true;
		else if (ch == 'e')
			a->log_stderr = true;
		else if (ch == 'E')
			a->logfile = optarg;
		else if (ch == 'i')
			a->inetd = true;
		else if (ch == 't')
			a->test = true;
		else if (ch == 'T')
			a->dump = true;
		else if (ch == 'q')
			a->quiet = true;
		else if (ch == 'R')
			a->rexec = true;
		else if (ch == 'o' && a->n_opts < MAX_OPTS)
			a->opts[a->n_opts++] = optarg;
		else
			usage();
	}
	if (optind < argc) {
		fprintf(stderr, "Extra argument %s.\n", argv[optind]);
		exit(1);
	}
}

/* -o lines first, then the file: the first value of a single-valued keyword wins (as sshd). */
static void
load_config(const struct hsshd_args *a, struct hs_server_config *cfg)
{
	const char *path = a->config ? a->config : HS_SERVER_CONFIG_DEFAULT;
	hs_err r;

	for (int i = 0; i < a->n_opts; i++)
		if (hs_server_config_line(cfg, a->opts[i], "command-line", 0) != HS_OK)
			exit(255);
	r = hs_server_config_load(cfg, path);
	if (r == HS_ERR_NOT_FOUND && a->config == NULL)
		r = HS_OK;	/* no default file: built-in defaults */
	if (r == HS_ERR_NOT_FOUND || r == HS_ERR_IO) {
		hs_error("%s: %s", path, strerror(errno ? errno : ENOENT));
		exit(255);
	}
	if (r != HS_OK || hs_server_config_finish(cfg) != HS_OK)
		exit(255);
}

static void
setup_logging(const struct hsshd_args *a, const struct hs_server_config *cfg)
{
	enum hs_log_level lvl = (enum hs_log_level)cfg->log_level;
	bool to_stderr = a->debug > 0 || a->log_stderr || a->test;

	if (a->debug > 0)
		lvl = (enum hs_log_level)(HS_LOG_DEBUG1 + (a->debug > 3 ? 2 : a->debug - 1));
	if (a->quiet)
		lvl = HS_LOG_QUIET;
	hs_log_init("hsshd", lvl, to_stderr, cfg->syslog_facility);
	if (a->logfile != NULL && hs_log_to_file(a->logfile) != HS_OK) {
		fprintf(stderr, "Couldn't open logfile %s: %s\n", a->logfile, strerror(errno));
		exit(1);
	}
}

/* The listener re-executes this very file for every connection (fresh address-space layout, as
 * sshd does); /proc/self/exe still names it if the file was replaced on disk meanwhile. */
static const char *
self_exe(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	return path;
}

/* Issue 6: the power-on self-tests, before any cryptographic service (host keys, KEX, a bound
 * port). A failure has logged "self-test failed: <test> on <backend>" and left the process in
 * the error state; the server does not start. The listener logs the outcome at INFO, -t (quiet
 * on success, as sshd -t) at VERBOSE, -i (one process per connection) at DEBUG1.
 * A per-connection re-execution (-R) does not run the whole set again: it costs about 80 ms in
 * a release build on our 2-core machine (ECDSA/ECDH dominate), and the listener that started
 * it ran it over this same program file before it bound a port; the backend's own
 * initialisation test (SHA-256, AES-128-GCM in hs_crypto_init) still runs here. */
static int
post_startup(const struct hsshd_args *a)
{
	size_t n;
	uint64_t usec;

	if (a->rexec) {
		hs_debug("FIPS self-tests: run by the listener at start-up");
		return 0;
	}
	if (hs_fips_post() != HS_OK) {
		hs_error("FIPS self-tests failed: %s",
		    a->inetd ? "dropping this connection" : "not starting");
		return a->test ? 1 : 255;
	}
	hs_fips_post_stats(&n, &usec);
	hs_log(a->inetd ? HS_LOG_DEBUG1 : a->test ? HS_LOG_VERBOSE : HS_LOG_INFO,
	    "FIPS self-tests passed (%zu tests, %u.%03u ms)", n, (unsigned)(usec / 1000),
	    (unsigned)(usec % 1000));
	return 0;
}

/* Listener and -t: everything a connection will need must be there before the first one. */
static int
check_startup(struct hs_server *srv, bool test)
{
	if (hs_server_privsep_check() != HS_OK)
		return 255;
	if (hs_server_load_hostkeys(srv) != HS_OK)
		return 255;
	/* -t checks the KexProvider here; a running server has the host-key service open it (and
	 * refuses to start if it cannot), so the listener never loads its module. */
	if (test && hs_server_open_kex(srv) != HS_OK) {
		hs_server_free_hostkeys(srv);
		return 255;
	}
	if (test && hs_kex_provider_set(NULL) != HS_OK)
		return 255;
	/* Validated only: the listener never uses them, and the per-connection monitors load their
	 * own after forking their network children. */
	hs_server_free_hostkeys(srv);
	return 0;
}

int
main(int argc, char **argv)
{
	struct hs_server_config cfg;
	struct hs_server srv = { .cfg = &cfg, .keyd_fd = -1 };
	struct hsshd_args a = { 0 };
	/* What the listener left on the re-exec descriptors, read before this process opens anything
	 * (a -E log file opened later could land on one of them). */
	bool inherited_notify = fcntl(HS_REEXEC_NOTIFY_FD, F_GETFD) >= 0;
	bool inherited_keyd = fcntl(HS_REEXEC_KEYD_FD, F_GETFD) >= 0;
	int status;

	hs_log_init("hsshd", HS_LOG_INFO, true, LOG_AUTH);
	if ((status = hs_fips_self_test_cmd(argc, argv, "hsshd")) >= 0)
		return status;
	hs_server_config_init(&cfg);
	parse_args(argc, argv, &a, &cfg);
	load_config(&a, &cfg);
	if (a.dump) {
		hs_server_config_dump(&cfg, stdout);
		hs_server_config_free(&cfg);
		return 0;
	}
	setup_logging(&a, &cfg);
	signal(SIGPIPE, SIG_IGN);
	if ((status = post_startup(&a)) != 0) {
		hs_server_config_free(&cfg);
		return status;
	}
	if (hs_crypto_init() != HS_OK)
		hs_fatal("crypto initialisation failed");
	srv.argv = argv;
	srv.exe = self_exe();
	if (a.rexec) {
		int nfd = inherited_notify ? HS_REEXEC_NOTIFY_FD : -1;

		if (nfd >= 0)
			(void)fcntl(nfd, F_SETFD, FD_CLOEXEC);
		if (inherited_keyd) {
			srv.keyd_fd = HS_REEXEC_KEYD_FD;
			(void)fcntl(srv.keyd_fd, F_SETFD, FD_CLOEXEC);
		}
		status = hs_server_conn_serve(&srv, STDIN_FILENO, STDOUT_FILENO, nfd);
	} else if (a.inetd) {
		srv.inetd = true;
		status = hs_server_privsep_check() == HS_OK ?
		    hs_server_conn_serve(&srv, STDIN_FILENO, STDOUT_FILENO, -1) : 255;
	} else if ((status = check_startup(&srv, a.test)) != 0) {
		status = a.test ? 1 : 255;
	} else if (!a.test) {
		if (srv.exe == NULL)
			hs_fatal("cannot find my own executable for re-execution");
		srv.debug = a.debug > 0;
		srv.no_daemon = a.no_daemon;
		status = hs_server_listen_run(&srv);
	}
	hs_server_free_hostkeys(&srv);
	hs_server_config_free(&cfg);
	return status;
}
