/* server_impl.h: private interfaces between the hsshd files (config table, listener, per-connection
 * handling, user authentication). Not used outside the hs_server layer. */
#ifndef HS_SERVER_IMPL_H
#define HS_SERVER_IMPL_H

#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hs_authkeys.h"
#include "hs_buf.h"
#include "hs_err.h"
#include "hs_log.h"
#include "hs_monitor.h"
#include "hs_provider.h"
#include "hs_sandbox.h"
#include "hs_session.h"
#include "hs_time.h"
#include "hs_server_config.h"
#include "hs_transport.h"

/* ---- configuration table (server_config.c) ---- */

struct cfg_where {
	const char *file;
	unsigned line;
};

struct hs_cfg_enum {
	const char *name;
	int value;
};

struct cfg_kw;
typedef hs_err (*cfg_set_fn)(struct hs_server_config *c, const struct cfg_kw *kw, char **av, int ac,
    const struct cfg_where *w);

#define CFG_MULTI	0x01	/* repeatable: every occurrence is processed */

struct cfg_kw {
	const char *name;
	cfg_set_fn set;
	size_t off;		/* field for the generic handlers */
	int arg;		/* handler-specific (algorithm family) */
	unsigned flags;
	const struct hs_cfg_enum *names;	/* set_enum's value names */
};

#define CFG_FIELD(c, kw, type)	((type *)(void *)((char *)(c) + (kw)->off))

extern const struct cfg_kw hs_cfg_keywords[];
extern const struct hs_cfg_enum hs_cfg_permit_root_names[];
const char *hs_cfg_family_name(int af);
/* Append a HostKey path (config and -h). */
HS_MUST_USE hs_err hs_cfg_add_hostkey(struct hs_server_config *c, const char *path);

/* ---- runtime state ---- */

/* The unprivileged user and the empty root-owned directory of the network processes (issue 4).
 * The install step creates the user (README); hsshd creates the directory if it is missing. */
#ifndef HS_PRIVSEP_USER
#define HS_PRIVSEP_USER		"hsshd"
#endif
#ifndef HS_PRIVSEP_DIR
#define HS_PRIVSEP_DIR		"/run/hsshd"
#endif
/* -R: the listener's re-executed per-connection process gets the socket on fds 0 and 1 and the
 * "authenticated" notification pipe on this fd (absent for -d). */
#define HS_REEXEC_NOTIFY_FD	3

/* -R: the link to the host-key service (server_keyd.c) on this fd (absent for -d and -i, which
 * open the keys themselves). */
#define HS_REEXEC_KEYD_FD	4

struct hs_kex_priv;

struct hs_server {
	struct hs_server_config *cfg;
	int keyd_fd;		/* link to the host-key service; -1: keys are in this process */
	struct hs_kex_priv *kex_pending;	/* local KEX ephemeral (no service), monitor only */
	char kex_prov[16];	/* provider the service named for the last key pair */
	char *const *argv;	/* for re-exec: the listener's own argument vector */
	const char *exe;	/* for re-exec: /proc/self/exe resolved at start-up */
	struct hs_key *hostkeys[HS_CFG_MAX_HOSTKEYS];
	size_t n_hostkeys;
	const char *hostkey_uri[HS_CFG_MAX_HOSTKEYS];	/* the HostKey each came from (cfg's) */
	char *hostkey_prov[HS_CFG_MAX_HOSTKEYS];	/* provider names told by the service */
	bool debug;		/* -d: no fork, one connection */
	bool no_daemon;		/* -D */
	bool inetd;		/* -i */
};

/* One connection as seen by the child that serves it. */
struct hs_conn {
	const struct hs_server *srv;
	int fd_in, fd_out;
	char peer_ip[64], local_ip[64];
	int peer_port, local_port;
	int notify_fd;		/* tells the listener we authenticated (MaxStartups); -1 = none */
	struct hs_transport *t;
	long long deadline_ms;	/* LoginGraceTime deadline on CLOCK_MONOTONIC; 0 = none */
};

/* Numeric address text and port of ss ("UNKNOWN", 65535 for a non-socket); IPv4-mapped IPv6
 * addresses are shown as IPv4. */
void hs_server_addr_str(const struct sockaddr_storage *ss, char *ip, size_t iplen, int *port);

