/* test_penalty.c: PerSourcePenalties (core/server_penalty.c) against configurations read by the
 * real sshd_config parser: durations, accumulation up to max:, the min: threshold, exemptions,
 * netblocks, overflow modes, expiry, the exit-status mapping (from real child processes) and a
 * randomised comparison of the hash table with a plain model. Times are in milliseconds. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "server_impl.h"

#define T0	1000000LL	/* an arbitrary monotonic start */
#define S	1000LL		/* one second in ms */

static char logpath[64];

struct fixture {
	struct hs_server_config c;
	struct hs_penalties *p;
};

/* A table for the configuration text (defaults for the rest, as hsshd would run). */
static struct fixture *
make(const char *text)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	hs_server_config_init(&f->c);
	assert_int_equal(hs_server_config_parse_text(&f->c, text, strlen(text), "test"), HS_OK);
	assert_int_equal(hs_server_config_finish(&f->c), HS_OK);
	assert_int_equal(hs_penalties_new(&f->c, &f->p), HS_OK);
	return f;
}

static void
destroy(struct fixture *f)
{
	hs_penalties_free(f->p);
	hs_server_config_free(&f->c);
	free(f);
}

static struct sockaddr_storage
sa(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(50000);
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(50000);
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static bool
refused(struct fixture *f, const char *ip, long long now)
{
	struct sockaddr_storage ss = sa(ip);

	return hs_penalties_check(f->p, &ss, now);
}

static void
penalise(struct fixture *f, const char *ip, enum hs_penalty_kind k, long long now)
{
	struct sockaddr_storage ss = sa(ip);

	hs_penalties_add(f->p, &ss, k, now);
}

/* How often needle occurs in the log file. */
static int
log_count(const char *needle)
{
	static char buf[65536];
	FILE *fp = fopen(logpath, "r");
	size_t n;
	int count = 0;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	for (const char *s = buf; (s = strstr(s, needle)) != NULL; s++)
		count++;
	return count;
}

static int
setup_log(void **state)
{
	int fd;

	snprintf(logpath, sizeof(logpath), "/tmp/hs_test_penalty.XXXXXX");
	fd = mkstemp(logpath);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(hs_log_to_file(logpath), HS_OK);
	hs_log_init("test_penalty", HS_LOG_VERBOSE, true, 0);
	hs_log_set_prefix(NULL);
	return 0;
}

static int
teardown_log(void **state)
{
	unlink(logpath);
	return 0;
}

/* Each kind refuses for exactly its own duration: [t, t + d). */
static void
test_kind_durations(void **state)
{
	static const struct {
		enum hs_penalty_kind k;
		const char *ip;
		long long secs;
	} v[] = {
		{ HS_PENALTY_CRASH, "192.0.2.1", 100 }, { HS_PENALTY_AUTHFAIL, "192.0.2.2", 20 },
		{ HS_PENALTY_NOAUTH, "192.0.2.3", 30 }, { HS_PENALTY_GRACE, "192.0.2.4", 40 },
	};
	struct fixture *f = make("PerSourcePenalties crash:100 authfail:20 noauth:30s "
	    "grace-exceeded:40 min:0 max:1h\n");

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_false(refused(f, v[i].ip, T0));
		penalise(f, v[i].ip, v[i].k, T0);
	}
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_true(refused(f, v[i].ip, T0));
		assert_true(refused(f, v[i].ip, T0 + v[i].secs * S - 1));
		/* The exact boundary: run out at t + d. */
		assert_false(refused(f, v[i].ip, T0 + v[i].secs * S));
		assert_false(refused(f, v[i].ip, T0 + v[i].secs * S + 1));
	}
	assert_int_equal(hs_penalty_for_exit(0, false), -1);
	destroy(f);
}

