/* monitor_state.c: which monitor requests are allowed when (hs_monitor.h). The policy is the rule
 * table below; hs_mon_state_check only reads it. The child's word is never trusted: every value a
 * later check relies on (session id, user, service) was learned from an earlier accepted request,
 * and only the monitor's own verdict (hs_mon_state_auth_result) makes a user authenticated. */
#include <string.h>

#include "hs_buf.h"
#include "hs_ct.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_time.h"
#include "hs_monitor.h"
#include "hs_ssh.h"

#define PH(p)	(1u << HS_MON_PHASE_##p)
#define STAY	(-1)

struct mon_rule {
	enum hs_mon_type type;
	unsigned phases;		/* bit set of phases in which the request is allowed */
	uint32_t max;			/* accepted at most this often per connection; 0: no count */
	int next;			/* phase after acceptance, or STAY */
	enum hs_mon_type requires;	/* must have been accepted before, or 0 */
	bool auth;			/* needs hs_mon_state_auth_result before the next request */
	bool tries;			/* bounded by MaxAuthTries */
	bool final;			/* success authenticates the user */
	/* Request-specific check (may learn values into s); NULL: none. */
	hs_err (*check)(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why);
};

static hs_err check_sign(struct hs_mon_state *, const struct hs_mon_req *, const char **);
static hs_err learn_session_id(struct hs_mon_state *, const struct hs_mon_req *, const char **);
static hs_err learn_user(struct hs_mon_state *, const struct hs_mon_req *, const char **);
static hs_err check_pubkey_user(struct hs_mon_state *, const struct hs_mon_req *, const char **);
static hs_err check_pubkey_signed(struct hs_mon_state *, const struct hs_mon_req *, const char **);
static hs_err check_password_user(struct hs_mon_state *, const struct hs_mon_req *, const char **);
static hs_err check_kex_keypair(struct hs_mon_state *, const struct hs_mon_req *, const char **);
static hs_err check_kex_derive(struct hs_mon_state *, const struct hs_mon_req *, const char **);

/*
 * request             phases                     max  next           requires    auth tries
 * HOSTKEYS            PREKEX                      1   -              -
 * SIGN                PREKEX PREAUTH POSTAUTH     -   -              HOSTKEYS    (rate-bound)
 * SESSION_ID          PREKEX                      1   PREAUTH        SIGN
 * AUTH_USER           PREAUTH                     1   -              -           yes
 * AUTH_PUBKEY_CHECK   PREAUTH                     -   -              AUTH_USER   yes  yes
 * AUTH_PUBKEY_VERIFY  PREAUTH                     -   (AUTHENTICATED AUTH_USER   yes  yes
 * AUTH_PASSWORD       PREAUTH                     -    on success)   AUTH_USER   yes  yes
 * KEYSTATE            AUTHENTICATED               1   POSTAUTH       -
 * SPAWN               POSTAUTH                    -   -              -
 * KEX_KEYPAIR         PREKEX PREAUTH POSTAUTH    (64 per phase)      HOSTKEYS
 * KEX_DERIVE          PREKEX PREAUTH POSTAUTH     -   -              (the KEYPAIR before it)
 * SIGN requires HOSTKEYS (the child cannot name a key it was not told about) and SESSION_ID
 * requires SIGN (no KEX completes without the server's signature). SPAWN has no count: a client
 * may open session channels one after another, and each program is started under the policy the
 * monitor holds, not the child's (hs_session_spawn). The KEX pair runs where SIGN does (the
 * first KEX, a client's rekey while authenticating, rekeys after the hand-over); each KEX_DERIVE
 * consumes the ephemeral of the KEX_KEYPAIR before it, so the monitor computes at most one shared
 * secret per ephemeral and at most HS_MON_MAX_KEX_PER_PHASE key pairs per phase (a child cannot
 * use the monitor, or the token or TPM behind it, as an unbounded ECDH oracle). Replies and unknown
 * types have no row and are always refused.
 */
