/* server_penalty.c: PerSourcePenalties, PerSourcePenaltyExemptList, PerSourceNetBlockSize and
 * PerSourceMaxStartups (sshd_config(5), OpenSSH 9.8), kept by the listener.
 *
 * The rules, as sshd_config(5) states them:
 * - A source address is reduced to its block: the address masked to PerSourceNetBlockSize bits.
 *   IPv4-mapped IPv6 sources (::ffff:a.b.c.d) are IPv4 sources. IPv4 and IPv6 blocks live in
 *   separate tables with their own max-sources and overflow mode, so an overflow in one family
 *   does not touch the other.
 * - A connection that ends badly adds its kind's duration (crash:, authfail:, noauth:,
 *   grace-exceeded:) to its block's penalty. A running penalty is extended by that duration;
 *   the time left is never more than max: ("Repeated penalties will accumulate up to this
 *   maximum"). A kind whose duration is 0 is not penalised.
 * - min: "the minimum penalty that must accrue before enforcement begins": a penalty is recorded
 *   from its first offence but refuses connections only once the time it has left reaches min:
 *   (remaining >= min:). From then on it is enforced until it expires, even after the time left
 *   drops below min:. Recorded but unenforced penalties count against max-sources, as the
 *   manual says. (sshd's code compares with ">"; we follow the manual's "must accrue".)
 * - A penalty refuses connections while now < expiry: a penalty of d seconds started at t refuses
 *   [t, t + d) and has run out at exactly t + d.
 * - Exempt addresses are never penalised nor refused.
 * - When a family's table holds max-sources blocks, expired ones are dropped first. Then with
 *   overflow:permissive the penalties that expire soonest give way to newer ones (a new penalty
 *   that would expire first is not recorded); with overflow:deny-all no new block is recorded and
 *   every connection of that family (other than exempt ones) is refused until one expires.
 * - "PerSourcePenalties no": nothing is recorded and nothing is refused.
 *
 * The table is an open-addressing hash (linear probing, backward-shift deletion) keyed by a
 * random SipHash-2-4 key so that sources cannot pick colliding blocks. Its size is bounded by
 * max-sources: it holds at most max-sources entries at a load of at most one half.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "server_impl.h"

#define NO_SLOT		SIZE_MAX
#define MIN_SLOTS	16

struct pen_entry {
	uint8_t key[16];	/* the masked address (4 or 16 bytes used) */
	long long expiry_ms;
	uint32_t hash;
	uint8_t used;
	uint8_t active;		/* reached min: — refuses connections */
	uint8_t logged;		/* a refusal was logged at INFO for this penalty */
	uint8_t kind;		/* the last offence, for the log */
};

struct pen_table {
	const char *family;	/* "IPv4", "IPv6" for the log */
	unsigned alen;		/* 4 or 16 address bytes */
	unsigned bits;		/* PerSourceNetBlockSize */
	size_t max_sources;
	int overflow;		/* enum hs_penalty_overflow */
	struct pen_entry *slots;
	size_t cap;		/* 0 or a power of two */
	size_t count;
	long long next_expiry;	/* no entry expires before this (a lower bound) */
	bool full_logged;
	uint64_t sipkey[2];
};

struct hs_penalties {
	const struct hs_server_config *cfg;
	struct pen_table t4, t6;
};

/* What each kind is called in the log and which configured duration it uses. */
static const struct {
	const char *what;
	size_t off;		/* int seconds in struct hs_cfg_penalties */
} kinds[HS_PENALTY_KINDS] = {
	[HS_PENALTY_CRASH] = { "caused a crash", offsetof(struct hs_cfg_penalties, crash) },
	[HS_PENALTY_AUTHFAIL] = { "failed authentication",
	    offsetof(struct hs_cfg_penalties, authfail) },
	[HS_PENALTY_NOAUTH] = { "closed without attempting authentication",
	    offsetof(struct hs_cfg_penalties, noauth) },
	[HS_PENALTY_GRACE] = { "exceeded LoginGraceTime", offsetof(struct hs_cfg_penalties, grace) },
};

