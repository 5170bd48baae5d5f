/* hs_err.c: error strings. */
#include "hs_err.h"

static const char *const err_strs[] = {
	[0] = "internal error",
	[HS_ERR_ALLOC - HS_ERR_INTERNAL] = "out of memory",
	[HS_ERR_FORMAT - HS_ERR_INTERNAL] = "invalid format",
	[HS_ERR_TRAILING - HS_ERR_INTERNAL] = "unexpected trailing data",
	[HS_ERR_TOO_LARGE - HS_ERR_INTERNAL] = "length too large",
	[HS_ERR_TRUNCATED - HS_ERR_INTERNAL] = "input truncated",
	[HS_ERR_MAC - HS_ERR_INTERNAL] = "message authentication code incorrect",
	[HS_ERR_SIG - HS_ERR_INTERNAL] = "signature verification failed",
	[HS_ERR_PROVIDER - HS_ERR_INTERNAL] = "crypto provider error",
	[HS_ERR_FIPS_STATE - HS_ERR_INTERNAL] = "module is in the FIPS error state",
	[HS_ERR_AGAIN - HS_ERR_INTERNAL] = "operation would block",
	[HS_ERR_EOF - HS_ERR_INTERNAL] = "connection closed",
	[HS_ERR_IO - HS_ERR_INTERNAL] = "I/O error",
	[HS_ERR_PROTOCOL - HS_ERR_INTERNAL] = "protocol error",
	[HS_ERR_NEGOTIATION - HS_ERR_INTERNAL] = "no matching algorithm",
	[HS_ERR_UNSUPPORTED - HS_ERR_INTERNAL] = "not supported",
	[HS_ERR_HOSTKEY - HS_ERR_INTERNAL] = "host key verification failed",
	[HS_ERR_AUTH - HS_ERR_INTERNAL] = "authentication failed",
	[HS_ERR_DISCONNECT - HS_ERR_INTERNAL] = "disconnected by peer",
	[HS_ERR_TIMEOUT - HS_ERR_INTERNAL] = "timed out",
	[HS_ERR_CONFIG - HS_ERR_INTERNAL] = "configuration error",
	[HS_ERR_NOT_FOUND - HS_ERR_INTERNAL] = "not found",
	[HS_ERR_PERM - HS_ERR_INTERNAL] = "permission denied",
	[HS_ERR_PASSPHRASE - HS_ERR_INTERNAL] = "incorrect passphrase supplied to decrypt private key",
};

const char *
hs_err_str(hs_err e)
{
	if (e == HS_OK)
		return "success";
	if (e < HS_ERR_INTERNAL || e >= HS_ERR_LAST)
		return "unknown error";
	return err_strs[e - HS_ERR_INTERNAL] ? err_strs[e - HS_ERR_INTERNAL] : "unknown error";
}
