/*
 * milter_load.c — a load generator speaking the milter protocol (the MTA
 * side), for `make bench`.
 *
 *   milter_load -s /path/milter.sock [-c CONNS] [-n MESSAGES] [-m MSGS_PER_CONN]
 *               [-u USER] [-t TENANT] [-p PID] [-l LABEL]
 *
 * CONNS threads each open MTA sessions one after another (negotiate, connect,
 * helo, then per message: MAIL, RCPT, DATA, 10 headers, EOH, a 2 KiB body,
 * end of message), honouring the steps and replies the filter negotiated
 * away, like Postfix does.  The macros are those Postfix sends for a TLS
 * session authenticated as USER.  Latency is measured per message (MAIL sent
 * → final reply).  With -p, the filter process's CPU time (utime+stime from
 * /proc/PID/stat) is read before and after, giving CPU per message.
 *
 * Output: one line, "LABEL msgs=N secs=S msgs_per_s=R p50_us=A p99_us=B
 * cpu_us_per_msg=C rejects=X tempfails=Y".
 */
#include <autoconfig.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* wire constants (libmilter's mfdef.h; spelled out so the generator needs
 * nothing from libmilter) */
#define C_OPTNEG 'O'
#define C_MACRO 'D'
#define C_CONNECT 'C'
#define C_HELO 'H'
#define C_MAIL 'M'
#define C_RCPT 'R'
#define C_DATA 'T'
#define C_HEADER 'L'
#define C_EOH 'N'
#define C_BODY 'B'
#define C_BODYEOB 'E'
#define C_QUIT 'Q'

#define P_NOCONNECT 0x1u
#define P_NOHELO 0x2u
#define P_NOMAIL 0x4u
#define P_NORCPT 0x8u
#define P_NOBODY 0x10u
#define P_NOHDRS 0x20u
#define P_NOEOH 0x40u
#define P_NR_HDR 0x80u
#define P_NODATA 0x200u
#define P_NR_CONN 0x1000u
#define P_NR_HELO 0x2000u
#define P_NR_MAIL 0x4000u
#define P_NR_RCPT 0x8000u
#define P_NR_DATA 0x10000u
#define P_NR_EOH 0x40000u
#define P_NR_BODY 0x80000u
#define OFFERED_PROTO 0x001FFFFFu	/* every step and no-reply option of protocol 6 */
#define OFFERED_ACTIONS 0x1FFu

static const char *sock_path;
static int n_conns = 8, msgs_per_conn = 1;
static long total_msgs = 20000;
static const char *user = "alice", *tenant = "acme";

