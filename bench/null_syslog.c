/*
 * null_syslog.c — the cheapest syslog daemon, for `make bench-auth`: binds a
 * datagram socket (as /dev/log is) and reads every line, keeping none, so
 * that relayguard's per-login log line is measured as far as the socket
 * without a real syslog daemon's own cost.  Not a syslog daemon for anything
 * else.  Counts lines; prints the count on SIGTERM.
 *
 *   null_syslog SOCKET        (runs until killed)
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void on_term(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sigaction act = { .sa_handler = on_term };	/* no SA_RESTART: recv returns */
	char buf[65536];
	unsigned long lines = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: null_syslog SOCKET\n");
		return 64;
	}
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (!done)
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			lines++;
	unlink(argv[1]);
	printf("lines=%lu\n", lines);
	return 0;
}
