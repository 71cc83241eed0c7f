/*
 * auth_timing.c — how long a refusal takes, per kind of account, over the
 * Dovecot auth protocol (one connection, one request at a time).
 *
 *   auth_timing -s SOCKET [-n TRIES] CASE...      CASE = label:user:password-prefix
 *
 * For every case, TRIES "first tries" (a password never sent before:
 * <prefix><i>, so no cache can answer) and TRIES "repeated tries" (the same
 * password <prefix>again, sent once beforehand).  The cases take turns, in a
 * new random order every round, so that load drifts and what the previous
 * request left in the caches hit them alike.  Prints one line per case:
 *   label first_p50_ms first_p90_ms repeat_p50_ms repeat_p90_ms ok fail closed
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CASES 16

struct conn {
	int fd;
	char buf[4096];
	size_t have;
};

struct bcase {
	char label[64], user[128], prefix[128];
	double *first, *repeat;
	long ok, fail, closed;
};

static const char *sock_path;
static unsigned req_id;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int read_line(struct conn *c, char *out, size_t n)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have);
		if (nl != NULL) {
			size_t len = (size_t)(nl - c->buf), cp = len < n - 1 ? len : n - 1;
			memcpy(out, c->buf, cp);
			out[cp] = '\0';
			memmove(c->buf, nl + 1, c->have - len - 1);
			c->have -= len + 1;
			return 1;
		}
		if (c->have == sizeof(c->buf))
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
	static const char hello[] = "VERSION\t1\t2\nCPID\t4243\n";

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	c->have = 0;
	req_id = 0;
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	while (read_line(c, line, sizeof(line)))
		if (strcmp(line, "DONE") == 0)
			return write(c->fd, hello, sizeof(hello) - 1) == (ssize_t)sizeof(hello) - 1 ? 0 : -1;
fail:
	close(c->fd);
	return -1;
}

/* One PLAIN request: milliseconds, and *answer_r 'O', 'F' or 'C' (closed). */
static double auth(struct conn *c, const char *user, const char *pw, char *answer_r)
{
	char msg[600], b64[900], line[1200];
	size_t ul = strlen(user), pl = strlen(pw);

	msg[0] = '\0';
	memcpy(msg + 1, user, ul);
	msg[1 + ul] = '\0';
	memcpy(msg + 2 + ul, pw, pl);
	sodium_bin2base64(b64, sizeof(b64), (unsigned char *)msg, 2 + ul + pl,
			  sodium_base64_VARIANT_ORIGINAL);
	int len = snprintf(line, sizeof(line), "AUTH\t%u\tPLAIN\tservice=smtp\tnologin\t"
			   "lip=127.0.0.1\trip=192.0.2.7\tsecured\tresp=%s\n", ++req_id, b64);
	double t0 = now_ms();
	*answer_r = 'C';
	if (write(c->fd, line, (size_t)len) == len)
		while (read_line(c, line, sizeof(line))) {
			if (strncmp(line, "OK\t", 3) == 0 || strncmp(line, "FAIL\t", 5) == 0) {
				*answer_r = line[0];
				break;
			}
		}
	double ms = now_ms() - t0;
	if (*answer_r == 'C') {
		close(c->fd);
		if (conn_open(c) < 0) {
			fprintf(stderr, "auth_timing: cannot reconnect to %s\n", sock_path);
			exit(1);
		}
	}
	return ms;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(double *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	int i = (int)(q * (n - 1) + 0.5);
	return v[i];
}

static void count(struct bcase *bc, char answer)
{
	if (answer == 'O')
		bc->ok++;
	else if (answer == 'F')
		bc->fail++;
	else
		bc->closed++;
}

int main(int argc, char **argv)
{
	struct bcase cases[MAX_CASES];
	struct conn c;
	int tries = 30, n = 0, opt;
	char pw[300], answer;

	while ((opt = getopt(argc, argv, "s:n:")) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'n': tries = atoi(optarg); break;
		default: goto usage;
		}
	}
	for (int i = optind; i < argc && n < MAX_CASES; i++, n++) {
		struct bcase *bc = &cases[n];
		memset(bc, 0, sizeof(*bc));
		if (sscanf(argv[i], "%63[^:]:%127[^:]:%127s", bc->label, bc->user, bc->prefix) != 3)
			goto usage;
		bc->first = calloc((size_t)tries, sizeof(double));
		bc->repeat = calloc((size_t)tries, sizeof(double));
		if (bc->first == NULL || bc->repeat == NULL)
			return 1;
	}
	if (sock_path == NULL || tries < 1 || n == 0 || sodium_init() < 0)
		goto usage;
	if (conn_open(&c) < 0) {
		fprintf(stderr, "auth_timing: cannot connect to %s\n", sock_path);
		return 1;
	}
	/* the repeated password is sent once first, so every measured repeat can be cached */
	for (int k = 0; k < n; k++) {
		snprintf(pw, sizeof(pw), "%sagain", cases[k].prefix);
		auth(&c, cases[k].user, pw, &answer);
	}
	for (int i = 0; i < tries; i++) {
		int order[MAX_CASES];
		for (int k = 0; k < n; k++)
			order[k] = k;
		for (int k = n - 1; k > 0; k--) {	/* Fisher-Yates */
			int j = (int)randombytes_uniform((uint32_t)k + 1), t = order[k];
			order[k] = order[j];
			order[j] = t;
		}
		for (int o = 0; o < n; o++) {
			struct bcase *bc = &cases[order[o]];
			snprintf(pw, sizeof(pw), "%s%d", bc->prefix, i);
			bc->first[i] = auth(&c, bc->user, pw, &answer);
			count(bc, answer);
			snprintf(pw, sizeof(pw), "%sagain", bc->prefix);
			bc->repeat[i] = auth(&c, bc->user, pw, &answer);
			count(bc, answer);
		}
	}
	for (int k = 0; k < n; k++) {
		struct bcase *bc = &cases[k];
		printf("%s %.3f %.3f %.3f %.3f %ld %ld %ld\n", bc->label, quantile(bc->first, tries, 0.5),
		       quantile(bc->first, tries, 0.9), quantile(bc->repeat, tries, 0.5),
		       quantile(bc->repeat, tries, 0.9), bc->ok, bc->fail, bc->closed);
	}
	close(c.fd);
	return 0;
usage:
	fprintf(stderr, "usage: auth_timing -s SOCKET [-n TRIES] LABEL:USER:PASSWORD-PREFIX...\n");
	return 2;
}
