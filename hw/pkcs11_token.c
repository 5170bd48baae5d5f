/* pkcs11_token.c: PKCS#11 tokens shared by keys and KEX contexts: found by RFC 7512 URI, logged in
 * once per token (login state is per application and token, PKCS#11 v2.40 5.6 C_Login), sessions
 * lent from a pool so that no two threads use one session at once (v2.40 6.7.7), and reconnected
 * after a lost session or a reinserted token. A refused PIN is never presented again in this
 * process, so a server cannot count a token down into its lockout.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_impl.h"

static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hs_p11_token *tokens;		/* guarded by tokens_lock */

/* Tokens whose PIN (from this pin-source) was refused: "module\nserial\nlabel\npin-source". */
struct bad_pin {
	char *key;
	struct bad_pin *next;
};
static pthread_mutex_t bad_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bad_pin *bad_pins;		/* guarded by bad_lock; kept for the process */

static atomic_uint login_calls, login_ok;

unsigned
hs_pkcs11_login_count(bool with_refused)
{
	return with_refused ? atomic_load(&login_calls) : atomic_load(&login_ok);
}

/* The session itself is gone: its handle must not be closed again. */
static bool
sess_dead(CK_RV rv)
{
	/* CKR_DEVICE_ERROR: p11-kit's client module when its server went away. */
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	    rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_ERROR;
}

bool
hs_p11_rv_lost(CK_RV rv)
{
	/* A logout behind our back: softhsm2 answers with CKR_OBJECT_HANDLE_INVALID for the
	 * private key (its handles of private objects die with the login), others with
	 * CKR_USER_NOT_LOGGED_IN or CKR_KEY_HANDLE_INVALID. */
	return sess_dead(rv) || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_OBJECT_HANDLE_INVALID ||
	    rv == CKR_KEY_HANDLE_INVALID;
}

/* A space-padded CK_TOKEN_INFO field, trimmed, as a C string (PKCS#11 v2.40 3.2). */
static void
trim_field(const CK_UTF8CHAR *f, size_t n, char *out)
{
	while (n > 0 && f[n - 1] == ' ')
		n--;
	memcpy(out, f, n);
	out[n] = '\0';
}

static bool
field_matches(const char *want, const CK_UTF8CHAR *f, size_t n)
{
	char got[65];

	if (want == NULL)
		return true;
	trim_field(f, n, got);
	return strcmp(want, got) == 0;
}

static bool
token_matches(const struct hs_p11uri *u, const CK_TOKEN_INFO *ti)
{
	return field_matches(u->token, ti->label, sizeof(ti->label)) &&
	    field_matches(u->manufacturer, ti->manufacturerID, sizeof(ti->manufacturerID)) &&
	    field_matches(u->serial, ti->serialNumber, sizeof(ti->serialNumber)) &&
	    field_matches(u->model, ti->model, sizeof(ti->model));
}

/* The one slot whose initialised token matches every token attribute of u. */
static hs_err
find_slot(CK_FUNCTION_LIST_PTR f, const struct hs_p11uri *u, const char *uri, CK_SLOT_ID *slot,
    CK_TOKEN_INFO *ti, CK_RV *rv)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i, found = 0;
	CK_TOKEN_INFO cur;

	if ((*rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		hs_error("pkcs11 %s: C_GetSlotList: %s", uri, hs_p11_rv_name(*rv));
		return HS_ERR_PROVIDER;
	}
	for (i = 0; i < n; i++) {
		if (u->has_slot_id && slots[i] != u->slot_id)
			continue;
		/* softhsm2 and others keep a free, uninitialised token in a spare slot. */
		if (f->C_GetTokenInfo(slots[i], &cur) != CKR_OK ||
		    (cur.flags & CKF_TOKEN_INITIALIZED) == 0 || !token_matches(u, &cur))
			continue;
		if (found++ == 0) {
			*slot = slots[i];
			*ti = cur;
		}
	}
	if (found != 1) {
		hs_error("pkcs11 %s: %s", uri, found == 0 ? "no token matching" :
		    "several tokens match (add token=, serial= or slot-id=)");
		return HS_ERR_NOT_FOUND;
	}
	return HS_OK;
}

static char *
bad_pin_key(const struct hs_p11_token *tok)
{
	char *k = NULL;

	if (asprintf(&k, "%s\n%s\n%s\n%s", tok->mod->path, tok->serial, tok->label,
	    tok->pin_source != NULL ? tok->pin_source : "") < 0)
		return NULL;
	return k;
}

