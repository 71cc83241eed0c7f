/*
 * dvclient.c — a small Dovecot-auth-protocol client for the service tests.
 * A real client (Postfix) is exercised by t/e2e; this one lets the tests
 * send exactly the lines they want.  Server lines are printed with TABs shown
 * as spaces; a connection closed before the final answer prints "CLOSED".
 *
 *   dvclient SOCKET plain USER PASS [AUTHZ] [insecure]   one PLAIN request
 *   dvclient SOCKET login USER PASS [insecure]            one LOGIN exchange
 *   dvclient SOCKET raw                    send stdin verbatim after VERSION+CPID
 *   dvclient SOCKET pipeline N USER PASS   N AUTHs in one write; prints "ok=K fail=F"
 *   dvclient SOCKET concurrent N USER PASS N connections at once; prints "ok=K fail=F closed=C"
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static const char *sock_path;

static int conn_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(sock_path);
		exit(2);
	}
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

struct reader {
	int fd;
	char buf[8192];
	size_t have;
};

/* next line without \n into out; 0 on EOF/error */
static int read_line(struct reader *r, char *out, size_t n)
{
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->have);
		if (nl != NULL) {
			size_t len = (size_t)(nl - r->buf);
			if (len >= n)
				len = n - 1;
			memcpy(out, r->buf, len);
			out[len] = '\0';
			size_t used = (size_t)(nl - r->buf) + 1;
			memmove(r->buf, r->buf + used, r->have - used);
			r->have -= used;
			return 1;
		}
		if (r->have == sizeof(r->buf))
			return 0;
		ssize_t k = read(r->fd, r->buf + r->have, sizeof(r->buf) - r->have);
		if (k <= 0)
			return 0;
		r->have += (size_t)k;
	}
}

static void send_str(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t k = send(fd, s, len, MSG_NOSIGNAL);
		if (k <= 0)
			return;
		s += k;
		len -= (size_t)k;
	}
}

/* read the server handshake up to DONE; send VERSION + CPID */
static int handshake(struct reader *r)
{
	char line[1024];
	int version = 0;
	while (read_line(r, line, sizeof(line))) {
		if (strncmp(line, "VERSION\t1\t", 10) == 0)
			version = 1;
		if (strcmp(line, "DONE") == 0) {
			send_str(r->fd, "VERSION\t1\t2\nCPID\t4242\n");
			return version;
		}
	}
	return 0;
}

static void show(const char *line)
{
	for (const char *p = line; *p; p++)
		putchar(*p == '\t' ? ' ' : *p);
	putchar('\n');
}

static char *b64(const void *d, size_t n)
{
	size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	char *o = malloc(len);
	sodium_bin2base64(o, len, d, n, sodium_base64_VARIANT_ORIGINAL);
	return o;
}

static char *plain_resp(const char *authz, const char *user, const char *pass)
{
	size_t zl = strlen(authz), ul = strlen(user), pl = strlen(pass);
	char *m = malloc(zl + ul + pl + 2);
	memcpy(m, authz, zl);
	m[zl] = 0;
	memcpy(m + zl + 1, user, ul);
	m[zl + 1 + ul] = 0;
	memcpy(m + zl + ul + 2, pass, pl);
	char *o = b64(m, zl + ul + pl + 2);
	free(m);
	return o;
}

/* final answer of one request: 'O' ok, 'F' fail, 'C' closed */
static char final(struct reader *r, int print)
{
	char line[1024];
	while (read_line(r, line, sizeof(line))) {
		if (print)
			show(line);
		if (strncmp(line, "OK\t", 3) == 0)
			return 'O';
		if (strncmp(line, "FAIL\t", 5) == 0)
			return 'F';
	}
	if (print)
		puts("CLOSED");
	return 'C';
}

static char one_plain(const char *user, const char *pass, const char *authz, int secured, int print)
{
	struct reader r = { .fd = conn_open() };
	char line[4096];
	if (!handshake(&r)) {
		if (print) puts("NO-HANDSHAKE");
		close(r.fd);
		return 'C';
	}
	char *resp = plain_resp(authz, user, pass);
	snprintf(line, sizeof(line), "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\t"
		 "rip=192.0.2.10%s\tresp=%s\n", secured ? "\tsecured" : "", resp);
	free(resp);
	send_str(r.fd, line);
	char c = final(&r, print);
	close(r.fd);
	return c;
}

