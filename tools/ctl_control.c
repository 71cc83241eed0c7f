/*
 * ctl_control.c — `relayguardctl reload` and `relayguardctl stats`: one
 * command line to the daemon's control socket (control_socket in the
 * config, default /run/relayguard/control), its answer to stdout/stderr.
 */
#include <autoconfig.h>
#include "ctl_control.h"

#include "control_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_CONTROL_SOCKET "/run/relayguard/control"
#define ANSWER_TIMEOUT_S 60	/* a reload opens every store */

/* The socket to use: the config's control_socket, or the default when no
 * config file exists.  NULL (message printed, *rc_r set) when disabled. */
static const char *control_path(struct ctl *c, int *rc_r)
{
	if ((*rc_r = ctl_load_config(c, false)) != 0)
		return NULL;
	if (c->cfg == NULL)
		return DEFAULT_CONTROL_SOCKET;
	if (c->cfg->control_socket[0] == '\0') {
		ctl_err("control_socket is \"\" in %s: the daemon has no control socket",
			c->config_path);
		*rc_r = EX_CONFIG;
		return NULL;
	}
	return c->cfg->control_socket;
}

/* Send one command line; the whole answer (malloc'd) in *answer_r.
 * Returns 0 or an exit code (message printed). */
static int converse(const char *path, const char *command, char **answer_r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	char *buf = NULL;
	size_t have = 0, size = 0;
	int fd;

	*answer_r = NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		ctl_err("%s: path too long for a unix socket", path);
		return EX_CONFIG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		ctl_err("cannot connect to %s: %s%s", path, strerror(e),
			e == ENOENT || e == ECONNREFUSED ? " (is relayguard running?)" :
			e == EACCES ? " (run as root or as the daemon's user)" : "");
		if (fd >= 0)
			close(fd);
		return EX_TEMPFAIL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	size_t len = strlen(command);
	if (send(fd, command, len, MSG_NOSIGNAL) != (ssize_t)len) {
		ctl_err("%s: cannot send the command: %s", path, strerror(errno));
		close(fd);
		return EX_TEMPFAIL;
	}
	for (;;) {
		if (size - have < 4096) {
			char *p = realloc(buf, size + 65536);
			if (p == NULL) {
				free(buf);
				close(fd);
				ctl_err("out of memory");
				return EX_SOFTWARE;
			}
			buf = p;
			size += 65536;
		}
		ssize_t n = recv(fd, buf + have, size - have - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctl_err("%s: no complete answer: %s", path,
				errno == EAGAIN ? "timed out" : strerror(errno));
			free(buf);
			close(fd);
			return EX_TEMPFAIL;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	*answer_r = buf;
	return 0;
}

/* Send command; on OK print the answer's text (with_text) and its detail
 * lines to stdout; on ERR print them to stderr.  The exit code comes from the
 * status token (control_proto.h). */
static int run_command(const char *path, const char *command, bool with_text)
{
	enum rg_ctl_status st;
	const char *text, *rest;
	size_t text_len;
	char *answer;
	int rc;

	if ((rc = converse(path, command, &answer)) != 0)
		return rc;
	if (rg_ctl_parse_answer(answer, &st, &text, &text_len, &rest) != 0) {
		ctl_err("%s: unexpected answer from the daemon", path);
		free(answer);
		return EX_PROTOCOL;
	}
	if (st == RG_CTL_OK) {
		if (with_text && text_len > 0)
			printf("%.*s\n", (int)text_len, text);
		fputs(rest, stdout);
	} else {
		fprintf(stderr, "relayguardctl: %.*s\n", (int)text_len, text);
		fputs(rest, stderr);
	}
	free(answer);
	return rg_ctl_status_exit(st);
}

int cmd_reload(struct ctl *c)
{
	int rc;
	const char *path = control_path(c, &rc);

	if (path == NULL)
		return rc;
	return run_command(path, RG_CTL_CMD_RELOAD "\n", true);
}

int cmd_stats(struct ctl *c)
{
	int rc;
	const char *path;
	bool prometheus = false;

	if (c->n_args == 1) {
		if (strcmp(c->args[0], "--prometheus") != 0) {
			ctl_err("usage: relayguardctl stats [--prometheus]");
			return EX_USAGE;
		}
		prometheus = true;
	}
	if ((path = control_path(c, &rc)) == NULL)
		return rc;
	return run_command(path, prometheus ? RG_CTL_CMD_STATS_PROMETHEUS "\n"
				  : RG_CTL_CMD_STATS "\n", false);
}

/* relayguardctl guard show [ID] | held | release ID | suspend ID | unsuspend ID */
int cmd_guard(struct ctl *c)
{
	static const char *const words[] = { "show", "held", "release", "suspend", "unsuspend" };
	char line[600];
	const char *path;
	size_t w = 0;
	int rc;

	if (c->n_args >= 1)
		while (w < 5 && strcmp(c->args[0], words[w]) != 0)
			w++;
	if (c->n_args < 1 || w == 5 || (w == 0 && c->n_args > 2) || (w == 1 && c->n_args != 1) ||
	    (w >= 2 && c->n_args != 2)) {
		ctl_err("usage: relayguardctl guard show [IDENTITY] | held | "
			"release|suspend|unsuspend IDENTITY");
		return EX_USAGE;
	}
	const char *id = c->n_args == 2 ? c->args[1] : NULL;
	if (id != NULL && (id[0] == '\0' || strpbrk(id, "\r\n") != NULL || strlen(id) > 500)) {
		ctl_err("guard: not an identity name");
		return EX_USAGE;
	}
	if ((path = control_path(c, &rc)) == NULL)
		return rc;
	snprintf(line, sizeof(line), "%s %s%s%s\n", RG_CTL_CMD_GUARD, words[w], id ? " " : "",
		 id ? id : "");
	for (char *p = line + sizeof(RG_CTL_CMD_GUARD); *p && *p != ' ' && *p != '\n'; p++)
		*p = (char)(*p - ('a' - 'A') * (*p >= 'a' && *p <= 'z'));
	return run_command(path, line, false);
}