/* ---- SipHash-2-4 of one 16-byte block (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012) ---- */

#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL64(v[1], 13); v[1] ^= v[0]; v[0] = ROTL64(v[0], 32);
	v[2] += v[3]; v[3] = ROTL64(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL64(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL64(v[1], 17); v[1] ^= v[2]; v[2] = ROTL64(v[2], 32);
}

static void
sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

static uint32_t
sip_hash16(const uint64_t k[2], const uint8_t in[16])
{
	uint64_t v[4] = {
		k[0] ^ 0x736f6d6570736575ULL, k[1] ^ 0x646f72616e646f6dULL,
		k[0] ^ 0x6c7967656e657261ULL, k[1] ^ 0x7465646279746573ULL,
	};

	for (int i = 0; i < 2; i++) {
		uint64_t m = 0;

		for (int j = 0; j < 8; j++)
			m |= (uint64_t)in[8 * i + j] << (8 * j);
		sip_absorb(v, m);
	}
	sip_absorb(v, (uint64_t)16 << 56);	/* message length in the last byte */
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return (uint32_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

/* ---- addresses ---- */

/* The source's address bytes (zero-padded to 16) and whether it is IPv4; IPv4-mapped IPv6 is
 * IPv4. false for anything but AF_INET/AF_INET6. */
static bool
source_addr(const struct sockaddr_storage *ss, uint8_t out[16], bool *v4)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ss;

		memcpy(out, &sin->sin_addr, 4);
		*v4 = true;
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)ss;
		const uint8_t *a = sin6->sin6_addr.s6_addr;

		*v4 = memcmp(a, mapped, sizeof(mapped)) == 0;
		memcpy(out, *v4 ? a + 12 : a, *v4 ? 4 : 16);
		return true;
	}
	return false;
}

/* Keep the first bits of a (alen bytes), zero the rest. */
static void
mask_addr(const uint8_t a[16], unsigned alen, unsigned bits, uint8_t out[16])
{
	memset(out, 0, 16);
	for (unsigned i = 0; i < alen && bits > 0; i++) {
		unsigned keep = bits >= 8 ? 8 : bits;

		out[i] = (uint8_t)(a[i] & (0xff00u >> keep));
		bits -= keep;
	}
}

static bool
prefix_equal(const uint8_t a[16], const uint8_t b[16], unsigned alen, unsigned bits)
{
	uint8_t ma[16], mb[16];

	mask_addr(a, alen, bits, ma);
	mask_addr(b, alen, bits, mb);
	return memcmp(ma, mb, alen) == 0;
}

static bool
is_exempt(const struct hs_penalties *p, const uint8_t a[16], bool v4)
{
	const struct hs_server_config *c = p->cfg;

	for (size_t i = 0; i < c->n_exempt; i++) {
		const struct hs_cfg_cidr *e = &c->exempt[i];

		if ((e->af == AF_INET) == v4 && prefix_equal(a, e->addr, v4 ? 4 : 16, e->bits))
			return true;
	}
	return false;
}

/* "10.0.0.0/24" for the log. */
static void
block_str(const struct pen_table *t, const uint8_t key[16], char *s, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(t->alen == 4 ? AF_INET : AF_INET6, key, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "UNKNOWN");
	snprintf(s, n, "%s/%u", ip, t->bits);
}

/* ---- the hash table ---- */

static size_t
table_find(const struct pen_table *t, const uint8_t key[16], uint32_t h)
{
	size_t mask = t->cap - 1;

	if (t->cap == 0)
		return NO_SLOT;
	for (size_t i = h & mask; t->slots[i].used; i = (i + 1) & mask)
		if (t->slots[i].hash == h && memcmp(t->slots[i].key, key, t->alen) == 0)
			return i;
	return NO_SLOT;
}

