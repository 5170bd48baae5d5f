/* hs_server_config.h: hsshd's configuration (sshd_config(5) subset), private to the hs_server layer.
 *
 * Parsing follows sshd: case-insensitive keywords, "Keyword value" or "Keyword=value", '#' comments,
 * double quotes, and the first value wins for single-valued keywords. Command-line -o options are
 * parsed before the file, so they win the same way. Defaults are filled in by
 * hs_server_config_finish() after everything is read.
 */
#ifndef HS_SERVER_CONFIG_H
#define HS_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hs_err.h"
#include "hs_log.h"

#define HS_SERVER_CONFIG_DEFAULT	"/etc/hardssh/hsshd_config"
#define HS_SERVER_PIDFILE_DEFAULT	"/run/hsshd.pid"
#define HS_CFG_MAX_PORTS		64
#define HS_CFG_MAX_LISTEN		64
#define HS_CFG_MAX_HOSTKEYS		16
#define HS_CFG_MAX_AKFILES		16
#define HS_CFG_MAX_ENV			64
#define HS_CFG_MAX_SUBSYS		16

/* PermitRootLogin (sshd_config(5)). */
enum hs_permit_root {
	HS_ROOT_UNSET = -1,
	HS_ROOT_NO = 0,
	HS_ROOT_FORCED_ONLY,		/* forced-commands-only: publickey with command= only */
	HS_ROOT_PROHIBIT_PASSWORD,	/* prohibit-password, without-password (default) */
	HS_ROOT_YES,
};

struct hs_listen_addr {
	char *host;	/* numeric address or name; never NULL once finished */
	int port;	/* 0 = every Port */
};

struct hs_subsystem {
	char *name;
	char *command;
};

/* One PerSourcePenaltyExemptList entry: an address block (CIDR). af is AF_INET (4 address bytes
 * used) or AF_INET6 (16); bits beyond the prefix are zero (the parser refuses host bits). */
struct hs_cfg_cidr {
	int af;
	unsigned bits;
	uint8_t addr[16];
};

/* PerSourcePenalties overflow: modes. */
enum hs_penalty_overflow {
	HS_OVERFLOW_PERMISSIVE = 0,	/* evict the penalties that expire soonest */
	HS_OVERFLOW_DENY_ALL,		/* refuse every non-exempt source while the table is full */
};

/* PerSourcePenalties (OpenSSH 9.8 sshd_config(5)). Times in seconds. Every field is -1 while unset;
 * each sub-option keeps the first value given for it, whichever line it is on. */
struct hs_cfg_penalties {
	int enabled;			/* the first "yes", "no" or name:value (= yes) decides */
	int crash, authfail, noauth, grace;	/* crash: authfail: noauth: grace-exceeded: */
	int max, min;			/* max: cap on the remaining time; min: enforcement threshold */
	int max_sources4, max_sources6;	/* address blocks tracked per family */
	int overflow4, overflow6;	/* enum hs_penalty_overflow; overflow6 defaults to overflow */
};

/* Integers hold -1 while unset; hs_server_config_finish() fills the defaults. */
struct hs_server_config {
	int ports[HS_CFG_MAX_PORTS];
	size_t n_ports;
	bool ports_from_cmdline;	/* -p given: Port lines in the file are ignored (as sshd) */
	struct hs_listen_addr listen[HS_CFG_MAX_LISTEN];
	size_t n_listen;
	int address_family;		/* AF_UNSPEC, AF_INET, AF_INET6; -1 unset */
	char *hostkeys[HS_CFG_MAX_HOSTKEYS];
	size_t n_hostkeys;
	char *ak_files[HS_CFG_MAX_AKFILES];	/* AuthorizedKeysFile, unexpanded */
	size_t n_ak_files;			/* 0 after "none" */
	bool ak_files_set;
	int permit_root_login;		/* enum hs_permit_root */
	int pubkey_auth, password_auth, permit_empty_passwords, strict_modes;
	int kbd_interactive_auth, use_pam, x11_forwarding, print_motd, use_dns, tcp_keepalive;
	int sandbox;			/* Sandbox: seccomp filter on the network processes */
	char *kex_algs, *ciphers, *macs, *hostkey_algs, *pubkey_algs;	/* expanded lists */
	int log_level;			/* enum hs_log_level */
	int syslog_facility;
	int login_grace_time;		/* seconds; 0 = none */
	int max_auth_tries;
	int max_sessions;
	int maxstartups_begin, maxstartups_rate, maxstartups_full;
	int client_alive_interval, client_alive_count_max;
	char *accept_env[HS_CFG_MAX_ENV + 1];	/* NULL-terminated */
	size_t n_accept_env;
	char *pid_file;			/* "none" is stored as NULL after finish */
	int64_t rekey_bytes;		/* 0 = default */
	int rekey_seconds;		/* 0 = none */
	struct hs_subsystem subsys[HS_CFG_MAX_SUBSYS];
	size_t n_subsys;
	char *banner, *force_command, *moduli_file;
	/* Per-source limits (sshd_config(5) PerSource*): */
	struct hs_cfg_penalties penalties;
	char *penalty_exempt;		/* PerSourcePenaltyExemptList as written; NULL = none */
	struct hs_cfg_cidr *exempt;	/* ... parsed */
	size_t n_exempt;
	int netblock4, netblock6;	/* PerSourceNetBlockSize prefix lengths (default 32:128) */
	int per_source_max_startups;	/* PerSourceMaxStartups; 0 = none */
	/* Where KEX runs (issue 5): "soft" or a pkcs11:/tpm2: URI naming the device (default
	 * "soft" after finish); KexProviderFallback lets methods the device lacks run in software. */
	char *kex_provider;
	int kex_provider_fallback;
	/* FIPSMode (issue 6): 1 after finish if FIPSMode yes or the kernel is in FIPS mode; the
	 * algorithm lists are then the approved ones. */
	int fips_mode;
	char *tpm2_tcti;	/* TPM2TCTI: tctildr string for tpm2: URIs without tcti= (NULL: env) */
	/* Internal: which single-valued keywords have been seen (first value wins). */
	uint8_t seen[128];
	unsigned include_depth;
};