/* Remaining ms until the grace deadline (at least 1), or 0 when there is none. */
int hs_conn_remaining_ms(const struct hs_conn *cn);

/* Load host keys named by the configuration; logs each failure. HS_ERR_CONFIG if none loads. */
HS_MUST_USE hs_err hs_server_load_hostkeys(struct hs_server *srv);
void hs_server_free_hostkeys(struct hs_server *srv);

/* ---- host-key and KEX operations of the monitor (server_keyd_link.c) ----
 * With a host-key service (srv->keyd_fd >= 0) srv->hostkeys[] are public-only and these ask the
 * service; without one (-d, -i, tests) they use srv->hostkeys[] and the selected KEX provider in
 * this process. */
/* The public host keys and their providers' names from the service (hs_server_load_hostkeys
 * with srv->keyd_fd >= 0). */
HS_MUST_USE hs_err hs_server_keyd_hostkeys(struct hs_server *srv);
/* Open the configured hardware KexProvider in this process (the service, or a monitor without
 * one); nothing for "soft". HS_ERR_CONFIG, logged, if it cannot be opened. */
HS_MUST_USE hs_err hs_server_open_kex(struct hs_server *srv);
/* In a forked network process: close the link to the service (it must never have one). */
void hs_server_keyd_forget(struct hs_server *srv);
/* Provider name of host key idx ("soft", "pkcs11", "tpm2"). */
const char *hs_server_hostkey_provider(const struct hs_server *srv, size_t idx);
/* Sign m with host key idx; the SSH signature encoding is appended to sig. */
HS_MUST_USE hs_err hs_server_hostkey_sign(struct hs_server *srv, size_t idx, enum hs_sig_alg alg,
    const uint8_t *m, size_t mlen, struct hs_buf *sig);
/* KEX with the configured KexProvider: make this connection's ephemeral key pair for method m
 * (replacing any earlier one) and append its public value as hs_kex_keypair does. */
HS_MUST_USE hs_err hs_server_kex_keypair(struct hs_server *srv, enum hs_kex_method m,
    struct hs_buf *pub);
/* Name of the provider that computes method m for this connection: the service's answer to the
 * last key pair it made here, else hs_kex_provider_for (this process's selection). */
const char *hs_server_kex_provider(const struct hs_server *srv, enum hs_kex_method m);
/* Derive the shared secret with the pending ephemeral (consumed) as hs_kex_derive does. */
HS_MUST_USE hs_err hs_server_kex_derive(struct hs_server *srv, const uint8_t *peer, size_t len,
    struct hs_buf *secret);

/* ---- the host-key service (server_keyd.c) ----
 * The listener forks one long-lived root process that opens every HostKey (files, PKCS#11
 * tokens, TPMs) and the KexProvider once, keeps the token sessions logged in, and signs for all
 * connections through a bounded queue per key (back-pressure: a full queue refuses at once, with
 * a log line). Each connection's monitor gets its own SOCK_SEQPACKET link; a network process
 * never has one. */
struct hs_keyd;

/* Fork the service and wait until it has opened the keys. HS_ERR_CONFIG if no host key is
 * usable (each failure already logged by the service). In the service process, drop(arg) first
 * closes the caller's descriptors it must not keep (listening sockets, children's pipes). */
HS_MUST_USE hs_err hs_keyd_start(struct hs_server *srv, void (*drop)(void *arg), void *arg,
    struct hs_keyd **out);
/* A new link for one connection: *fd (close-on-exec) is for the connection's process. */
HS_MUST_USE hs_err hs_keyd_link(struct hs_keyd *kd, int *fd);
/* True iff pid (reaped by the listener with status st) was the service; logs how it ended. */
bool hs_keyd_exited(struct hs_keyd *kd, pid_t pid, int st);
/* Stop the service (SIGTERM, reap). NULL allowed. */
void hs_keyd_stop(struct hs_keyd *kd);

/* Serve one connection in this process (re-executed -R, or -i): become its monitor, fork the
 * sandboxed network child, load the host keys only after that fork, answer the child's requests,
 * then run the post-auth process. Returns the process exit status (enum hs_conn_exit). */
