/* sandbox_drop.c: chroot, irreversible uid/gid drop and resource limits for hsshd's
 * network-facing child (see hs_sandbox.h for the order of calls).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_sandbox.h"

/* One path component: a root-owned directory nobody else may write (sshd's ChrootDirectory
 * rule, sshd_config(5)). */
static hs_err
check_component(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		hs_error("sandbox: chroot component %s: %s", path, strerror(errno));
		return errno == ENOENT ? HS_ERR_NOT_FOUND : HS_ERR_PERM;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		hs_error("sandbox: bad ownership or modes for chroot directory component %s", path);
		return HS_ERR_PERM;
	}
	return HS_OK;
}

hs_err
hs_sandbox_check_chroot(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n;

	n = strlen(dir);
	if (dir[0] != '/' || n >= sizeof(path)) {
		hs_error("sandbox: chroot directory must be an absolute path: %s", dir);
		return HS_ERR_PERM;
	}
	memcpy(path, dir, n + 1);
	/* Every prefix ending before a '/', then the whole path; "/" itself first. */
	HS_GUARD(check_component("/"));
	for (i = 1; i <= n; i++) {
		if (i < n && path[i] != '/')
			continue;
		if (path[i - 1] == '/')
			continue;	/* "//" or a trailing '/' */
		path[i] = '\0';
		HS_GUARD(check_component(path));
		path[i] = dir[i];
	}
	return HS_OK;
}

/* Look up the user before chroot hides /etc/passwd. */
static hs_err
lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		hs_error("sandbox: unknown privilege separation user %s", user);
		return HS_ERR_NOT_FOUND;
	}
	if (pw.pw_uid == 0) {
		hs_error("sandbox: privilege separation user %s has uid 0", user);
		return HS_ERR_PERM;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return HS_OK;
}

static hs_err
enter_chroot(const char *dir)
{
	HS_GUARD(hs_sandbox_check_chroot(dir));
	if (chroot(dir) != 0 || chdir("/") != 0) {
		hs_error("sandbox: chroot %s: %s", dir, strerror(errno));
		return HS_ERR_PERM;
	}
	return HS_OK;
}

/* The drop must be permanent: root cannot be regained and no id is left behind. */
static hs_err
verify_drop(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int ng;

	if (setgid(0) != -1 || setuid(0) != -1) {
		hs_error("sandbox: privileges could be restored after the drop");
		return HS_ERR_PERM;
	}
	if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid ||
	    getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid) {
		hs_error("sandbox: uid/gid not fully dropped");
		return HS_ERR_PERM;
	}
	ng = getgroups(2, groups);
	if (ng != 1 || groups[0] != gid) {
		hs_error("sandbox: supplementary groups not dropped");
		return HS_ERR_PERM;
	}
	return HS_OK;
}

/* Highest open fd seen in /proc/self/fd just before the last chroot (-1: none yet). */
static int fd_high_at_chroot = -1;

/* Highest open fd from /proc/self/fd, or -2 when it is not mounted (inside a chroot). */
static int
proc_highest_fd(void)
{
	struct dirent *de;
	DIR *d;
	int fd, max = -1;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -2;
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd != dirfd(d) && fd > max)
			max = fd;
	}
	closedir(d);
	return max;
}

/* Highest open fd: from /proc/self/fd when mounted; inside the chroot from what /proc showed
 * just before it, plus a short probe above that for anything opened since; else by probing
 * every fd below the soft limit (which may be 2^20: 20,000 calls at the usual 20,000). */
static int
highest_fd(void)
{
	struct rlimit rl;
	int fd, max = proc_highest_fd(), top;

	if (max != -2)
		return max;
	max = fd_high_at_chroot;
	if (max >= 0) {
		top = max + 256;
	} else {
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > INT_MAX)
			rl.rlim_cur = 65536;
		top = (int)rl.rlim_cur;
	}
	for (fd = max + 1; fd < top; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			max = fd;
	return max;
}

hs_err
hs_sandbox_drop(const char *user, const char *chroot_dir)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0) {
		hs_error("sandbox: privilege drop needs root");
		return HS_ERR_PERM;
	}
	HS_GUARD(lookup_user(user, &uid, &gid));
	if (chroot_dir != NULL) {
		fd_high_at_chroot = proc_highest_fd();
		HS_GUARD(enter_chroot(chroot_dir));
	}
	/* Groups first: after setresuid we could no longer change them. */
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		hs_error("sandbox: dropping to %s: %s", user, strerror(errno));
		return HS_ERR_PERM;
	}
	HS_GUARD(verify_drop(uid, gid));
	hs_debug("sandbox: running as %s (uid %u)%s%s", user, (unsigned)uid,
	    chroot_dir != NULL ? " chrooted to " : "", chroot_dir != NULL ? chroot_dir : "");
	return HS_OK;
}

static hs_err
set_limit(int resource, rlim_t v, const char *what)
{
	struct rlimit rl = { .rlim_cur = v, .rlim_max = v };

	if (setrlimit(resource, &rl) != 0) {
		hs_error("sandbox: setrlimit %s: %s", what, strerror(errno));
		return HS_ERR_PERM;
	}
	return HS_OK;
}

/* Everything but RLIMIT_NOFILE. RLIMIT_NPROC counts the real uid's processes, so 0 stops this
 * process forking whoever else runs as that user; it does not bind uid 0 (the kernel exempts
 * root's user), where the seccomp filter is what refuses clone. */
static hs_err
limits_common(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		hs_error("sandbox: prctl: %s", strerror(errno));
		return HS_ERR_PERM;
	}
	HS_GUARD(set_limit(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE"));
	HS_GUARD(set_limit(RLIMIT_NPROC, 0, "RLIMIT_NPROC"));
	HS_GUARD(set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE"));
	return HS_OK;
}

hs_err
hs_sandbox_limits(void)
{
	HS_GUARD(limits_common());
	HS_GUARD(set_limit(RLIMIT_NOFILE, (rlim_t)(highest_fd() + 1), "RLIMIT_NOFILE"));
	return HS_OK;
}

/* RLIMIT_NOFILE stays: every session's pty master or pipes arrive over SCM_RIGHTS, and each
 * needs a free slot (a full table makes the kernel drop the descriptors and set MSG_CTRUNC). */
hs_err
hs_sandbox_limits_postauth(void)
{
	return limits_common();
}
