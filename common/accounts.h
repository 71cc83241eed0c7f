/*
 * accounts.h — user and group lookups by name or id, the one place that calls
 * getpwnam_r / getgrnam_r / getgrgid_r (reentrant: safe from any thread).
 *
 * The answers follow the lookup convention of the whole tree: 1 found,
 * 0 no such user or group, -1 the lookup itself failed (errno set: NSS
 * trouble, out of memory), which callers report as such, not as "no such".
 */
#ifndef RG_ACCOUNTS_H
#define RG_ACCOUNTS_H

#include <stddef.h>
#include <sys/types.h>

/* A user's uid and primary gid (either pointer may be NULL). */
int rg_user_ids(const char *name, uid_t *uid_r, gid_t *gid_r);

/* A group's gid (gid_r may be NULL). */
int rg_group_id(const char *name, gid_t *gid_r);

/* A group's name by gid, copied into out (truncated to size). */
int rg_group_name(gid_t gid, char *out, size_t size);

#endif
