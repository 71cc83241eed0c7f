/*
 * log_syslog.c — the syslog client: one datagram socket connected to the
 * syslog daemon's socket (syslog_socket, /dev/log by default), one send per
 * line, no lock on the way.  Lines are framed as syslog(3) frames them for
 * the local socket: "<PRI>Mmm dd hh:mm:ss ident[pid]: text".
 *
 * Why not syslog(3): it serialises every line behind one process-wide lock,
 * formats the time under the time zone lock, and when the socket is missing
 * or refuses (the syslog daemon restarting, a container without one) it
 * tries to reconnect on every line, a socket() and connect() per log line
 * while holding that lock.  Here a failed send reconnects at most once per
 * second; lines sent meanwhile are lost, as syslog(3) loses them, and
 * counted (log.syslog_dropped).
 *
 * The socket's descriptor number never changes: a reconnect connects a new
 * socket and dup2()s it over the old one, so a thread sending concurrently
 * uses either the old or the new socket, never a closed or reused number.
 */
#include <autoconfig.h>
#include "log.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int sock_fd = -1;			/* set once, then only dup2()ed over */
static pthread_mutex_t reconnect_lock = PTHREAD_MUTEX_INITIALIZER;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char ident[64] = "relayguard";
static _Atomic int facility = LOG_MAIL;
static _Atomic long pid;
static _Atomic time_t next_attempt;		/* no reconnect before this second */

/* A new socket connected to sock_path, or -1. */
static int connect_new(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (sock_path[0] == '\0')
		return -1;
	memcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect again (at most once per second); true when connected. */
static bool reconnect(void)
{
	time_t now = time(NULL);
	bool ok = false;

	if (now < atomic_load(&next_attempt))
		return false;
	pthread_mutex_lock(&reconnect_lock);
	if (now >= atomic_load(&next_attempt)) {
		atomic_store(&next_attempt, now + 1);
		int fd = connect_new();
		if (fd >= 0) {
			if (sock_fd < 0) {
				sock_fd = fd;
				ok = true;
			} else {
				ok = dup2(fd, sock_fd) >= 0;
				close(fd);
			}
		}
	}
	pthread_mutex_unlock(&reconnect_lock);
	return ok;
}

static void note_pid(void);

static void register_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, note_pid);
}

/* a forked child (the daemon going to the background) logs its own pid */
static void note_pid(void)
{
	atomic_store(&pid, (long)getpid());
}

int rg_syslog_open(const char *path, const char *name, int fac)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, register_atfork);
	pthread_mutex_lock(&reconnect_lock);
	snprintf(sock_path, sizeof(sock_path), "%s", path != NULL ? path : RG_SYSLOG_SOCKET);
	snprintf(ident, sizeof(ident), "%s", name != NULL ? name : "relayguard");
	atomic_store(&facility, fac);
	atomic_store(&pid, (long)getpid());
	atomic_store(&next_attempt, 0);
	pthread_mutex_unlock(&reconnect_lock);
	tzset();	/* localtime_r below does not */
	return reconnect() ? 0 : -1;
}

/* "Mmm dd hh:mm:ss", formatted once per second per thread. */
static const char *stamp(void)
{
	static __thread time_t last = -1;
	static __thread char buf[32];
	time_t now = time(NULL);
	struct tm tm;

	if (now != last && localtime_r(&now, &tm) != NULL) {
		strftime(buf, sizeof(buf), "%b %e %H:%M:%S", &tm);
		last = now;
	}
	return buf;
}

void rg_syslog_send(int priority, const char *text)
{
	char head[sizeof(ident) + 64];
	int fd = sock_fd;

	if (fd < 0 && !reconnect())
		goto dropped;
	/* the header and the text go out as one datagram from two pieces (no
	 * copy of the text into a line-sized buffer on this thread's stack) */
	int n = snprintf(head, sizeof(head), "<%d>%s %s[%ld]: ",
			 (atomic_load_explicit(&facility, memory_order_relaxed) & LOG_FACMASK) |
			 LOG_PRI(priority), stamp(), ident,
			 atomic_load_explicit(&pid, memory_order_relaxed));
	if (n < 0 || (size_t)n >= sizeof(head))
		goto dropped;
	size_t tlen = strlen(text);
	if ((size_t)n + tlen > RG_SYSLOG_LINE_MAX)
		tlen = RG_SYSLOG_LINE_MAX - (size_t)n;
	struct iovec iov[2] = { { .iov_base = head, .iov_len = (size_t)n },
				{ .iov_base = (void *)(uintptr_t)text, .iov_len = tlen } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	if (sendmsg(sock_fd, &mh, MSG_NOSIGNAL) >= 0)
		return;
	if (errno != EMSGSIZE && reconnect() && sendmsg(sock_fd, &mh, MSG_NOSIGNAL) >= 0)
		return;
dropped:
	rg_stats_inc("log.syslog_dropped");
}
