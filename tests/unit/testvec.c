/* testvec.c: reader for the vector files under vectors/ (see testvec.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
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