/* The defaults are OpenSSH 9.8's: a crash (90s) is enforced at once (above min: 15s). */
static void
test_defaults(void **state)
{
	struct fixture *f = make("");

	assert_int_equal(f->c.penalties.enabled, 1);
	assert_int_equal(f->c.penalties.crash, 90);
	penalise(f, "198.51.100.7", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "198.51.100.7", T0 + 90 * S - 1));
	assert_false(refused(f, "198.51.100.7", T0 + 90 * S));
	/* One authfail (5s) stays below min: 15s: recorded, not enforced. */
	penalise(f, "198.51.100.8", HS_PENALTY_AUTHFAIL, T0);
	assert_false(refused(f, "198.51.100.8", T0));
	destroy(f);
}

/* A running penalty grows by each offence; the time left never exceeds max:. */
static void
test_extend_and_max(void **state)
{
	struct fixture *f = make("PerSourcePenalties authfail:5 min:0 max:12\n");

	penalise(f, "203.0.113.9", HS_PENALTY_AUTHFAIL, T0);		/* until T0+5 */
	penalise(f, "203.0.113.9", HS_PENALTY_AUTHFAIL, T0 + 1 * S);	/* until T0+10 */
	assert_true(refused(f, "203.0.113.9", T0 + 10 * S - 1));
	assert_false(refused(f, "203.0.113.9", T0 + 10 * S));
	/* A new one at T0+10: the old has run out, so it starts afresh. */
	penalise(f, "203.0.113.9", HS_PENALTY_AUTHFAIL, T0 + 10 * S);	/* until T0+15 */
	penalise(f, "203.0.113.9", HS_PENALTY_AUTHFAIL, T0 + 11 * S);	/* until T0+20 */
	penalise(f, "203.0.113.9", HS_PENALTY_AUTHFAIL, T0 + 11 * S);	/* 25 > 11+12: cap 23 */
	assert_true(refused(f, "203.0.113.9", T0 + 23 * S - 1));
	assert_false(refused(f, "203.0.113.9", T0 + 23 * S));
	destroy(f);
	/* max: also caps a first penalty longer than itself. */
	f = make("PerSourcePenalties crash:1h max:30s min:1s\n");
	penalise(f, "203.0.113.10", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "203.0.113.10", T0 + 30 * S - 1));
	assert_false(refused(f, "203.0.113.10", T0 + 30 * S));
	destroy(f);
}

/* min: a penalty is enforced once the time it has left reaches min:, and stays enforced. */
static void
test_min_threshold(void **state)
{
	struct fixture *f = make("PerSourcePenalties authfail:5 min:15 max:10m\n");

	penalise(f, "192.0.2.50", HS_PENALTY_AUTHFAIL, T0);		/* 5s left */
	assert_false(refused(f, "192.0.2.50", T0));
	penalise(f, "192.0.2.50", HS_PENALTY_AUTHFAIL, T0);		/* 10s */
	assert_false(refused(f, "192.0.2.50", T0));
	penalise(f, "192.0.2.50", HS_PENALTY_AUTHFAIL, T0);		/* 15s: reaches min: */
	assert_true(refused(f, "192.0.2.50", T0));
	assert_true(refused(f, "192.0.2.50", T0 + 14 * S));		/* 1s left, still on */
	assert_false(refused(f, "192.0.2.50", T0 + 15 * S));
	/* Time runs down between offences: 5, then 5 - 3 + 5 = 7, then 7 - 3 + 5 = 9... */
	for (int i = 0; i < 5; i++) {
		penalise(f, "192.0.2.51", HS_PENALTY_AUTHFAIL, T0 + i * 3 * S);
		assert_false(refused(f, "192.0.2.51", T0 + i * 3 * S));
	}
	/* ...13 at T0+12; the sixth, at T0+15, makes 10 + 5 = 15. */
	penalise(f, "192.0.2.51", HS_PENALTY_AUTHFAIL, T0 + 15 * S);
	assert_true(refused(f, "192.0.2.51", T0 + 15 * S));
	destroy(f);
	/* A first offence worth exactly min: is enforced; one worth less is not. */
	f = make("PerSourcePenalties crash:15 noauth:14 min:15\n");
	penalise(f, "192.0.2.52", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "192.0.2.52", T0));
	penalise(f, "192.0.2.53", HS_PENALTY_NOAUTH, T0);
	assert_false(refused(f, "192.0.2.53", T0));
	destroy(f);
}

