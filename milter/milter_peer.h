/* milter_peer.h — the MTA process at the other end of a milter connection. */
#ifndef RG_MILTER_PEER_H
#define RG_MILTER_PEER_H

#include <sys/types.h>
#include <libmilter/mfapi.h>

/* The peer process of this milter connection when it came in on the unix
 * socket socket_spec ("unix:/path", "local:/path" or "/path"), else 0. */
pid_t rg_milter_peer_pid(SMFICTX *ctx, const char *socket_spec);

#endif
