/* server_keyd_work.c: the host-key service's worker threads (server_keyd_impl.h). A worker takes
 * the oldest request of its queue, runs it on its key (or the KEX provider), answers the client
 * directly (a client has one request outstanding, so nobody else writes to it meanwhile), records
 * the latency and hands the client back to the main thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "server_keyd.h"
#include "server_keyd_impl.h"

long long
kd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *
key_provider(const struct kd_service *s, size_t idx)
{
	return hs_key_provider(s->srv->hostkeys[idx]);
}

static hs_err
send_reply(int fd, struct hs_buf *b)
{
	ssize_t n = send(fd, hs_buf_ptr(b), hs_buf_len(b), MSG_NOSIGNAL);

	return n == (ssize_t)hs_buf_len(b) ? HS_OK : HS_ERR_IO;
}

hs_err
hs_keyd_reply_hostkeys(struct kd_service *s, int fd)
{
	struct hs_buf *b = NULL, *blob = NULL;
	hs_err e;

	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_buf_new(HS_KEYD_MAX_MSG, &blob), e, out);
	HS_GUARD_GOTO(hs_buf_put_u8(b, HS_KEYD_OK), e, out);
	HS_GUARD_GOTO(hs_buf_put_u32(b, (uint32_t)s->srv->n_hostkeys), e, out);
	for (size_t i = 0; i < s->srv->n_hostkeys; i++) {
		hs_buf_reset(blob);
		HS_GUARD_GOTO(hs_key_public_blob(s->srv->hostkeys[i], blob), e, out);
		HS_GUARD_GOTO(hs_buf_put_stringb(b, blob), e, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(b, key_provider(s, i)), e, out);
	}
	e = send_reply(fd, b);
out:
	hs_buf_free(blob);
	hs_buf_free(b);
	return e;
}

/* SIGN: the algorithm must suit the key (a real monitor never asks otherwise). */
static hs_err
do_sign(struct kd_queue *q, const struct hs_keyd_req *r, struct hs_buf *out)
{
	const struct hs_key *k = q->s->srv->hostkeys[q->idx];
	enum hs_sig_alg alg = hs_sig_alg_from_name((const char *)r->alg, r->alg_len);
	struct hs_buf *sig = NULL;
	hs_err e;

	HS_ENSURE(alg != HS_SIG_UNKNOWN && hs_sig_alg_key_type(alg) == hs_key_type(k),
	    HS_ERR_PROTOCOL);
	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &sig));
	e = hs_key_sign(k, alg, r->data, r->data_len, sig);
	if (e == HS_OK)
		e = hs_buf_put_u8(out, HS_KEYD_OK);
	if (e == HS_OK)
		e = hs_buf_put_stringb(out, sig);
	if (e == HS_OK)
		e = hs_buf_put_cstring(out, hs_key_provider(k));
	else
		hs_error("%s: signature failed: %s", q->name, hs_err_str(e));
	hs_buf_free(sig);
	return e;
}

