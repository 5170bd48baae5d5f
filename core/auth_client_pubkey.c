/* auth_client_pubkey.c: RFC 4252 7 publickey authentication, client side. Agent keys first (unless
 * IdentitiesOnly), then IdentityFiles, then the keys of PKCS11Provider (-I); each key is offered
 * without a signature first so that a passphrase is asked only for a key the server would accept.
 * An IdentityFile that is a key URI (pkcs11:, tpm2:) is opened through its provider at once: the
 * public key comes from the token, no .pub file is read, and the PIN from the URI's pin-source.
 * RSA signs with rsa-sha2-512/256 (RFC 8332), never ssh-rsa. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_impl.h"
#include "hs_algs.h"
#include "hs_mem.h"
#include "hs_ssh.h"

#define PK_MAX_IDS		64
#define PK_PUBFILE_MAX		16384
#define PK_PASSPHRASE_TRIES	3

struct pk_id {
	struct hs_buf *blob;		/* public key blob */
	enum hs_key_type type;
	char *path;			/* identity file or URI, or NULL for an agent key */
	char *label;			/* for messages: path or agent comment */
	char *fp;			/* SHA256 fingerprint, for messages */
	struct hs_key *key;		/* the private key once loaded (files, URIs, -I keys) */
};

struct pk_set {
	struct pk_id v[PK_MAX_IDS];
	size_t n;
};

static void
pk_set_clear(struct pk_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		hs_buf_free(s->v[i].blob);
		free(s->v[i].path);
		free(s->v[i].label);
		free(s->v[i].fp);
		hs_key_free(s->v[i].key);
	}
	s->n = 0;
}

void
hs_auth_ctx_clear(struct auth_ctx *ac)
{
	free(ac->methods);
	ac->methods = NULL;
	hs_agent_close(ac->agent);
	ac->agent = NULL;
}

static bool
pk_set_has(const struct pk_set *s, const uint8_t *blob, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (hs_buf_len(s->v[i].blob) == len && memcmp(hs_buf_ptr(s->v[i].blob), blob, len) == 0)
			return true;
	return false;
}

/* Add an identity from a key (public part taken); takes ownership of key when priv. */
static hs_err
pk_add(struct pk_set *s, const struct hs_key *pub, const uint8_t *blob, size_t blen,
    const char *path, const char *label)
{
	struct pk_id *id;

	HS_ENSURE(s->n < PK_MAX_IDS, HS_ERR_TOO_LARGE);
	id = &s->v[s->n];
	memset(id, 0, sizeof(*id));
	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &id->blob));
	if (pub != NULL)
		HS_GUARD(hs_key_public_blob(pub, id->blob));
	else
		HS_GUARD(hs_buf_put_bytes(id->blob, blob, blen));
	id->type = pub != NULL ? hs_key_type(pub) : HS_KEY_UNKNOWN;
	if (pub != NULL && hs_key_fingerprint(pub, &id->fp) != HS_OK)
		id->fp = NULL;
	id->path = path ? strdup(path) : NULL;
	id->label = strdup(label ? label : "");
	s->n++;
	return HS_OK;
}

/* Public key of an identity file: path.pub if present (no passphrase needed), else the private
 * file itself when it is not encrypted. */
static hs_err
pk_load_public(const char *path, struct hs_key **out, struct hs_key **priv)
{
	char *pubpath = NULL, *line = NULL;
	size_t cap = 0;
	FILE *f;
	hs_err r;

	*out = NULL;
	*priv = NULL;
	if (hs_client_is_key_uri(path))
		return hs_key_open(path, NULL, priv, NULL);	/* the provider logs why not */
	if (asprintf(&pubpath, "%s.pub", path) < 0)
		return HS_ERR_ALLOC;
	f = fopen(pubpath, "r");
	free(pubpath);
	if (f != NULL) {
		r = getline(&line, &cap, f) > 0 ? hs_keyfile_parse_public(line, out, NULL)
		    : HS_ERR_FORMAT;
		free(line);
		fclose(f);
		if (r == HS_OK)
			return HS_OK;
	}
	r = hs_key_open(path, NULL, priv, NULL);
	if (r == HS_OK)
		*out = NULL;
	return r;
}

