/* accounts.c — reentrant user and group lookups (accounts.h). */
#include <autoconfig.h>
#include "accounts.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Room for one passwd/group entry: sysconf's hint, grown on ERANGE. */
static size_t first_size(int which)
{
	long n = sysconf(which);
	return n > 0 ? (size_t)n : 16384;
}

int rg_user_ids(const char *name, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd pw, *pwp = NULL;
	size_t size = first_size(_SC_GETPW_R_SIZE_MAX);
	int err;

	for (;;) {
		char *buf = malloc(size);
		if (buf == NULL)
			return -1;
		err = getpwnam_r(name, &pw, buf, size, &pwp);
		free(buf);	/* only the ids are kept */
		if (err != ERANGE || size >= (1u << 20))
			break;
		size *= 2;
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	if (pwp == NULL)
		return 0;
	if (uid_r)
		*uid_r = pw.pw_uid;
	if (gid_r)
		*gid_r = pw.pw_gid;
	return 1;
}

int rg_group_id(const char *name, gid_t *gid_r)
{
	struct group gr, *grp = NULL;
	size_t size = first_size(_SC_GETGR_R_SIZE_MAX);
	int err;

	for (;;) {
		char *buf = malloc(size);
		if (buf == NULL)
			return -1;
		err = getgrnam_r(name, &gr, buf, size, &grp);
		free(buf);
		if (err != ERANGE || size >= (1u << 20))
			break;
		size *= 2;
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	if (grp == NULL)
		return 0;
	if (gid_r)
		*gid_r = gr.gr_gid;
	return 1;
}

int rg_group_name(gid_t gid, char *out, size_t size)
{
	struct group gr, *grp = NULL;
	size_t bsize = first_size(_SC_GETGR_R_SIZE_MAX);
	int err, found = 0;

	for (;;) {
		char *buf = malloc(bsize);
		if (buf == NULL)
			return -1;
		err = getgrgid_r(gid, &gr, buf, bsize, &grp);
		if (err == 0 && grp != NULL) {
			snprintf(out, size, "%s", gr.gr_name);
			found = 1;
		}
		free(buf);
		if (err != ERANGE || bsize >= (1u << 20))
			break;
		bsize *= 2;
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	return found;
}