static void
test_exempt(void **state)
{
	struct fixture *f = make("PerSourcePenalties crash:60 min:0\n"
	    "PerSourcePenaltyExemptList 10.1.0.0/16,2001:db8::/32,192.0.2.77\n");

	penalise(f, "10.1.2.3", HS_PENALTY_CRASH, T0);
	penalise(f, "10.2.0.1", HS_PENALTY_CRASH, T0);
	penalise(f, "2001:db8::1", HS_PENALTY_CRASH, T0);
	penalise(f, "2001:db9::1", HS_PENALTY_CRASH, T0);
	penalise(f, "192.0.2.77", HS_PENALTY_CRASH, T0);
	penalise(f, "192.0.2.78", HS_PENALTY_CRASH, T0);
	assert_false(refused(f, "10.1.2.3", T0));
	assert_false(refused(f, "::ffff:10.1.2.3", T0));	/* mapped: the IPv4 rule applies */
	assert_true(refused(f, "10.2.0.1", T0));
	assert_false(refused(f, "2001:db8::1", T0));
	assert_true(refused(f, "2001:db9::1", T0));
	assert_false(refused(f, "192.0.2.77", T0));
	assert_true(refused(f, "192.0.2.78", T0));
	destroy(f);
}

/* PerSourceNetBlockSize groups sources; the default 32:128 keeps each address apart. */
static void
test_netblock(void **state)
{
	struct fixture *f = make("PerSourcePenalties crash:60 min:0\nPerSourceNetBlockSize 24:64\n");
	struct sockaddr_storage a = sa("10.0.0.1"), b = sa("10.0.0.200"), c = sa("10.0.1.1");
	struct sockaddr_storage x = sa("2001:db8:1:2::1"), y = sa("2001:db8:1:2:ffff::9");
	struct sockaddr_storage z = sa("2001:db8:1:3::1"), m = sa("::ffff:10.0.0.99");

	penalise(f, "10.0.0.1", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "10.0.0.200", T0));
	assert_false(refused(f, "10.0.1.1", T0));
	penalise(f, "2001:db8:1:2::1", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "2001:db8:1:2:ffff::9", T0));
	assert_false(refused(f, "2001:db8:1:3::1", T0));
	assert_true(hs_penalties_same_block(f->p, &a, &b));
	assert_false(hs_penalties_same_block(f->p, &a, &c));
	assert_true(hs_penalties_same_block(f->p, &a, &m));
	assert_true(hs_penalties_same_block(f->p, &x, &y));
	assert_false(hs_penalties_same_block(f->p, &x, &z));
	assert_false(hs_penalties_same_block(f->p, &a, &x));
	destroy(f);

	f = make("PerSourcePenalties crash:60 min:0\n");
	penalise(f, "10.0.0.1", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "10.0.0.1", T0));
	assert_false(refused(f, "10.0.0.200", T0));
	assert_false(hs_penalties_same_block(f->p, &a, &b));
	assert_true(hs_penalties_same_block(f->p, &a, &a));
	assert_false(hs_penalties_same_block(f->p, &x, &y));
	destroy(f);
}