static hs_err
pk_collect_files(struct auth_ctx *ac, struct pk_set *files)
{
	const struct hs_client_config *c = &ac->cl->cfg;

	for (size_t i = 0; i < c->identity_files.n; i++) {
		const char *path = c->identity_files.v[i];
		struct hs_key *pub = NULL, *priv = NULL;
		hs_err r = pk_load_public(path, &pub, &priv);

		if (r == HS_ERR_PASSPHRASE) {
			/* no .pub beside an encrypted key: the passphrase is needed to learn it */
			HS_GUARD(pk_add(files, NULL, NULL, 0, path, path));
			continue;
		}
		if (r != HS_OK) {
			if (!c->identity_defaults && !hs_client_is_key_uri(path) &&
			    access(path, R_OK) != 0)
				fprintf(stderr, "Warning: identity file %s cannot be read: %s.\r\n",
				    path, strerror(errno));
			hc_debug1("Skipping identity %s: %s", path, hs_err_str(r));
			continue;
		}
		r = pk_add(files, pub ? pub : priv, NULL, 0, path, path);
		hs_key_free(pub);
		if (r != HS_OK) {
			hs_key_free(priv);
			return r;
		}
		files->v[files->n - 1].key = priv;
	}
	return HS_OK;
}

/* PKCS11Provider keys, after the IdentityFiles (ssh tries them in that order too). A module that
 * cannot be used is reported and skipped: other methods may still work. */
static hs_err
pk_collect_p11helper(struct auth_ctx *ac, struct pk_set *files)
{
	struct hs_key *keys[PK_MAX_IDS];
	char *labels[PK_MAX_IDS];
	size_t n = 0, i;
	hs_err r = HS_OK;

	if (hs_client_p11helper_keys(&ac->cl->cfg, keys, labels, PK_MAX_IDS - files->n,
	    &n) != HS_OK)
		return HS_OK;
	for (i = 0; i < n && r == HS_OK; i++) {
		if ((r = pk_add(files, keys[i], NULL, 0, labels[i], labels[i])) == HS_OK) {
			files->v[files->n - 1].key = keys[i];
			keys[i] = NULL;
		}
	}
	for (i = 0; i < n; i++) {
		hs_key_free(keys[i]);
		free(labels[i]);
	}
	return r;
}

static const char *
agent_path(const struct hs_client_config *c)
{
	const char *p = c->identity_agent;

	if (p == NULL || strcmp(p, "SSH_AUTH_SOCK") == 0)
		return getenv("SSH_AUTH_SOCK");
	if (strcmp(p, "none") == 0)
		return NULL;
	if (p[0] == '$')
		return getenv(p + 1);
	return p;
}

static hs_err
pk_collect_agent(struct auth_ctx *ac, const struct pk_set *files, struct pk_set *out)
{
	const char *path = agent_path(&ac->cl->cfg);
	struct hs_agent_id *ids = NULL;
	size_t n = 0;

	if (path == NULL || hs_agent_open(path, &ac->agent) != HS_OK)
		return HS_OK;
	if (hs_agent_list(ac->agent, &ids, &n) != HS_OK) {
		hc_debug1("agent: cannot list identities");
		return HS_OK;
	}
	for (size_t i = 0; i < n && out->n < PK_MAX_IDS; i++) {
		struct hs_key *k = NULL;

		if (ac->cl->cfg.identities_only == 1 && !pk_set_has(files, ids[i].blob,
		    ids[i].blob_len))
			continue;
		if (hs_key_from_blob(ids[i].blob, ids[i].blob_len, &k) != HS_OK)
			continue;	/* a type we cannot use (certificates, DSA, ...) */
		if (pk_add(out, k, NULL, 0, NULL, ids[i].comment) != HS_OK) {
			hs_key_free(k);
			break;
		}
		hs_key_free(k);
	}
	hs_agent_ids_free(ids, n);
	return HS_OK;
}

/* The signature algorithm for a key type: allowed by PubkeyAcceptedAlgorithms and, for RSA, by the
 * server's server-sig-algs (RFC 8308 3.1). */
static enum hs_sig_alg
pk_sig_alg(const struct auth_ctx *ac, enum hs_key_type type)
{
	static const enum hs_sig_alg prefs[] = {
		HS_SIG_ED25519, HS_SIG_ECDSA_P256, HS_SIG_ECDSA_P384, HS_SIG_ECDSA_P521,
		HS_SIG_RSA_SHA512, HS_SIG_RSA_SHA256,
	};
	const char *ssa = hs_transport_server_sig_algs(ac->cl->t);
	const char *acc = ac->cl->cfg.pubkey_algs;

	for (size_t i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
		const char *name = hs_sig_alg_name(prefs[i]);

		if (hs_sig_alg_key_type(prefs[i]) != type || name == NULL)
			continue;
		if (acc != NULL && !hs_algs_list_has(acc, name, strlen(name)))
			continue;
		if (type == HS_KEY_RSA && ssa != NULL && !hs_algs_list_has(ssa, name, strlen(name)))
			continue;
		return prefs[i];
	}
	return HS_SIG_UNKNOWN;
}

