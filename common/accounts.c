/* accounts.c — reentrant user and group lookups (accounts.h). */
#include <autoconfig.h>
#include "accounts.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct query {
	const char *name;	/* by name, or */
	gid_t gid;		/* by gid (rg_group_name) */
	uid_t *uid_r;
	gid_t *gid_r;
	char *out;		/* rg_group_name's output */
	size_t out_size;
};

/* One getpwnam_r / getgrnam_r / getgrgid_r into buf: its error number, and
 * *found. */
typedef int lookup_fn(struct query *q, char *buf, size_t size, int *found);

static int by_user(struct query *q, char *buf, size_t size, int *found)
{
	struct passwd pw, *pwp = NULL;
	int err = getpwnam_r(q->name, &pw, buf, size, &pwp);

	if ((*found = err == 0 && pwp != NULL)) {
		if (q->uid_r)
			*q->uid_r = pw.pw_uid;
		if (q->gid_r)
			*q->gid_r = pw.pw_gid;
	}
	return err;
}

static int by_group(struct query *q, char *buf, size_t size, int *found)
{
	struct group gr, *grp = NULL;
	int err = getgrnam_r(q->name, &gr, buf, size, &grp);

	if ((*found = err == 0 && grp != NULL) && q->gid_r)
		*q->gid_r = gr.gr_gid;
	return err;
}

static int by_gid(struct query *q, char *buf, size_t size, int *found)
{
	struct group gr, *grp = NULL;
	int err = getgrgid_r(q->gid, &gr, buf, size, &grp);

	if ((*found = err == 0 && grp != NULL))
		snprintf(q->out, q->out_size, "%s", gr.gr_name);
	return err;
}

/* Run fn with a buffer of sysconf's suggested size, doubled while the entry
 * does not fit (ERANGE), up to 1 MiB.  1 found, 0 not found, -1 error (errno). */
static int run(lookup_fn *fn, struct query *q, int size_hint)
{
	long hint = sysconf(size_hint);
	size_t size = hint > 0 ? (size_t)hint : 16384;
	int err, found = 0;

	for (;;) {
		char *buf = malloc(size);
		if (buf == NULL)
			return -1;
		err = fn(q, buf, size, &found);
		free(buf);	/* the results are copied out of it */
		if (err != ERANGE || size >= (1u << 20))
			break;
		size *= 2;
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	return found;
}

int rg_user_ids(const char *name, uid_t *uid_r, gid_t *gid_r)
{
	struct query q = { .name = name, .uid_r = uid_r, .gid_r = gid_r };
	return run(by_user, &q, _SC_GETPW_R_SIZE_MAX);
}

int rg_group_id(const char *name, gid_t *gid_r)
{
	struct query q = { .name = name, .gid_r = gid_r };
	return run(by_group, &q, _SC_GETGR_R_SIZE_MAX);
}

int rg_group_name(gid_t gid, char *out, size_t size)
{
	struct query q = { .gid = gid, .out = out, .out_size = size };
	return run(by_gid, &q, _SC_GETGR_R_SIZE_MAX);
}