/* An IPv4-mapped IPv6 source is the IPv4 source it maps. */
static void
test_mapped(void **state)
{
	struct fixture *f = make("PerSourcePenalties crash:60 min:0\n");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_storage u;

	penalise(f, "::ffff:198.51.100.1", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "198.51.100.1", T0));
	assert_true(refused(f, "::ffff:198.51.100.1", T0));
	penalise(f, "198.51.100.2", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "::ffff:198.51.100.2", T0));
	assert_false(refused(f, "::198.51.100.2", T0));	/* IPv4-compatible is not mapped */
	/* Not an IP address: never penalised nor refused. */
	memset(&u, 0, sizeof(u));
	memcpy(&u, &un, sizeof(un));
	hs_penalties_add(f->p, &u, HS_PENALTY_CRASH, T0);
	assert_false(hs_penalties_check(f->p, &u, T0));
	assert_false(hs_penalties_same_block(f->p, &u, &u));
	destroy(f);
}

/* permissive: the penalty that expires soonest gives way; a newcomer that would expire first is
 * not recorded. */
static void
test_overflow_permissive(void **state)
{
	struct fixture *f = make("PerSourcePenalties crash:90 noauth:1 min:0 max-sources4:2 "
	    "overflow:permissive\n");

	penalise(f, "192.0.2.1", HS_PENALTY_CRASH, T0);
	penalise(f, "192.0.2.2", HS_PENALTY_CRASH, T0 + 1 * S);
	penalise(f, "192.0.2.3", HS_PENALTY_CRASH, T0 + 2 * S);		/* .1 gives way */
	assert_false(refused(f, "192.0.2.1", T0 + 3 * S));
	assert_true(refused(f, "192.0.2.2", T0 + 3 * S));
	assert_true(refused(f, "192.0.2.3", T0 + 3 * S));
	penalise(f, "192.0.2.4", HS_PENALTY_NOAUTH, T0 + 3 * S);	/* expires first: dropped */
	assert_false(refused(f, "192.0.2.4", T0 + 3 * S));
	assert_false(refused(f, "192.0.2.9", T0 + 3 * S));		/* others pass */
	assert_true(refused(f, "192.0.2.2", T0 + 3 * S));
	/* Extending a recorded block needs no room. */
	penalise(f, "192.0.2.2", HS_PENALTY_CRASH, T0 + 4 * S);
	assert_true(refused(f, "192.0.2.2", T0 + 100 * S));
	destroy(f);
}

/* deny-all: while the family's table is full every new connection is refused, the other family
 * and exempt sources are not; expired penalties free the table. */
static void
test_overflow_deny_all(void **state)
{
	struct fixture *f = make("PerSourcePenalties crash:90 noauth:10 min:0 max-sources4:2 "
	    "max-sources6:8 overflow:deny-all\nPerSourcePenaltyExemptList 192.0.2.200\n");

	assert_int_equal(f->c.penalties.overflow6, HS_OVERFLOW_DENY_ALL);	/* follows overflow: */
	penalise(f, "192.0.2.1", HS_PENALTY_NOAUTH, T0);
	assert_false(refused(f, "192.0.2.9", T0));
	penalise(f, "192.0.2.2", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "192.0.2.9", T0));			/* full: all refused */
	assert_true(refused(f, "192.0.2.10", T0 + 1));
	assert_false(refused(f, "192.0.2.200", T0));			/* exempt */
	assert_false(refused(f, "2001:db8::1", T0));			/* IPv6 unaffected */
	penalise(f, "192.0.2.3", HS_PENALTY_CRASH, T0);			/* not recorded */
	/* .1's 10s run out: room again, and .3 was never recorded. */
	assert_false(refused(f, "192.0.2.9", T0 + 10 * S));
	assert_false(refused(f, "192.0.2.3", T0 + 10 * S));
	assert_true(refused(f, "192.0.2.2", T0 + 10 * S));
	assert_int_equal(log_count("penalty table full (2 blocks, overflow:deny-all)"), 1);
	/* Full again: logged again, once. */
	penalise(f, "192.0.2.4", HS_PENALTY_CRASH, T0 + 10 * S);
	assert_true(refused(f, "192.0.2.9", T0 + 10 * S));
	assert_true(refused(f, "192.0.2.9", T0 + 11 * S));
	assert_int_equal(log_count("penalty table full (2 blocks, overflow:deny-all)"), 2);
	destroy(f);

	/* overflow6: separately. */
	f = make("PerSourcePenalties crash:90 min:0 max-sources6:1 overflow6:deny-all\n");
	assert_int_equal(f->c.penalties.overflow4, HS_OVERFLOW_PERMISSIVE);
	penalise(f, "2001:db8::1", HS_PENALTY_CRASH, T0);
	assert_true(refused(f, "2001:db8::2", T0));
	penalise(f, "192.0.2.1", HS_PENALTY_CRASH, T0);
	assert_false(refused(f, "192.0.2.2", T0));
	destroy(f);
}

