/* metrics_http.c — GET /metrics over HTTP/1.x (metrics_http.h). */
#include <autoconfig.h>
#include "metrics_http.h"

#include "error.h"
#include "log.h"
#include "sockperm.h"
#include "stats.h"
#include "unixsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST 4096	/* request line and headers; more is refused */
#define IO_TIMEOUT_S 5		/* a client gets this long to send its request */

static struct rg_serial_server server;
static char *unix_path;

/* len (size_t)-1: body is a string */
static void respond(FILE *out, int code, const char *reason, const char *type, const char *body,
		    size_t len, bool head)
{
	if (len == (size_t)-1)
		len = strlen(body);
	fprintf(out, "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n", code, reason, type, len);
	if (!head && len > 0)
		fwrite(body, 1, len, out);
}

void rg_metrics_http_answer(const char *req, FILE *out)
{
	const char *sp1 = strchr(req, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	const char *eol = req + strcspn(req, "\r\n");	/* end of the request line */
	static const char text[] = "text/plain; charset=utf-8";

	if (sp1 == NULL || sp2 == NULL || *eol == '\0' || sp2 > eol ||
	    strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		respond(out, 400, "Bad Request", text, "bad request\n", (size_t)-1, false);
		return;
	}
	size_t mlen = (size_t)(sp1 - req), plen = (size_t)(sp2 - sp1 - 1);
	bool get = mlen == 3 && strncmp(req, "GET", 3) == 0;
	bool head = mlen == 4 && strncmp(req, "HEAD", 4) == 0;
	const char *path = sp1 + 1;
	/* the path, without a query string */
	size_t pathlen = strcspn(path, "? ");
	if (pathlen > plen)
		pathlen = plen;
	if (!(pathlen == 8 && strncmp(path, "/metrics", 8) == 0)) {
		respond(out, 404, "Not Found", text, "not found: try /metrics\n", (size_t)-1, head);
		return;
	}
	if (!get && !head) {
		fputs("HTTP/1.0 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n"
		      "Connection: close\r\n\r\n", out);
		return;
	}
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	if (b == NULL) {
		respond(out, 503, "Service Unavailable", text, "out of memory\n", (size_t)-1, head);
		return;
	}
	rg_stats_print_prometheus(b);
	fclose(b);
	respond(out, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, len, head);
	free(body);
}

/* Read up to the end of the headers; false on timeout, EOF or too much.  The
 * whole request must arrive within IO_TIMEOUT_S of the first recv: SO_RCVTIMEO
 * bounds each recv, the deadline a client that trickles a byte at a time. */
static bool read_request(int fd, char *buf, size_t size)
{
	size_t have = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (have < size - 1) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > IO_TIMEOUT_S)
			return false;
		ssize_t n = recv(fd, buf + have, size - 1 - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;	/* EAGAIN: SO_RCVTIMEO ran out */
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
			return true;
	}
	return false;
}

static void serve(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	char req[MAX_REQUEST + 1], *answer = NULL;
	size_t len = 0;
	FILE *out;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	out = open_memstream(&answer, &len);
	if (out == NULL)
		return;
	if (!read_request(fd, req, sizeof(req))) {
		/* too long, too slow or closed: a short answer if the client still listens */
		respond(out, 400, "Bad Request", "text/plain; charset=utf-8",
			"request too long or too slow\n", (size_t)-1, false);
	} else {
		rg_metrics_http_answer(req, out);
	}
	fclose(out);
	(void)rg_write_all(fd, answer, len);
	free(answer);
}

/* "HOST:PORT" on loopback (127.0.0.0/8, ::1 as [::1], localhost). */
static int tcp_listen(const char *spec, char **error_r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[64];
	const char *colon = strrchr(spec, ':');
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host) || port < 1 || port > 65535)
		return rg_error_r(error_r, "metrics_listen \"%s\": expected HOST:PORT or a path", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		size_t hl = strlen(host);
		if (hl < 3 || host[hl - 1] != ']')
			return rg_error_r(error_r, "metrics_listen \"%s\": bad IPv6 address", spec);
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1 || !IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return rg_error_r(error_r, "metrics_listen \"%s\": not the loopback address", spec);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1 ||
		    (ntohl(a->sin_addr.s_addr) >> 24) != 127)
			return rg_error_r(error_r, "metrics_listen \"%s\": not a loopback address", spec);
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rg_error_r(error_r, "metrics_listen %s: socket: %s", spec, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0) {
		int e = errno;
		close(fd);
		return rg_error_r(error_r, "metrics_listen %s: %s", spec, strerror(e));
	}
	return fd;
}

int rg_metrics_http_start(const struct rg_config *cfg, char **error_r)
{
	const char *spec = cfg->metrics_listen;
	const char *path;
	int fd;

	*error_r = NULL;
	if (spec == NULL || spec[0] == '\0')
		return 0;
	if ((path = rg_socket_unix_path(spec)) != NULL) {
		/* like the control socket: root and the daemon's own user */
		fd = rg_unix_listen(path, 16, rg_socket_apply_control_perms, cfg, error_r);
		if (fd >= 0)
			unix_path = strdup(path);
	} else {
		fd = tcp_listen(spec, error_r);
	}
	if (fd < 0)
		return -1;
	if (rg_serial_server_start(&server, fd, serve, "metrics", error_r) != 0) {
		if (unix_path) {
			unlink(unix_path);
			free(unix_path);
			unix_path = NULL;
		}
		return -1;
	}
	rg_log(LOG_INFO, "metrics: serving GET /metrics on %s", spec);
	return 0;
}

void rg_metrics_http_stop(void)
{
	if (!server.running)
		return;
	rg_serial_server_stop(&server);
	if (unix_path) {
		unlink(unix_path);
		free(unix_path);
		unix_path = NULL;
	}
}
