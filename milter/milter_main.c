/* milter_main.c — register the filter, open the socket, run libmilter. */
#include <autoconfig.h>
#include "rg_milter.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>
#include "log.h"
#include "sockperm.h"
#include "milter_callbacks.h"
#include "milter_ctx.h"

int rg_milter_open(const struct rg_config *cfg)
{
	const char *spec = cfg->milter.socket;
	const char *path;
	char *err = NULL;

	if (spec == NULL || spec[0] == '\0') {
		rg_log(LOG_ERR, "milter: milter.socket is not set");
		return -1;
	}
	/* used only when no current snapshot is set (rg_config_current_set) */
	rg_milter_conn_set_fallback_config((struct rg_config *)cfg);
	if (smfi_register(rg_milter_desc) != MI_SUCCESS) {
		rg_log(LOG_ERR, "milter: smfi_register failed");
		return -1;
	}
	if (smfi_setconn((char *)spec) != MI_SUCCESS) {
		rg_log(LOG_ERR, "milter: bad socket specification \"%s\"", spec);
		return -1;
	}
	if (cfg->milter.timeout > 0)
		(void)smfi_settimeout(cfg->milter.timeout);
	if (smfi_opensocket(true) != MI_SUCCESS) {	/* true: remove a stale unix socket */
		rg_log(LOG_ERR, "milter: cannot open socket %s", spec);
		return -1;
	}
	/* owner, group and mode as for every other socket (socket_owner,
	 * socket_group, socket_mode), set while we may still be root */
	path = rg_socket_unix_path(spec);
	if (path != NULL && rg_socket_apply_perms(path, cfg, &err) != 0) {
		rg_log(LOG_ERR, "milter: %s", err ? err : "cannot set socket permissions");
		free(err);
		return -1;
	}
	rg_log(LOG_INFO, "milter: listening on %s", spec);
	return 0;
}

int rg_milter_run(void)
{
	if (smfi_main() != MI_SUCCESS) {
		rg_log(LOG_ERR, "milter: libmilter stopped with an error");
		return 1;
	}
	return 0;
}

int rg_milter_main(const struct rg_config *cfg)
{
	if (rg_milter_open(cfg) != 0)
		return 1;
	return rg_milter_run();
}