/* RFC 4252 7: the request up to (and including) the public key blob. */
static hs_err
pk_request(const struct auth_ctx *ac, const struct pk_id *id, enum hs_sig_alg alg, bool signing,
    struct hs_buf *b)
{
	HS_GUARD(hs_auth_request_start(ac, "publickey", b));
	HS_GUARD(hs_buf_put_bool(b, signing));
	HS_GUARD(hs_buf_put_cstring(b, hs_sig_alg_name(alg)));
	return hs_buf_put_stringb(b, id->blob);
}

/* Offer without signature: HS_OK on USERAUTH_PK_OK, HS_ERR_AUTH on FAILURE. */
static hs_err
pk_query(struct auth_ctx *ac, const struct pk_id *id, enum hs_sig_alg alg)
{
	struct hs_buf *b = NULL, *msg = NULL;
	uint8_t type;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &b));
	HS_GUARD_GOTO(pk_request(ac, id, alg, false, b), r, out);
	HS_GUARD_GOTO(hs_transport_send(ac->cl->t, b), r, out);
	HS_GUARD_GOTO(hs_auth_wait(ac, &type, &msg), r, out);
	if (type == HS_MSG_USERAUTH_FAILURE)
		r = HS_ERR_AUTH;
	else
		r = type == HS_MSG_USERAUTH_PK_OK ? HS_OK : HS_ERR_PROTOCOL;
out:
	hs_buf_free(msg);
	hs_buf_free(b);
	return r;
}

static hs_err
pk_load_private(struct auth_ctx *ac, struct pk_id *id)
{
	char *prompt = NULL, *pass = NULL;
	hs_err r = HS_ERR_PASSPHRASE;

	if (id->key != NULL)
		return HS_OK;
	/* unencrypted keys need no prompt */
	if ((r = hs_key_open(id->path, NULL, &id->key, NULL)) != HS_ERR_PASSPHRASE)
		return r;
	if (ac->cl->cfg.batch_mode == 1)
		return HS_ERR_PASSPHRASE;
	if (asprintf(&prompt, "Enter passphrase for key '%s': ", id->path) < 0)
		return HS_ERR_ALLOC;
	for (int i = 0; i < PK_PASSPHRASE_TRIES && r == HS_ERR_PASSPHRASE; i++) {
		if (hs_client_read_tty(prompt, false, &pass) != HS_OK || pass[0] == '\0')
			break;
		r = hs_key_open(id->path, pass, &id->key, NULL);
		hs_free_wiped(pass, strlen(pass));
		pass = NULL;
		if (r == HS_ERR_PASSPHRASE)
			fprintf(stderr, "Wrong passphrase for %s; try again.\r\n", id->path);
	}
	if (pass != NULL)
		hs_free_wiped(pass, strlen(pass));
	free(prompt);
	return r;
}

static hs_err
pk_sign(struct auth_ctx *ac, struct pk_id *id, enum hs_sig_alg alg, const struct hs_buf *data,
    struct hs_buf *sig)
{
	uint32_t flags = alg == HS_SIG_RSA_SHA512 ? HS_AGENT_RSA_SHA2_512 :
	    alg == HS_SIG_RSA_SHA256 ? HS_AGENT_RSA_SHA2_256 : 0;

	if (id->path == NULL)
		return hs_agent_sign(ac->agent, hs_buf_ptr(id->blob), hs_buf_len(id->blob),
		    hs_buf_ptr(data), hs_buf_len(data), flags, sig);
	HS_GUARD(pk_load_private(ac, id));
	return hs_key_sign(id->key, alg, hs_buf_ptr(data), hs_buf_len(data), sig);
}