static bool
bad_pin_known(const struct hs_p11_token *tok)
{
	struct bad_pin *b;
	char *k = bad_pin_key(tok);
	bool found = false;

	if (k == NULL)
		return false;
	pthread_mutex_lock(&bad_lock);
	for (b = bad_pins; b != NULL && !found; b = b->next)
		found = strcmp(b->key, k) == 0;
	pthread_mutex_unlock(&bad_lock);
	free(k);
	return found;
}

static void
bad_pin_add(const struct hs_p11_token *tok)
{
	struct bad_pin *b;

	if ((b = hs_calloc(1, sizeof(*b))) == NULL || (b->key = bad_pin_key(tok)) == NULL) {
		free(b);
		return;		/* tok->pin_failed still stops this record's retries */
	}
	pthread_mutex_lock(&bad_lock);
	b->next = bad_pins;
	bad_pins = b;
	pthread_mutex_unlock(&bad_lock);
}

static bool
pin_error(CK_RV rv)
{
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
	    rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE;
}

/* C_Login as CKU_USER on the anchor session (tok->lock held or tok private). */
static hs_err
login(struct hs_p11_token *tok)
{
	struct hs_p11uri u = { .pin_source = tok->pin_source };
	char *pin = NULL;
	size_t len = 0;
	hs_err r;
	CK_RV rv;

	if ((r = hs_p11uri_read_pin(&u, &pin, &len)) != HS_OK) {
		if (r == HS_ERR_NOT_FOUND && tok->pin_source == NULL)
			hs_error("pkcs11 %s: token %s needs a PIN: add pin-source=file:... to the "
			    "URI", tok->uri, tok->label);
		else if (r == HS_ERR_NOT_FOUND)
			hs_error("pkcs11 %s: token %s: no PIN file %s", tok->uri, tok->label,
			    tok->pin_source);
		return r;
	}
	atomic_fetch_add(&login_calls, 1);
	rv = tok->mod->f->C_Login(tok->anchor, CKU_USER, (CK_UTF8CHAR_PTR)pin, len);
	hs_free_wiped(pin, len);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		atomic_fetch_add(&login_ok, 1);
		tok->logins++;
		return HS_OK;
	}
	hs_error("pkcs11 %s: C_Login: %s", tok->uri, hs_p11_rv_name(rv));
	if (!pin_error(rv))
		return HS_ERR_PROVIDER;
	/* Never again: each refused attempt brings the token closer to locking its PIN. */
	tok->pin_failed = true;
	bad_pin_add(tok);
	return HS_ERR_PERM;
}

/* Close the pooled sessions and the anchor (tok->lock held or tok private). Closing the
 * application's last session of the token logs it out (v2.40 5.6 C_CloseSession). */
static void
close_sessions(struct hs_p11_token *tok)
{
	while (tok->n_idle > 0)
		(void)tok->mod->f->C_CloseSession(tok->idle[--tok->n_idle]);
	if (tok->up)
		(void)tok->mod->f->C_CloseSession(tok->anchor);
	tok->up = false;
}

/* Find the token (by the URI on first open, then by its label and serial), open the anchor and
 * log in where the token requires it (tok->lock held or tok private). *rv: the module's answer
 * to C_GetSlotList / C_OpenSession when one of them failed, else CKR_OK. */
static hs_err
connect_token(struct hs_p11_token *tok, const struct hs_p11uri *u, CK_RV *rv)
{
	struct hs_p11uri again = { .token = tok->label, .serial = tok->serial };
	CK_TOKEN_INFO ti;
	hs_err r;

	if (tok->pin_failed) {
		hs_debug("pkcs11 %s: the PIN was refused before; not trying it again", tok->uri);
		return HS_ERR_PERM;
	}
	*rv = CKR_OK;
	HS_GUARD(find_slot(tok->mod->f, u != NULL ? u : &again, tok->uri, &tok->slot, &ti, rv));
	if (u != NULL) {
		trim_field(ti.label, sizeof(ti.label), tok->label);
		trim_field(ti.serialNumber, sizeof(ti.serialNumber), tok->serial);
	}
	if ((ti.flags & CKF_LOGIN_REQUIRED) != 0 && bad_pin_known(tok)) {
		hs_error("pkcs11 %s: C_Login: the PIN from this pin-source was refused before "
		    "(CKR_PIN_INCORRECT); not trying it again", tok->uri);
		tok->pin_failed = true;
		return HS_ERR_PERM;
	}
	*rv = tok->mod->f->C_OpenSession(tok->slot, CKF_SERIAL_SESSION, NULL, NULL, &tok->anchor);
	if (*rv != CKR_OK) {
		hs_error("pkcs11 %s: C_OpenSession: %s", tok->uri, hs_p11_rv_name(*rv));
		return HS_ERR_PROVIDER;
	}
	if ((ti.flags & CKF_LOGIN_REQUIRED) != 0 && (r = login(tok)) != HS_OK) {
		(void)tok->mod->f->C_CloseSession(tok->anchor);
		return r;
	}
	tok->up = true;
	return HS_OK;
}

