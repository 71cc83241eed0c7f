/* unixsock.c — one unix-socket listener and one write_all (unixsock.h). */
#include <autoconfig.h>
#include "unixsock.h"

#include "error.h"
#include "log.h"

#include <stdatomic.h>
#include <time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(char **error_r, const char *path, const char *what, int err)
{
	return rg_error_r(error_r, "%s: %s%s%s", path, what, err ? ": " : "",
			  err ? strerror(err) : "");
}

int rg_unix_listen(const char *path, int backlog, rg_unix_perms_fn *perms,
		   const struct rg_config *cfg, char **error_r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	*error_r = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(error_r, path, "path too long for a unix socket", 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* a stale socket from an earlier run is replaced; any other file is not
	 * (the pidfile lock says no other relayguard is using it) */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(error_r, path, "exists and is not a socket", 0);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(error_r, path, "socket", errno);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		return fail(error_r, path, "bind", e);
	}
	/* owner, group and mode before listen(): no client connects through
	 * looser permissions in between */
	if (perms != NULL && perms(path, cfg, error_r) != 0) {
		if (*error_r == NULL)
			fail(error_r, path, "cannot set its owner and mode", 0);
		close(fd);
		unlink(path);
		return -1;
	}
	if (listen(fd, backlog) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return fail(error_r, path, "listen", e);
	}
	return fd;
}

static void *serial_main(void *arg)
{
	struct rg_serial_server *srv = arg;

	while (!atomic_load(&srv->stopping)) {
		int fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (atomic_load(&srv->stopping))
				break;
			if (errno != EINTR && errno != ECONNABORTED) {
				rg_log(LOG_ERR, "%s: accept: %s", srv->name, strerror(errno));
				struct timespec ts = { .tv_nsec = 100000000L };
				nanosleep(&ts, NULL);	/* EMFILE etc.: do not spin */
			}
			continue;
		}
		srv->serve(fd);
		close(fd);
	}
	return NULL;
}

int rg_serial_server_start(struct rg_serial_server *srv, int listen_fd, void (*serve)(int fd),
			   const char *name, char **error_r)
{
	int err;

	srv->fd = listen_fd;
	srv->serve = serve;
	srv->name = name;
	atomic_store(&srv->stopping, false);
	if ((err = pthread_create(&srv->thread, NULL, serial_main, srv)) != 0) {
		close(listen_fd);
		srv->fd = -1;
		return rg_error_r(error_r, "%s: cannot start its thread: %s", name, strerror(err));
	}
	srv->running = true;
	return 0;
}

void rg_serial_server_stop(struct rg_serial_server *srv)
{
	if (!srv->running)
		return;
	atomic_store(&srv->stopping, true);
	shutdown(srv->fd, SHUT_RDWR);	/* wakes accept() */
	pthread_join(srv->thread, NULL);
	close(srv->fd);
	srv->fd = -1;
	srv->running = false;
}

int rg_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
