/* sandbox_root.c: the post-auth process of a root login. It cannot give up uid 0 (the session is
 * root's), so it gives up what makes uid 0 powerful: it is chrooted into the empty directory and
 * drops every capability from its bounding, permitted, effective and inheritable sets, verified
 * with capget. With no_new_privs and the seccomp filter applied afterwards, it can no more open a
 * file or leave the chroot than an unprivileged process. */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_sandbox.h"

/* Highest capability number to drop from the bounding set; the kernel answers EINVAL past its
 * own last one, which ends the loop. */
#define CAP_PROBE_MAX	63

static hs_err
drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	for (int c = 0; c <= CAP_PROBE_MAX; c++) {
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
			if (errno == EINVAL)
				break;
			hs_error("sandbox: PR_CAPBSET_DROP %d: %s", c, strerror(errno));
			return HS_ERR_PERM;
		}
	}
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0) {
		hs_error("sandbox: capset: %s", strerror(errno));
		return HS_ERR_PERM;
	}
	memset(d, 0xff, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0 || d[0].effective || d[0].permitted ||
	    d[0].inheritable || d[1].effective || d[1].permitted || d[1].inheritable) {
		hs_error("sandbox: capabilities still held after capset");
		return HS_ERR_PERM;
	}
	return HS_OK;
}

hs_err
hs_sandbox_drop_root(const char *chroot_dir)
{
	HS_GUARD(hs_sandbox_check_chroot(chroot_dir));
	if (chroot(chroot_dir) != 0 || chdir("/") != 0) {
		hs_error("sandbox: chroot %s: %s", chroot_dir, strerror(errno));
		return HS_ERR_PERM;
	}
	return drop_caps();
}