/* Empty slot i; later entries of its probe run move back so that every entry stays reachable
 * from its home slot (Knuth 6.4, algorithm R). */
static void
table_remove_at(struct pen_table *t, size_t i)
{
	size_t mask = t->cap - 1;

	for (size_t j = (i + 1) & mask; t->slots[j].used; j = (j + 1) & mask) {
		size_t home = t->slots[j].hash & mask;
		/* j may fill the hole at i unless its home lies cyclically in (i, j]. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);

		if (!stays) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->count--;
}

static void
table_put(struct pen_table *t, const struct pen_entry *e)
{
	size_t mask = t->cap - 1, i = e->hash & mask;

	while (t->slots[i].used)
		i = (i + 1) & mask;
	t->slots[i] = *e;
	t->count++;
	if (e->expiry_ms < t->next_expiry)
		t->next_expiry = e->expiry_ms;
}

/* Drop every penalty that has run out at now (cheap when none can have). */
static void
table_purge(struct pen_table *t, long long now)
{
	long long next = LLONG_MAX;

	if (now < t->next_expiry)
		return;
	for (size_t i = 0; i < t->cap;) {
		struct pen_entry *e = &t->slots[i];

		if (e->used && now >= e->expiry_ms) {
			table_remove_at(t, i);	/* may move a later entry into i: look again */
			continue;
		}
		if (e->used && e->expiry_ms < next)
			next = e->expiry_ms;
		i++;
	}
	t->next_expiry = next;
}

/* Room for one more entry at a load of at most one half. false if memory ran out. */
static bool
table_reserve(struct pen_table *t)
{
	struct pen_entry *old = t->slots;
	size_t old_cap = t->cap, cap = t->cap ? t->cap * 2 : MIN_SLOTS;

	if ((t->count + 1) * 2 <= t->cap)
		return true;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (t->slots == NULL) {
		t->slots = old;
		return false;
	}
	t->cap = cap;
	t->count = 0;
	t->next_expiry = LLONG_MAX;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].used)
			table_put(t, &old[i]);
	free(old);
	return true;
}

/* The entry that expires soonest, or NO_SLOT when empty. */
static size_t
table_soonest(const struct pen_table *t)
{
	size_t best = NO_SLOT;

	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].used && (best == NO_SLOT ||
		    t->slots[i].expiry_ms < t->slots[best].expiry_ms))
			best = i;
	return best;
}

static void
table_init(struct pen_table *t, const char *family, unsigned alen, unsigned bits, int max_sources,
    int overflow, const uint64_t key[2])
{
	memset(t, 0, sizeof(*t));
	t->family = family;
	t->alen = alen;
	t->bits = bits;
	t->max_sources = max_sources > 0 ? (size_t)max_sources : 0;
	t->overflow = overflow;
	t->next_expiry = LLONG_MAX;
	t->sipkey[0] = key[0];
	t->sipkey[1] = key[1];
}

/* ---- the API (server_impl.h) ---- */

hs_err
hs_penalties_new(const struct hs_server_config *c, struct hs_penalties **out)
{
	struct hs_penalties *p = calloc(1, sizeof(*p));
	const struct hs_cfg_penalties *pc = &c->penalties;
	uint64_t key[2];

	HS_ENSURE(p != NULL, HS_ERR_ALLOC);
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key)) {
		/* Only the hash layout depends on it; a guessable key costs speed, not safety. */
		hs_debug("penalties: getrandom failed; hashing with a clock-derived key");
		key[0] = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
		key[1] = (uint64_t)(uintptr_t)p ^ 0xc2b2ae3d27d4eb4fULL;
	}
	p->cfg = c;
	table_init(&p->t4, "IPv4", 4, (unsigned)c->netblock4, pc->max_sources4, pc->overflow4, key);
	table_init(&p->t6, "IPv6", 16, (unsigned)c->netblock6, pc->max_sources6, pc->overflow6, key);
	*out = p;
	return HS_OK;
}

