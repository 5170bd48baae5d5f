/* pkcs11_modname.c: RFC 7512's module-name= resolved through p11-kit's module configuration.
 *
 * p11-kit describes each installed module in a file "<name>.module" whose "module:" field names
 * the library (an absolute path, or one relative to p11-kit's module directory). A module-name
 * matches a configured module either by that config name ("softhsm2") or, as RFC 7512 2.3 puts
 * it, by the library's file name without its "lib" prefix and extension ("softhsm2" for
 * libsofthsm2.so). Only modules an administrator or a package configured can be named this way:
 * a name never becomes a path to dlopen by itself. The user's ~/.config/pkcs11 is not read (a
 * server has no business with it, and hssh follows the same rule). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_impl.h"

/* p11-kit's system configuration, then the packages' (Debian: p11-kit 0.24). */
static const char *const default_dirs[] = { "/etc/pkcs11/modules", "/usr/share/p11-kit/modules",
	NULL };
#ifndef HS_P11KIT_MODULE_DIR
#define HS_P11KIT_MODULE_DIR	"/usr/lib/x86_64-linux-gnu/pkcs11"
#endif

/* The "module:" value of a config file (trimmed), or NULL. */
static char *
module_field(const char *file)
{
	char line[1024], *v = NULL;
	FILE *f = fopen(file, "re");

	if (f == NULL)
		return NULL;
	while (v == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *e;

		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "module:", 7) != 0)
			continue;
		p += 7;
		while (isspace((unsigned char)*p))
			p++;
		e = p + strlen(p);
		while (e > p && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*p != '\0')
			v = hs_strdup(p);
	}
	fclose(f);
	return v;
}

/* "libsofthsm2.so" -> "softhsm2": the RFC 7512 form of a library's name. */
static bool
lib_name_is(const char *lib, const char *name)
{
	const char *b = strrchr(lib, '/'), *dot;
	size_t n;

	b = b != NULL ? b + 1 : lib;
	if (strncmp(b, "lib", 3) == 0)
		b += 3;
	dot = strchr(b, '.');
	n = dot != NULL ? (size_t)(dot - b) : strlen(b);
	return n == strlen(name) && strncmp(b, name, n) == 0;
}

/* Does config file ent (in dir) describe module name? *lib receives its library on a match. */
static bool
entry_matches(const char *dir, const char *ent, const char *name, char **lib)
{
	size_t n = strlen(ent);
	char path[4096];
	bool by_config;

	if (n <= 7 || strcmp(ent + n - 7, ".module") != 0 || ent[0] == '.')
		return false;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, ent) >= sizeof(path))
		return false;
	by_config = n - 7 == strlen(name) && strncmp(ent, name, n - 7) == 0;
	if ((*lib = module_field(path)) == NULL)
		return false;
	if (by_config || lib_name_is(*lib, name))
		return true;
	free(*lib);
	*lib = NULL;
	return false;
}

hs_err
hs_p11_module_lookup(const char *name, const char *const *dirs, char **path)
{
	char *lib = NULL;

	*path = NULL;
	HS_ENSURE(name != NULL && name[0] != '\0' && strchr(name, '/') == NULL, HS_ERR_CONFIG);
	for (; *dirs != NULL && lib == NULL; dirs++) {
		DIR *d = opendir(*dirs);
		struct dirent *e;

		if (d == NULL)
			continue;
		while (lib == NULL && (e = readdir(d)) != NULL)
			(void)entry_matches(*dirs, e->d_name, name, &lib);
		closedir(d);
	}
	HS_ENSURE(lib != NULL, HS_ERR_NOT_FOUND);
	if (lib[0] == '/') {
		*path = lib;
		return HS_OK;
	}
	/* p11-kit: a relative library is loaded from its module directory. */
	if (asprintf(path, "%s/%s", HS_P11KIT_MODULE_DIR, lib) < 0)
		*path = NULL;
	free(lib);
	return *path != NULL ? HS_OK : HS_ERR_ALLOC;
}

hs_err
hs_p11_module_resolve(struct hs_p11uri *u, const char *uri)
{
	hs_err r;

	if (u->module_path != NULL)
		return HS_OK;
	if (u->module_name == NULL) {
		hs_error("pkcs11 %s: name the module with module-path= or module-name=", uri);
		return HS_ERR_CONFIG;
	}
	r = hs_p11_module_lookup(u->module_name, default_dirs, &u->module_path);
	if (r == HS_ERR_NOT_FOUND)
		hs_error("pkcs11 %s: no p11-kit module named \"%s\" (in %s or %s)", uri,
		    u->module_name, default_dirs[0], default_dirs[1]);
	else if (r == HS_OK)
		hs_debug("pkcs11 %s: module-name %s is %s", uri, u->module_name, u->module_path);
	return r == HS_ERR_NOT_FOUND ? HS_ERR_CONFIG : r;
}