static hs_err
do_kex(struct kd_queue *q, struct kd_client *c, const struct hs_keyd_req *r, struct hs_buf *out)
{
	struct hs_buf *v = NULL;
	hs_err e;

	HS_GUARD(hs_buf_new(HS_KEYD_MAX_MSG, &v));
	if (r->type == HS_KEYD_KEX_KEYPAIR) {
		hs_kex_priv_free(c->kex);
		c->kex = NULL;
		e = hs_kex_keypair((enum hs_kex_method)r->method, &c->kex, v);
	} else if (c->kex == NULL) {
		e = HS_ERR_PROTOCOL;
	} else {
		e = hs_kex_derive(c->kex, r->data, r->data_len, v);
		hs_kex_priv_free(c->kex);
		c->kex = NULL;
	}
	if (e == HS_OK)
		e = hs_buf_put_u8(out, HS_KEYD_OK);
	if (e == HS_OK)
		e = hs_buf_put_stringb(out, v);
	if (e == HS_OK && r->type == HS_KEYD_KEX_KEYPAIR)
		e = hs_buf_put_cstring(out, hs_kex_provider_for((enum hs_kex_method)r->method));
	if (e != HS_OK)
		hs_error("%s: %s failed: %s", q->name, r->type == HS_KEYD_KEX_KEYPAIR ?
		    "key pair" : "shared secret", hs_err_str(e));
	hs_buf_free(v);		/* wipes the secret */
	return e;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* p50/p99 of the latencies in the ring (microseconds), under q->mu. */
static void
percentiles(const struct kd_queue *q, uint32_t *p50, uint32_t *p99)
{
	uint32_t v[KD_LAT_RING];
	size_t n = q->done < KD_LAT_RING ? (size_t)q->done : KD_LAT_RING;

	*p50 = *p99 = 0;
	if (n == 0)
		return;
	memcpy(v, q->lat_us, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u32);
	*p50 = v[(n - 1) / 2];
	*p99 = v[(n * 99 + 99) / 100 - 1];
}

static void
log_queue(struct kd_queue *q)
{
	uint32_t p50, p99;
	uint64_t done, refused;
	unsigned maxd;

	pthread_mutex_lock(&q->mu);
	percentiles(q, &p50, &p99);
	done = q->done;
	refused = q->refused;
	maxd = q->max_depth;
	pthread_mutex_unlock(&q->mu);
	if (done > 0 || refused > 0)
		hs_verbose("signing queue of %s: %llu done, latency p50 %.1f ms p99 %.1f ms (last "
		    "%zu), max depth %u, %llu refused", q->name, (unsigned long long)done,
		    p50 / 1000.0, p99 / 1000.0,
		    done < KD_LAT_RING ? (size_t)done : (size_t)KD_LAT_RING, maxd,
		    (unsigned long long)refused);
}

static void
finish(struct kd_queue *q, struct kd_item *it)
{
	long long us = kd_now_us() - it->t_enq;
	uint32_t slot = (uint32_t)it->c->slot;
	bool report;
	ssize_t w;

	pthread_mutex_lock(&q->mu);
	if (us < 0)
		us = 0;
	q->lat_us[q->done % KD_LAT_RING] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	q->done++;
	report = q->done % KD_STATS_EVERY == 0;
	pthread_mutex_unlock(&q->mu);
	hs_debug("%s: answered in %.1f ms", q->name, us / 1000.0);
	if (report)
		log_queue(q);
	hs_wipe(it->msg, it->len);
	free(it);
	do {
		w = write(q->s->wake[1], &slot, sizeof(slot));
	} while (w < 0 && errno == EINTR);
}

static void
reply_fail(int fd)
{
	uint8_t b = HS_KEYD_FAIL;

	(void)send(fd, &b, 1, MSG_NOSIGNAL);
}

static void
run_item(struct kd_queue *q, struct kd_item *it)
{
	struct kd_client *c = it->c;
	struct hs_buf *out = NULL;
	struct hs_keyd_req r;
	hs_err e;

	e = hs_keyd_parse_req(it->msg, it->len, &r);
	if (e == HS_OK)
		e = hs_buf_new(HS_KEYD_MAX_MSG, &out);
	if (e == HS_OK)
		e = r.type == HS_KEYD_SIGN ? do_sign(q, &r, out) : do_kex(q, c, &r, out);
	if (e == HS_OK)
		e = send_reply(c->fd, out);
	else
		reply_fail(c->fd);
	hs_buf_free(out);
}

static void *
worker(void *arg)
{
	struct kd_queue *q = arg;
	struct kd_item *it;

	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == NULL)
			pthread_cond_wait(&q->cv, &q->mu);
		it = q->head;
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->depth--;
		pthread_mutex_unlock(&q->mu);
		run_item(q, it);
		finish(q, it);
	}
	return NULL;
}

hs_err
hs_keyd_workers_start(struct kd_service *s)
{
	size_t n = s->srv->n_hostkeys;

	for (size_t i = 0; i <= n; i++) {
		struct kd_queue *q = &s->q[i];

		q->s = s;
		q->idx = i;
		if (i < n)
			snprintf(q->name, sizeof(q->name), "host key #%zu (%s %s)", i,
			    key_provider(s, i), s->srv->hostkey_uri[i]);
		else
			snprintf(q->name, sizeof(q->name), "KEX");
		HS_ENSURE(pthread_mutex_init(&q->mu, NULL) == 0, HS_ERR_INTERNAL);
		HS_ENSURE(pthread_cond_init(&q->cv, NULL) == 0, HS_ERR_INTERNAL);
		HS_ENSURE(pthread_create(&q->th, NULL, worker, q) == 0, HS_ERR_INTERNAL);
	}
	return HS_OK;
}

void
hs_keyd_log_stats(struct kd_service *s)
{
	for (size_t i = 0; i <= s->srv->n_hostkeys && s->q[i].s != NULL; i++)
		log_queue(&s->q[i]);
}

hs_err
hs_keyd_open_kex(struct hs_server *srv)
{
	return hs_server_open_kex(srv);
}
