/* counters_shared.c — counters from the configuration (counters_shared.h). */
#include <autoconfig.h>
#include "counters_shared.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rg_counters_error(char **error_r, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return rg_error_r(error_r, "%s", buf);
}

struct rg_counters *rg_counters_open(const struct rg_shared_state_conf *conf, const char *ns,
				     size_t max_counters, size_t max_flags, char **error_r)
{
	if (conf != NULL && conf->type == RG_SHARED_REDIS)
		return rg_counters_redis_new(conf, ns, max_counters, max_flags, error_r);
	struct rg_counters *c = rg_counters_local_new(max_counters, max_flags);
	if (c == NULL)
		rg_counters_error(error_r, "out of memory");
	return c;
}

int rg_counters_batch(struct rg_counters *c, struct rg_counters_op *ops, size_t n, time_t now,
		      const char **error_r)
{
	bool same = true;	/* an implementation's batch takes its own kind only */
	for (size_t i = 0; i < n; i++)
		same = same && (ops[i].in == NULL || ops[i].in->ops == c->ops);
	if (c->ops->batch != NULL && same)
		return c->ops->batch(c, ops, n, now, error_r);
	for (size_t i = 0; i < n; i++) {
		struct rg_counters_op *o = &ops[i];
		struct rg_counters *c0 = c;
		int r = RG_COUNTERS_OK;
		if (o->in != NULL)
			c = o->in;
		switch (o->kind) {
		case RG_CTR_ADD:
			r = c->ops->add(c, o->key, o->window_s, o->n, now, &o->count, error_r);
			break;
		case RG_CTR_GET:
			r = c->ops->get(c, o->key, o->window_s, now, &o->count, error_r);
			break;
		case RG_CTR_DISTINCT: {
			uint64_t m = 0;
			r = c->ops->add(c, o->member, o->window_s, 1, now, &m, error_r);
			if (r == RG_COUNTERS_OK)
				r = m == 1 ? c->ops->add(c, o->key, o->window_s, 1, now, &o->count, error_r)
					   : c->ops->get(c, o->key, o->window_s, now, &o->count, error_r);
			break;
		}
		case RG_CTR_FLAG_GET:
			o->until = 0;
			r = c->ops->flag_get(c, o->key, now, &o->set, &o->until, NULL, 0, error_r);
			break;
		case RG_CTR_BUMP_GET:
			r = c->ops->bump_get(c, o->key, o->window_s, now, &o->count, error_r);
			break;
		}
		c = c0;
		if (r != RG_COUNTERS_OK)
			return r;
	}
	return RG_COUNTERS_OK;
}
