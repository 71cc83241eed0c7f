/* milter_peer.c — the MTA process at the other end of a milter connection.
 *
 * libmilter does not hand out a connection's socket.  Its context (struct
 * smfi_str in libmilter's private libmilter.h) has begun with the same two
 * members since 8.12: the thread id, then the socket descriptor.  We read the
 * descriptor from there and trust it only when it is what it must be: a unix
 * socket whose local address is our milter socket.  Anything else (an inet
 * socket, a layout we do not recognise) answers "unknown" (0), and the policy
 * treats the session as one whose login cannot be tied to it. */
#include <autoconfig.h>
#include "milter_peer.h"

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "logins.h"
#include "sockperm.h"

struct smfi_head {	/* the first members of libmilter's struct smfi_str */
	pthread_t id;
	int sd;
};

pid_t rg_milter_peer_pid(SMFICTX *ctx, const char *socket_spec)
{
	const char *path = rg_socket_unix_path(socket_spec);
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int fd;

	if (ctx == NULL || path == NULL)
		return 0;	/* inet milter socket: no peer credentials */
	fd = ((const struct smfi_head *)(const void *)ctx)->sd;
	memset(&sa, 0, sizeof(sa));
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
	    sa.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(sa.sun_path, path, sizeof(sa.sun_path)) != 0)
		return 0;
	return rg_peer_pid_unix(fd);	/* getsockname above: a unix socket */
}
