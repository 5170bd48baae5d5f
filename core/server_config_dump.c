/* server_config_dump.c: defaults (sshd_config(5) DEFAULTS as OpenSSH 9.2 ships them, with our paths)
 * and the -T dump of the effective configuration. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>

#include <stdbool.h>

#include "hs_algs.h"
#include "hs_mem.h"
#include "hs_fips.h"
#include "server_impl.h"

/* Host keys tried when the configuration names none (as sshd: the stock /etc/ssh paths). */
static const char *const default_hostkeys[] = {
	"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key",
};

static const char *const default_ak_files[] = { ".ssh/authorized_keys", ".ssh/authorized_keys2" };

/* Integer fields and their defaults, applied when still -1. */
static const struct {
	size_t off;
	int def;
} int_defaults[] = {
	{ offsetof(struct hs_server_config, permit_root_login), HS_ROOT_PROHIBIT_PASSWORD },
	{ offsetof(struct hs_server_config, pubkey_auth), 1 },
	{ offsetof(struct hs_server_config, password_auth), 1 },
	{ offsetof(struct hs_server_config, permit_empty_passwords), 0 },
	{ offsetof(struct hs_server_config, strict_modes), 1 },
	{ offsetof(struct hs_server_config, sandbox), 1 },
	{ offsetof(struct hs_server_config, fips_mode), 0 },
	{ offsetof(struct hs_server_config, kbd_interactive_auth), 1 },
	{ offsetof(struct hs_server_config, use_pam), 0 },
	{ offsetof(struct hs_server_config, x11_forwarding), 0 },
	{ offsetof(struct hs_server_config, print_motd), 1 },
	{ offsetof(struct hs_server_config, use_dns), 0 },
	{ offsetof(struct hs_server_config, tcp_keepalive), 1 },
	{ offsetof(struct hs_server_config, address_family), AF_UNSPEC },
	{ offsetof(struct hs_server_config, log_level), HS_LOG_INFO },
	{ offsetof(struct hs_server_config, syslog_facility), LOG_AUTH },
	{ offsetof(struct hs_server_config, login_grace_time), 120 },
	{ offsetof(struct hs_server_config, max_auth_tries), 6 },
	{ offsetof(struct hs_server_config, max_sessions), 10 },
	{ offsetof(struct hs_server_config, maxstartups_begin), 10 },
	{ offsetof(struct hs_server_config, maxstartups_rate), 30 },
	{ offsetof(struct hs_server_config, maxstartups_full), 100 },
	{ offsetof(struct hs_server_config, client_alive_interval), 0 },
	{ offsetof(struct hs_server_config, client_alive_count_max), 3 },
	{ offsetof(struct hs_server_config, rekey_seconds), 0 },
	/* PerSourcePenalties and friends: OpenSSH 9.8 sshd_config(5) defaults (penalties on). */
	{ offsetof(struct hs_server_config, netblock4), 32 },
	{ offsetof(struct hs_server_config, netblock6), 128 },
	{ offsetof(struct hs_server_config, per_source_max_startups), 0 },
	{ offsetof(struct hs_server_config, penalties.enabled), 1 },
	{ offsetof(struct hs_server_config, penalties.crash), 90 },
	{ offsetof(struct hs_server_config, penalties.authfail), 5 },
	{ offsetof(struct hs_server_config, penalties.noauth), 1 },
	{ offsetof(struct hs_server_config, penalties.grace), 20 },
	{ offsetof(struct hs_server_config, penalties.max), 600 },
	{ offsetof(struct hs_server_config, penalties.min), 15 },
	{ offsetof(struct hs_server_config, penalties.max_sources4), 65536 },
	{ offsetof(struct hs_server_config, penalties.max_sources6), 65536 },
	{ offsetof(struct hs_server_config, penalties.overflow4), HS_OVERFLOW_PERMISSIVE },
	/* kex_provider_fallback: set in hs_cfg_kex_finish() with KexProvider */
	/* penalties.overflow6 follows overflow4: set in hs_server_config_finish() */
};

#define INT_AT(c, off)	((int *)(void *)((char *)(c) + (off)))

void
hs_server_config_init(struct hs_server_config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(int_defaults) / sizeof(int_defaults[0]); i++)
		*INT_AT(c, int_defaults[i].off) = -1;
	c->rekey_bytes = -1;
	c->penalties.overflow6 = -1;
	c->kex_provider_fallback = -1;
}

