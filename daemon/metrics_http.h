/*
 * metrics_http.h — an optional HTTP listener (metrics_listen) that serves the
 * Prometheus exposition at GET /metrics, so that Prometheus scrapes relayguard
 * directly.  Loopback TCP or a unix socket only (the config check refuses any
 * other address).  One thread, one request per connection, bounded request size
 * and time.
 */
#ifndef RG_METRICS_HTTP_H
#define RG_METRICS_HTTP_H

#include "config.h"

/* Start serving cfg->metrics_listen ("" = off: returns 0).  -1 with *error_r. */
int rg_metrics_http_start(const struct rg_config *cfg, char **error_r);
void rg_metrics_http_stop(void);

/* The answer to one request (exposed for the unit test): the whole HTTP
 * response for the request text req (up to its end of headers) into out. */
void rg_metrics_http_answer(const char *req, FILE *out);

#endif
