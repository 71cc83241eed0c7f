/*
 * daemon.c — run directories, background start-up, pidfile, privileges.
 * Everything here runs in main's thread before or while the daemon starts.
 */
#include <autoconfig.h>
#include "log.h"
#include "daemon.h"
#include "accounts.h"
#include "sockperm.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>


/* Look up cfg->user / cfg->group.  *uid_r = -1 when no user is set. */
static int lookup_ids(const struct rg_config *cfg, uid_t *uid_r, gid_t *gid_r, char **error_r)
{
	int r;

	*uid_r = (uid_t)-1;
	*gid_r = (gid_t)-1;
	if (cfg->user == NULL || cfg->user[0] == '\0')
		return 0;
	if ((r = rg_user_ids(cfg->user, uid_r, gid_r)) <= 0)
		return r == 0 ? rg_error_r(error_r, "user \"%s\": no such user", cfg->user)
			      : rg_error_r(error_r, "user \"%s\": cannot look it up: %s", cfg->user,
					   strerror(errno));
	if (cfg->group && cfg->group[0] && (r = rg_group_id(cfg->group, gid_r)) <= 0)
		return r == 0 ? rg_error_r(error_r, "group \"%s\": no such group", cfg->group)
			      : rg_error_r(error_r, "group \"%s\": cannot look it up: %s", cfg->group,
					   strerror(errno));
	return 0;
}

/* ---- run directories ------------------------------------------------------------ */

static int make_parent(const char *file, uid_t uid, gid_t gid, char **error_r)
{
	char dir[4096], *slash;

	if (file == NULL || file[0] == '\0')
		return 0;
	snprintf(dir, sizeof(dir), "%s", file);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (access(dir, F_OK) == 0)
		return 0;
	for (char *p = dir + 1; ; p++) {	/* mkdir -p, only the missing parts */
		bool last = *p == '\0';
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == 0) {
			if (uid != (uid_t)-1 && chown(dir, uid, gid) != 0)
				return rg_error_r(error_r, "chown %s: %s", dir, strerror(errno));
		} else if (errno != EEXIST) {
			return rg_error_r(error_r, "mkdir %s: %s", dir, strerror(errno));
		}
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

/* systemd's RuntimeDirectory= (e.g. /run/relayguard) is made for the unit before
 * it starts, owned by root since the unit has no User=, and named to the service
 * in $RUNTIME_DIRECTORY (colon-separated absolute paths).  Those folders are the
 * service's own: give them to the user the daemon drops to, so that it can
 * remove its sockets and pidfile there when it stops.  Nothing else is chowned. */
static int give_runtime_directories(uid_t uid, gid_t gid, char **error_r)
{
	const char *env = getenv("RUNTIME_DIRECTORY");
	char list[4096], *save = NULL;

	if (env == NULL || env[0] == '\0' || uid == (uid_t)-1)
		return 0;
	snprintf(list, sizeof(list), "%s", env);
	for (char *dir = strtok_r(list, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;
		if (dir[0] != '/' || lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;	/* not a folder made for us: leave it */
		if (st.st_uid == uid && st.st_gid == gid)
			continue;
		if (chown(dir, uid, gid) != 0)
			return rg_error_r(error_r, "chown %s (RUNTIME_DIRECTORY): %s", dir,
					  strerror(errno));
	}
	return 0;
}

int rg_daemon_make_dirs(const struct rg_config *cfg, char **error_r)
{
	const char *files[] = {
		cfg->pidfile, cfg->control_socket,
		cfg->milter.enabled ? rg_socket_unix_path(cfg->milter.socket) : NULL,
		cfg->auth.enabled ? rg_socket_unix_path(cfg->auth.dovecot_socket) : NULL,
		cfg->auth.enabled ? rg_socket_unix_path(cfg->auth.saslauthd_socket) : NULL,
	};
	uid_t uid;
	gid_t gid;

	*error_r = NULL;
	if (lookup_ids(cfg, &uid, &gid, error_r) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (make_parent(files[i], uid, gid, error_r) != 0)
			return -1;
	return give_runtime_directories(uid, gid, error_r);
}

/* ---- background ------------------------------------------------------------------ */

static int ready_fd = -1;

int rg_daemon_background(char **error_r)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) != 0)
		return rg_error_r(error_r, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return rg_error_r(error_r, "fork: %s", strerror(errno));
	if (pid > 0) {
		char status = 0;
		ssize_t n;

		close(fds[1]);
		do
			n = read(fds[0], &status, 1);
		while (n < 0 && errno == EINTR);
		/* no byte: the child died before it was ready */
		_exit(n == 1 && status == 'y' ? 0 : 1);
	}
	close(fds[0]);
	ready_fd = fds[1];
	if (setsid() < 0)
		return rg_error_r(error_r, "setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		return rg_error_r(error_r, "chdir /: %s", strerror(errno));
	return 0;
}

void rg_daemon_ready(bool ok)
{
	int devnull;
	char c = ok ? 'y' : 'n';

	if (ready_fd < 0)
		return;
	/* detach from the terminal before the parent returns */
	if (ok && (devnull = open("/dev/null", O_RDWR)) >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
		rg_log_set_stderr(false);	/* stderr is /dev/null now: syslog only */
	}
	if (write(ready_fd, &c, 1) != 1) {
		/* the parent is gone: nothing to tell */
	}
	close(ready_fd);
	ready_fd = -1;
}

/* ---- pidfile ---------------------------------------------------------------------- */

static int pid_fd = -1;
static char *pid_path;

int rg_pidfile_create(const char *path, char **error_r)
{
	char buf[32];
	int fd, len;

	*error_r = NULL;
	if (path == NULL || path[0] == '\0')
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return rg_error_r(error_r, "pidfile %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			return rg_error_r(error_r, "pidfile %s: relayguard is already running (pid %s)",
				    path, buf[0] ? buf : "?");
		return rg_error_r(error_r, "pidfile %s: lock: %s", path, strerror(e));
	}
	/* a file left by a process that died is unlocked: take it over */
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		int e = errno;
		close(fd);
		return rg_error_r(error_r, "pidfile %s: write: %s", path, strerror(e));
	}
	pid_fd = fd;
	pid_path = strdup(path);
	return 0;
}

void rg_pidfile_remove(void)
{
	if (pid_fd < 0)
		return;
	/* may fail once privileges are dropped; the lock is what counts */
	if (pid_path)
		(void)unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
	free(pid_path);
	pid_path = NULL;
}

/* ---- privileges ------------------------------------------------------------------- */

int rg_daemon_drop_privileges(const struct rg_config *cfg, char **error_r)
{
	uid_t uid;
	gid_t gid;

	*error_r = NULL;
	if (lookup_ids(cfg, &uid, &gid, error_r) != 0)
		return -1;
	if (uid == (uid_t)-1)
		return 0;
	if (getuid() == uid && geteuid() == uid && getgid() == gid)
		return 0;
	if (pid_fd >= 0 && fchown(pid_fd, uid, gid) != 0) {
		/* not fatal: the pidfile simply stays root's */
	}
	if (initgroups(cfg->user, gid) != 0)
		return rg_error_r(error_r, "initgroups %s: %s", cfg->user, strerror(errno));
	if (setresgid(gid, gid, gid) != 0)
		return rg_error_r(error_r, "setgid %ld: %s", (long)gid, strerror(errno));
	if (setresuid(uid, uid, uid) != 0)
		return rg_error_r(error_r, "setuid %s: %s", cfg->user, strerror(errno));
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return rg_error_r(error_r, "could regain root after dropping privileges");
	return 0;
}
