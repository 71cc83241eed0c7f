/*
 * null_dovecot.c — the speed-of-light reference for `make bench-auth`: a
 * Dovecot-auth-protocol server that answers OK to every AUTH without looking
 * at it (no store, no hash, no cache, no log line), one thread per connection
 * as relayguard's SASL service has.  What relayguard does beyond this is the
 * cost of its checks.  Not a server for anything else.
 *
 *   null_dovecot SOCKET        (runs until killed)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[65536], out[65536];
	size_t have = 0;
	const char *hello = "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
			    "SPID\t1\nCUID\t1\nCOOKIE\t00000000000000000000000000000000\nDONE\n";

	if (write_all(fd, hello, strlen(hello)) == 0) {
		for (;;) {
			ssize_t k = read(fd, buf + have, sizeof(buf) - have);
			if (k <= 0)
				break;
			have += (size_t)k;
			/* answer every complete AUTH line of this read in one write */
			size_t olen = 0, start = 0;
			for (size_t i = 0; i < have; i++) {
				if (buf[i] != '\n')
					continue;
				buf[i] = '\0';
				const char *line = buf + start;
				if (strncmp(line, "AUTH\t", 5) == 0 && olen + 64 < sizeof(out)) {
					unsigned id = (unsigned)strtoul(line + 5, NULL, 10);
					olen += (size_t)snprintf(out + olen, sizeof(out) - olen,
								 "OK\t%u\tuser=x\n", id);
				}
				start = i + 1;
			}
			memmove(buf, buf + start, have - start);
			have -= start;
			if (have == sizeof(buf))
				break;	/* a line longer than the buffer */
			if (olen > 0 && write_all(fd, out, olen) < 0)
				break;
		}
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_attr_t attr;
	int lfd;

	if (argc != 2) {
		fprintf(stderr, "usage: null_dovecot SOCKET\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0) {
		perror(argv[1]);
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;
		if (fd < 0)
			continue;
		if (pthread_create(&t, &attr, serve, (void *)(long)fd) != 0)
			close(fd);
	}
}
