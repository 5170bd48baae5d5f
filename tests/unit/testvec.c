/* testvec.c: reader for the vector files under vectors/ and the unit tests' fixture helpers (see
 * testvec.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testvec.h"

void
vec_clear(struct vec *v)
{
	for (int i = 0; i < v->n; i++) {
		free(v->text[i]);
		free(v->bin[i]);
	}
	memset(v, 0, sizeof(*v));
}

FILE *
vec_open(const char *rel)
{
	static const char wy[] = "wycheproof/";
	char path[512];
	const char *src = getenv("HS_SRCDIR"), *wdir = getenv("HS_WYCHEPROOF");
	FILE *f;

	if (strncmp(rel, wy, sizeof(wy) - 1) == 0) {
		if (wdir == NULL || *wdir == '\0') {
			print_message("Wycheproof vectors absent (../shared/vectors/wycheproof not beside "
			    "the checkout): %s not run\n", rel);
			skip();
		}
		snprintf(path, sizeof(path), "%s/%s", wdir, rel + sizeof(wy) - 1);
	} else {
		snprintf(path, sizeof(path), "%s/vectors/%s", src ? src : ".", rel);
	}
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s (set HS_SRCDIR / HS_WYCHEPROOF)", path);
	return f;
}

uint8_t *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s) / 2;
	uint8_t *b = calloc(1, n + 1);
	unsigned x;

	for (size_t i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &x) != 1) {
			free(b);
			return NULL;
		}
		b[i] = (uint8_t)x;
	}
	*len = n;
	return b;
}

/* Next record; false at end of file. */
bool
vec_next(FILE *f, struct vec *v)
{
	static char line[65536];
	char *eq, *val;

	vec_clear(v);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#')
			continue;
		if (line[0] == '\0') {
			if (v->n > 0)
				return true;
			continue;
		}
		assert_non_null(eq = strstr(line, " ="));
		assert_true(v->n < VEC_MAX);
		*eq = '\0';
		val = eq[2] == ' ' ? eq + 3 : eq + 2;	/* "name =" is an empty value */
		assert_true(strlen(line) < sizeof(v->name[0]));
		memcpy(v->name[v->n], line, strlen(line) + 1);
		v->text[v->n] = strdup(val);
		v->bin[v->n] = unhex(val, &v->len[v->n]);
		v->n++;
	}
	return v->n > 0;
}

const uint8_t *
vec_get(const struct vec *v, const char *name, size_t *len)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->name[i], name) == 0) {
			if (len)
				*len = v->len[i];
			return v->bin[i] ? v->bin[i] : (const uint8_t *)"";
		}
	fail_msg("vector field %s missing", name);
	return NULL;
}

const char *
vec_text(const struct vec *v, const char *name)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->name[i], name) == 0)
			return v->text[i];
	fail_msg("vector field %s missing", name);
	return NULL;
}

bool
vec_has(const struct vec *v, const char *name)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->name[i], name) == 0)
			return true;
	return false;
}

/* ---- fixtures ---- */

/* The command line of the last tv_run, for tv_run_ok's message. */
static char last_cmd[4096];

int
tv_run(const char *fmt, ...)
{
	va_list ap;
	pid_t pid;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(last_cmd, sizeof(last_cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(last_cmd)) {
		fprintf(stderr, "tv_run: command line too long: %.80s...\n", last_cmd);
		return -1;
	}
	if ((pid = fork()) == 0) {
		execl("/bin/bash", "bash", "-c", last_cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
tv_run_ok(int status)
{
	if (status != 0)
		fail_msg("command failed (%d): %s", status, last_cmd);
}

const char *
tv_read_text(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

void
tv_write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

int
tv_softhsm_token(char *dir, const char *token, const char *test)
{
	char path[512];
	FILE *f;

	if (access(TV_SOFTHSM_MODULE, R_OK) != 0 ||
	    tv_run("command -v softhsm2-util pkcs11-tool >/dev/null") != 0) {
		fprintf(stderr, "%s: FAIL: softhsm2 (%s) and opensc's pkcs11-tool are required "
		    "(apt-get install softhsm2 opensc; see .ci/packages)\n", test, TV_SOFTHSM_MODULE);
		return -1;
	}
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
	setenv("SOFTHSM2_CONF", path, 1);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
	    "log.level = ERROR\n", dir);
	if (fclose(f) != 0)
		return -1;
	if (tv_run("mkdir %s/tokens && softhsm2-util --init-token --free --label %s --pin "
	    TV_P11_PIN " --so-pin 5678 >/dev/null", dir, token) != 0) {
		fprintf(stderr, "%s: softhsm2-util could not make the token %s\n", test, token);
		return -1;
	}
	tv_write_file(dir, "pin", TV_P11_PIN "\n", 0600);
	tv_write_file(dir, "badpin", "9999\n", 0600);
	return 0;
}

int
tv_p11_keygen(const char *token, const char *label, const char *id, const char *keytype)
{
	if (tv_run("pkcs11-tool --module " TV_SOFTHSM_MODULE " --token-label %s --login --pin "
	    TV_P11_PIN " --keypairgen --key-type %s --label %s --id %s >/dev/null 2>&1", token,
	    keytype, label, id) == 0)
		return 0;
	fprintf(stderr, "pkcs11-tool could not make %s (%s) in %s\n", label, keytype, token);
	return -1;
}
