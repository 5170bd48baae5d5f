/* fuzz_monitor.c: libFuzzer target for the monitor protocol (sandbox/hs_monitor.h). The input is
 * what a compromised network child could send: a stream of frames (uint32 length || type || body).
 * Each frame is parsed and fed to the state machine, as the monitor would; the monitor's verdict
 * on auth requests comes from the frame length's low bit; KEX_KEYPAIR / KEX_DERIVE are checked
 * against the pairing and per-phase bound. Seeds: tests/fuzz/corpus/monitor. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "hs_monitor.h"
#include "hs_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fake_now;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

/* A parsed message builds back to the same bytes. */
static void
check_rebuild(const struct hs_mon_req *m, const uint8_t *p, size_t len)
{
	struct hs_buf *b = NULL;

	if (hs_buf_new(HS_MON_MAX_MSG, &b) != HS_OK)
		abort();
	if (hs_mon_build(b, m) != HS_OK || hs_buf_len(b) != len || memcmp(hs_buf_ptr(b), p, len))
		abort();
	hs_buf_free(b);
}

/* The monitor's C-string copy of a SPAWN says what the message says. */
static void
check_spawn_copy(const struct hs_mon_req *m)
{
	struct hs_spawn_req req;
	void *store = NULL;
	uint32_t i;

	if (hs_mon_spawn_req(m, &req, &store) != HS_OK)
		abort();
	if ((req.command != NULL) != m->u.spawn.has_command || req.pty != m->u.spawn.pty ||
	    (req.command != NULL && strlen(req.command) != m->u.spawn.command.len) ||
	    strlen(req.term) != m->u.spawn.term.len || req.modes_len != m->u.spawn.modes.len ||
	    req.cols != m->u.spawn.cols || req.height_px != m->u.spawn.hpx)
		abort();
	for (i = 0; req.env[i] != NULL; i++)
		if (strlen(req.env[i]) != m->u.spawn.env[i].len ||
		    strchr(req.env[i], '=') == NULL || req.env[i][0] == '=')
			abort();
	if (i != m->u.spawn.n_env)
		abort();
	free(store);
}

static void
check_invariants(const struct hs_mon_state *s, bool was_authenticated)
{
	if ((unsigned)s->phase >= HS_MON_PHASES)
		abort();
	if (s->counts[HS_MON_HOSTKEYS] > 1 || s->counts[HS_MON_SESSION_ID] > 1 ||
	    s->counts[HS_MON_AUTH_USER] > 1 || s->counts[HS_MON_KEYSTATE] > 1)
		abort();
	if (s->auth_failures > s->max_auth_tries || s->auth_requests > 2 * s->max_auth_tries)
		abort();
	if (hs_mon_state_authenticated(s) && s->counts[HS_MON_SESSION_ID] != 1)
		abort();
	if (was_authenticated && !hs_mon_state_authenticated(s))
		abort();
	if (s->kex_in_phase > HS_MON_MAX_KEX_PER_PHASE)
		abort();
}

/* KEX in the monitor: a DERIVE only consumes an open KEYPAIR of this phase; a KEYPAIR opens one;
 * neither runs between authentication and the hand-over. */
static void
check_kex(const struct hs_mon_state *before, const struct hs_mon_state *s,
    const struct hs_mon_req *m)
{
	if (m->type != HS_MON_KEX_KEYPAIR && m->type != HS_MON_KEX_DERIVE)
		return;
	if (s->phase == HS_MON_PHASE_AUTHENTICATED || s->counts[HS_MON_HOSTKEYS] != 1)
		abort();
	if (m->type == HS_MON_KEX_KEYPAIR && (!s->kex_open ||
	    s->kex_method != m->u.kex_keypair.method || s->kex_phase != s->phase))
		abort();
	if (m->type == HS_MON_KEX_DERIVE && (!before->kex_open ||
	    before->kex_phase != before->phase || s->kex_open))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_mon_state s;
	struct hs_mon_req m;
	struct hs_buf *in = NULL, *frame = NULL;
	const uint8_t *p;
	size_t len;

	hs_log_init("fuzz", HS_LOG_QUIET, true, 0);
	hs_mon_state_init(&s, 4);
	s.now_ms = fake_clock;
	if (hs_buf_from(data, size, &in) != HS_OK)
		return 0;
	while (hs_buf_get_string(in, &p, &len) == HS_OK) {
		bool was = hs_mon_state_authenticated(&s);
		struct hs_mon_state before = s;

		fake_now += 250;
		if (hs_buf_from(p, len, &frame) != HS_OK)
			break;
		if (hs_mon_parse(frame, &m) != HS_OK) {
			if (m.type != 0)
				abort();	/* a failed parse leaves nothing behind */
			hs_buf_free(frame);
			break;		/* the monitor ends the connection */
		}
		check_rebuild(&m, p, len);
		if (m.type == HS_MON_SPAWN)
			check_spawn_copy(&m);
		if (hs_mon_state_check(&s, &m) != HS_OK) {
			check_invariants(&s, was);
			hs_buf_free(frame);
			break;
		}
		if (s.pending != 0 && hs_mon_state_auth_result(&s, &m, (len & 1) != 0) != HS_OK)
			abort();
		if (m.type == HS_MON_SPAWN && s.phase != HS_MON_PHASE_POSTAUTH)
			abort();	/* programs start only after the hand-over */
		check_invariants(&s, was);
		check_kex(&before, &s, &m);
		hs_buf_free(frame);
		frame = NULL;
	}
	hs_mon_state_clear(&s);
	hs_buf_free(in);
	return 0;
}
