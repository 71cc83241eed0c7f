/*
 * unixsock.h — the unix-socket listener and the blocking write that every
 * server in the daemon shares (the SASL service, the control socket).
 */
#ifndef RG_UNIXSOCK_H
#define RG_UNIXSOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Sets owner, group and mode of a freshly bound socket (common/sockperm.h). */
typedef int rg_unix_perms_fn(const char *path, const struct rg_config *cfg, char **error_r);

/* Bind a stream socket at path, replacing a stale socket left there (any
 * other kind of file is an error), apply perms (may be NULL) before listen(),
 * and listen with backlog.  The descriptor (close-on-exec), or -1 with
 * *error_r (malloc'd, names the path; the caller frees it) and nothing left
 * behind at path. */
int rg_unix_listen(const char *path, int backlog, rg_unix_perms_fn *perms,
		   const struct rg_config *cfg, char **error_r);

/* A listener served on one thread, one connection at a time (the control
 * socket, the metrics listener: rare, cheap requests).  serve(fd) answers one
 * client; the server closes fd after it. */
struct rg_serial_server {
	int fd;			/* the listening socket, owned by the server once started */
	void (*serve)(int fd);
	const char *name;	/* for log lines: "control", "metrics" */
	pthread_t thread;
	_Atomic bool stopping;
	bool running;
};

/* Serve listen_fd on a new thread.  -1 with *error_r (listen_fd closed). */
int rg_serial_server_start(struct rg_serial_server *srv, int listen_fd, void (*serve)(int fd),
			   const char *name, char **error_r);

/* Stop accepting, wait for the connection being served, close the listener. */
void rg_serial_server_stop(struct rg_serial_server *srv);

/* Write all of buf to a socket (send, MSG_NOSIGNAL: a closed peer is an
 * error, not a SIGPIPE), retrying on EINTR.  0, or -1 with errno set (EAGAIN:
 * SO_SNDTIMEO expired). */
int rg_write_all(int fd, const void *buf, size_t len);

#endif