static long next_msg;	/* messages handed out */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct worker {
	pthread_t tid;
	double *lat;	/* µs per message */
	long n;
	long cap;
	long rejects, tempfails, errors;
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---- packets ---- */

struct pkt {
	char buf[8192];
	size_t len;
};

static void pkt_start(struct pkt *p, char cmd)
{
	p->len = 4;
	p->buf[p->len++] = cmd;
}

static void pkt_add(struct pkt *p, const void *data, size_t n)
{
	if (p->len + n > sizeof(p->buf)) {
		fprintf(stderr, "milter_load: packet too large\n");
		exit(2);
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
}

static void pkt_str(struct pkt *p, const char *s)
{
	pkt_add(p, s, strlen(s) + 1);
}

static int write_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int pkt_send(int fd, struct pkt *p)
{
	uint32_t l = htonl((uint32_t)(p->len - 4));
	memcpy(p->buf, &l, 4);
	return write_all(fd, p->buf, p->len);
}

static int read_all(int fd, char *b, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read one reply; returns its command byte (or -1), data in buf. */
static int reply_read(int fd, char *buf, size_t cap, size_t *len_r)
{
	uint32_t l;
	char cmd;

	if (read_all(fd, (char *)&l, 4) < 0)
		return -1;
	l = ntohl(l);
	if (l == 0 || l - 1 > cap)
		return -1;
	if (read_all(fd, &cmd, 1) < 0 || read_all(fd, buf, l - 1) < 0)
		return -1;
	if (len_r)
		*len_r = l - 1;
	return (unsigned char)cmd;
}

/* Read replies until a final one (skipping header changes at EOM). */
static int final_reply(int fd)
{
	char buf[65536];
	for (;;) {
		int c = reply_read(fd, buf, sizeof(buf), NULL);
		if (c < 0)
			return -1;
		if (strchr("carty", c) != NULL)	/* continue accept reject tempfail replycode */
			return c;
		if (c == 'd')	/* discard */
			return c;
		/* 'h' addheader, 'm' chgheader, 'i' insheader, ...: go on */
	}
}

static int send_macros(int fd, char stage, const char *const *kv)
{
	struct pkt p;
	pkt_start(&p, C_MACRO);
	pkt_add(&p, &stage, 1);
	for (; *kv != NULL; kv++)
		pkt_str(&p, *kv);
	return pkt_send(fd, &p);
}

/* Send an event; read its reply unless the filter said "no reply". */
static int event(int fd, struct pkt *p, uint32_t proto, uint32_t no_step, uint32_t no_reply)
{
	if (proto & no_step)
		return 'c';
	if (pkt_send(fd, p) < 0)
		return -1;
	if (proto & no_reply)
		return 'c';
	return final_reply(fd);
}

static int connect_unix(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static long take(long want)
{
	long got;
	pthread_mutex_lock(&lock);
	got = total_msgs - next_msg;
	if (got > want)
		got = want;
	if (got < 0)
		got = 0;
	next_msg += got;
	pthread_mutex_unlock(&lock);
	return got;
}

static void record(struct worker *w, double us, int c)
{
	if (w->n < w->cap)
		w->lat[w->n++] = us;
	if (c == 'r' || c == 'y')	/* 'y': a refusal with its own SMTP text */
		w->rejects++;
	if (c == 't')
		w->tempfails++;
}

static int session(struct worker *w, long msgs)
{
	struct pkt p;
	char buf[4096];
	size_t len;
	uint32_t v[3], proto;
	int fd = connect_unix(), c;
	static const char body[] =
		"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\r\n";

	if (fd < 0)
		return -1;
	pkt_start(&p, C_OPTNEG);
	v[0] = htonl(6);
	v[1] = htonl(OFFERED_ACTIONS);
	v[2] = htonl(OFFERED_PROTO);
	pkt_add(&p, v, sizeof(v));
	if (pkt_send(fd, &p) < 0 || reply_read(fd, buf, sizeof(buf), &len) != C_OPTNEG || len < 12)
		goto fail;
	memcpy(&proto, buf + 8, 4);
	proto = ntohl(proto);

	{
		static const char *const m[] = { "j", "mx.bench.test", "{daemon_name}", "submission",
						 "{daemon_addr}", "127.0.0.1", NULL };
		uint16_t port = htons(40000);
		send_macros(fd, C_CONNECT, m);
		pkt_start(&p, C_CONNECT);
		pkt_str(&p, "client.bench.test");
		pkt_add(&p, "4", 1);
		pkt_add(&p, &port, 2);
		pkt_str(&p, "192.0.2.10");
		if ((c = event(fd, &p, proto, P_NOCONNECT, P_NR_CONN)) != 'c')
			goto fail;
	}
	{
		static const char *const m[] = { "{tls_version}", "TLSv1.3", "{cipher}",
						 "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256", NULL };
		send_macros(fd, C_HELO, m);
		pkt_start(&p, C_HELO);
		pkt_str(&p, "client.bench.test");
		if ((c = event(fd, &p, proto, P_NOHELO, P_NR_HELO)) != 'c')
			goto fail;
	}
	for (long i = 0; i < msgs; i++) {
		char qid[32], hv[128];
		const char *m[] = { "i", qid, "{auth_type}", "PLAIN", "{auth_authen}", user,
				    "{mail_addr}", "sender@bench.test", "{mail_host}", "bench.test",
				    "{mail_mailer}", "esmtp", NULL };
		double t0 = now_us();

		snprintf(qid, sizeof(qid), "B%lX%lX", (unsigned long)pthread_self() & 0xffff, i);
		send_macros(fd, C_MAIL, m);
		pkt_start(&p, C_MAIL);
		pkt_str(&p, "<sender@bench.test>");
		c = event(fd, &p, proto, P_NOMAIL, P_NR_MAIL);
		if (c != 'c')
			goto done_msg;
		pkt_start(&p, C_RCPT);
		pkt_str(&p, "<rcpt@example.net>");
		if ((c = event(fd, &p, proto, P_NORCPT, P_NR_RCPT)) != 'c')
			goto done_msg;
		pkt_start(&p, C_DATA);
		if ((c = event(fd, &p, proto, P_NODATA, P_NR_DATA)) != 'c')
			goto done_msg;
		{
			static const char *const hdrs[][2] = {
				{ "Received", "from client.bench.test (client.bench.test [192.0.2.10])" },
				{ "From", "Sender <sender@bench.test>" },
				{ "To", "<rcpt@example.net>" },
				{ "Subject", "benchmark message" },
				{ "Date", "Mon, 1 Jan 2024 00:00:00 +0000" },
				{ "Message-ID", "<bench@bench.test>" },
				{ "MIME-Version", "1.0" },
				{ "Content-Type", "text/plain; charset=us-ascii" },
				{ "X-Mailer", "milter_load" },
			};
			for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++) {
				pkt_start(&p, C_HEADER);
				pkt_str(&p, hdrs[h][0]);
				pkt_str(&p, hdrs[h][1]);
				if ((c = event(fd, &p, proto, P_NOHDRS, P_NR_HDR)) != 'c')
					goto done_msg;
			}
			snprintf(hv, sizeof(hv), " %s", tenant);
			pkt_start(&p, C_HEADER);
			pkt_str(&p, "X-Tenant");
			pkt_str(&p, hv);
			if ((c = event(fd, &p, proto, P_NOHDRS, P_NR_HDR)) != 'c')
				goto done_msg;
		}
		pkt_start(&p, C_EOH);
		if ((c = event(fd, &p, proto, P_NOEOH, P_NR_EOH)) != 'c')
			goto done_msg;
		for (int k = 0; k < 2; k++) {
			pkt_start(&p, C_BODY);
			for (int l = 0; l < 13; l++)
				pkt_add(&p, body, sizeof(body) - 1);
			if ((c = event(fd, &p, proto, P_NOBODY, P_NR_BODY)) != 'c')
				goto done_msg;
		}
		pkt_start(&p, C_BODYEOB);
		if (pkt_send(fd, &p) < 0)
			goto fail;
		c = final_reply(fd);
done_msg:
		if (c < 0)
			goto fail;
		record(w, now_us() - t0, c);
		/* a message refused or accepted early: the MTA would go on with
		 * the next MAIL FROM on the same connection */
	}
	pkt_start(&p, C_QUIT);
	(void)pkt_send(fd, &p);
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long n;

	while ((n = take(msgs_per_conn)) > 0)
		if (session(w, n) < 0)
			w->errors++;
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* utime+stime of pid, in seconds; -1 when unknown */
static double proc_cpu(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut, st;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
	const char *label = "milter";
	long pid = 0;
	int opt;
	struct worker *ws;
	double t0, t1, cpu0, cpu1;
	long n = 0, rejects = 0, tempfails = 0, errors = 0;
	double *all;

	while ((opt = getopt(argc, argv, "s:c:n:m:u:t:p:l:")) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'c': n_conns = atoi(optarg); break;
		case 'n': total_msgs = atol(optarg); break;
		case 'm': msgs_per_conn = atoi(optarg); break;
		case 'u': user = optarg; break;
		case 't': tenant = optarg; break;
		case 'p': pid = atol(optarg); break;
		case 'l': label = optarg; break;
		default:
			fprintf(stderr, "usage: milter_load -s SOCKET [-c CONNS] [-n MSGS] [-m PER_CONN] "
				"[-u USER] [-t TENANT] [-p PID] [-l LABEL]\n");
			return 2;
		}
	}
	if (sock_path == NULL || n_conns < 1 || total_msgs < 1 || msgs_per_conn < 1) {
		fprintf(stderr, "milter_load: -s SOCKET required; counts must be positive\n");
		return 2;
	}
	ws = calloc((size_t)n_conns, sizeof(*ws));
	for (int i = 0; i < n_conns; i++) {
		ws[i].cap = total_msgs;
		ws[i].lat = malloc(sizeof(double) * (size_t)total_msgs);
	}
	cpu0 = proc_cpu(pid);
	t0 = now_us();
	for (int i = 0; i < n_conns; i++)
		pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
	for (int i = 0; i < n_conns; i++)
		pthread_join(ws[i].tid, NULL);
	t1 = now_us();
	cpu1 = proc_cpu(pid);

	all = malloc(sizeof(double) * (size_t)total_msgs);
	for (int i = 0; i < n_conns; i++) {
		memcpy(all + n, ws[i].lat, sizeof(double) * (size_t)ws[i].n);
		n += ws[i].n;
		rejects += ws[i].rejects;
		tempfails += ws[i].tempfails;
		errors += ws[i].errors;
	}
	if (n == 0) {
		fprintf(stderr, "milter_load: no message completed (%ld session errors)\n", errors);
		return 1;
	}
	qsort(all, (size_t)n, sizeof(double), cmp_double);
	printf("%s msgs=%ld secs=%.2f msgs_per_s=%.0f p50_us=%.0f p99_us=%.0f cpu_us_per_msg=%.1f "
	       "rejects=%ld tempfails=%ld session_errors=%ld\n",
	       label, n, (t1 - t0) / 1e6, n / ((t1 - t0) / 1e6), all[n / 2],
	       all[(size_t)((double)n * 0.99)], (cpu0 >= 0 && cpu1 >= 0) ? (cpu1 - cpu0) * 1e6 / n : -1.0,
	       rejects, tempfails, errors);
	return errors > 0 || rejects > 0 || tempfails > 0 ? 1 : 0;
}