/* A full table of 1000 blocks, half of them expired, purged in place: the rest stay findable. */
static void
test_purge(void **state)
{
	struct fixture *f = make("PerSourcePenalties crash:90 noauth:1 min:0 max-sources4:1000 "
	    "overflow:deny-all\n");
	char ip[32];

	hs_log_set_level(HS_LOG_ERROR);
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.7", i / 256, i % 256);
		penalise(f, ip, i % 2 ? HS_PENALTY_CRASH : HS_PENALTY_NOAUTH, T0);
	}
	assert_true(refused(f, "172.16.0.1", T0 + S - 1));	/* full */
	assert_false(refused(f, "172.16.0.1", T0 + S));		/* 500 purged */
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.7", i / 256, i % 256);
		if (refused(f, ip, T0 + S) != (i % 2 == 1))
			fail_msg("%s after the purge", ip);
	}
	hs_log_set_level(HS_LOG_VERBOSE);
	destroy(f);
}

/* "PerSourcePenalties no": nothing is recorded or refused; the netblock still groups for
 * PerSourceMaxStartups. */
static void
test_disabled(void **state)
{
	struct fixture *f = make("PerSourcePenalties no\nPerSourceNetBlockSize 16\n"
	    "PerSourceMaxStartups 3\n");
	struct sockaddr_storage a = sa("10.9.1.1"), b = sa("10.9.200.1");

	penalise(f, "10.9.1.1", HS_PENALTY_CRASH, T0);
	assert_false(refused(f, "10.9.1.1", T0));
	assert_true(hs_penalties_same_block(f->p, &a, &b));
	assert_int_equal(hs_penalties_max_startups(f->p), 3);
	destroy(f);
	f = make("");
	assert_int_equal(hs_penalties_max_startups(f->p), 0);
	destroy(f);
}

/* VERBOSE when a penalty starts or grows; INFO for the first refusal of a block only. */
static void
test_logging(void **state)
{
	struct fixture *f = make("PerSourcePenalties crash:60 min:0\n");

	penalise(f, "198.51.100.44", HS_PENALTY_CRASH, T0);
	penalise(f, "198.51.100.44", HS_PENALTY_CRASH, T0 + S);
	for (int i = 0; i < 5; i++)
		assert_true(refused(f, "198.51.100.44", T0 + 2 * S + i));
	assert_int_equal(log_count("new penalty on 198.51.100.44/32 for 60s (caused a crash)"), 1);
	assert_int_equal(log_count("penalty on 198.51.100.44/32 extended by 60s"), 1);
	assert_int_equal(log_count("refusing connection from 198.51.100.44 port 50000: penalty on "
	    "198.51.100.44/32 (caused a crash)"), 1);
	destroy(f);
}

