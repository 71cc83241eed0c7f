/* test_unixsock.c — the one unix-socket listener (common/unixsock.c): a stale
 * socket is replaced, any other file is kept and refused, permissions are set
 * before listen() and a failure leaves nothing behind; rg_write_all's errors. */
#include <autoconfig.h>
#include "unixsock.h"
#include "../tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int perms_calls;
static mode_t perms_seen_mode;

static int perms_ok(const char *path, const struct rg_config *cfg, char **error_r)
{
	struct stat st;
	(void)cfg;
	(void)error_r;
	perms_calls++;
	if (stat(path, &st) == 0)
		perms_seen_mode = st.st_mode;
	return chmod(path, 0600);
}

static int perms_fail(const char *path, const struct rg_config *cfg, char **error_r)
{
	(void)cfg;
	if (asprintf(error_r, "%s: no such user 'x'", path) < 0)
		*error_r = NULL;
	return -1;
}

static void say_hi(int fd)
{
	(void)!write(fd, "hi\n", 3);
}

static int connects(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), r;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

int main(void)
{
	char dir[] = "/tmp/rg-unixsock.XXXXXX", path[256], *err = NULL;
	struct stat st;
	int fd;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/s", dir);

	fd = rg_unix_listen(path, 4, perms_ok, NULL, &err);
	ok(fd >= 0 && err == NULL, "listens on a fresh path");
	ok(perms_calls == 1 && S_ISSOCK(perms_seen_mode), "permissions set on the bound socket");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode as the hook set it");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
	ok(connects(path), "accepts connections");
	close(fd);

	fd = rg_unix_listen(path, 4, NULL, NULL, &err);
	ok(fd >= 0 && connects(path), "a stale socket left at the path is replaced");
	close(fd);

	unlink(path);
	int f = open(path, O_CREAT | O_WRONLY, 0644);
	(void)!write(f, "keep me\n", 8);
	close(f);
	fd = rg_unix_listen(path, 4, NULL, NULL, &err);
	ok(fd < 0 && err && strstr(err, "exists and is not a socket") && strstr(err, path),
	   "a regular file at the path is refused (%s)", err ? err : "");
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 8, "and kept as it was");
	free(err);
	err = NULL;
	unlink(path);

	fd = rg_unix_listen(path, 4, perms_fail, NULL, &err);
	ok(fd < 0 && err && strstr(err, "no such user"), "the permission hook's error comes back");
	ok(lstat(path, &st) != 0, "and no socket is left behind");
	free(err);
	err = NULL;

	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	fd = rg_unix_listen(longp, 4, NULL, NULL, &err);
	ok(fd < 0 && err && strstr(err, "too long"), "a path too long for sun_path: an error");
	free(err);
	err = NULL;

	/* rg_write_all: all bytes through a socketpair; a closed peer is an error, no SIGPIPE */
	int sv[2];
	char buf[70000], got[70000];
	size_t have = 0;
	memset(buf, 'x', sizeof(buf));
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	if (fork() == 0) {
		close(sv[0]);
		_exit(rg_write_all(sv[1], buf, sizeof(buf)) == 0 ? 0 : 1);
	}
	close(sv[1]);
	for (ssize_t n; (n = read(sv[0], got + have, sizeof(got) - have)) > 0;)
		have += (size_t)n;
	is_int(have, sizeof(buf), "rg_write_all writes every byte of a write larger than the buffer");
	close(sv[0]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[0]);
	ok(rg_write_all(sv[1], "x", 1) == -1 && errno == EPIPE,
	   "a closed peer: -1 with EPIPE, and the process is still here (no SIGPIPE)");
	close(sv[1]);

	/* the serial server: one connection at a time on its thread, stopped cleanly */
	struct rg_serial_server srv = { 0 };
	unlink(path);
	fd = rg_unix_listen(path, 4, NULL, NULL, &err);
	ok(fd >= 0 && rg_serial_server_start(&srv, fd, say_hi, "test", &err) == 0,
	   "serial server started");
	int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, path, strlen(path) + 1);	/* short: /tmp/rg-unixsock.XXXXXX/s */
	char got2[8] = "";
	ok(connect(c1, (struct sockaddr *)&sa, sizeof(sa)) == 0 && read(c1, got2, 3) == 3 &&
		   memcmp(got2, "hi\n", 3) == 0,
	   "a client is served");
	close(c1);
	rg_serial_server_stop(&srv);
	ok(!srv.running && srv.fd == -1, "stopped: thread joined, listener closed");
	ok(!connects(path), "no connection is accepted after the stop");
	rg_serial_server_stop(&srv);
	ok(!srv.running && srv.fd == -1, "stopping twice is harmless");

	unlink(path);
	rmdir(dir);
	return done_testing();
}
