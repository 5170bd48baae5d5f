/* hs_err.h: the one error enum and the propagation idiom (STYLE.md section 3). */
#ifndef HS_ERR_H
#define HS_ERR_H

#define HS_MUST_USE __attribute__((warn_unused_result))

/* Offset keeps our codes apart from wolfCrypt's small negatives. */
enum hs_err {
	HS_OK = 0,
	HS_ERR_INTERNAL = -1000,
	HS_ERR_ALLOC,		/* allocation failed */
	HS_ERR_FORMAT,		/* malformed input */
	HS_ERR_TRAILING,	/* bytes left after a complete message */
	HS_ERR_TOO_LARGE,	/* a length beyond the buffer's or protocol's bound */
	HS_ERR_TRUNCATED,	/* input ended before the field did */
	HS_ERR_MAC,		/* MAC or AEAD tag mismatch */
	HS_ERR_SIG,		/* signature did not verify */
	HS_ERR_PROVIDER,	/* a backend (wolfSSL, PKCS#11, TPM) failed */
	HS_ERR_FIPS_STATE,	/* sticky FIPS error state */
	HS_ERR_AGAIN,		/* nothing to do yet; retry when the fd is ready */
	HS_ERR_EOF,		/* peer closed the connection */
	HS_ERR_IO,		/* read/write/poll failed; errno logged */
	HS_ERR_PROTOCOL,	/* well-formed but not allowed here */
	HS_ERR_NEGOTIATION,	/* no common algorithm */
	HS_ERR_UNSUPPORTED,	/* algorithm or feature we do not implement */
	HS_ERR_HOSTKEY,		/* host key refused (unknown, changed) */
	HS_ERR_AUTH,		/* authentication failed */
	HS_ERR_DISCONNECT,	/* peer sent SSH_MSG_DISCONNECT */
	HS_ERR_TIMEOUT,		/* a deadline passed */
	HS_ERR_CONFIG,		/* bad configuration */
	HS_ERR_NOT_FOUND,	/* no such file, key, user, entry */
	HS_ERR_PERM,		/* permission or ownership check failed */
	HS_ERR_PASSPHRASE,	/* key is encrypted and the passphrase is missing or wrong */
	HS_ERR_LAST
};
typedef enum hs_err hs_err;

/* Returns a static, human-readable string for e; never NULL. */
const char *hs_err_str(hs_err e);

/* Return a failure to the caller. */
#define HS_GUARD(expr) do {					\
	hs_err hs_guard_r_ = (expr);				\
	if (hs_guard_r_ != HS_OK)				\
		return hs_guard_r_;				\
} while (0)

/* Return err unless cond holds. */
#define HS_ENSURE(cond, err) do {				\
	if (!(cond))						\
		return (err);					\
} while (0)

/* For functions that own resources: store the failure in r and jump to the cleanup label. */
#define HS_GUARD_GOTO(expr, r, label) do {			\
	(r) = (expr);						\
	if ((r) != HS_OK)					\
		goto label;					\
} while (0)

#define HS_ENSURE_GOTO(cond, err, r, label) do {		\
	if (!(cond)) {						\
		(r) = (err);					\
		goto label;					\
	}							\
} while (0)

#endif
