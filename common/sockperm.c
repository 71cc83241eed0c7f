/* sockperm.c — owner, group and mode of the unix sockets (see sockperm.h). */
#include <autoconfig.h>
#include "log.h"
#include "sockperm.h"
#include "accounts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>


static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

int rg_socket_set_perms(const char *path, const char *owner, const char *group, unsigned mode,
			char **error_r)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int r;

	*error_r = NULL;
	if (given(owner) && (r = rg_user_ids(owner, &uid, NULL)) <= 0)
		return r == 0 ? rg_error_r(error_r, "%s: socket owner \"%s\": no such user", path, owner)
			      : rg_error_r(error_r, "%s: socket owner \"%s\": cannot look it up: %s",
					   path, owner, strerror(errno));
	if (given(group) && (r = rg_group_id(group, &gid)) <= 0)
		return r == 0 ? rg_error_r(error_r, "%s: socket group \"%s\": no such group", path, group)
			      : rg_error_r(error_r, "%s: socket group \"%s\": cannot look it up: %s",
					   path, group, strerror(errno));
	/* chown first: on some systems chown clears mode bits */
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && lchown(path, uid, gid) != 0)
		return rg_error_r(error_r, "%s: cannot set owner %s / group %s: %s", path,
			    given(owner) ? owner : "(unchanged)", given(group) ? group : "(unchanged)",
			    strerror(errno));
	if (chmod(path, (mode_t)(mode & 07777)) != 0)
		return rg_error_r(error_r, "%s: chmod %04o: %s", path, mode, strerror(errno));
	return 0;
}

/* The configured group, else the user's primary group; "" when no user. */
static int user_group(const struct rg_config *cfg, char *out, size_t n, char **error_r)
{
	gid_t gid;
	int r;

	out[0] = '\0';
	if (!given(cfg->user))
		return 0;
	if (given(cfg->group)) {
		snprintf(out, n, "%s", cfg->group);
		return 0;
	}
	if ((r = rg_user_ids(cfg->user, NULL, &gid)) <= 0)
		return r == 0 ? rg_error_r(error_r, "user \"%s\": no such user", cfg->user)
			      : rg_error_r(error_r, "user \"%s\": cannot look it up: %s", cfg->user,
					   strerror(errno));
	if ((r = rg_group_name(gid, out, n)) <= 0)
		return r == 0 ? rg_error_r(error_r, "user \"%s\": primary group %ld has no name",
					   cfg->user, (long)gid)
			      : rg_error_r(error_r, "user \"%s\": primary group %ld: %s", cfg->user,
					   (long)gid, strerror(errno));
	return 0;
}

int rg_socket_apply_perms(const char *path, const struct rg_config *cfg, char **error_r)
{
	char group[256];
	const char *owner = given(cfg->socket_owner) ? cfg->socket_owner : cfg->user;

	*error_r = NULL;
	if (given(cfg->socket_group))
		snprintf(group, sizeof(group), "%s", cfg->socket_group);
	else if (user_group(cfg, group, sizeof(group), error_r) != 0)
		return -1;
	return rg_socket_set_perms(path, owner, group, cfg->socket_mode, error_r);
}

int rg_socket_apply_control_perms(const char *path, const struct rg_config *cfg,
				  char **error_r)
{
	char group[256];

	*error_r = NULL;
	if (user_group(cfg, group, sizeof(group), error_r) != 0)
		return -1;
	return rg_socket_set_perms(path, cfg->user, group, 0600, error_r);
}

const char *rg_socket_unix_path(const char *spec)
{
	if (spec == NULL)
		return NULL;
	if (spec[0] == '/')
		return spec;
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

bool rg_socket_inet_beyond_loopback(const char *spec)
{
	bool v6 = strncmp(spec, "inet6:", 6) == 0;
	const char *at;
	char host[256];
	size_t len;
	struct in_addr a4;
	struct in6_addr a6;

	if (!v6 && strncmp(spec, "inet:", 5) != 0)
		return false;
	if ((at = strchr(spec, '@')) == NULL)
		return true;		/* no host: INADDR_ANY / in6addr_any */
	at++;
	len = strlen(at);
	if (len >= 2 && at[0] == '[' && at[len - 1] == ']') {
		at++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(host))
		return true;
	memcpy(host, at, len);
	host[len] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return false;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) != 127;
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return false;
		return !(IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	}
	return true;
}
