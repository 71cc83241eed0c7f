/*
 * store_static.c — users written in the config (stores = ({ type = "static";
 * users = ( { name; password; enabled; act_as = [...]; } ); })).
 *
 * At open the users are indexed in a sorted array (bsearch at lookup); the
 * strings stay owned by the config snapshot, which outlives the store.
 * A name given twice is an open error (which entry would win is not obvious).
 * Tenant grants for the config's tenants.list are handled by the chain
 * (store.c), so this store knows no tenants.
 */
#include <autoconfig.h>
#include "store.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct static_store {
	const struct rg_static_user **by_name;
	size_t n;
};

static int cmp_user(const void *a, const void *b)
{
	const struct rg_static_user *ua = *(const struct rg_static_user *const *)a;
	const struct rg_static_user *ub = *(const struct rg_static_user *const *)b;
	return strcmp(ua->name, ub->name);
}

static int cmp_key(const void *key, const void *elem)
{
	const struct rg_static_user *u = *(const struct rg_static_user *const *)elem;
	return strcmp((const char *)key, u->name);
}

static const struct rg_static_user *find_user(const struct static_store *s, const char *name)
{
	if (s->n == 0 || name == NULL)
		return NULL;
	const struct rg_static_user *const *p = bsearch(name, s->by_name, s->n,
						       sizeof(s->by_name[0]), cmp_key);
	return p != NULL ? *p : NULL;
}

static int static_open(struct rg_store *st, const struct rg_config *cfg, char **error_r)
{
	const struct rg_store_conf *conf = st->conf;
	struct static_store *s = calloc(1, sizeof(*s));
	char msg[512];

	(void)cfg;
	if (s == NULL) {
		rg_error_r(error_r, "out of memory");
		return -1;
	}
	s->n = conf->n_users;
	if (s->n > 0) {
		s->by_name = calloc(s->n, sizeof(s->by_name[0]));
		if (s->by_name == NULL) {
			free(s);
			rg_error_r(error_r, "out of memory");
			return -1;
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct rg_static_user *u = &conf->users[i];
		if (u->name == NULL || u->name[0] == '\0' || u->password == NULL) {
			snprintf(msg, sizeof(msg), "line %d: user without name or password", u->line);
			goto fail;
		}
		s->by_name[i] = u;
	}
	if (s->n > 1)
		qsort(s->by_name, s->n, sizeof(s->by_name[0]), cmp_user);
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->by_name[i - 1]->name, s->by_name[i]->name) == 0) {
			snprintf(msg, sizeof(msg), "line %d: user \"%.100s\" is already defined at line %d",
				 s->by_name[i]->line > s->by_name[i - 1]->line ?
				 s->by_name[i]->line : s->by_name[i - 1]->line,
				 s->by_name[i]->name,
				 s->by_name[i]->line > s->by_name[i - 1]->line ?
				 s->by_name[i - 1]->line : s->by_name[i]->line);
			goto fail;
		}
	}
	st->priv = s;
	return 0;
fail:
	free(s->by_name);
	free(s);
	rg_error_r(error_r, "%s", msg);
	return -1;
}

static enum rg_lookup static_lookup_user(struct rg_store *st, const char *user,
					 struct rg_user_record *rec_r, const char **error_r)
{
	const struct rg_static_user *u = find_user(st->priv, user);

	rec_r->password = NULL;
	rec_r->enabled = false;
	if (u == NULL)
		return RG_LOOKUP_NOTFOUND;
	rec_r->password = strdup(u->password);
	if (rec_r->password == NULL) {
		*error_r = "out of memory";
		return RG_LOOKUP_ERROR;
	}
	rec_r->enabled = u->enabled;
	return RG_LOOKUP_FOUND;
}

static enum rg_lookup static_lookup_state(struct rg_store *st, const char *user, bool *enabled_r,
					  const char **error_r)
{
	const struct rg_static_user *u = find_user(st->priv, user);

	(void)error_r;
	*enabled_r = u != NULL && u->enabled;
	return u != NULL ? RG_LOOKUP_FOUND : RG_LOOKUP_NOTFOUND;
}

static enum rg_lookup static_may_act_as(struct rg_store *st, const char *user, const char *as,
					const char **error_r)
{
	const struct rg_static_user *u = find_user(st->priv, user);

	(void)error_r;
	if (u == NULL)
		return RG_LOOKUP_NOTFOUND;
	for (size_t i = 0; i < u->n_act_as; i++)
		if (u->act_as[i] != NULL && strcmp(u->act_as[i], as) == 0)
			return RG_LOOKUP_FOUND;
	return RG_LOOKUP_NOTFOUND;
}

static enum rg_lookup static_tenant_authz(struct rg_store *st, const char *tenant,
					  const char *user, bool *allowed_r, const char **error_r)
{
	(void)st; (void)tenant; (void)user; (void)error_r;
	*allowed_r = false;
	return RG_LOOKUP_NOTFOUND;
}

/* Does u hold grant?  Both are normalized (the loader normalized the
 * config's grants). */
static bool holds(const struct rg_static_user *u, const char *grant)
{
	for (size_t i = 0; i < u->n_senders; i++)
		if (u->senders[i] != NULL && strcmp(u->senders[i], grant) == 0)
			return true;
	return false;
}

static enum rg_lookup static_sender_granted(struct rg_store *st, const char *identity,
					    const char *grant, const char **error_r)
{
	const struct rg_static_user *u = find_user(st->priv, identity);

	(void)error_r;
	return u != NULL && holds(u, grant) ? RG_LOOKUP_FOUND : RG_LOOKUP_NOTFOUND;
}

static enum rg_lookup static_sender_has_owner(struct rg_store *st, const char *grant,
					      const char **error_r)
{
	const struct static_store *s = st->priv;

	(void)error_r;
	for (size_t i = 0; i < s->n; i++)
		if (holds(s->by_name[i], grant))
			return RG_LOOKUP_FOUND;
	return RG_LOOKUP_NOTFOUND;
}

static int static_foreach_hash(struct rg_store *st,
			       int (*fn)(void *ctx, const char *user, const char *hash), void *ctx,
			       char **error_r)
{
	const struct static_store *s = st->priv;
	int ret = 0;

	(void)error_r;
	for (size_t i = 0; i < s->n; i++)
		if (fn(ctx, s->by_name[i]->name, s->by_name[i]->password) < 0)
			ret = -1;
	return ret;
}

static void static_close(struct rg_store *st)
{
	struct static_store *s = st->priv;

	if (s == NULL)
		return;
	free(s->by_name);
	free(s);
	st->priv = NULL;
}

const struct rg_store_ops rg_store_static_ops = {
	.open = static_open,
	.lookup_user = static_lookup_user,
	.lookup_state = static_lookup_state,
	.may_act_as = static_may_act_as,
	.tenant_authz = static_tenant_authz,
	.sender_granted = static_sender_granted,
	.sender_has_owner = static_sender_has_owner,
	.foreach_hash = static_foreach_hash,
	.close = static_close,
};