int hs_server_conn_serve(struct hs_server *srv, int fd_in, int fd_out, int notify_fd);
/* Fill cn's peer and local addresses from its socket. */
void hs_conn_addrs(struct hs_conn *cn);
/* Check (or create, root-owned 0755) HS_PRIVSEP_DIR and look up HS_PRIVSEP_USER; logs and
 * returns HS_ERR_CONFIG when either is unusable. Run by the listener and -i/-t at start-up. */
HS_MUST_USE hs_err hs_server_privsep_check(void);

/* ---- the network processes' link to the monitor (server_child.c) ---- */
struct hs_mon_req;

struct hs_monlink {
	int fd;			/* monitor socket */
	struct hs_buf *reply;	/* holds the last reply; views in the parsed reply point here */
};

/* Send the request built in req (reset afterwards, which wipes it), read the reply and parse it
 * into *rep. HS_ERR_PROTOCOL if the reply is FAIL-less garbage; a FAIL reply is HS_OK with
 * rep->type == HS_MON_FAIL. Any error means the monitor is gone or misbehaves: end the process. */
HS_MUST_USE hs_err hs_monlink_call(struct hs_monlink *l, struct hs_buf *req, struct hs_mon_req *rep);
/* transport sign_cb: SIGN over the link (arg is the struct hs_monlink). */
hs_err hs_monlink_sign(void *arg, size_t idx, enum hs_sig_alg alg, const uint8_t *h, size_t hlen,
    struct hs_buf *sig);
/* transport kex_keypair_cb / kex_derive_cb: KEX_KEYPAIR / KEX_DERIVE over the link (arg is the
 * struct hs_monlink); a FAIL reply (device failure, or the peer's value refused) is HS_ERR_PROVIDER.
 * The shared secret is wiped from the link's reply buffer before kex_derive returns. */
hs_err hs_monlink_kex_keypair(void *arg, enum hs_kex_method m, struct hs_buf *pub);
hs_err hs_monlink_kex_derive(void *arg, const uint8_t *peer, size_t len, struct hs_buf *secret);
/* Route tc's server-side KEX to the monitor (the callbacks above, cb_arg the link) when c's
 * KexProvider is hardware; with "soft" tc is left alone. */
void hs_monlink_kex_route(const struct hs_server_config *c, struct hs_transport_cfg *tc);
/* HOSTKEYS: public-only host keys into keys[] (up to max), *n set. */
HS_MUST_USE hs_err hs_monlink_hostkeys(struct hs_monlink *l, struct hs_key **keys, size_t max,
    size_t *n);

/* A network process (pre-auth child or post-auth process) enters its sandbox: its log lines go
 * to log_fd (the monitor), the log file, syslog connection and stderr are given up (no way into
 * the server's log), a SIGSYS is reported on sys_fd; then it is chrooted into HS_PRIVSEP_DIR and
 * becomes user (keep_root: stays uid 0 without any capability), takes the phase's limits and,
 * unless "Sandbox no", the phase's seccomp filter. Any failure must end the process (_exit). */
HS_MUST_USE hs_err hs_server_sandbox_enter(const struct hs_server_config *c,
    enum hs_sandbox_phase phase, const char *user, bool keep_root, int log_fd, int sys_fd);

/* The pre-auth network child, already dropped and sandboxed: transport, authentication through
 * the monitor, then hand-over of the transport (KEYSTATE). Returns its exit status
 * (enum hs_conn_exit; HS_EXIT_OK after a successful hand-over). */
int hs_server_child_run(const struct hs_server *srv, struct hs_conn *cn, struct hs_monlink *l);

/* Bind the listeners and run the accept loop until SIGTERM (or one connection for -d). */
int hs_server_listen_run(struct hs_server *srv);

/* ---- how a connection ended (the per-connection process's exit status) ----
 * The listener reads these from waitpid to decide on PerSourcePenalties; the values follow
 * sshd's so that an administrator reading a status sees the same meaning. */
enum hs_conn_exit {
	HS_EXIT_OK = 0,			/* authenticated; the session ended */
	HS_EXIT_GRACE = 3,		/* LoginGraceTime passed before authentication */
	HS_EXIT_CRASH = 4,		/* the network child died by a signal (SIGSYS, SIGSEGV, ...) */
	HS_EXIT_AUTHFAIL = 5,		/* authentication was attempted and failed */
	HS_EXIT_NOAUTH = 6,		/* closed before any authentication attempt */
	HS_EXIT_ERROR = 255,		/* anything else (protocol error, internal failure) */
};