static void
token_free(struct hs_p11_token *tok)
{
	if (tok == NULL)
		return;
	close_sessions(tok);
	pthread_mutex_destroy(&tok->lock);
	hs_p11_module_release(tok->mod);
	free(tok->uri);
	free(tok->pin_source);
	free(tok);
}

static hs_err
token_new(struct hs_p11_module *mod, const struct hs_p11uri *u, const char *uri,
    struct hs_p11_token **out)
{
	struct hs_p11_token *tok;
	hs_err r;
	CK_RV rv;

	if ((tok = hs_calloc(1, sizeof(*tok))) == NULL)
		return HS_ERR_ALLOC;
	pthread_mutex_init(&tok->lock, NULL);
	tok->mod = mod;
	tok->refs = 1;
	tok->gen = 1;
	if ((tok->uri = hs_strdup(uri)) == NULL ||
	    (u->pin_source != NULL && (tok->pin_source = hs_strdup(u->pin_source)) == NULL)) {
		r = HS_ERR_ALLOC;
		goto out;
	}
	HS_GUARD_GOTO(connect_token(tok, u, &rv), r, out);
	*out = tok;
	tok = NULL;
	r = HS_OK;
out:
	if (tok != NULL)
		tok->mod = NULL;	/* the caller still holds the module reference */
	token_free(tok);
	return r;
}

hs_err
hs_p11_token_get(const struct hs_p11uri *u, const char *uri, struct hs_p11_token **out)
{
	struct hs_p11_module *mod = NULL;
	struct hs_p11_token *tok;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	char label[33], serial[17];
	hs_err r;
	CK_RV rv;

	*out = NULL;
	pthread_mutex_lock(&tokens_lock);
	HS_GUARD_GOTO(hs_p11_module_get(u->module_path, &mod), r, out);
	HS_GUARD_GOTO(find_slot(mod->f, u, uri, &slot, &ti, &rv), r, out);
	trim_field(ti.label, sizeof(ti.label), label);
	trim_field(ti.serialNumber, sizeof(ti.serialNumber), serial);
	for (tok = tokens; tok != NULL; tok = tok->next)
		if (tok->mod == mod && strcmp(tok->label, label) == 0 &&
		    strcmp(tok->serial, serial) == 0)
			break;
	if (tok != NULL) {
		tok->refs++;		/* shares the login and the pool */
		*out = tok;
		r = HS_OK;
		goto out;	/* the record holds its own module reference */
	}
	HS_GUARD_GOTO(token_new(mod, u, uri, &tok), r, out);
	mod = NULL;		/* now the record's */
	tok->next = tokens;
	tokens = tok;
	*out = tok;
	hs_debug("pkcs11 %s: token %s (serial %s) in slot %lu", uri, tok->label, tok->serial,
	    (unsigned long)tok->slot);
	r = HS_OK;
out:
	pthread_mutex_unlock(&tokens_lock);
	hs_p11_module_release(mod);
	return r;
}

void
hs_p11_token_release(struct hs_p11_token *tok)
{
	struct hs_p11_token **pp;

	if (tok == NULL)
		return;
	pthread_mutex_lock(&tokens_lock);
	if (--tok->refs > 0) {
		pthread_mutex_unlock(&tokens_lock);
		return;
	}
	for (pp = &tokens; *pp != NULL; pp = &(*pp)->next)
		if (*pp == tok) {
			*pp = tok->next;
			break;
		}
	pthread_mutex_unlock(&tokens_lock);
	token_free(tok);
}

void
hs_p11_token_down(struct hs_p11_token *tok, unsigned gen, CK_RV rv)
{
	pthread_mutex_lock(&tok->lock);
	if (tok->gen == gen) {
		hs_info("pkcs11 %s: token %s: %s; reconnecting", tok->uri, tok->label,
		    hs_p11_rv_name(rv));
		/* Idle handles may be dead already; closing them is harmless then, and needed
		 * when only the one session was lost (they would keep the old login alive). */
		close_sessions(tok);
		tok->gen++;
	}
	pthread_mutex_unlock(&tok->lock);
}

/* The module itself failed (p11-kit's client after its server went away), or the token is not
 * there: only C_Finalize and C_Initialize make some modules look again (softhsm2 reads its token
 * directory, p11-kit's client connects to its server, in C_Initialize). */
static bool
module_stale(hs_err r, CK_RV rv)
{
	return r == HS_ERR_NOT_FOUND || rv == CKR_DEVICE_ERROR || rv == CKR_CRYPTOKI_NOT_INITIALIZED;
}

