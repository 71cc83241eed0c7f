/*
 * store_testlib.h — helpers for the store unit tests: a private folder under
 * the build tree, files, and a struct rg_config built by hand (so the store
 * tests do not depend on the config loader).
 */
#ifndef RG_STORE_TESTLIB_H
#define RG_STORE_TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "store.h"

#define TL_UNUSED __attribute__((unused))

static char tl_dir[256];

static TL_UNUSED void tl_rmdir(void)
{
	char cmd[400];
	if (tl_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tl_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tl_dir);
}

/* A private folder in the build tree (the current directory of make check). */
static TL_UNUSED const char *tl_mkdir(const char *name)
{
	mkdir("t", 0755);
	mkdir("t/tmp", 0755);
	snprintf(tl_dir, sizeof(tl_dir), "t/tmp/%s.XXXXXX", name);
	if (mkdtemp(tl_dir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tl_dir, strerror(errno));
		exit(1);
	}
	atexit(tl_rmdir);
	return tl_dir;
}

static TL_UNUSED char *tl_path(const char *name)
{
	static char buf[8][400];
	static int i;
	char *p = buf[i++ % 8];
	snprintf(p, 400, "%s/%s", tl_dir, name);
	return p;
}

static TL_UNUSED void tl_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("Bail out! write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static TL_UNUSED double tl_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static TL_UNUSED bool tl_contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

/* ---- a config built by hand ---- */

#define TL_MAX_STORES 8
struct tl_config {
	struct rg_config cfg;
	struct rg_store_conf confs[TL_MAX_STORES];
	struct rg_store *opened[TL_MAX_STORES];
};

static TL_UNUSED struct tl_config *tl_config_new(void)
{
	struct tl_config *t = calloc(1, sizeof(*t));
	t->cfg.stores = t->confs;
	t->cfg.opened = t->opened;
	return t;
}

static TL_UNUSED struct rg_store_conf *tl_add_store(struct tl_config *t, enum rg_store_type type,
						   const char *path)
{
	if (t->cfg.n_stores == TL_MAX_STORES) {
		printf("Bail out! too many stores in one test config\n");
		exit(1);
	}
	struct rg_store_conf *c = &t->confs[t->cfg.n_stores++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->path = (char *)path;
	c->busy_timeout_ms = 200;
	c->line = (int)t->cfg.n_stores;
	return c;
}

/* Open every store; returns -1 and prints a diag on failure. */
static TL_UNUSED int tl_open_all(struct tl_config *t)
{
	for (size_t i = 0; i < t->cfg.n_stores; i++) {
		char *err = NULL;
		t->opened[i] = rg_store_open(&t->cfg, &t->confs[i], &err);
		if (t->opened[i] == NULL) {
			printf("# open store %zu: %s\n", i, err ? err : "?");
			free(err);
			return -1;
		}
	}
	return 0;
}

static TL_UNUSED void tl_close_all(struct tl_config *t)
{
	for (size_t i = 0; i < t->cfg.n_stores; i++) {
		rg_store_close(t->opened[i]);
		t->opened[i] = NULL;
	}
}

/* Open one store from conf; NULL with *err set (caller frees) on failure. */
static TL_UNUSED struct rg_store *tl_open(struct tl_config *t, struct rg_store_conf *c, char **err)
{
	*err = NULL;
	return rg_store_open(&t->cfg, c, err);
}

/* Lookup through one store; the record's password is returned in pw (or ""). */
static TL_UNUSED enum rg_lookup tl_lookup(struct rg_store *st, const char *user, char *pw,
					   size_t pwlen, bool *enabled, const char **err)
{
	struct rg_user_record rec = { NULL, false };
	const char *e = NULL;
	enum rg_lookup r = st->ops->lookup_user(st, user, &rec, &e);
	if (pw != NULL)
		snprintf(pw, pwlen, "%s", rec.password ? rec.password : "");
	if (enabled != NULL)
		*enabled = rec.enabled;
	if (err != NULL)
		*err = e;
	rg_user_record_clear(&rec);
	return r;
}

#endif
