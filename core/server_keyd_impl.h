/* server_keyd_impl.h: the host-key service's state, shared by server_keyd.c (main thread: links,
 * routing) and server_keyd_work.c (worker threads: signing, KEX, latency). */
#ifndef HS_SERVER_KEYD_IMPL_H
#define HS_SERVER_KEYD_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server_impl.h"

#define KD_LAT_RING	1024	/* latencies kept per queue for p50/p99 */
#define KD_STATS_EVERY	64	/* operations between VERBOSE latency lines */

/* A request waiting in a queue: a copy of the message and the client slot to answer. */
struct kd_item {
	struct kd_item *next;
	struct kd_client *c;
	long long t_enq;	/* kd_now_us() when queued */
	size_t len;
	uint8_t msg[];
};

/* One per host key, and one for the KEX provider (index n_hostkeys). */
struct kd_queue {
	struct kd_service *s;
	size_t idx;
	char name[96];		/* "host key #0 (pkcs11:...)" or "KEX (soft)" */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct kd_item *head, *tail;	/* under mu */
	unsigned depth, max_depth;	/* under mu */
	uint64_t done, refused;		/* under mu */
	long long last_refusal_log;	/* main thread only */
	uint32_t lat_us[KD_LAT_RING];	/* under mu */
};

/* A monitor's link. busy: a request of it is in a worker (main thread's view). */
struct kd_client {
	int fd;
	size_t slot;		/* index in kd_service.clients */
	bool busy;
	struct hs_kex_priv *kex;	/* pending ephemeral; used only by the KEX worker */
};

struct kd_service {
	struct hs_server *srv;
	int ctl;
	int wake[2];		/* workers write the slot they finished (uint32_t) */
	struct kd_client **clients;	/* NULL: free slot; each client stays put while busy */
	size_t n_clients, cap_clients;
	struct kd_queue q[HS_CFG_MAX_HOSTKEYS + 1];
};

/* server_keyd_work.c */
/* CLOCK_MONOTONIC in microseconds. */
long long kd_now_us(void);
HS_MUST_USE hs_err hs_keyd_workers_start(struct kd_service *s);
HS_MUST_USE hs_err hs_keyd_reply_hostkeys(struct kd_service *s, int fd);
/* Open the configured KexProvider in the service (soft: nothing to open). */
HS_MUST_USE hs_err hs_keyd_open_kex(struct hs_server *srv);
void hs_keyd_log_stats(struct kd_service *s);

#endif