void
hs_server_config_free(struct hs_server_config *c)
{
	for (size_t i = 0; i < c->n_listen; i++)
		free(c->listen[i].host);
	for (size_t i = 0; i < c->n_hostkeys; i++)
		free(c->hostkeys[i]);
	for (size_t i = 0; i < c->n_ak_files; i++)
		free(c->ak_files[i]);
	for (size_t i = 0; i < c->n_accept_env; i++)
		free(c->accept_env[i]);
	for (size_t i = 0; i < c->n_subsys; i++) {
		free(c->subsys[i].name);
		free(c->subsys[i].command);
	}
	free(c->kex_algs);
	free(c->ciphers);
	free(c->macs);
	free(c->hostkey_algs);
	free(c->pubkey_algs);
	free(c->pid_file);
	free(c->banner);
	free(c->force_command);
	free(c->moduli_file);
	free(c->penalty_exempt);
	free(c->exempt);
	free(c->kex_provider);
	free(c->tpm2_tcti);
	hs_server_config_init(c);
}

/* Defaults for an unset list; in FIPS mode the approved subset of the defaults, and a configured
 * list must name only approved algorithms (issue 6). */
static hs_err
finish_algs(char **p, enum hs_alg_family fam, bool fips, const char *kw)
{
	bool configured = *p != NULL;
	char *bad = NULL;

	if (!configured)
		HS_GUARD(hs_algs_apply(fam, NULL, p, NULL));
	if (!fips)
		return HS_OK;
	if (hs_algs_fips_list(fam, p, configured, &bad) != HS_OK) {
		hs_error("FIPSMode: %s names %s, which is not approved", kw, bad ? bad : "?");
		free(bad);
		return HS_ERR_CONFIG;
	}
	return HS_OK;
}

static hs_err
add_listen(struct hs_server_config *c, const char *host)
{
	c->listen[c->n_listen].host = hs_strdup(host);
	HS_ENSURE(c->listen[c->n_listen].host != NULL, HS_ERR_ALLOC);
	c->listen[c->n_listen++].port = 0;
	return HS_OK;
}

static hs_err
finish_lists(struct hs_server_config *c)
{
	if (c->n_ports == 0)
		c->ports[c->n_ports++] = 22;
	if (c->n_listen == 0) {
		if (c->address_family != AF_INET6)
			HS_GUARD(add_listen(c, "0.0.0.0"));
		if (c->address_family != AF_INET)
			HS_GUARD(add_listen(c, "::"));
	}
	if (c->n_hostkeys == 0) {
		for (size_t i = 0; i < sizeof(default_hostkeys) / sizeof(default_hostkeys[0]); i++)
			HS_GUARD(hs_cfg_add_hostkey(c, default_hostkeys[i]));
	}
	if (!c->ak_files_set) {
		for (size_t i = 0; i < sizeof(default_ak_files) / sizeof(default_ak_files[0]); i++) {
			c->ak_files[i] = hs_strdup(default_ak_files[i]);
			HS_ENSURE(c->ak_files[i] != NULL, HS_ERR_ALLOC);
			c->n_ak_files++;
		}
		c->ak_files_set = true;
	}
	return HS_OK;
}

hs_err
hs_server_config_finish(struct hs_server_config *c)
{
	bool fips = c->fips_mode == 1 || hs_fips_mode_system();

	for (size_t i = 0; i < sizeof(int_defaults) / sizeof(int_defaults[0]); i++)
		if (*INT_AT(c, int_defaults[i].off) == -1)
			*INT_AT(c, int_defaults[i].off) = int_defaults[i].def;
	c->fips_mode = fips;
	if (c->rekey_bytes < 0)
		c->rekey_bytes = 0;
	if (c->penalties.overflow6 == -1)
		c->penalties.overflow6 = c->penalties.overflow4;
	HS_GUARD(finish_lists(c));
	HS_GUARD(finish_algs(&c->kex_algs, HS_ALGS_KEX, fips, "KexAlgorithms"));
	HS_GUARD(finish_algs(&c->ciphers, HS_ALGS_CIPHER, fips, "Ciphers"));
	HS_GUARD(finish_algs(&c->macs, HS_ALGS_MAC, fips, "MACs"));
	HS_GUARD(finish_algs(&c->hostkey_algs, HS_ALGS_HOSTKEY, fips, "HostKeyAlgorithms"));
	HS_GUARD(finish_algs(&c->pubkey_algs, HS_ALGS_HOSTKEY, fips, "PubkeyAcceptedAlgorithms"));
	HS_GUARD(hs_cfg_kex_finish(c));
	if (c->pid_file == NULL) {
		c->pid_file = hs_strdup(HS_SERVER_PIDFILE_DEFAULT);
		HS_ENSURE(c->pid_file != NULL, HS_ERR_ALLOC);
	} else if (strcasecmp(c->pid_file, "none") == 0) {
		free(c->pid_file);
		c->pid_file = NULL;
	}
	return HS_OK;
}