/* Exit statuses of real processes. */
static int
status_of(int code, int sig)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (sig != 0) {
			signal(sig, SIG_DFL);	/* cmocka catches SIGSYS and friends */
			kill(getpid(), sig);
		}
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void
test_exit_mapping(void **state)
{
	assert_int_equal(hs_penalty_for_exit(status_of(0, SIGKILL), false), HS_PENALTY_CRASH);
	assert_int_equal(hs_penalty_for_exit(status_of(0, SIGSYS), false), HS_PENALTY_CRASH);
	assert_int_equal(hs_penalty_for_exit(status_of(HS_EXIT_CRASH, 0), false), HS_PENALTY_CRASH);
	assert_int_equal(hs_penalty_for_exit(status_of(HS_EXIT_AUTHFAIL, 0), false),
	    HS_PENALTY_AUTHFAIL);
	assert_int_equal(hs_penalty_for_exit(status_of(HS_EXIT_NOAUTH, 0), false),
	    HS_PENALTY_NOAUTH);
	assert_int_equal(hs_penalty_for_exit(status_of(HS_EXIT_GRACE, 0), false), HS_PENALTY_GRACE);
	assert_int_equal(hs_penalty_for_exit(status_of(HS_EXIT_OK, 0), false), -1);
	assert_int_equal(hs_penalty_for_exit(status_of(HS_EXIT_ERROR, 0), false), -1);
	assert_int_equal(hs_penalty_for_exit(status_of(1, 0), false), -1);
	/* An authenticated connection earns none, however it ended. */
	assert_int_equal(hs_penalty_for_exit(status_of(HS_EXIT_AUTHFAIL, 0), true), -1);
	assert_int_equal(hs_penalty_for_exit(status_of(0, SIGKILL), true), -1);
}

/* The hash table (growth, probing, backward-shift deletion, purges) against a plain array model
 * over random offences, checks and time steps on 300 IPv4 and 300 IPv6 sources. */
struct model {
	long long expiry;
	bool active;
};

static void
model_add(struct model *m, long long dur, long long now)
{
	long long max = 40 * S, min = 8 * S;

	if (now >= m->expiry) {
		m->expiry = now + (dur < max ? dur : max);
		m->active = m->expiry - now >= min;
		return;
	}
	m->expiry += dur;
	if (m->expiry - now > max)
		m->expiry = now + max;
	if (m->expiry - now >= min)
		m->active = true;
}

static void
test_model(void **state)
{
	static const int durs[HS_PENALTY_KINDS] = { 9, 3, 1, 5 };
	struct fixture *f = make("PerSourcePenalties crash:9 authfail:3 noauth:1 grace-exceeded:5 "
	    "max:40 min:8\n");
	static struct model m[600];
	unsigned seed = 12345;
	long long now = T0;
	int refusals = 0;

	hs_log_set_level(HS_LOG_ERROR);
	for (int step = 0; step < 40000; step++) {
		unsigned r = (seed = seed * 1103515245u + 12345u) >> 8;
		unsigned src = r % 600;
		char ip[64];

		if (src < 300)
			snprintf(ip, sizeof(ip), "10.%u.%u.1", src / 256, src % 256);
		else
			snprintf(ip, sizeof(ip), "2001:db8:%x::1", src);
		if ((r >> 12) % 3 == 0) {
			enum hs_penalty_kind k = (enum hs_penalty_kind)((r >> 16) % HS_PENALTY_KINDS);

			penalise(f, ip, k, now);
			model_add(&m[src], durs[k] * S, now);
		} else {
			bool want = now < m[src].expiry && m[src].active;

			if (refused(f, ip, now) != want)
				fail_msg("step %d: %s at %lld: want %d", step, ip, now - T0, want);
			refusals += want;
		}
		now += (r >> 20) % 7 == 0 ? (long long)((r >> 4) % 300) : 0;
	}
	hs_log_set_level(HS_LOG_VERBOSE);
	fprintf(stderr, "model: %d refusals\n", refusals);
	assert_true(refusals > 1000);	/* the run did exercise enforced penalties */
	destroy(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_durations),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_extend_and_max),
		cmocka_unit_test(test_min_threshold),
		cmocka_unit_test(test_exempt),
		cmocka_unit_test(test_netblock),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_overflow_permissive),
		cmocka_unit_test(test_overflow_deny_all),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_logging),
		cmocka_unit_test(test_exit_mapping),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, setup_log, teardown_log);
}