struct worker {
	const char *user, *pass;
	char result;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->result = one_plain(w->user, w->pass, "", 1, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3 || sodium_init() < 0) {
		fprintf(stderr, "usage: see dvclient.c\n");
		return 2;
	}
	sock_path = argv[1];
	const char *mode = argv[2];

	if (strcmp(mode, "plain") == 0 && argc >= 5) {
		const char *authz = argc >= 6 ? argv[5] : "";
		int secured = !(argc >= 7 && strcmp(argv[6], "insecure") == 0);
		one_plain(argv[3], argv[4], authz, secured, 1);
		return 0;
	}
	if (strcmp(mode, "login") == 0 && argc >= 5) {
		int secured = !(argc >= 6 && strcmp(argv[5], "insecure") == 0);
		struct reader r = { .fd = conn_open() };
		char line[1024];
		if (!handshake(&r))
			return 1;
		snprintf(line, sizeof(line), "AUTH\t1\tLOGIN\tservice=smtp\trip=192.0.2.11%s\n",
			 secured ? "\tsecured" : "");
		send_str(r.fd, line);
		for (int step = 0; step < 2; step++) {
			if (!read_line(&r, line, sizeof(line))) {
				puts("CLOSED");
				return 0;
			}
			show(line);
			if (strncmp(line, "CONT\t1\t", 7) != 0)
				return 0;
			char *v = b64(step == 0 ? argv[3] : argv[4], strlen(step == 0 ? argv[3] : argv[4]));
			snprintf(line, sizeof(line), "CONT\t1\t%s\n", v);
			free(v);
			send_str(r.fd, line);
		}
		final(&r, 1);
		return 0;
	}
	if (strcmp(mode, "raw") == 0) {
		struct reader r = { .fd = conn_open() };
		char line[70000];
		if (!handshake(&r)) {
			puts("NO-HANDSHAKE");
			return 0;
		}
		size_t n = fread(line, 1, sizeof(line), stdin);
		line[n] = '\0';
		ssize_t k = send(r.fd, line, n, MSG_NOSIGNAL);
		(void)k;
		shutdown(r.fd, SHUT_WR);
		int any = 0;
		while (read_line(&r, line, sizeof(line))) {
			show(line);
			any = 1;
		}
		puts("CLOSED");
		(void)any;
		return 0;
	}
	if (strcmp(mode, "pipeline") == 0 && argc >= 6) {
		int n = atoi(argv[3]);
		struct reader r = { .fd = conn_open() };
		if (!handshake(&r))
			return 1;
		char *resp = plain_resp("", argv[4], argv[5]);
		size_t cap = (size_t)n * (strlen(resp) + 100);
		char *all = malloc(cap), line[1024];
		size_t o = 0;
		for (int i = 1; i <= n; i++)
			o += (size_t)snprintf(all + o, cap - o, "AUTH\t%d\tPLAIN\tservice=smtp\t"
					      "rip=192.0.2.12\tsecured\tresp=%s\n", i, resp);
		send_str(r.fd, all);
		int okc = 0, failc = 0, inorder = 1;
		for (int i = 1; i <= n; i++) {
			if (!read_line(&r, line, sizeof(line)))
				break;
			unsigned id = 0;
			if (sscanf(line, "%*[A-Z]\t%u", &id) != 1 || id != (unsigned)i)
				inorder = 0;
			if (strncmp(line, "OK\t", 3) == 0) okc++;
			else failc++;
		}
		printf("ok=%d fail=%d ids=%s\n", okc, failc, inorder ? "matched" : "mismatched");
		free(all);
		free(resp);
		close(r.fd);
		return 0;
	}
	if (strcmp(mode, "concurrent") == 0 && argc >= 6) {
		int n = atoi(argv[3]);
		struct worker *w = calloc((size_t)n, sizeof(*w));
		pthread_t *t = calloc((size_t)n, sizeof(*t));
		for (int i = 0; i < n; i++) {
			w[i].user = argv[4];
			w[i].pass = argv[5];
			pthread_create(&t[i], NULL, worker_main, &w[i]);
		}
		int okc = 0, failc = 0, closedc = 0;
		for (int i = 0; i < n; i++) {
			pthread_join(t[i], NULL);
			okc += w[i].result == 'O';
			failc += w[i].result == 'F';
			closedc += w[i].result == 'C';
		}
		printf("ok=%d fail=%d closed=%d\n", okc, failc, closedc);
		free(w);
		free(t);
		return 0;
	}
	fprintf(stderr, "dvclient: bad arguments\n");
	return 2;
}