static const struct mon_rule rules[] = {
	{ .type = HS_MON_HOSTKEYS, .phases = PH(PREKEX), .max = 1, .next = STAY },
	{ .type = HS_MON_SIGN, .phases = PH(PREKEX) | PH(PREAUTH) | PH(POSTAUTH), .next = STAY,
		.requires = HS_MON_HOSTKEYS, .check = check_sign },
	{ .type = HS_MON_SESSION_ID, .phases = PH(PREKEX), .max = 1, .next = HS_MON_PHASE_PREAUTH,
		.requires = HS_MON_SIGN, .check = learn_session_id },
	{ .type = HS_MON_AUTH_USER, .phases = PH(PREAUTH), .max = 1, .next = STAY, .auth = true,
		.check = learn_user },
	{ .type = HS_MON_AUTH_PUBKEY_CHECK, .phases = PH(PREAUTH), .next = STAY,
		.requires = HS_MON_AUTH_USER, .auth = true, .tries = true,
		.check = check_pubkey_user },
	{ .type = HS_MON_AUTH_PUBKEY_VERIFY, .phases = PH(PREAUTH), .next = STAY,
		.requires = HS_MON_AUTH_USER, .auth = true, .tries = true, .final = true,
		.check = check_pubkey_signed },
	{ .type = HS_MON_AUTH_PASSWORD, .phases = PH(PREAUTH), .next = STAY,
		.requires = HS_MON_AUTH_USER, .auth = true, .tries = true, .final = true,
		.check = check_password_user },
	{ .type = HS_MON_KEYSTATE, .phases = PH(AUTHENTICATED), .max = 1,
		.next = HS_MON_PHASE_POSTAUTH },
	{ .type = HS_MON_SPAWN, .phases = PH(POSTAUTH), .next = STAY },
	{ .type = HS_MON_KEX_KEYPAIR, .phases = PH(PREKEX) | PH(PREAUTH) | PH(POSTAUTH),
		.next = STAY, .requires = HS_MON_HOSTKEYS, .check = check_kex_keypair },
	{ .type = HS_MON_KEX_DERIVE, .phases = PH(PREKEX) | PH(PREAUTH) | PH(POSTAUTH),
		.next = STAY, .requires = HS_MON_KEX_KEYPAIR, .check = check_kex_derive },
};

static const char *const phase_names[HS_MON_PHASES] = {
	[HS_MON_PHASE_PREKEX] = "PREKEX",
	[HS_MON_PHASE_PREAUTH] = "PREAUTH",
	[HS_MON_PHASE_AUTHENTICATED] = "AUTHENTICATED",
	[HS_MON_PHASE_POSTAUTH] = "POSTAUTH",
};

const char *
hs_mon_phase_name(enum hs_mon_phase p)
{
	return (unsigned)p < HS_MON_PHASES ? phase_names[p] : "unknown";
}

/* The default clock of hs_mon_state (tests replace it): the shared monotonic one. */
static uint64_t
mono_ms(void)
{
	return (uint64_t)hs_time_ms();
}

void
hs_mon_state_init(struct hs_mon_state *s, unsigned max_auth_tries)
{
	memset(s, 0, sizeof(*s));
	s->phase = HS_MON_PHASE_PREKEX;
	s->max_auth_tries = max_auth_tries != 0 ? max_auth_tries : HS_MON_MAX_AUTH_TRIES_DEFAULT;
	s->sign_burst = HS_MON_SIGN_BURST_DEFAULT;
	s->sign_period_ms = HS_MON_SIGN_PERIOD_MS_DEFAULT;
	s->now_ms = mono_ms;
}

void
hs_mon_state_clear(struct hs_mon_state *s)
{
	hs_wipe(s, sizeof(*s));
}

bool
hs_mon_state_authenticated(const struct hs_mon_state *s)
{
	return s->phase == HS_MON_PHASE_AUTHENTICATED || s->phase == HS_MON_PHASE_POSTAUTH;
}

static const struct mon_rule *
rule_find(int type)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((int)rules[i].type == type)
			return &rules[i];
	return NULL;
}

static bool
str_eq(const uint8_t *p, size_t len, const uint8_t *q, size_t qlen)
{
	return len == qlen && (len == 0 || memcmp(p, q, len) == 0);
}

static bool
str_is(const struct hs_mon_str *v, const char *s)
{
	return str_eq(v->p, v->len, (const uint8_t *)s, strlen(s));
}

/* ---- request-specific checks: return HS_ERR_PROTOCOL and set *why to refuse ---- */

/* Token bucket: the first sign_burst signatures at once, then one per sign_period_ms on average
 * (the reason is in hs_monitor.h at hs_mon_state_init). */
