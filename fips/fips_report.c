/* fips_report.c: `--self-test [--json]` of hsshd, hssh and hssh-keygen (issue 6): every self-test
 * runs (a failure does not stop the report; it enters the error state at the end) and each one's
 * test, backend, result and wall time are printed, as text or as JSON with the program's version,
 * build id, FIPS mode, providers and the approved algorithm list. hardssh is FIPS-oriented, not a
 * validated module: the report says so. */
#include <elf.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "fips_run.h"
#include "hs_crypto.h"
#include "hs_fips.h"
#include "hs_provider.h"
#include "hs_transport.h"

#define BUILD_ID_MAX	64	/* bytes of the GNU build-id note we print (SHA-1 ids are 20) */

/* What FIPS mode will allow: Fedora's FIPS crypto-policy for OpenSSH as issue 6 lists it (KEX,
 * ciphers, MACs, host and user key signatures; RSA keys of at least 2048 bits). The ML-KEM
 * hybrids join when they exist. */
static const char *const approved_algs[] = {
	"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
	"diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512",
	"aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes128-ctr",
	"hmac-sha2-256", "hmac-sha2-512", "hmac-sha2-256-etm@openssh.com",
	"hmac-sha2-512-etm@openssh.com",
	"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"rsa-sha2-256", "rsa-sha2-512",
};
#define APPROVED_RSA_MIN_BITS	2048

struct build_id {
	uint8_t id[BUILD_ID_MAX];
	size_t len;
};

/* The NT_GNU_BUILD_ID note of the main program (the first object dl_iterate_phdr visits). */
static int
find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct build_id *b = arg;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		size_t left = ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (left >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t name_sz = (nh->n_namesz + 3u) & ~3u, desc_sz = (nh->n_descsz + 3u) & ~3u;
			size_t rec = sizeof(*nh) + name_sz + desc_sz;

			if (rec > left)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p + sizeof(*nh), "GNU", 4) == 0 && nh->n_descsz <= BUILD_ID_MAX) {
				memcpy(b->id, p + sizeof(*nh) + name_sz, nh->n_descsz);
				b->len = nh->n_descsz;
				return 1;
			}
			p += rec;
			left -= rec;
		}
	}
	return 1;	/* only the main program */
}

/* A JSON string: quotes, backslash and control characters escaped (RFC 8259 7). */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_head(FILE *f, const char *program)
{
	struct build_id b = { .len = 0 };

	(void)dl_iterate_phdr(find_build_id, &b);
	fputs("{\n  \"program\": ", f);
	json_str(f, program);
	fputs(",\n  \"version\": ", f);
	json_str(f, &HS_VERSION_STRING[strlen("SSH-2.0-")]);
	fputs(",\n  \"build_id\": \"", f);
	for (size_t i = 0; i < b.len; i++)
		fprintf(f, "%02x", b.id[i]);
	/* FIPS mode (FIPSMode, fips_enabled) is not implemented yet: nothing is restricted. */
	fprintf(f, "\",\n  \"validated\": false,\n  \"fips_mode\": false,\n"
	    "  \"integrity_stamped\": %s,\n  \"tests\": [",
	    hs_fips_integrity_stamped() ? "true" : "false");
}

static void
json_row(FILE *f, const struct hs_fips_result *r, bool first)
{
	fputs(first ? "\n    {\"test\": " : ",\n    {\"test\": ", f);
	json_str(f, r->test);
	fputs(", \"backend\": ", f);
	json_str(f, r->backend);
	fprintf(f, ", \"approved\": %s, \"result\": \"%s\", \"usec\": %" PRIu64,
	    r->approved ? "true" : "false", r->ok ? "pass" : "fail", r->usec);
	if (!r->ok) {
		fputs(", \"error\": ", f);
		json_str(f, hs_err_str(r->err));
	}
	fputc('}', f);
}

/* Provider names as a JSON array's items; the registry visits each compiled-in provider. */
struct name_list {
	FILE *f;
	size_t n;
};

static void
json_provider_item(const struct hs_provider_ops *ops, void *arg)
{
	struct name_list *l = arg;

	fputs(l->n++ == 0 ? "" : ", ", l->f);
	json_str(l->f, ops->name);
}

static void
json_tail(FILE *f, size_t n, size_t failed, uint64_t usec)
{
	struct name_list l = { .f = f, .n = 0 };

	fprintf(f, "\n  ],\n  \"total_usec\": %" PRIu64 ",\n  \"providers\": [", usec);
	hs_provider_foreach(json_provider_item, &l);
	fputs("],\n  \"approved_algorithms\": [", f);
	for (size_t i = 0; i < sizeof(approved_algs) / sizeof(approved_algs[0]); i++) {
		fputs(i == 0 ? "" : ", ", f);
		json_str(f, approved_algs[i]);
	}
	fprintf(f, "],\n  \"approved_rsa_min_bits\": %d,\n  \"passed\": %s\n}\n",
	    APPROVED_RSA_MIN_BITS, n > 0 && failed == 0 ? "true" : "false");
}

static void
text_row(FILE *f, const struct hs_fips_result *r)
{
	fprintf(f, "%-28s %-7s %-4s %8" PRIu64 "\n", r->test, r->backend, r->ok ? "pass" : "FAIL",
	    r->usec);
}

int
hs_fips_report(FILE *f, bool json, const char *program)
{
	size_t n = 0, failed = 0;
	const struct hs_fips_kat *first_bad = NULL;
	struct hs_fips_result r;
	uint64_t t0 = hs_fips_now_usec(), total;

	/* No KAT table: nothing tested, which is a failure (and so is a lone integrity row). */
	if (hs_fips_kats(&n) != NULL && n > 0)
		n = hs_fips_rows();
	else
		n = 0;
	if (json)
		json_head(f, program);
	else
		fprintf(f, "# %s %s self-tests (FIPS-oriented, not a validated module)%s\n", program,
		    &HS_VERSION_STRING[strlen("SSH-2.0-")], hs_fips_integrity_stamped() ? "" :
		    "\n# integrity test skipped: this program is not stamped by the build");
	for (size_t i = 0; i < n; i++) {
		const struct hs_fips_kat *k = hs_fips_row(i);

		hs_fips_run_one(k, &r);
		if (!r.ok && failed++ == 0)
			first_bad = k;
		if (json)
			json_row(f, &r, i == 0);
		else
			text_row(f, &r);
	}
	total = hs_fips_now_usec() - t0;
	if (json)
		json_tail(f, n, failed, total);
	else if (n > 0 && failed == 0)
		fprintf(f, "self-tests passed: %zu tests in %" PRIu64 " us\n", n, total);
	else
		fprintf(f, "self-tests FAILED: %zu of %zu tests failed\n", failed, n);
	fflush(f);
	/* The report ran every row; now the process is in the error state as the POST would be. */
	if (first_bad != NULL)
		hs_crypto_enter_error(first_bad->name, first_bad->backend);
	else if (n == 0)
		hs_crypto_enter_error("known-answer test table (empty)", "any");
	return n > 0 && failed == 0 ? 0 : 1;
}

int
hs_fips_self_test_cmd(int argc, char **argv, const char *program)
{
	bool want = false, json = false, other = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--self-test") == 0)
			want = true;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			other = true;
	}
	if (!want)
		return -1;
	if (other) {
		fprintf(stderr, "usage: %s --self-test [--json]\n", program);
		return 1;
	}
	return hs_fips_report(stdout, json, program);
}
