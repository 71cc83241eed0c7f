/* milter_main.c — register the filter, open the socket, run libmilter. */
#include <autoconfig.h>
#include "rg_milter.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>
#include "log.h"
#include "milter_callbacks.h"
#include "milter_ctx.h"

/* "unix:/path", "local:/path" or a bare "/path" → the path, else NULL. */
static const char *unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

int rg_milter_main(const struct rg_config *cfg)
{
	const char *spec = cfg->milter.socket;
	const char *path;

	if (spec == NULL || spec[0] == '\0') {
		rg_log(LOG_ERR, "milter: milter.socket is not set");
		return 1;
	}
	/* used only when no current snapshot is set (rg_config_current_set) */
	rg_mconn_set_fallback_config((struct rg_config *)cfg);
	if (smfi_register(rg_milter_desc) != MI_SUCCESS) {
		rg_log(LOG_ERR, "milter: smfi_register failed");
		return 1;
	}
	if (smfi_setconn((char *)spec) != MI_SUCCESS) {
		rg_log(LOG_ERR, "milter: bad socket specification \"%s\"", spec);
		return 1;
	}
	if (cfg->milter.timeout > 0)
		(void)smfi_settimeout(cfg->milter.timeout);
	if (smfi_opensocket(true) != MI_SUCCESS) {	/* true: remove a stale unix socket */
		rg_log(LOG_ERR, "milter: cannot open socket %s", spec);
		return 1;
	}
	path = unix_path(spec);
	if (path != NULL && cfg->socket_mode != 0 && chmod(path, (mode_t)cfg->socket_mode) < 0)
		rg_log(LOG_WARNING, "milter: chmod %s: %s", path, strerror(errno));
	rg_log(LOG_INFO, "milter: listening on %s", spec);
	if (smfi_main() != MI_SUCCESS) {
		rg_log(LOG_ERR, "milter: libmilter stopped with an error");
		return 1;
	}
	return 0;
}
