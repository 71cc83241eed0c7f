/*
 * control.c — the control socket server (see control.h).  One thread
 * accepts and answers one command per connection, one connection at a time:
 * commands are rare and cheap (a reload is serialised anyway).
 */
#include <autoconfig.h>
#include "control.h"

#include "log.h"
#include "sockperm.h"
#include "stats.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 256
#define IO_TIMEOUT_MS 5000

static int listen_fd = -1;
static char *socket_path;
static pthread_t thread;
static bool running;
static atomic_bool stopping;
static rg_control_reload_fn reload_cb;
static time_t started_at;

void rg_control_command(const char *line, FILE *out, rg_control_reload_fn reload)
{
	if (strcasecmp(line, "RELOAD") == 0) {
		char *text = NULL;
		int r = reload != NULL ? reload(&text) : -1;
		fprintf(out, "%s %s\n", r == 0 ? "OK" : "ERR",
			text ? text : (reload ? "reload failed" : "reload not available"));
		free(text);
	} else if (strcasecmp(line, "STATS") == 0 || strcasecmp(line, "STATS prometheus") == 0) {
		if (started_at != 0)
			rg_stats_set("uptime_seconds", (int64_t)(time(NULL) - started_at));
		fputs("OK\n", out);
		if (strchr(line, ' ') != NULL)
			rg_stats_print_prometheus(out);
		else
			rg_stats_print(out);
	} else {
		fputs("ERR unknown command; expected RELOAD, STATS or STATS prometheus\n", out);
	}
}

/* Read one line (up to MAX_LINE) within IO_TIMEOUT_MS; 0 or -1. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t have = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (have < size - 1) {
		int r = poll(&pfd, 1, IO_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t n = recv(fd, buf + have, size - 1 - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (memchr(buf, '\n', have) != NULL)
			break;
	}
	buf[have] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl == NULL)
		return -1;	/* no complete line: too long, or EOF first */
	*nl = '\0';
	if (nl > buf && nl[-1] == '\r')
		nl[-1] = '\0';
	return 0;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void serve(int fd)
{
	char line[MAX_LINE + 2], *answer = NULL;
	size_t answer_len = 0;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct timeval tv = { .tv_sec = IO_TIMEOUT_MS / 1000 };
	FILE *out;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		rg_log(LOG_WARNING, "control: refused a client with uid %ld (only root and uid %ld "
		       "may use the control socket)", (long)cred.uid, (long)geteuid());
		write_all(fd, "ERR permission denied\n", 22);
		return;
	}
	if (read_line(fd, line, sizeof(line)) != 0) {
		write_all(fd, "ERR expected one command line\n", 30);
		return;
	}
	out = open_memstream(&answer, &answer_len);
	if (out == NULL) {
		write_all(fd, "ERR out of memory\n", 18);
		return;
	}
	char safe[4 * MAX_LINE + 8];	/* rg_log_quote: up to 4 bytes per byte */
	/* STATS may be polled every few seconds by monitoring: not worth a line */
	if (strncasecmp(line, "STATS", 5) != 0)
		rg_log(LOG_INFO, "control: %s (uid %ld)", rg_log_quote(safe, sizeof(safe), line),
		       (long)cred.uid);
	rg_control_command(line, out, reload_cb);
	fclose(out);
	write_all(fd, answer, answer_len);
	free(answer);
}

static void *control_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stopping)) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (atomic_load(&stopping))
				break;
			if (errno != EINTR && errno != ECONNABORTED) {
				rg_log(LOG_ERR, "control: accept on %s: %s", socket_path,
				       strerror(errno));
				struct timespec ts = { .tv_nsec = 100000000L };
				nanosleep(&ts, NULL);	/* EMFILE etc.: do not spin */
			}
			continue;
		}
		serve(fd);
		close(fd);
	}
	return NULL;
}

int rg_control_start(const struct rg_config *cfg, rg_control_reload_fn reload, char **error_r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = cfg->control_socket;
	struct stat st;
	int fd, err;

	*error_r = NULL;
	started_at = time(NULL);
	if (path == NULL || path[0] == '\0')
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*error_r = strdup("control_socket: path too long for a unix socket");
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* the pidfile lock is held: a socket left here is stale */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			if (asprintf(error_r, "%s: exists and is not a socket", path) < 0)
				*error_r = NULL;
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (asprintf(error_r, "%s: %s", path, strerror(errno)) < 0)
			*error_r = NULL;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (rg_socket_apply_control_perms(path, cfg, error_r) != 0 || listen(fd, 16) != 0) {
		if (*error_r == NULL && asprintf(error_r, "%s: listen: %s", path,
						 strerror(errno)) < 0)
			*error_r = NULL;
		close(fd);
		unlink(path);
		return -1;
	}
	listen_fd = fd;
	socket_path = strdup(path);
	reload_cb = reload;
	atomic_store(&stopping, false);
	if ((err = pthread_create(&thread, NULL, control_main, NULL)) != 0) {
		if (asprintf(error_r, "%s: cannot start the control thread: %s", path,
			     strerror(err)) < 0)
			*error_r = NULL;
		close(fd);
		unlink(path);
		listen_fd = -1;
		free(socket_path);
		socket_path = NULL;
		return -1;
	}
	running = true;
	rg_log(LOG_INFO, "control: listening on %s", path);
	return 0;
}

void rg_control_stop(void)
{
	if (!running)
		return;
	atomic_store(&stopping, true);
	shutdown(listen_fd, SHUT_RDWR);	/* wakes accept() */
	pthread_join(thread, NULL);
	close(listen_fd);
	listen_fd = -1;
	if (unlink(socket_path) != 0 && errno != ENOENT)
		rg_log(LOG_WARNING, "control: cannot remove %s: %s", socket_path, strerror(errno));
	free(socket_path);
	socket_path = NULL;
	running = false;
}
