/* server_keyd.c: the host-key service (issue 5). The listener forks it once; it opens every
 * HostKey (files, PKCS#11 tokens, TPMs) and the KexProvider a single time, keeps their sessions
 * logged in, and answers the per-connection monitors (server_keyd.h) for as long as hsshd runs.
 *
 * Each key has a bounded FIFO queue served by its own worker thread, so a slow TPM delays only the
 * connections that use it; the KEX provider has one more. A request that finds its queue full is
 * refused at once (BUSY) with a log line: connections wait, up to HS_KEYD_QUEUE_MAX per key, and
 * never pile up without bound. Latency (queue wait + operation) is kept per queue; p50/p99 go to
 * the log at VERBOSE. The main thread only reads requests and routes them; a client with a request
 * in a worker is left out of poll until the worker hands it back over the wake pipe, so only the
 * main thread ever frees a client. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "server_impl.h"
#include "server_keyd.h"
#include "server_keyd_impl.h"

struct hs_keyd {
	pid_t pid;
	int ctl;		/* listener's end: new links go over it with SCM_RIGHTS */
};

static volatile sig_atomic_t kd_term;

static void
kd_on_term(int sig)
{
	kd_term = sig;
}

/* ---- clients (main thread only) ---- */

static hs_err
add_client(struct kd_service *s, int fd)
{
	struct kd_client *c;
	size_t slot;

	for (slot = 0; slot < s->n_clients && s->clients[slot] != NULL; slot++)
		;
	if (slot == s->n_clients) {
		if (s->n_clients == s->cap_clients) {
			size_t nc = s->cap_clients ? s->cap_clients * 2 : 64;
			struct kd_client **cl = realloc(s->clients, nc * sizeof(*cl));

			HS_ENSURE(cl != NULL, HS_ERR_ALLOC);
			s->clients = cl;
			s->cap_clients = nc;
		}
		s->n_clients++;
	}
	HS_ENSURE((c = hs_calloc(1, sizeof(*c))) != NULL, HS_ERR_ALLOC);
	*c = (struct kd_client){ .fd = fd, .slot = slot };
	s->clients[slot] = c;
	return HS_OK;
}

static void
drop_client(struct kd_service *s, size_t slot)
{
	struct kd_client *c = s->clients[slot];

	(void)close(c->fd);
	hs_kex_priv_free(c->kex);
	free(c);
	s->clients[slot] = NULL;
	while (s->n_clients > 0 && s->clients[s->n_clients - 1] == NULL)
		s->n_clients--;
}

/* ---- routing a request to its queue ---- */

static void
reply_status(int fd, enum hs_keyd_status st)
{
	uint8_t b = (uint8_t)st;

	(void)send(fd, &b, 1, MSG_NOSIGNAL);
}

static hs_err
enqueue(struct kd_service *s, size_t slot, struct kd_queue *q, const uint8_t *msg, size_t len)
{
	struct kd_item *it;
	uint64_t refused = 0;
	bool full;

	pthread_mutex_lock(&q->mu);
	full = q->depth >= HS_KEYD_QUEUE_MAX;
	if (full)
		refused = ++q->refused;
	pthread_mutex_unlock(&q->mu);
	if (full) {
		/* One line per second per queue: a flood must not become a log flood. */
		if (hs_time_ms() - q->last_refusal_log >= 1000) {
			q->last_refusal_log = hs_time_ms();
			hs_error("host-key service: %s queue full (%u waiting): request refused "
			    "(%llu refused so far)", q->name, HS_KEYD_QUEUE_MAX,
			    (unsigned long long)refused);
		}
		reply_status(s->clients[slot]->fd, HS_KEYD_BUSY);
		return HS_OK;
	}
	HS_ENSURE((it = hs_calloc(1, sizeof(*it) + len)) != NULL, HS_ERR_ALLOC);
	it->c = s->clients[slot];
	it->len = len;
	it->t_enq = kd_now_us();
	memcpy(it->msg, msg, len);
	it->c->busy = true;
	pthread_mutex_lock(&q->mu);
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	if (++q->depth > q->max_depth)
		q->max_depth = q->depth;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return HS_OK;
}