void
hs_penalties_free(struct hs_penalties *p)
{
	if (p == NULL)
		return;
	free(p->t4.slots);
	free(p->t6.slots);
	free(p);
}

/* The table and block key for addr, or NULL when penalties do not apply to it (off, not an IP
 * address, exempt). */
static struct pen_table *
lookup_source(struct hs_penalties *p, const struct sockaddr_storage *addr, uint8_t key[16],
    uint32_t *h)
{
	uint8_t a[16];
	bool v4;
	struct pen_table *t;

	if (!p->cfg->penalties.enabled || !source_addr(addr, a, &v4) || is_exempt(p, a, v4))
		return NULL;
	t = v4 ? &p->t4 : &p->t6;
	mask_addr(a, t->alen, t->bits, key);
	*h = sip_hash16(t->sipkey, key);
	return t;
}

/* overflow:deny-all with a full table refuses every source of that family. */
static bool
deny_all_full(struct pen_table *t, long long now)
{
	if (t->overflow == HS_OVERFLOW_DENY_ALL && t->count >= t->max_sources)
		table_purge(t, now);
	if (t->overflow != HS_OVERFLOW_DENY_ALL || t->count < t->max_sources) {
		t->full_logged = false;	/* the next time it fills up is logged again */
		return false;
	}
	if (!t->full_logged)
		hs_info("%s penalty table full (%zu blocks, overflow:deny-all): refusing every new "
		    "%s connection until a penalty expires", t->family, t->count, t->family);
	t->full_logged = true;
	return true;
}

bool
hs_penalties_check(struct hs_penalties *p, const struct sockaddr_storage *addr, long long now_ms)
{
	uint8_t key[16];
	uint32_t h;
	struct pen_table *t = lookup_source(p, addr, key, &h);
	struct pen_entry *e;
	size_t i;

	if (t == NULL)
		return false;
	if (deny_all_full(t, now_ms))
		return true;
	if ((i = table_find(t, key, h)) == NO_SLOT)
		return false;
	e = &t->slots[i];
	if (now_ms >= e->expiry_ms) {
		table_remove_at(t, i);
		return false;
	}
	if (!e->active)
		return false;	/* recorded, below min: */
	if (!e->logged) {
		char ip[INET6_ADDRSTRLEN + 8], blk[INET6_ADDRSTRLEN + 8];
		int port;

		hs_server_addr_str(addr, ip, sizeof(ip), &port);
		block_str(t, e->key, blk, sizeof(blk));
		hs_info("refusing connection from %s port %d: penalty on %s (%s), %lld s left", ip,
		    port, blk, kinds[e->kind].what, (e->expiry_ms - now_ms + 999) / 1000);
		e->logged = 1;
	}
	return true;
}

/* A new block when the table may be full. false if it is not to be recorded. */
static bool
make_room(struct pen_table *t, long long expiry, const char *blk, enum hs_penalty_kind k,
    long long now)
{
	size_t j;

	if (t->count >= t->max_sources)
		table_purge(t, now);
	if (t->count < t->max_sources)
		return true;
	if (t->overflow == HS_OVERFLOW_DENY_ALL) {
		hs_verbose("%s penalty table full: cannot penalise %s (%s)", t->family, blk,
		    kinds[k].what);
		return false;
	}
	/* overflow:permissive: the penalty that expires soonest gives way, maybe the new one. */
	j = table_soonest(t);
	if (j == NO_SLOT || expiry <= t->slots[j].expiry_ms) {
		hs_verbose("%s penalty table full: %s (%s) not penalised", t->family, blk,
		    kinds[k].what);
		return false;
	}
	hs_debug("%s penalty table full: dropping the penalty that expires soonest", t->family);
	table_remove_at(t, j);
	return true;
}

