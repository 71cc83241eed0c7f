/*
 * store_open.c — a snapshot's stores: checking what only the stores know (the
 * static users' hashes), opening them, closing them with the snapshot's last
 * reference, and `relayguard -n`'s walk over every stored hash.  The config
 * loader (common/) knows nothing of stores beyond their settings.
 */
#include <autoconfig.h>
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "msgs.h"
#include "pwscheme.h"

static const char *store_label(const struct rg_store_conf *sc)
{
	return sc->name ? sc->name : rg_store_type_name(sc->type);
}

/* config_free() calls this through cfg->release_stores. */
static void close_stores(struct rg_config *cfg)
{
	for (size_t i = 0; cfg->opened && i < cfg->n_stores; i++)
		if (cfg->opened[i])
			rg_store_close(cfg->opened[i]);
	free(cfg->opened);
	cfg->opened = NULL;
}

/* Every static user's hash must be one relayguard can run (scheme known, not
 * refused, within the limits); a plaintext one is a warning. */
static void check_static_hashes(const struct rg_config *cfg, struct rg_msgs *errs,
				struct rg_msgs *warns)
{
	struct rg_pw_params params;

	rg_pw_params_from_config(cfg, &params);
	for (size_t i = 0; i < cfg->n_stores; i++) {
		const struct rg_store_conf *sc = &cfg->stores[i];
		if (sc->type != RG_STORE_STATIC)
			continue;
		for (size_t u = 0; u < sc->n_users; u++) {
			const struct rg_static_user *us = &sc->users[u];
			const char *why = NULL;

			if (us->name == NULL || us->password == NULL)
				continue;	/* reported by the loader */
			if (rg_pwscheme_check(us->password, &params, &why) != 0)
				rg_msgs_add(errs, cfg->path, us->line, "stores[%zu].users[%zu]: user "
					    "\"%s\": password: %s", i, u, us->name,
					    why ? why : "not a known password scheme");
			else if (rg_pwscheme_is_weak(us->password))
				rg_msgs_add(warns, cfg->path, us->line, "warning: user \"%s\" has a "
					    "plaintext password", us->name);
		}
	}
}

/* One line per problem, without the final newline, so callers can print it
 * as a message. */
static char *take_lines(struct rg_msgs *m)
{
	char *text = rg_msgs_take(m);
	size_t n = text ? strlen(text) : 0;

	if (n > 0 && text[n - 1] == '\n')
		text[n - 1] = '\0';
	return text;
}

int rg_stores_open(struct rg_config *cfg, char **errors_r)
{
	struct rg_msgs errs = {0}, warns = {0};
	char *warnings;

	*errors_r = NULL;
	if (cfg->opened)
		return 0;
	check_static_hashes(cfg, &errs, &warns);
	warnings = rg_msgs_take(&warns);
	rg_config_add_warnings(cfg, warnings);
	free(warnings);
	if (errs.count > 0) {
		*errors_r = take_lines(&errs);
		return -1;
	}
	cfg->opened = calloc(cfg->n_stores ? cfg->n_stores : 1, sizeof(struct rg_store *));
	if (cfg->opened == NULL) {
		rg_error_r(errors_r, "out of memory");
		return -1;
	}
	cfg->release_stores = close_stores;
	for (size_t i = 0; i < cfg->n_stores; i++) {
		char *err = NULL;
		const struct rg_store_conf *sc = &cfg->stores[i];
		cfg->opened[i] = rg_store_open(cfg, sc, &err);
		if (cfg->opened[i] == NULL)
			rg_msgs_add(&errs, cfg->path, sc->line, "stores[%zu] (%s): cannot open: %s", i,
				    sc->name ? sc->name : (sc->path ? sc->path : "static"),
				    err ? err : "unknown error");
		free(err);
	}
	if (errs.count == 0)
		return 0;
	close_stores(cfg);
	*errors_r = take_lines(&errs);
	return -1;
}

/* ---- `relayguard -n`: every stored hash of every opened store ---- */

struct hash_walk {
	struct rg_msgs *m;
	const struct rg_config *cfg;
	const struct rg_store_conf *sc;
	size_t index;
	struct rg_pw_params params;
};

static int check_one_hash(void *ctxp, const char *user, const char *hash)
{
	struct hash_walk *w = ctxp;
	const char *why = NULL;

	if (rg_pwscheme_check(hash, &w->params, &why) != 0)
		rg_msgs_add(w->m, w->cfg->path, w->sc->line, "stores[%zu] (%s%s%s): user \"%s\": "
			    "password: %s", w->index, store_label(w->sc),
			    w->sc->path ? " " : "", w->sc->path ? w->sc->path : "", user,
			    why ? why : "not a known password scheme");
	return 0;
}

int rg_stores_check_hashes(const struct rg_config *cfg, char **errors_r)
{
	struct rg_msgs m = {0};

	*errors_r = NULL;
	for (size_t i = 0; cfg->opened && i < cfg->n_stores; i++) {
		struct rg_store *st = cfg->opened[i];
		struct hash_walk w = { &m, cfg, &cfg->stores[i], i, {0} };
		char *err = NULL;

		/* static users were checked when the stores were opened */
		if (st == NULL || cfg->stores[i].type == RG_STORE_STATIC || !st->ops->foreach_hash)
			continue;
		rg_pw_params_from_config(cfg, &w.params);
		if (st->ops->foreach_hash(st, check_one_hash, &w, &err) != 0)
			rg_msgs_add(&m, cfg->path, cfg->stores[i].line, "stores[%zu] (%s): cannot "
				    "read the stored hashes: %s", i, store_label(&cfg->stores[i]),
				    err ? err : "unknown error");
		free(err);
	}
	*errors_r = rg_msgs_take(&m);
	return *errors_r ? -1 : 0;
}