/* One message from a client: HOSTKEYS is answered here, the rest go to a worker. Any error ends
 * the client (its monitor then ends its connection). */
static hs_err
on_client(struct kd_service *s, size_t slot)
{
	uint8_t msg[HS_KEYD_MAX_MSG];
	struct hs_keyd_req r;
	ssize_t n;
	hs_err e;

	do {
		n = recv(s->clients[slot]->fd, msg, sizeof(msg), MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return HS_ERR_EOF;
	HS_ENSURE((size_t)n <= sizeof(msg), HS_ERR_FORMAT);
	e = hs_keyd_parse_req(msg, (size_t)n, &r);
	if (e == HS_OK && r.type == HS_KEYD_HOSTKEYS)
		e = hs_keyd_reply_hostkeys(s, s->clients[slot]->fd);
	else if (e == HS_OK && r.type == HS_KEYD_SIGN && r.idx < s->srv->n_hostkeys)
		e = enqueue(s, slot, &s->q[r.idx], msg, (size_t)n);
	else if (e == HS_OK && (r.type == HS_KEYD_KEX_KEYPAIR || r.type == HS_KEYD_KEX_DERIVE))
		e = enqueue(s, slot, &s->q[s->srv->n_hostkeys], msg, (size_t)n);
	else if (e == HS_OK)
		e = HS_ERR_PROTOCOL;
	hs_wipe(msg, (size_t)n);
	if (e != HS_OK)
		hs_error("host-key service: bad request from a monitor: %s", hs_err_str(e));
	return e;
}

/* ---- the main loop ---- */

static void
on_ctl(struct kd_service *s)
{
	int fd = -1;
	hs_err e = hs_mon_recv_fd(s->ctl, &fd);

	if (e == HS_ERR_EOF) {
		kd_term = -1;	/* the listener is gone */
		return;
	}
	if (e == HS_OK && add_client(s, fd) != HS_OK)
		(void)close(fd);
}

static void
on_wake(struct kd_service *s)
{
	uint32_t slots[64];
	ssize_t n = read(s->wake[0], slots, sizeof(slots));

	for (ssize_t i = 0; i + (ssize_t)sizeof(uint32_t) <= n; i += sizeof(uint32_t))
		if (slots[i / sizeof(uint32_t)] < s->n_clients &&
		    s->clients[slots[i / sizeof(uint32_t)]] != NULL)
			s->clients[slots[i / sizeof(uint32_t)]]->busy = false;
}

static void
serve(struct kd_service *s)
{
	struct pollfd *pf = NULL;
	size_t *map = NULL, cap = 0;

	while (kd_term == 0) {
		size_t n = 0, want = s->n_clients + 2;

		if (want > cap) {
			free(pf);
			free(map);
			cap = want * 2;
			pf = calloc(cap, sizeof(*pf));
			map = calloc(cap, sizeof(*map));
			if (pf == NULL || map == NULL)
				break;
		}
		pf[n++] = (struct pollfd){ .fd = s->ctl, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		for (size_t i = 0; i < s->n_clients; i++) {
			if (s->clients[i] == NULL || s->clients[i]->busy)
				continue;
			map[n] = i;
			pf[n++] = (struct pollfd){ .fd = s->clients[i]->fd, .events = POLLIN };
		}
		if (poll(pf, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			on_wake(s);
		for (size_t i = 2; i < n; i++)
			if (pf[i].revents && on_client(s, map[i]) != HS_OK)
				drop_client(s, map[i]);
		if (pf[0].revents)
			on_ctl(s);
	}
	free(pf);
	free(map);
}

/* ---- start-up ---- */

static hs_err
announce(int ctl, uint32_t n_keys)
{
	uint8_t b[4] = { (uint8_t)(n_keys >> 24), (uint8_t)(n_keys >> 16), (uint8_t)(n_keys >> 8),
		(uint8_t)n_keys };

	return send(ctl, b, sizeof(b), MSG_NOSIGNAL) == (ssize_t)sizeof(b) ? HS_OK : HS_ERR_IO;
}

/* In the forked service process; never returns. */
static void __attribute__((noreturn))
service_main(struct hs_server *srv, int ctl, void (*drop)(void *arg), void *arg)
{
	struct kd_service s = { .srv = srv, .ctl = ctl, .wake = { -1, -1 } };
	struct sigaction sa = { .sa_handler = kd_on_term };
	int status = HS_EXIT_ERROR;
	sigset_t none;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);	/* the listener blocks some */
	/* The listener's sockets and its children's pipes are not ours (the log file is). */
	if (drop != NULL)
		drop(arg);
	if (hs_crypto_init() != HS_OK || hs_server_load_hostkeys(srv) != HS_OK ||
	    hs_keyd_open_kex(srv) != HS_OK) {
		(void)announce(s.ctl, 0);
		_exit(HS_EXIT_ERROR);
	}
	if (pipe2(s.wake, O_CLOEXEC) == 0 && hs_keyd_workers_start(&s) == HS_OK &&
	    announce(s.ctl, (uint32_t)srv->n_hostkeys) == HS_OK) {
		hs_verbose("host-key service pid %ld: %zu host key(s)", (long)getpid(),
		    srv->n_hostkeys);
		serve(&s);
		status = HS_EXIT_OK;
	}
	hs_keyd_log_stats(&s);
	if (kd_term > 0)
		hs_verbose("host-key service: signal %d, exiting", (int)kd_term);
	/* Workers may be inside a token call: leave without unwinding them. */
	_exit(status);
}

hs_err
hs_keyd_start(struct hs_server *srv, void (*drop)(void *arg), void *arg, struct hs_keyd **out)
{
	struct hs_keyd *kd;
	uint8_t b[4];
	int sp[2];
	ssize_t n;

	*out = NULL;
	HS_ENSURE((kd = hs_calloc(1, sizeof(*kd))) != NULL, HS_ERR_ALLOC);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		free(kd);
		return HS_ERR_IO;
	}
	kd->pid = fork();
	if (kd->pid == 0) {
		close(sp[0]);
		service_main(srv, sp[1], drop, arg);
	}
	close(sp[1]);
	kd->ctl = sp[0];
	do {
		n = kd->pid > 0 ? recv(kd->ctl, b, sizeof(b), MSG_WAITALL) : -1;
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(b) || (b[0] | b[1] | b[2] | b[3]) == 0) {
		hs_keyd_stop(kd);
		return HS_ERR_CONFIG;
	}
	*out = kd;
	return HS_OK;
}

hs_err
hs_keyd_link(struct hs_keyd *kd, int *fd)
{
	int sp[2];
	hs_err e;

	*fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
		hs_error("host-key service link: %s", strerror(errno));
		return HS_ERR_IO;
	}
	e = hs_mon_send_fd(kd->ctl, sp[1]);
	close(sp[1]);
	if (e != HS_OK) {
		hs_error("host-key service is gone: connection refused");
		close(sp[0]);
		return e;
	}
	*fd = sp[0];
	return HS_OK;
}

void
hs_keyd_stop(struct hs_keyd *kd)
{
	if (kd == NULL)
		return;
	if (kd->ctl >= 0)
		close(kd->ctl);
	if (kd->pid > 0) {
		(void)kill(kd->pid, SIGTERM);
		while (waitpid(kd->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(kd);
}

bool
hs_keyd_exited(struct hs_keyd *kd, pid_t pid, int st)
{
	if (kd == NULL || kd->pid != pid)
		return false;
	kd->pid = -1;
	if (WIFSIGNALED(st))
		hs_error("host-key service (pid %ld) killed by signal %d", (long)pid, WTERMSIG(st));
	else
		hs_error("host-key service (pid %ld) exited with status %d", (long)pid,
		    WEXITSTATUS(st));
	return true;
}