/* hs_p11_sess_get inside the module (entered): reconnect if down, then pool or open. */
static hs_err
sess_take(struct hs_p11_token *tok, struct hs_p11_sess *s, CK_RV *rv)
{
	hs_err r = HS_OK;

	*rv = CKR_OK;
	pthread_mutex_lock(&tok->lock);
	if (!tok->up && (r = connect_token(tok, NULL, rv)) != HS_OK)
		goto out;
	s->gen = tok->gen;
	if (tok->n_idle > 0) {
		s->h = tok->idle[--tok->n_idle];
		goto out;
	}
	*rv = tok->mod->f->C_OpenSession(tok->slot, CKF_SERIAL_SESSION, NULL, NULL, &s->h);
	if (*rv != CKR_OK) {
		hs_error("pkcs11 %s: C_OpenSession: %s", tok->uri, hs_p11_rv_name(*rv));
		r = HS_ERR_PROVIDER;
	}
out:
	pthread_mutex_unlock(&tok->lock);
	return r;
}

hs_err
hs_p11_sess_get(struct hs_p11_token *tok, struct hs_p11_sess *s)
{
	unsigned epoch;
	hs_err r;
	CK_RV rv;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		hs_p11_module_enter(tok->mod, &epoch);
		if ((r = sess_take(tok, s, &rv)) == HS_OK)
			return HS_OK;		/* left in hs_p11_sess_put */
		hs_p11_module_leave(tok->mod);
		if (pass > 0 || !module_stale(r, rv) ||
		    hs_p11_module_reinit(tok->mod, epoch) != HS_OK)
			break;
	}
	/* Absent now: this operation fails, the next one looks again. */
	return r == HS_ERR_NOT_FOUND ? HS_ERR_PROVIDER : r;
}

void
hs_p11_sess_put(struct hs_p11_token *tok, struct hs_p11_sess *s, CK_RV rv)
{
	pthread_mutex_lock(&tok->lock);
	if (sess_dead(rv))
		;	/* gone with the token's sessions; its handle may be reused: do not close */
	else if (s->gen != tok->gen || !tok->up || tok->n_idle == HS_P11_POOL_MAX)
		(void)tok->mod->f->C_CloseSession(s->h);
	else
		tok->idle[tok->n_idle++] = s->h;
	pthread_mutex_unlock(&tok->lock);
	s->h = CK_INVALID_HANDLE;
	hs_p11_module_leave(tok->mod);
}

void
hs_p11_tokens_forget(struct hs_p11_module *mod)
{
	struct hs_p11_token *tok;

	pthread_mutex_lock(&tokens_lock);
	for (tok = tokens; tok != NULL; tok = tok->next) {
		if (tok->mod != mod)
			continue;
		pthread_mutex_lock(&tok->lock);
		tok->n_idle = 0;	/* C_Finalize closed them */
		tok->up = false;
		tok->gen++;
		pthread_mutex_unlock(&tok->lock);
	}
	pthread_mutex_unlock(&tokens_lock);
}

static hs_err
count_session_objects(struct hs_p11_token *tok, CK_SESSION_HANDLE s, unsigned *n)
{
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE tmpl = { CKA_TOKEN, &no, sizeof(no) };
	CK_OBJECT_HANDLE h[32];
	CK_ULONG got;
	CK_RV rv;

	*n = 0;
	if ((rv = tok->mod->f->C_FindObjectsInit(s, &tmpl, 1)) != CKR_OK)
		return hs_p11_fail("C_FindObjectsInit", rv);
	do {
		if ((rv = tok->mod->f->C_FindObjects(s, h, 32, &got)) != CKR_OK)
			break;
		*n += (unsigned)got;
	} while (got == 32);
	(void)tok->mod->f->C_FindObjectsFinal(s);
	return rv == CKR_OK ? HS_OK : hs_p11_fail("C_FindObjects", rv);
}

hs_err
hs_pkcs11_session_objects(const char *uri, unsigned *n)
{
	struct hs_p11_token *tok = NULL;
	struct hs_p11_sess s = { .h = CK_INVALID_HANDLE };
	struct hs_p11uri u;
	hs_err r;

	*n = 0;
	HS_GUARD(hs_p11uri_parse(uri, &u));
	HS_GUARD_GOTO(hs_p11_module_resolve(&u, uri), r, out);
	HS_GUARD_GOTO(hs_p11_token_get(&u, uri, &tok), r, out);
	HS_GUARD_GOTO(hs_p11_sess_get(tok, &s), r, out);
	r = count_session_objects(tok, s.h, n);
	hs_p11_sess_put(tok, &s, CKR_OK);
out:
	hs_p11_token_release(tok);
	hs_p11uri_free(&u);
	return r;
}