/* ---- PerSourcePenalties (server_penalty.c) ----
 * sshd_config(5) PerSourcePenalties / PerSourcePenaltyExemptList / PerSourceNetBlockSize /
 * PerSourceMaxStartups, kept by the listener: a source address block whose connections crashed
 * the child, failed authentication, never tried it or ran out of LoginGraceTime is refused for
 * a while. */
enum hs_penalty_kind {
	HS_PENALTY_CRASH = 0,		/* "crash:" */
	HS_PENALTY_AUTHFAIL,		/* "authfail:" */
	HS_PENALTY_NOAUTH,		/* "noauth:" */
	HS_PENALTY_GRACE,		/* "grace-exceeded:" */
	HS_PENALTY_KINDS
};

struct hs_penalties;

/* A penalty table for the configuration c (which must outlive it). HS_ERR_ALLOC. */
HS_MUST_USE hs_err hs_penalties_new(const struct hs_server_config *c, struct hs_penalties **out);
void hs_penalties_free(struct hs_penalties *p);
/* True if connections from addr are refused at now_ms (a penalty on its address block is
 * running, or the table overflowed with overflow:deny-all). Exempt addresses are never refused. */
bool hs_penalties_check(struct hs_penalties *p, const struct sockaddr_storage *addr,
    long long now_ms);
/* Record a penalty of kind k against addr's block at now_ms, as sshd adds them (capped at max:,
 * skipped below min:, exempt list honoured, oldest entries evicted at max-sources). Logs it at
 * VERBOSE. */
void hs_penalties_add(struct hs_penalties *p, const struct sockaddr_storage *addr,
    enum hs_penalty_kind k, long long now_ms);
/* The penalty a connection process's end deserves: its waitpid status and whether it told the
 * listener it authenticated. -1 for none (authenticated, or an ordinary end). */
int hs_penalty_for_exit(int wstatus, bool authenticated);
/* True if a and b are in the same PerSourceNetBlockSize block (for PerSourceMaxStartups). */
bool hs_penalties_same_block(const struct hs_penalties *p, const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);
/* PerSourceMaxStartups, or 0 for none. */
unsigned hs_penalties_max_startups(const struct hs_penalties *p);

/* ---- user authentication (auth_server*.c, RFC 4252) ---- */

/* A parsed SSH_MSG_USERAUTH_REQUEST (after the type byte). Pointers into the message buffer for the
 * key blob and signature; owned strings otherwise. */
struct hs_userauth_req {
	char *user, *service, *method;
	/* publickey */
	bool has_sig;
	char *pk_alg;
	const uint8_t *blob, *sig;
	size_t blob_len, sig_len;
	/* publickey, in the monitor: RFC 4252 7 signed data, checked by the state machine */
	const uint8_t *signed_data;
	size_t signed_len;
	/* password */
	bool change;
	char *password, *new_password;	/* wiped on clear */
};

#define HS_USERAUTH_MAX_NAME	256

/* Parse the request from msg (positioned after the type byte). Fields for the "publickey" and
 * "password" methods are parsed and must end the message; other methods keep their fields unread.
 * On failure *req is cleared. */
HS_MUST_USE hs_err hs_userauth_req_parse(struct hs_buf *msg, struct hs_userauth_req *req);
/* Free and wipe. */
void hs_userauth_req_clear(struct hs_userauth_req *req);

/* Outcome of one method attempt. */
enum hs_auth_result {
	HS_AUTH_FAIL = 0,	/* count against MaxAuthTries, send FAILURE */
	HS_AUTH_SUCCESS,
	HS_AUTH_PK_OK,		/* publickey query answered with PK_OK (not a failure) */
};

/* State of the authentication conversation for one connection. */
struct hs_auth_ctx {
	struct hs_conn *cn;
	struct hs_monlink *mon;		/* network side: the monitor that decides; NULL in the monitor */
	const struct hs_server_config *cfg;
	char *user, *service;		/* fixed by the first request (RFC 4252 5) */
	struct passwd pw;		/* copy of the user's entry (strings owned) */
	bool valid_user;
	unsigned failures;
	unsigned attempts;		/* requests seen (the first "none" probe is free) */
	struct hs_authkey_opts key_opts;	/* options of the accepted key */
	char method_detail[160];	/* "ED25519 SHA256:..." for the Accepted line */
};