/* RFC 4252 7: signature over string session_id || the request with TRUE. */
static hs_err
pk_sign_and_send(struct auth_ctx *ac, struct pk_id *id, enum hs_sig_alg alg)
{
	struct hs_buf *req = NULL, *data = NULL, *sig = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &req));
	HS_GUARD_GOTO(hs_buf_new(HS_MAX_PACKET, &data), r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_MAX_PACKET, &sig), r, out);
	HS_GUARD_GOTO(pk_request(ac, id, alg, true, req), r, out);
	HS_GUARD_GOTO(hs_buf_put_string(data, ac->sid, ac->sid_len), r, out);
	HS_GUARD_GOTO(hs_buf_put_buf(data, req), r, out);
	if ((r = pk_sign(ac, id, alg, data, sig)) != HS_OK) {
		/* a key that cannot sign (wrong PIN, token gone, agent refusal) is skipped */
		hc_debug1("Signing with %s failed: %s", id->label, hs_err_str(r));
		r = HS_ERR_AUTH;
		goto out;
	}
	HS_GUARD_GOTO(hs_buf_put_stringb(req, sig), r, out);
	HS_GUARD_GOTO(hs_transport_send(ac->cl->t, req), r, out);
	r = hs_auth_verdict(ac);
out:
	hs_buf_free(sig);
	hs_buf_free(data);
	hs_buf_free(req);
	return r;
}

/* Learn the public key of an encrypted file without a .pub: it has to be decrypted first. */
static hs_err
pk_resolve(struct auth_ctx *ac, struct pk_id *id)
{
	if (id->type != HS_KEY_UNKNOWN)
		return HS_OK;
	HS_GUARD(pk_load_private(ac, id));
	id->type = hs_key_type(id->key);
	if (id->fp == NULL && hs_key_fingerprint(id->key, &id->fp) != HS_OK)
		id->fp = NULL;
	hs_buf_reset(id->blob);
	return hs_key_public_blob(id->key, id->blob);
}

static hs_err
pk_try(struct auth_ctx *ac, struct pk_id *id)
{
	enum hs_sig_alg alg;

	if (pk_resolve(ac, id) != HS_OK)
		return HS_ERR_AUTH;
	if ((alg = pk_sig_alg(ac, id->type)) == HS_SIG_UNKNOWN) {
		hc_debug1("Skipping %s key %s: no acceptable signature algorithm",
		    hs_key_type_name(id->type), id->label);
		return HS_ERR_AUTH;
	}
	hc_debug1("Offering public key: %s %s %s %s%s", id->label, hs_key_type_short(id->type),
	    id->fp ? id->fp : "", hs_sig_alg_name(alg), id->path ? " explicit" : " agent");
	HS_GUARD(pk_query(ac, id, alg));
	hc_debug1("Server accepts key: %s %s %s", id->label, hs_key_type_short(id->type),
	    id->fp ? id->fp : "");
	return pk_sign_and_send(ac, id, alg);	/* HS_ERR_AUTH also when it cannot sign */
}

static hs_err
pk_try_set(struct auth_ctx *ac, struct pk_set *s, const struct pk_set *skip)
{
	for (size_t i = 0; i < s->n; i++) {
		hs_err r;

		if (skip != NULL && s->v[i].type != HS_KEY_UNKNOWN &&
		    pk_set_has(skip, hs_buf_ptr(s->v[i].blob), hs_buf_len(s->v[i].blob)))
			continue;	/* already offered through the agent */
		r = pk_try(ac, &s->v[i]);
		if (r != HS_ERR_AUTH)
			return r;
		if (!hs_auth_method_allowed(ac, "publickey"))
			break;
	}
	return HS_ERR_AUTH;
}

hs_err
hs_auth_pubkey(struct auth_ctx *ac)
{
	struct pk_set *files, *agent;
	hs_err r;

	files = calloc(1, sizeof(*files));
	agent = calloc(1, sizeof(*agent));
	HS_ENSURE_GOTO(files != NULL && agent != NULL, HS_ERR_ALLOC, r, out);
	HS_GUARD_GOTO(pk_collect_files(ac, files), r, out);
	HS_GUARD_GOTO(pk_collect_p11helper(ac, files), r, out);
	HS_GUARD_GOTO(pk_collect_agent(ac, files, agent), r, out);
	r = pk_try_set(ac, agent, NULL);
	if (r == HS_ERR_AUTH && hs_auth_method_allowed(ac, "publickey"))
		r = pk_try_set(ac, files, agent);
out:
	if (files != NULL)
		pk_set_clear(files);
	if (agent != NULL)
		pk_set_clear(agent);
	free(files);
	free(agent);
	return r;
}