static void
extend(struct pen_entry *e, const char *blk, enum hs_penalty_kind k, long long dur,
    long long max, long long min, long long now)
{
	e->expiry_ms += dur;
	if (e->expiry_ms - now > max)
		e->expiry_ms = now + max;	/* "accumulate up to this maximum" */
	if (!e->active && e->expiry_ms - now >= min)
		e->active = 1;
	e->kind = (uint8_t)k;
	hs_verbose("penalty on %s extended by %llds (%s): %llds left, %s", blk, dur / 1000,
	    kinds[k].what, (e->expiry_ms - now) / 1000, e->active ? "enforced" :
	    "not enforced yet (below min:)");
}

void
hs_penalties_add(struct hs_penalties *p, const struct sockaddr_storage *addr,
    enum hs_penalty_kind k, long long now_ms)
{
	const struct hs_cfg_penalties *pc = &p->cfg->penalties;
	char blk[INET6_ADDRSTRLEN + 8];
	uint8_t key[16];
	uint32_t h;
	struct pen_table *t;
	struct pen_entry e;
	long long dur, max = (long long)pc->max * 1000, min = (long long)pc->min * 1000;
	size_t i;

	if ((unsigned)k >= HS_PENALTY_KINDS || (t = lookup_source(p, addr, key, &h)) == NULL)
		return;
	dur = (long long)*(const int *)(const void *)((const char *)pc + kinds[k].off) * 1000;
	if (dur <= 0)
		return;
	block_str(t, key, blk, sizeof(blk));
	i = table_find(t, key, h);
	if (i != NO_SLOT && now_ms >= t->slots[i].expiry_ms) {
		table_remove_at(t, i);
		i = NO_SLOT;
	}
	if (i != NO_SLOT) {
		extend(&t->slots[i], blk, k, dur, max, min, now_ms);
		return;
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.key, key, sizeof(e.key));
	e.hash = h;
	e.used = 1;
	e.kind = (uint8_t)k;
	e.expiry_ms = now_ms + (dur < max ? dur : max);
	e.active = e.expiry_ms - now_ms >= min;
	if (!make_room(t, e.expiry_ms, blk, k, now_ms))
		return;
	if (!table_reserve(t)) {
		hs_error("penalties: out of memory; %s not penalised", blk);
		return;
	}
	table_put(t, &e);
	hs_verbose("new penalty on %s for %llds (%s), %s", blk, (e.expiry_ms - now_ms) / 1000,
	    kinds[k].what, e.active ? "enforced" : "not enforced yet (below min:)");
}

/* sshd's exit statuses (enum hs_conn_exit) and the penalty each earns. */
static const struct {
	int status;
	enum hs_penalty_kind kind;
} exit_penalties[] = {
	{ HS_EXIT_CRASH, HS_PENALTY_CRASH },
	{ HS_EXIT_AUTHFAIL, HS_PENALTY_AUTHFAIL },
	{ HS_EXIT_NOAUTH, HS_PENALTY_NOAUTH },
	{ HS_EXIT_GRACE, HS_PENALTY_GRACE },
};

int
hs_penalty_for_exit(int wstatus, bool authenticated)
{
	if (authenticated)
		return -1;
	if (WIFSIGNALED(wstatus))
		return HS_PENALTY_CRASH;
	if (!WIFEXITED(wstatus))
		return -1;
	for (size_t i = 0; i < sizeof(exit_penalties) / sizeof(exit_penalties[0]); i++)
		if (WEXITSTATUS(wstatus) == exit_penalties[i].status)
			return (int)exit_penalties[i].kind;
	return -1;
}

bool
hs_penalties_same_block(const struct hs_penalties *p, const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	uint8_t x[16], y[16];
	bool xv4, yv4;

	if (!source_addr(a, x, &xv4) || !source_addr(b, y, &yv4) || xv4 != yv4)
		return false;
	return xv4 ? prefix_equal(x, y, 4, p->t4.bits) : prefix_equal(x, y, 16, p->t6.bits);
}

unsigned
hs_penalties_max_startups(const struct hs_penalties *p)
{
	return p->cfg->per_source_max_startups > 0 ? (unsigned)p->cfg->per_source_max_startups : 0;
}