/* The monitor's decisions (auth_server_pubkey.c, auth_server_password.c): nothing is sent; the
 * monitor answers the network child. hs_auth_pubkey verifies req->signed_data. */
HS_MUST_USE hs_err hs_auth_pubkey(struct hs_auth_ctx *a, const struct hs_userauth_req *req,
    enum hs_auth_result *res);
HS_MUST_USE hs_err hs_auth_password(struct hs_auth_ctx *a, const struct hs_userauth_req *req,
    enum hs_auth_result *res);
/* Monitor: fix the user (RFC 4252 5): look it up, copy the passwd entry, apply the account checks
 * (expired, locked) and log an invalid user. Sets a->user, a->service, a->valid_user. */
HS_MUST_USE hs_err hs_auth_bind_user(struct hs_auth_ctx *a, const char *user, const char *service);
/* Monitor: the "Accepted/Failed/Postponed METHOD for USER from ADDR port N ssh2" line. */
void hs_auth_log_attempt(struct hs_auth_ctx *a, const char *verb, const char *method, bool loud);

/* Run the ssh-userauth service until success (HS_OK, a->user and a->pw filled) or failure. */
HS_MUST_USE hs_err hs_auth_server_run(struct hs_auth_ctx *a);
void hs_auth_ctx_clear(struct hs_auth_ctx *a);

/* ---- the monitor (server_monitor*.c, server_postauth.c) ---- */

/* The privileged side of one connection. */
struct hs_monitor {
	struct hs_server *srv;
	struct hs_conn cn;		/* addresses and the network socket */
	struct hs_mon_state st;		/* what the network process may ask, and when */
	struct hs_auth_ctx auth;	/* the user, as the monitor verified it */
	int fd;				/* socket to the current network process */
	int log_fd;			/* its log datagrams (hs_log_relay) */
	int sigsys_fd;			/* its SIGSYS report pipe */
	int exit_w;			/* post-auth: exit events of session programs; -1 before */
	pid_t child;			/* the current network process */
	struct hs_buf *in, *out;	/* request and reply */
	struct hs_buf *keystate;	/* the transport handed over by the pre-auth child */
	bool violation;			/* a request was refused: end the connection */
	int pass_fds[3];		/* sent after the reply (SPAWN_OK), then closed */
	size_t n_pass;
	struct hs_keyd *own_keyd;	/* -d/-i: this connection's own host-key service */
	int notify_fd;			/* the listener's "authenticated" pipe, until used */
};

/* SPAWN (post-auth): start a session program with the monitor's own policy; reply SPAWN_OK and
 * queue its fds in m->pass_fds (server_postauth.c). */
HS_MUST_USE hs_err hs_monitor_on_spawn(struct hs_monitor *m, const struct hs_mon_req *r);

/* Read, check and answer one request from m->fd (blocking up to 5 s once a frame began).
 * HS_ERR_EOF when the network process closed; HS_ERR_PROTOCOL when the request was refused
 * (logged; m->violation set): the connection must end. */
HS_MUST_USE hs_err hs_monitor_serve_one(struct hs_monitor *m);
/* Relay every waiting log datagram of the network process. */
void hs_monitor_drain_log(struct hs_monitor *m);
/* Wait for the network process m->child to end and say how (SIGSYS named from its report):
 * HS_EXIT_CRASH for a signal, otherwise its exit status. */
int hs_monitor_reap_child(struct hs_monitor *m);
/* The same for a waitpid status already collected (the child is then forgotten). */
int hs_monitor_child_status(struct hs_monitor *m, int st);
/* The session policy the monitor enforces for spawned programs (its own copy). */
void hs_monitor_policy(const struct hs_monitor *m, struct hs_session_policy *pol,
    struct hs_session_user *u, char *sshconn, size_t len);
/* After KEYSTATE: fork the post-auth process as the user and serve it until it ends. Returns the
 * connection's exit status. */
int hs_monitor_postauth(struct hs_monitor *m);

#endif