/* ---- -T ---- */

static const char *
yesno(int v)
{
	return v ? "yes" : "no";
}

static const char *
enum_name(const struct hs_cfg_enum *e, int v)
{
	for (; e->name != NULL; e++)
		if (e->value == v)
			return e->name;
	return "unknown";
}

static const char *const level_names[] = {
	[HS_LOG_QUIET] = "QUIET", [HS_LOG_FATAL] = "FATAL", [HS_LOG_ERROR] = "ERROR",
	[HS_LOG_INFO] = "INFO", [HS_LOG_VERBOSE] = "VERBOSE", [HS_LOG_DEBUG1] = "DEBUG1",
	[HS_LOG_DEBUG2] = "DEBUG2", [HS_LOG_DEBUG3] = "DEBUG3",
};

static const struct hs_cfg_enum facility_names[] = {
	{ "DAEMON", LOG_DAEMON }, { "USER", LOG_USER }, { "AUTH", LOG_AUTH },
	{ "AUTHPRIV", LOG_AUTHPRIV }, { "LOCAL0", LOG_LOCAL0 }, { "LOCAL1", LOG_LOCAL1 },
	{ "LOCAL2", LOG_LOCAL2 }, { "LOCAL3", LOG_LOCAL3 }, { "LOCAL4", LOG_LOCAL4 },
	{ "LOCAL5", LOG_LOCAL5 }, { "LOCAL6", LOG_LOCAL6 }, { "LOCAL7", LOG_LOCAL7 },
	{ NULL, 0 },
};

/* Yes/no and integer settings, printed in this order. */
static const struct {
	const char *kw;
	size_t off;
	bool flag;
} simple_dump[] = {
	{ "logingracetime", offsetof(struct hs_server_config, login_grace_time), false },
	{ "maxauthtries", offsetof(struct hs_server_config, max_auth_tries), false },
	{ "maxsessions", offsetof(struct hs_server_config, max_sessions), false },
	{ "clientaliveinterval", offsetof(struct hs_server_config, client_alive_interval), false },
	{ "clientalivecountmax", offsetof(struct hs_server_config, client_alive_count_max), false },
	{ "pubkeyauthentication", offsetof(struct hs_server_config, pubkey_auth), true },
	{ "passwordauthentication", offsetof(struct hs_server_config, password_auth), true },
	{ "permitemptypasswords", offsetof(struct hs_server_config, permit_empty_passwords), true },
	{ "kbdinteractiveauthentication", offsetof(struct hs_server_config, kbd_interactive_auth),
	    true },
	{ "strictmodes", offsetof(struct hs_server_config, strict_modes), true },
	{ "sandbox", offsetof(struct hs_server_config, sandbox), true },
	{ "fipsmode", offsetof(struct hs_server_config, fips_mode), true },
	{ "usepam", offsetof(struct hs_server_config, use_pam), true },
	{ "x11forwarding", offsetof(struct hs_server_config, x11_forwarding), true },
	{ "printmotd", offsetof(struct hs_server_config, print_motd), true },
	{ "usedns", offsetof(struct hs_server_config, use_dns), true },
	{ "tcpkeepalive", offsetof(struct hs_server_config, tcp_keepalive), true },
};