static hs_err
check_sign(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	uint64_t full = (uint64_t)s->sign_burst * s->sign_period_ms;
	uint64_t now = s->now_ms();

	*why = "exchange hash longer than 64 bytes";
	HS_ENSURE(r->u.sign.data.len >= 1 && r->u.sign.data.len <= HS_MON_MAX_HASH,
		HS_ERR_PROTOCOL);
	if (s->counts[HS_MON_SIGN] == 0)
		s->sign_credit_ms = full;
	else if (now > s->sign_last_ms)
		s->sign_credit_ms += now - s->sign_last_ms;
	if (s->sign_credit_ms > full)
		s->sign_credit_ms = full;
	s->sign_last_ms = now;
	*why = "signature rate bound exceeded";
	HS_ENSURE(s->sign_credit_ms >= s->sign_period_ms, HS_ERR_PROTOCOL);
	s->sign_credit_ms -= s->sign_period_ms;
	return HS_OK;
}

static hs_err
learn_session_id(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	const struct hs_mon_str *id = &r->u.session_id.id;

	*why = "bad session id length";
	HS_ENSURE(id->len >= 1 && id->len <= sizeof(s->session_id), HS_ERR_PROTOCOL);
	memcpy(s->session_id, id->p, id->len);
	s->session_id_len = id->len;
	return HS_OK;
}

static hs_err
learn_user(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	const struct hs_mon_str *u = &r->u.auth_user.user, *svc = &r->u.auth_user.service;

	*why = "bad user or service name";
	HS_ENSURE(u->len >= 1 && u->len <= HS_MON_MAX_NAME && memchr(u->p, 0, u->len) == NULL,
		HS_ERR_PROTOCOL);
	HS_ENSURE(svc->len >= 1 && svc->len <= HS_MON_MAX_NAME &&
		memchr(svc->p, 0, svc->len) == NULL, HS_ERR_PROTOCOL);
	memcpy(s->user, u->p, u->len);
	s->user[u->len] = '\0';
	memcpy(s->service, svc->p, svc->len);
	s->service[svc->len] = '\0';
	return HS_OK;
}

/* RFC 4252 5: a change of user between requests is not allowed (sshd disconnects too). */
static hs_err
check_user(const struct hs_mon_state *s, const struct hs_mon_str *user, const char **why)
{
	*why = "user differs from AUTH_USER";
	HS_ENSURE(str_is(user, s->user), HS_ERR_PROTOCOL);
	return HS_OK;
}

static hs_err
check_pubkey_user(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	return check_user(s, &r->u.pubkey.user, why);
}

static hs_err
check_password_user(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	return check_user(s, &r->u.password.user, why);
}

/* Compare the next string in b with want. */
static bool
next_is(struct hs_buf *b, const uint8_t *want, size_t want_len)
{
	const uint8_t *p;
	size_t len;

	return hs_buf_get_string(b, &p, &len) == HS_OK && str_eq(p, len, want, want_len);
}

/* RFC 4252 7: the signed data is string session_id, byte SSH_MSG_USERAUTH_REQUEST, string user,
 * string service, string "publickey", boolean TRUE, string alg, string blob. Checking all of it
 * means a signature the client made for another session, user, service or key is useless. */
static hs_err
check_pubkey_signed(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	const struct hs_mon_str *sd = &r->u.pubkey.signed_data;
	struct hs_buf *b = NULL;
	const uint8_t *sid;
	size_t sid_len;
	uint8_t msg;
	bool flag;
	hs_err res = HS_ERR_PROTOCOL;

	HS_GUARD(check_user(s, &r->u.pubkey.user, why));
	*why = "signed data is not for this session";
	if (hs_buf_from(sd->p, sd->len, &b) != HS_OK)
		goto out;
	if (hs_buf_get_string(b, &sid, &sid_len) != HS_OK || sid_len != s->session_id_len ||
	    !hs_ct_memeq(sid, s->session_id, sid_len))
		goto out;
	*why = "signed data does not match the request";
	if (hs_buf_get_u8(b, &msg) != HS_OK || msg != HS_MSG_USERAUTH_REQUEST ||
	    !next_is(b, (const uint8_t *)s->user, strlen(s->user)) ||
	    !next_is(b, (const uint8_t *)s->service, strlen(s->service)) ||
	    !next_is(b, (const uint8_t *)"publickey", 9) ||
	    hs_buf_get_bool(b, &flag) != HS_OK || !flag ||
	    !next_is(b, r->u.pubkey.alg.p, r->u.pubkey.alg.len) ||
	    !next_is(b, r->u.pubkey.blob.p, r->u.pubkey.blob.len) || hs_buf_get_end(b) != HS_OK)
		goto out;
	res = HS_OK;
out:
	hs_buf_free(b);
	return res;
}