/* Initialise every field to "unset". */
void hs_server_config_init(struct hs_server_config *c);
/* Free every string and reset to "unset". */
void hs_server_config_free(struct hs_server_config *c);

/* Process one configuration line. file/lineno name it in error messages ("command-line" for -o).
 * Blank lines and comments are accepted. On an unknown keyword logs "<file> line <n>: Bad
 * configuration option: <kw>" and returns HS_ERR_CONFIG; other bad values log file, line and the
 * problem and return HS_ERR_CONFIG. */
HS_MUST_USE hs_err hs_server_config_line(struct hs_server_config *c, const char *line,
    const char *file, unsigned lineno);
/* Read a whole file. HS_ERR_NOT_FOUND if it does not exist (the caller decides whether that is
 * fatal), HS_ERR_CONFIG on the first bad line (already logged). */
HS_MUST_USE hs_err hs_server_config_load(struct hs_server_config *c, const char *path);
/* Parse a buffer of text as if it were the file named name (for tests and fuzzing). */
HS_MUST_USE hs_err hs_server_config_parse_text(struct hs_server_config *c, const char *text,
    size_t len, const char *name);
/* Fill defaults for everything still unset; expands algorithm lists. HS_ERR_CONFIG on failure. */
HS_MUST_USE hs_err hs_server_config_finish(struct hs_server_config *c);
/* Print the effective configuration as lowercase "keyword value" lines (sshd -T). */
void hs_server_config_dump(const struct hs_server_config *c, FILE *f);

/* Value parsers shared with the tests. */
/* OpenSSH time format: "120", "2m", "1h30m", units s m h d w (either case). */
HS_MUST_USE hs_err hs_cfg_parse_time(const char *s, int *secs);
/* "16", "1K", "4G" (K/M/G, either case) as bytes. */
HS_MUST_USE hs_err hs_cfg_parse_size(const char *s, int64_t *bytes);
/* One address block: "192.0.2.0/24", "2001:db8::/32" or a single address (a full-length prefix).
 * HS_ERR_CONFIG for anything else, including wildcards, a prefix longer than the family allows
 * and host bits set beyond the prefix (192.0.2.1/24), as sshd_config(5) requires. */
HS_MUST_USE hs_err hs_cfg_parse_cidr(const char *s, struct hs_cfg_cidr *out);
/* A comma-separated list of blocks. On success *out (malloc'd, caller frees) holds *n entries; on
 * failure nothing is allocated and *bad (if not NULL) points at the rejected entry's start in s. */
HS_MUST_USE hs_err hs_cfg_parse_cidr_list(const char *s, struct hs_cfg_cidr **out, size_t *n,
    const char **bad);
/* PerSourceNetBlockSize "V4" or "V4:V6" (0..32, 0..128); *v6 is left alone without ":V6". */
HS_MUST_USE hs_err hs_cfg_parse_netblock(const char *s, int *v4, int *v6);
/* PerSourcePenalties arguments into p (first value per sub-option wins, as sshd: only fields still
 * -1 are set). "yes"/"no" must appear alone. HS_ERR_CONFIG with *bad naming the offending word. */
HS_MUST_USE hs_err hs_cfg_parse_penalties(struct hs_cfg_penalties *p, char **av, int ac,
    const char **bad);

/* ---- KexProvider (server_config_kex.c) ---- */
#define HS_CFG_KEX_SOFT		"soft"
/* A KexProvider value: "soft" (any case), or "pkcs11:..." / "tpm2:..." with something after the
 * scheme (the provider checks the rest when it opens the device). HS_ERR_CONFIG otherwise. */
HS_MUST_USE hs_err hs_cfg_parse_kex_provider(const char *s);
/* True iff c's KexProvider is a hardware one (not "soft"): the network processes then ask the
 * monitor for every KEX ephemeral and shared secret. */
bool hs_server_config_kex_hw(const struct hs_server_config *c);
/* Part of hs_server_config_finish (after KexAlgorithms is expanded): defaults, and with a
 * hardware KexProvider and KexProviderFallback no, KexAlgorithms reduced to the methods hardware
 * computes (ecdh-sha2-nistp256, ecdh-sha2-nistp384) in the configured order; HS_ERR_CONFIG,
 * logged, if none remains. */
HS_MUST_USE hs_err hs_cfg_kex_finish(struct hs_server_config *c);
/* -T: "kexprovider", "kexproviderfallback" and one "provider <name> <yes|no> <summary or ->"
 * line per compiled-in provider (yes: available now). */
void hs_cfg_kex_dump(const struct hs_server_config *c, FILE *f);

/* Split a line into words (whitespace separated, double quotes group, '#' starts a comment outside
 * quotes, a first-word '=' separator is allowed). Writes at most max pointers into argv, which point
 * into buf (a modified copy of line of size bufsz). *argc receives the count. */
HS_MUST_USE hs_err hs_cfg_split(const char *line, char *buf, size_t bufsz, char **argv, int max,
    int *argc);

#endif
