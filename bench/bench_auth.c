/*
 * bench_auth.c — load generator for the Dovecot auth protocol (the wire
 * Postfix uses), for relayguard and for Dovecot's own auth service alike.
 *
 *   bench_auth -s SOCKET [-c CONNS] [-n REQUESTS] [-U USERS] [-x]
 *
 * CONNS connections each keep one PLAIN request in flight (Postfix's pattern:
 * one long-lived connection per smtpd).  Request k uses user "b<k % USERS>"
 * with password "pw<k % USERS>"; -x sends a wrong
 * password.  A connection closed by the server (relayguard's temporary
 * failure) is counted and reopened.  Prints one line:
 *   requests=N ok=N fail=N closed=N secs=S rate=R/s p50_ms=.. p99_ms=.. max_ms=..
 */
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *sock_path;
static int n_users = 1, wrong;
static long n_requests = 1000;
static atomic_long next_req, n_ok, n_fail, n_closed;
static double *lat_ms;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

struct conn {
	int fd;
	char buf[4096];
	size_t have;
};

static int read_line(struct conn *c, char *out, size_t n)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have);
		if (nl) {
			size_t len = (size_t)(nl - c->buf);
			size_t cp = len < n - 1 ? len : n - 1;
			memcpy(out, c->buf, cp);
			out[cp] = 0;
			memmove(c->buf, nl + 1, c->have - len - 1);
			c->have -= len + 1;
			return 1;
		}
		if (c->have == sizeof(c->buf))
			return 0;
		/* wait for the answer, then read it, as Postfix's smtpd reads its
		 * auth server (a stream with a timeout: poll, then read); a read
		 * blocked on the socket itself is also woken, needlessly, each time
		 * the server drains our request (write space), which costs every
		 * server a context switch per request that real clients do not cause */
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		if (poll(&pfd, 1, 60000) <= 0)
			return 0;
		ssize_t k = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
		if (k <= 0)
			return 0;
		c->have += (size_t)k;
	}
}

static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[512];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	c->have = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	for (int tries = 0; connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0; tries++) {
		if (tries > 200) {	/* listen backlog full under a flood: retry a while */
			close(c->fd);
			return -1;
		}
		usleep(5000);
	}
	while (read_line(c, line, sizeof(line)))
		if (strcmp(line, "DONE") == 0) {
			const char *hello = "VERSION\t1\t2\nCPID\t4242\n";
			if (write(c->fd, hello, strlen(hello)) < 0)
				return -1;
			return 0;
		}
	close(c->fd);
	return -1;
}

static void *worker(void *arg)
{
	(void)arg;
	struct conn c;
	char line[1024], msg[600], b64[900], pw[256], user[64];
	unsigned id = 0;

	if (conn_open(&c) < 0) {
		atomic_fetch_add(&n_closed, 1);
		return NULL;
	}
	for (;;) {
		long k = atomic_fetch_add(&next_req, 1);
		if (k >= n_requests)
			break;
		int u = (int)(k % n_users);
		snprintf(user, sizeof(user), "b%d", u);
		snprintf(pw, sizeof(pw), "pw%d", u);
		if (wrong)
			strcat(pw, "-wrong");
		size_t ul = strlen(user), pl = strlen(pw);
		msg[0] = 0;
		memcpy(msg + 1, user, ul);
		msg[1 + ul] = 0;
		memcpy(msg + 2 + ul, pw, pl);
		sodium_bin2base64(b64, sizeof(b64), (unsigned char *)msg, 2 + ul + pl,
				  sodium_base64_VARIANT_ORIGINAL);
		int len = snprintf(line, sizeof(line), "AUTH\t%u\tPLAIN\tservice=smtp\tnologin\t"
				   "lip=127.0.0.1\trip=10.%d.%d.%d\tsecured\tresp=%s\n", ++id,
				   (u >> 16) & 255, (u >> 8) & 255, u & 255, b64);
		double t0 = now_s();
		int answered = 0;
		if (write(c.fd, line, (size_t)len) == len) {
			while (read_line(&c, line, sizeof(line))) {
				if (strncmp(line, "OK\t", 3) == 0) {
					atomic_fetch_add(&n_ok, 1);
					answered = 1;
					break;
				}
				if (strncmp(line, "FAIL\t", 5) == 0) {
					atomic_fetch_add(&n_fail, 1);
					answered = 1;
					break;
				}
			}
		}
		lat_ms[k] = (now_s() - t0) * 1e3;
		if (!answered) {
			atomic_fetch_add(&n_closed, 1);
			close(c.fd);
			if (conn_open(&c) < 0)
				return NULL;
			id = 0;
		}
	}
	close(c.fd);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int conns = 4, opt;
	while ((opt = getopt(argc, argv, "s:c:n:U:x")) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'n': n_requests = atol(optarg); break;
		case 'U': n_users = atoi(optarg); break;
		case 'x': wrong = 1; break;
		default:
			fprintf(stderr, "usage: bench_auth -s SOCKET [-c CONNS] [-n REQUESTS] [-U USERS] "
				"[-x]\n");
			return 2;
		}
	}
	if (sock_path == NULL || conns < 1 || n_requests < 1 || n_users < 1 || sodium_init() < 0)
		return 2;
	lat_ms = calloc((size_t)n_requests, sizeof(double));
	pthread_t *t = calloc((size_t)conns, sizeof(*t));
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	double t0 = now_s();
	for (int i = 0; i < conns; i++)
		pthread_create(&t[i], &attr, worker, NULL);
	for (int i = 0; i < conns; i++)
		pthread_join(t[i], NULL);
	double secs = now_s() - t0;
	long done = atomic_load(&n_ok) + atomic_load(&n_fail);
	qsort(lat_ms, (size_t)n_requests, sizeof(double), cmp_double);
	printf("requests=%ld ok=%ld fail=%ld closed=%ld secs=%.2f rate=%.1f/s p50_ms=%.3f "
	       "p99_ms=%.3f max_ms=%.1f\n", n_requests, atomic_load(&n_ok), atomic_load(&n_fail),
	       atomic_load(&n_closed), secs, done / secs, lat_ms[n_requests / 2],
	       lat_ms[(size_t)(n_requests * 0.99)], lat_ms[n_requests - 1]);
	return 0;
}