static void
dump_lists(const struct hs_server_config *c, FILE *f)
{
	for (size_t i = 0; i < c->n_ports; i++)
		fprintf(f, "port %d\n", c->ports[i]);
	fprintf(f, "addressfamily %s\n", hs_cfg_family_name(c->address_family));
	for (size_t i = 0; i < c->n_listen; i++) {
		for (size_t j = 0; j < c->n_ports; j++) {
			int port = c->listen[i].port ? c->listen[i].port : c->ports[j];
			bool v6 = strchr(c->listen[i].host, ':') != NULL;

			fprintf(f, "listenaddress %s%s%s:%d\n", v6 ? "[" : "", c->listen[i].host,
			    v6 ? "]" : "", port);
			if (c->listen[i].port)
				break;
		}
	}
	for (size_t i = 0; i < c->n_hostkeys; i++)
		fprintf(f, "hostkey %s\n", c->hostkeys[i]);
	fputs("authorizedkeysfile", f);
	for (size_t i = 0; i < c->n_ak_files; i++)
		fprintf(f, " %s", c->ak_files[i]);
	fputs(c->n_ak_files == 0 ? " none\n" : "\n", f);
	for (size_t i = 0; i < c->n_accept_env; i++)
		fprintf(f, "acceptenv %s\n", c->accept_env[i]);
	for (size_t i = 0; i < c->n_subsys; i++)
		fprintf(f, "subsystem %s %s\n", c->subsys[i].name, c->subsys[i].command);
}

static const char *
overflow_name(int mode)
{
	return mode == HS_OVERFLOW_DENY_ALL ? "deny-all" : "permissive";
}

/* As OpenSSH 9.8's sshd -T: times in seconds, "persourcepenalties no" when off. */
static void
dump_per_source(const struct hs_server_config *c, FILE *f)
{
	const struct hs_cfg_penalties *p = &c->penalties;

	if (c->per_source_max_startups > 0)
		fprintf(f, "persourcemaxstartups %d\n", c->per_source_max_startups);
	else
		fputs("persourcemaxstartups none\n", f);
	fprintf(f, "persourcenetblocksize %d:%d\n", c->netblock4, c->netblock6);
	fprintf(f, "persourcepenaltyexemptlist %s\n", c->penalty_exempt ? c->penalty_exempt : "none");
	if (!p->enabled) {
		fputs("persourcepenalties no\n", f);
		return;
	}
	fprintf(f, "persourcepenalties crash:%d authfail:%d noauth:%d grace-exceeded:%d max:%d min:%d "
	    "max-sources4:%d max-sources6:%d overflow:%s overflow6:%s\n", p->crash, p->authfail,
	    p->noauth, p->grace, p->max, p->min, p->max_sources4, p->max_sources6,
	    overflow_name(p->overflow4), overflow_name(p->overflow6));
}

void
hs_server_config_dump(const struct hs_server_config *c, FILE *f)
{
	dump_lists(c, f);
	for (size_t i = 0; i < sizeof(simple_dump) / sizeof(simple_dump[0]); i++) {
		int v = *(const int *)(const void *)((const char *)c + simple_dump[i].off);

		if (simple_dump[i].flag)
			fprintf(f, "%s %s\n", simple_dump[i].kw, yesno(v));
		else
			fprintf(f, "%s %d\n", simple_dump[i].kw, v);
	}
	fprintf(f, "permitrootlogin %s\n", c->permit_root_login == HS_ROOT_PROHIBIT_PASSWORD ?
	    "without-password" : enum_name(hs_cfg_permit_root_names, c->permit_root_login));
	if (c->log_level >= 0 && c->log_level <= HS_LOG_DEBUG3)
		fprintf(f, "loglevel %s\n", level_names[c->log_level]);
	fprintf(f, "syslogfacility %s\n", enum_name(facility_names, c->syslog_facility));
	fprintf(f, "maxstartups %d:%d:%d\n", c->maxstartups_begin, c->maxstartups_rate,
	    c->maxstartups_full);
	fprintf(f, "pidfile %s\n", c->pid_file ? c->pid_file : "none");
	fprintf(f, "rekeylimit %lld %d\n", (long long)c->rekey_bytes, c->rekey_seconds);
	fprintf(f, "kexalgorithms %s\n", c->kex_algs ? c->kex_algs : "");
	hs_cfg_kex_dump(c, f);
	fprintf(f, "ciphers %s\n", c->ciphers ? c->ciphers : "");
	fprintf(f, "macs %s\n", c->macs ? c->macs : "");
	fprintf(f, "hostkeyalgorithms %s\n", c->hostkey_algs ? c->hostkey_algs : "");
	fprintf(f, "pubkeyacceptedalgorithms %s\n", c->pubkey_algs ? c->pubkey_algs : "");
	if (c->banner != NULL)
		fprintf(f, "banner %s\n", c->banner);
	if (c->force_command != NULL)
		fprintf(f, "forcecommand %s\n", c->force_command);
	dump_per_source(c, f);
}
