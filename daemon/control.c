/*
 * control.c — the control socket server (see control.h).  One thread
 * accepts and answers one command per connection, one connection at a time:
 * commands are rare and cheap (a reload is serialised anyway).
 */
#include <autoconfig.h>
#include "control.h"

#include "control_proto.h"
#include "guard.h"
#include "log.h"
#include "sockperm.h"
#include "stats.h"
#include "unixsock.h"

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

static struct rg_serial_server server;
static char *socket_path;
static rg_control_reload_fn reload_cb;

/* GUARD SHOW [ID] | HELD | RELEASE ID | SUSPEND ID | UNSUSPEND ID */
static void guard_command(const char *args, FILE *out)
{
	static const char *const words[] = { "SHOW", "HELD", "RELEASE", "SUSPEND", "UNSUSPEND" };
	size_t w = 0, n = strcspn(args, " ");
	const char *id = args[n] == ' ' ? args + n + 1 : NULL;
	char *text = NULL;
	size_t len = 0;
	int r = -1;

	while (w < 5 && !(strlen(words[w]) == n && strncasecmp(args, words[w], n) == 0))
		w++;
	if (w == 5 || (id == NULL && w >= 2) || (id != NULL && (w == 1 || id[0] == '\0'))) {
		rg_ctl_answer(out, RG_CTL_USAGE, "expected GUARD SHOW [IDENTITY], GUARD HELD, or "
			      "GUARD RELEASE|SUSPEND|UNSUSPEND IDENTITY");
		return;
	}
	struct rg_config *cfg = rg_config_current_get();
	FILE *f = open_memstream(&text, &len);
	if (f == NULL || cfg == NULL) {
		if (f != NULL)
			fclose(f);
		free(text);
		rg_config_release(cfg);
		rg_ctl_answer(out, RG_CTL_INTERNAL, "out of memory");
		return;
	}
	time_t now = time(NULL);
	switch (w) {
	case 0: r = rg_guard_show(cfg, id, now, f); break;
	case 1: r = rg_guard_on(cfg) ? rg_guard_held(f) : rg_guard_show(cfg, NULL, now, f); break;
	case 2: r = rg_guard_release(cfg, id, f); break;
	case 3: r = rg_guard_suspend(cfg, id, now, f); break;
	default: r = rg_guard_unsuspend(cfg, id, f); break;
	}
	fclose(f);
	rg_config_release(cfg);
	if (r == 0) {
		rg_ctl_answer(out, RG_CTL_OK, NULL);
		fputs(text ? text : "", out);
	} else {
		rg_ctl_answer(out, RG_CTL_UNAVAILABLE, text && text[0] ? text : "guard unavailable");
	}
	free(text);
}

void rg_control_command(const char *line, FILE *out, rg_control_reload_fn reload)
{
	if (strcasecmp(line, RG_CTL_CMD_RELOAD) == 0) {
		char *text = NULL;
		if (reload == NULL) {
			rg_ctl_answer(out, RG_CTL_UNAVAILABLE, "reload not available");
			return;
		}
		int r = reload(&text);
		rg_ctl_answer(out, r == 0 ? RG_CTL_OK : RG_CTL_CONFIG,
			      text ? text : (r == 0 ? "reload done" : "reload failed"));
		free(text);
	} else if (strcasecmp(line, RG_CTL_CMD_STATS) == 0 ||
		   strcasecmp(line, RG_CTL_CMD_STATS_PROMETHEUS) == 0) {
		rg_ctl_answer(out, RG_CTL_OK, NULL);
		if (strchr(line, ' ') != NULL)
			rg_stats_print_prometheus(out);
		else
			rg_stats_print(out);
	} else if (strncasecmp(line, RG_CTL_CMD_GUARD " ", sizeof(RG_CTL_CMD_GUARD)) == 0) {
		guard_command(line + sizeof(RG_CTL_CMD_GUARD), out);
	} else {
		rg_ctl_answer(out, RG_CTL_USAGE, "unknown command; expected " RG_CTL_CMD_RELOAD ", "
			      RG_CTL_CMD_STATS ", " RG_CTL_CMD_STATS_PROMETHEUS " or " RG_CTL_CMD_GUARD
			      " ...");
	}
}

/* An answer that is only a status line, when no memstream can be had. */
static void answer_status(int fd, enum rg_ctl_status st, const char *text)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "ERR %s %s\n", rg_ctl_status_token(st), text);
	if (n > 0)
		(void)rg_write_all(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
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
		answer_status(fd, RG_CTL_DENIED, "permission denied");
		return;
	}
	if (read_line(fd, line, sizeof(line)) != 0) {
		answer_status(fd, RG_CTL_USAGE, "expected one command line");
		return;
	}
	out = open_memstream(&answer, &answer_len);
	if (out == NULL) {
		answer_status(fd, RG_CTL_INTERNAL, "out of memory");
		return;
	}
	char safe[4 * MAX_LINE + 8];	/* rg_log_quote: up to 4 bytes per byte */
	/* STATS may be polled every few seconds by monitoring: not worth a line */
	if (strncasecmp(line, "STATS", 5) != 0)
		rg_log(LOG_INFO, "control: %s (uid %ld)", rg_log_quote(safe, sizeof(safe), line),
		       (long)cred.uid);
	rg_control_command(line, out, reload_cb);
	fclose(out);
	(void)rg_write_all(fd, answer, answer_len);
	free(answer);
}

int rg_control_start(const struct rg_config *cfg, rg_control_reload_fn reload, char **error_r)
{
	const char *path = cfg->control_socket;
	int fd;

	*error_r = NULL;
	rg_stats_started(time(NULL));
	if (path == NULL || path[0] == '\0')
		return 0;
	fd = rg_unix_listen(path, 16, rg_socket_apply_control_perms, cfg, error_r);
	if (fd < 0)
		return -1;
	reload_cb = reload;
	if (rg_serial_server_start(&server, fd, serve, "control", error_r) != 0) {
		unlink(path);
		return -1;
	}
	socket_path = strdup(path);
	rg_log(LOG_INFO, "control: listening on %s", path);
	return 0;
}

void rg_control_stop(void)
{
	if (!server.running)
		return;
	rg_serial_server_stop(&server);
	if (socket_path != NULL && unlink(socket_path) != 0 && errno != ENOENT)
		rg_log(LOG_WARNING, "control: cannot remove %s: %s", socket_path, strerror(errno));
	free(socket_path);
	socket_path = NULL;
}
