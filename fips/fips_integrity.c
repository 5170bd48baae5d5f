/* fips_integrity.c: the software integrity test of issue 6 (fips/hs_fips.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_ct.h"
#include "hs_fips.h"
#include "hs_log.h"
#include "hs_mem.h"

/* The placeholder the linker puts in the file; the build step replaces it with the MAC. It must
 * occur in the file only once, so the code compares against it XOR 0x5a, never a second copy. */
#define PLACEHOLDER	"hardssh-integrity-unstamped-v1.."
static const uint8_t placeholder_x5a[HS_FIPS_MAC_LEN] = {
	0x32, 0x3b, 0x28, 0x3e, 0x29, 0x29, 0x32, 0x77, 0x33, 0x34, 0x2e, 0x3f, 0x3d, 0x28, 0x33,
	0x2e, 0x23, 0x77, 0x2f, 0x34, 0x29, 0x2e, 0x3b, 0x37, 0x2a, 0x3f, 0x3e, 0x77, 0x2c, 0x6b,
	0x74, 0x74,
};
#define MAX_IMAGE	(256u << 20)	/* no program of ours comes near */

/* The HMAC key (public; see hs_fips.h). */
static const uint8_t integrity_key[] = "hardssh software integrity key 1";

/* Not static and read through a volatile pointer, so the compiler cannot fold the placeholder
 * into the code that compares against it. */
__attribute__((used)) const uint8_t hs_fips_integrity_value[HS_FIPS_MAC_LEN] = PLACEHOLDER;

static void
stored_value(uint8_t out[HS_FIPS_MAC_LEN])
{
	const volatile uint8_t *v = hs_fips_integrity_value;

	for (size_t i = 0; i < HS_FIPS_MAC_LEN; i++)
		out[i] = v[i];
}

static bool
is_placeholder(const uint8_t *v)
{
	for (size_t i = 0; i < HS_FIPS_MAC_LEN; i++)
		if ((uint8_t)(v[i] ^ 0x5a) != placeholder_x5a[i])
			return false;
	return true;
}

bool
hs_fips_integrity_stamped(void)
{
	uint8_t v[HS_FIPS_MAC_LEN];

	stored_value(v);
	return !is_placeholder(v);
}

/* Offset of the only occurrence of needle (or, NULL, of the placeholder) in image; HS_ERR_FORMAT
 * if none or several. */
static hs_err
find_once(const uint8_t *image, size_t len, const uint8_t *needle, size_t *off)
{
	size_t found = 0;

	for (size_t i = 0; i + HS_FIPS_MAC_LEN <= len; i++) {
		if (needle == NULL ? is_placeholder(image + i) :
		    image[i] == needle[0] && memcmp(image + i, needle, HS_FIPS_MAC_LEN) == 0) {
			if (found++ > 0)
				return HS_ERR_FORMAT;
			*off = i;
		}
	}
	return found == 1 ? HS_OK : HS_ERR_FORMAT;
}

/* HMAC over the image with the slot at off zeroed (restored afterwards). */
static hs_err
image_mac(uint8_t *image, size_t len, size_t off, uint8_t mac[HS_FIPS_MAC_LEN])
{
	uint8_t saved[HS_FIPS_MAC_LEN];
	hs_err r;

	memcpy(saved, image + off, sizeof(saved));
	memset(image + off, 0, sizeof(saved));
	r = hs_hmac(HS_HASH_SHA256, integrity_key, sizeof(integrity_key) - 1, image, len, mac);
	memcpy(image + off, saved, sizeof(saved));
	return r;
}

hs_err
hs_fips_integrity_stamp(uint8_t *image, size_t len)
{
	uint8_t mac[HS_FIPS_MAC_LEN];
	size_t off = 0;

	HS_GUARD(find_once(image, len, NULL, &off));
	HS_GUARD(image_mac(image, len, off, mac));
	memcpy(image + off, mac, sizeof(mac));
	return HS_OK;
}

static hs_err
read_self(uint8_t **image, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	*image = NULL;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > MAX_IMAGE) {
		hs_error("integrity test: cannot read my own program file: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return HS_ERR_IO;
	}
	*len = (size_t)st.st_size;
	if ((*image = malloc(*len)) == NULL) {
		close(fd);
		return HS_ERR_ALLOC;
	}
	while (got < *len && (n = read(fd, *image + got, *len - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != *len) {
		free(*image);
		*image = NULL;
		hs_error("integrity test: short read of my own program file");
		return HS_ERR_IO;
	}
	return HS_OK;
}

hs_err
hs_fips_integrity_check(void)
{
	uint8_t want[HS_FIPS_MAC_LEN], got[HS_FIPS_MAC_LEN], *image = NULL;
	size_t len = 0, off = 0;
	hs_err r;

	if (!hs_fips_integrity_stamped()) {
		hs_error("integrity test: this program was not stamped by the build step");
		return HS_ERR_NOT_FOUND;
	}
	stored_value(want);
	HS_GUARD(read_self(&image, &len));
	r = find_once(image, len, want, &off);
	if (r != HS_OK)
		hs_error("integrity test: the stamp is not in the program file once");
	else if ((r = image_mac(image, len, off, got)) == HS_OK && !hs_ct_memeq(got, want, sizeof(got)))
		r = HS_ERR_FIPS_STATE;
	free(image);
	return r != HS_OK && r != HS_ERR_IO && r != HS_ERR_ALLOC ? HS_ERR_FIPS_STATE : r;
}