/* A bounded number of key pairs per phase; the count starts again in each phase. */
static hs_err
check_kex_keypair(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	if (s->kex_phase != s->phase) {
		s->kex_phase = s->phase;
		s->kex_in_phase = 0;
	}
	*why = "key exchanges per phase bound exceeded";
	HS_ENSURE(s->kex_in_phase < HS_MON_MAX_KEX_PER_PHASE, HS_ERR_PROTOCOL);
	s->kex_in_phase++;
	s->kex_open = true;
	s->kex_method = r->u.kex_keypair.method;
	return HS_OK;
}

/* One shared secret per ephemeral, and only for an ephemeral made in this phase (none is carried
 * into POSTAUTH: the pre-auth child's KEX finished before the hand-over). */
static hs_err
check_kex_derive(struct hs_mon_state *s, const struct hs_mon_req *r, const char **why)
{
	(void)r;
	*why = "no key pair awaits this derivation";
	HS_ENSURE(s->kex_open && s->kex_phase == s->phase, HS_ERR_PROTOCOL);
	s->kex_open = false;
	return HS_OK;
}

/* ---- the generic part: phase, count, order, MaxAuthTries ---- */

static hs_err
rule_allows(const struct hs_mon_state *s, const struct mon_rule *rule, const char **why)
{
	*why = "not allowed in this phase";
	HS_ENSURE((rule->phases & (1u << s->phase)) != 0, HS_ERR_PROTOCOL);
	*why = "repeated beyond its count";
	HS_ENSURE(rule->max == 0 || s->counts[rule->type] < rule->max, HS_ERR_PROTOCOL);
	*why = "a request it depends on has not been made";
	HS_ENSURE(rule->requires == 0 || s->counts[rule->requires] > 0, HS_ERR_PROTOCOL);
	if (rule->tries) {
		*why = "MaxAuthTries exceeded";
		HS_ENSURE(s->auth_failures < s->max_auth_tries, HS_ERR_PROTOCOL);
		HS_ENSURE(s->auth_requests < 2 * s->max_auth_tries, HS_ERR_PROTOCOL);
	}
	return HS_OK;
}

hs_err
hs_mon_state_check(struct hs_mon_state *s, const struct hs_mon_req *r)
{
	const struct mon_rule *rule = rule_find(r->type);
	const char *why = "unknown or reply type";
	hs_err res = HS_ERR_PROTOCOL;

	if (s->pending != 0) {
		why = "previous auth request has no result yet";
		goto out;
	}
	if (rule == NULL || rule_allows(s, rule, &why) != HS_OK)
		goto out;
	if (rule->check != NULL && rule->check(s, r, &why) != HS_OK)
		goto out;
	s->counts[rule->type]++;
	if (rule->tries)
		s->auth_requests++;
	if (rule->auth)
		s->pending = rule->type;
	if (rule->next != STAY)
		s->phase = (enum hs_mon_phase)rule->next;
	res = HS_OK;
out:
	if (res != HS_OK)
		hs_error("monitor: refused request %s (%d) in phase %s: %s",
			hs_mon_type_name(r->type), (int)r->type, hs_mon_phase_name(s->phase), why);
	return res;
}

hs_err
hs_mon_state_auth_result(struct hs_mon_state *s, const struct hs_mon_req *r, bool ok)
{
	const struct mon_rule *rule = rule_find(r->type);

	if (rule == NULL || !rule->auth || s->pending != (int)r->type) {
		hs_error("monitor: auth result for %s, which is not the pending request",
			hs_mon_type_name(r->type));
		return HS_ERR_PROTOCOL;
	}
	s->pending = 0;
	if (!ok && rule->tries)
		s->auth_failures++;
	if (ok && rule->final)
		s->phase = HS_MON_PHASE_AUTHENTICATED;
	return HS_OK;
}
