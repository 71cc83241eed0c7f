/*
 * config.c — load a libconfig file into an immutable, reference-counted
 * struct rg_config, driven by the key table in config_keys.c.
 *
 * Every problem is collected as "file:line: message" (not only the first).
 */
#include <autoconfig.h>
#include "config.h"
#include "config_internal.h"
#include "config_keys.h"

#include <errno.h>
#include <libconfig.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AT(base, off, type) ((type *)((char *)(base) + (off)))

/* ---- messages ---------------------------------------------------------------- */

void rg_msgs_add(struct rg_msgs *m, const char *file, int line, const char *fmt, ...)
{
	char text[1024], head[512];
	va_list ap;
	size_t need;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(head, sizeof(head), "%s:%d: ", file, line);
	else
		snprintf(head, sizeof(head), "%s: ", file);
	need = m->len + strlen(head) + strlen(text) + 2;
	if (need > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		char *nb;
		while (cap < need)
			cap *= 2;
		nb = realloc(m->buf, cap);
		if (nb == NULL)
			abort();	/* out of memory while reporting: nothing sane left */
		m->buf = nb;
		m->cap = cap;
	}
	m->len += (size_t)sprintf(m->buf + m->len, "%s%s\n", head, text);
	m->count++;
}

char *rg_msgs_take(struct rg_msgs *m)
{
	char *b = m->buf;
	memset(m, 0, sizeof(*m));
	return b;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL)
		abort();
	return p;
}

/* ---- defaults and freeing, both driven by the tables ----------------------- */

static void apply_defaults(const struct rg_key_table *t, void *base)
{
	for (size_t i = 0; i < t->n_keys; i++) {
		const struct rg_key *k = &t->keys[i];
		switch (k->type) {
		case RG_KEY_BOOL:
			*AT(base, k->offset, bool) = k->def_int != 0;
			break;
		case RG_KEY_INT:
		case RG_KEY_ENUM:
			*AT(base, k->offset, int) = (int)k->def_int;
			break;
		case RG_KEY_FLAGS:
		case RG_KEY_MODE:
			*AT(base, k->offset, unsigned) = (unsigned)k->def_int;
			break;
		case RG_KEY_STRING:
			*AT(base, k->offset, char *) = k->def_str ? xstrdup(k->def_str) : NULL;
			break;
		case RG_KEY_GROUP:
			apply_defaults(k->sub, base);
			break;
		case RG_KEY_STRLIST:
		case RG_KEY_GROUP_LIST:
			break;		/* empty */
		}
	}
}

static void free_strlist(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_fields(const struct rg_key_table *t, void *base)
{
	for (size_t i = 0; i < t->n_keys; i++) {
		const struct rg_key *k = &t->keys[i];
		switch (k->type) {
		case RG_KEY_STRING:
			free(*AT(base, k->offset, char *));
			*AT(base, k->offset, char *) = NULL;
			break;
		case RG_KEY_STRLIST:
			free_strlist(*AT(base, k->offset, char **), *AT(base, k->count_offset, size_t));
			*AT(base, k->offset, char **) = NULL;
			*AT(base, k->count_offset, size_t) = 0;
			break;
		case RG_KEY_GROUP:
			free_fields(k->sub, base);
			break;
		case RG_KEY_GROUP_LIST: {
			char *arr = *AT(base, k->offset, char *);
			size_t n = *AT(base, k->count_offset, size_t);
			for (size_t j = 0; j < n; j++)
				free_fields(k->sub, arr + j * k->sub->elem_size);
			free(arr);
			*AT(base, k->offset, char *) = NULL;
			*AT(base, k->count_offset, size_t) = 0;
			break;
		}
		default:
			break;
		}
	}
}

static void config_free(struct rg_config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->release_stores)
		cfg->release_stores(cfg);
	rg_name_index_free(&cfg->tenants.index);
	free(cfg->tenants.names);
	free_fields(&rg_config_root_keys, cfg);
	free(cfg->path);
	free(cfg->warnings_text);
	free(cfg);
}

/* ---- walking the libconfig tree ------------------------------------------------ */

static int line_of(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

/* The file a setting came from: the main file, or an @include'd one (whose
 * name libconfig keeps relative to the include directory). */
static const char *file_of(struct rg_load_ctx *ctx, const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;

	if (f == NULL || strcmp(f, ctx->file) == 0)
		return ctx->file;
	if (f[0] == '/' || ctx->incdir[0] == '\0')
		return f;
	snprintf(ctx->fbuf, sizeof(ctx->fbuf), "%s/%s", ctx->incdir, f);
	return ctx->fbuf;
}

#define ERR(ctx, s, ...) rg_msgs_add(&(ctx)->errs, file_of(ctx, s), line_of(s), __VA_ARGS__)

int rg_load_line(const struct rg_load_ctx *ctx, const char *path)
{
	return line_of(config_lookup(ctx->lc, path));
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a floating point number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "nothing";
	}
}

static const char *expected_name(const struct rg_key *k)
{
	switch (k->type) {
	case RG_KEY_BOOL: return "a boolean (true or false)";
	case RG_KEY_INT: return "an integer";
	case RG_KEY_STRING: case RG_KEY_ENUM: return "a string";
	case RG_KEY_MODE: return "an octal mode string like \"0660\"";
	case RG_KEY_STRLIST: case RG_KEY_FLAGS: return "a list of strings [ \"...\", ... ]";
	case RG_KEY_GROUP: return "a group { ... }";
	case RG_KEY_GROUP_LIST: return "a list of groups ( { ... }, ... )";
	}
	return "?";
}

static void values_text(const struct rg_key_value *v, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (; v->name && len < n; v++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", v->name);
}

static const struct rg_key_value *find_value(const struct rg_key_value *v, const char *s)
{
	for (; v->name; v++)
		if (strcasecmp(v->name, s) == 0)
			return v;
	return NULL;
}

static void walk_group(struct rg_load_ctx *ctx, const struct rg_key_table *t,
		       const config_setting_t *grp, void *base, const char *path);

static bool strlist_item_ok(struct rg_load_ctx *ctx, const struct rg_key *k,
			    const config_setting_t *item, const char *path, int idx)
{
	const char *why;
	if (config_setting_type(item) != CONFIG_TYPE_STRING) {
		ERR(ctx, item, "%s[%d]: expected a string, got %s", path, idx,
		    type_name(config_setting_type(item)));
		return false;
	}
	if (k->check && (why = k->check(config_setting_get_string(item))) != NULL) {
		ERR(ctx, item, "%s[%d]: \"%s\": %s", path, idx, config_setting_get_string(item), why);
		return false;
	}
	return true;
}

static void set_value(struct rg_load_ctx *ctx, const struct rg_key *k, const config_setting_t *s,
		      void *base, const char *path)
{
	int type = config_setting_type(s);
	const char *str, *why;
	char vals[256];

	switch (k->type) {
	case RG_KEY_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			goto wrong_type;
		*AT(base, k->offset, bool) = config_setting_get_bool(s) != 0;
		return;
	case RG_KEY_INT: {
		long long v;
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			goto wrong_type;
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max) {
			ERR(ctx, s, "%s: %lld is out of range (%lld..%lld)", path, v, k->min, k->max);
			return;
		}
		*AT(base, k->offset, int) = (int)v;
		return;
	}
	case RG_KEY_STRING:
		if (type != CONFIG_TYPE_STRING)
			goto wrong_type;
		str = config_setting_get_string(s);
		if ((k->flags & RG_KF_NONEMPTY) && *str == '\0') {
			ERR(ctx, s, "%s: must not be empty", path);
			return;
		}
		if (k->check && (why = k->check(str)) != NULL) {
			ERR(ctx, s, "%s: \"%s\": %s", path, str, why);
			return;
		}
		free(*AT(base, k->offset, char *));
		*AT(base, k->offset, char *) = xstrdup(str);
		return;
	case RG_KEY_ENUM: {
		const struct rg_key_value *v;
		if (type != CONFIG_TYPE_STRING)
			goto wrong_type;
		str = config_setting_get_string(s);
		if ((v = find_value(k->values, str)) == NULL) {
			values_text(k->values, vals, sizeof(vals));
			ERR(ctx, s, "%s: \"%s\" is not one of: %s", path, str, vals);
			return;
		}
		*AT(base, k->offset, int) = v->value;
		return;
	}
	case RG_KEY_MODE: {
		char *end;
		unsigned long m;
		if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
			ERR(ctx, s, "%s: write the mode as an octal string like \"0660\" "
			    "(a bare number is read as decimal)", path);
			return;
		}
		if (type != CONFIG_TYPE_STRING)
			goto wrong_type;
		str = config_setting_get_string(s);
		errno = 0;
		m = strtoul(str, &end, 8);
		if (*str == '\0' || *end != '\0' || errno || strlen(str) > 5 ||
		    m < (unsigned long)k->min || m > (unsigned long)k->max) {
			ERR(ctx, s, "%s: \"%s\" is not an octal mode in 0..0%llo", path, str, k->max);
			return;
		}
		*AT(base, k->offset, unsigned) = (unsigned)m;
		return;
	}
	case RG_KEY_STRLIST:
	case RG_KEY_FLAGS: {
		int n;
		bool good = true;
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			goto wrong_type;
		n = config_setting_length(s);
		if (k->type == RG_KEY_FLAGS) {
			unsigned bits = 0;
			values_text(k->values, vals, sizeof(vals));
			for (int i = 0; i < n; i++) {
				const config_setting_t *it = config_setting_get_elem(s, (unsigned)i);
				const struct rg_key_value *v;
				if (!strlist_item_ok(ctx, k, it, path, i)) {
					good = false;
					continue;
				}
				str = config_setting_get_string(it);
				if ((v = find_value(k->values, str)) == NULL) {
					ERR(ctx, it, "%s[%d]: \"%s\" is not one of: %s", path, i, str, vals);
					good = false;
					continue;
				}
				bits |= (unsigned)v->value;
			}
			if (good)
				*AT(base, k->offset, unsigned) = bits;
			return;
		}
		char **v = xcalloc((size_t)n + 1, sizeof(char *));
		size_t cnt = 0;
		for (int i = 0; i < n; i++) {
			const config_setting_t *it = config_setting_get_elem(s, (unsigned)i);
			if (strlist_item_ok(ctx, k, it, path, i))
				v[cnt++] = xstrdup(config_setting_get_string(it));
		}
		free_strlist(*AT(base, k->offset, char **), *AT(base, k->count_offset, size_t));
		*AT(base, k->offset, char **) = v;
		*AT(base, k->count_offset, size_t) = cnt;
		if (k->flags & RG_KF_PRESENT)
			*AT(base, k->present_offset, bool) = true;
		return;
	}
	case RG_KEY_GROUP:
		if (type != CONFIG_TYPE_GROUP)
			goto wrong_type;
		walk_group(ctx, k->sub, s, base, path);
		return;
	case RG_KEY_GROUP_LIST: {
		const struct rg_key_table *sub = k->sub;
		int n;
		char *arr;
		if (!(type == CONFIG_TYPE_LIST || (type == CONFIG_TYPE_ARRAY &&
						   config_setting_length(s) == 0)))
			goto wrong_type;
		n = config_setting_length(s);
		arr = xcalloc((size_t)n, sub->elem_size);
		*AT(base, k->offset, char *) = arr;
		*AT(base, k->count_offset, size_t) = (size_t)n;
		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			void *elem = arr + (size_t)i * sub->elem_size;
			char epath[256];
			snprintf(epath, sizeof(epath), "%s[%d]", path, i);
			apply_defaults(sub, elem);
			*AT(elem, sub->line_offset, int) = line_of(e);
			if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
				ERR(ctx, e, "%s: expected a group { ... }, got %s", epath,
				    type_name(config_setting_type(e)));
				continue;
			}
			walk_group(ctx, sub, e, elem, epath);
		}
		return;
	}
	}
	return;
wrong_type:
	ERR(ctx, s, "%s: expected %s, got %s", path, expected_name(k), type_name(type));
}

/* Levenshtein distance, for "did you mean" (short names only). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static const struct rg_key *find_key(const struct rg_key_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return &t->keys[i];
	return NULL;
}

static const struct rg_key_value *value_by_int(const struct rg_key_value *v, int value)
{
	for (; v->name; v++)
		if (v->value == value)
			return v;
	return NULL;
}

static void walk_group(struct rg_load_ctx *ctx, const struct rg_key_table *t,
		       const config_setting_t *grp, void *base, const char *path)
{
	const struct rg_key *selector = NULL;
	int sel = -1;
	int n = config_setting_length(grp);
	char kpath[320];

#define KPATH(name) (snprintf(kpath, sizeof(kpath), "%s%s%s", path, *path ? "." : "", name), kpath)

	for (size_t i = 0; i < t->n_keys; i++)
		if (t->keys[i].flags & RG_KF_SELECTOR)
			selector = &t->keys[i];
	if (selector) {
		const config_setting_t *s = config_setting_get_member(grp, selector->name);
		if (s) {
			int before = ctx->errs.count;
			set_value(ctx, selector, s, base, KPATH(selector->name));
			if (ctx->errs.count == before)
				sel = *AT(base, selector->offset, int);
		}
	}

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct rg_key *k = find_key(t, name);

		KPATH(name);
		if (k == NULL) {
			const char *best = NULL;
			size_t bd = 3;
			for (size_t j = 0; j < t->n_keys; j++) {
				size_t d = distance(name, t->keys[j].name);
				if (d < bd) {
					bd = d;
					best = t->keys[j].name;
				}
			}
			if (best)
				ERR(ctx, s, "unknown key '%s' (did you mean '%s'?)", kpath, best);
			else
				ERR(ctx, s, "unknown key '%s'", kpath);
			continue;
		}
		if (k == selector)
			continue;
		if (k->types && sel >= 0 && !(k->types & (1u << sel))) {
			const struct rg_key_value *v = value_by_int(selector->values, sel);
			ERR(ctx, s, "%s: not a key of a %s store", kpath, v ? v->name : "?");
			continue;
		}
		set_value(ctx, k, s, base, kpath);
	}

	for (size_t i = 0; i < t->n_keys; i++) {
		const struct rg_key *k = &t->keys[i];
		if (!(k->flags & RG_KF_REQUIRED) || config_setting_get_member(grp, k->name))
			continue;
		if (k->types && !(sel >= 0 && (k->types & (1u << sel))))
			continue;	/* not applicable, or the selector is already wrong */
		if (k->types) {
			const struct rg_key_value *v = value_by_int(selector->values, sel);
			ERR(ctx, grp, "%s: missing '%s' (required for a %s store)", path, k->name,
			    v ? v->name : "?");
		} else {
			ERR(ctx, grp, "%s: missing '%s'", *path ? path : "top level", k->name);
		}
	}
#undef KPATH
}

/* ---- load ------------------------------------------------------------------------- */

static uint64_t generation_counter;
static long total_refs;		/* over every snapshot: rg_config_references() */

struct rg_config *rg_config_load(const char *file, char **errors_r)
{
	struct rg_load_ctx ctx;
	config_t lc;
	FILE *fp;
	char *dir, *slash;

	memset(&ctx, 0, sizeof(ctx));
	ctx.file = file;
	*errors_r = NULL;

	if ((fp = fopen(file, "r")) == NULL) {
		rg_msgs_add(&ctx.errs, file, 0, "cannot open: %s", strerror(errno));
		*errors_r = rg_msgs_take(&ctx.errs);
		return NULL;
	}
	config_init(&lc);
	config_set_options(&lc, 0);	/* no autoconversion: types are checked */
	dir = xstrdup(file);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		snprintf(ctx.incdir, sizeof(ctx.incdir), "%s", *dir ? dir : "/");
		config_set_include_dir(&lc, ctx.incdir);
	}
	free(dir);
	if (config_read(&lc, fp) != CONFIG_TRUE) {
		const char *ef = config_error_file(&lc);
		if (ef && strcmp(ef, file) != 0 && ef[0] != '/' && ctx.incdir[0]) {
			snprintf(ctx.fbuf, sizeof(ctx.fbuf), "%s/%s", ctx.incdir, ef);
			ef = ctx.fbuf;
		}
		const char *et = config_error_text(&lc);
		if (et == NULL)
			et = "syntax error";
		rg_msgs_add(&ctx.errs, ef ? ef : file, config_error_line(&lc), "%s%s",
			    strstr(et, "syntax error") ? "" : "syntax error: ", et);
		fclose(fp);
		config_destroy(&lc);
		*errors_r = rg_msgs_take(&ctx.errs);
		return NULL;
	}
	fclose(fp);

	ctx.lc = &lc;
	ctx.cfg = xcalloc(1, sizeof(*ctx.cfg));
	ctx.cfg->path = xstrdup(file);
	apply_defaults(&rg_config_root_keys, ctx.cfg);
	walk_group(&ctx, &rg_config_root_keys, config_root_setting(&lc), ctx.cfg, "");
	rg_config_check_semantics(&ctx);
	config_destroy(&lc);

	if (ctx.errs.count > 0) {
		config_free(ctx.cfg);
		*errors_r = rg_msgs_take(&ctx.errs);
		return NULL;
	}
	ctx.cfg->refs = 1;
	__atomic_add_fetch(&total_refs, 1, __ATOMIC_RELAXED);
	ctx.cfg->generation = __atomic_add_fetch(&generation_counter, 1, __ATOMIC_RELAXED);
	return ctx.cfg;
}

/* ---- reference counting and the current snapshot --------------------------------- */

struct rg_config *rg_config_acquire(struct rg_config *cfg)
{
	if (cfg) {
		__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&total_refs, 1, __ATOMIC_RELAXED);
	}
	return cfg;
}

void rg_config_release(struct rg_config *cfg)
{
	if (cfg == NULL)
		return;
	__atomic_sub_fetch(&total_refs, 1, __ATOMIC_RELAXED);
	if (__atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL) == 0)
		config_free(cfg);
}

long rg_config_references(void)
{
	return __atomic_load_n(&total_refs, __ATOMIC_ACQUIRE);
}

/* read by every request (several threads at once), written by a reload */
static pthread_rwlock_t current_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct rg_config *current;

struct rg_config *rg_config_current_get(void)
{
	struct rg_config *cfg;

	pthread_rwlock_rdlock(&current_lock);
	cfg = rg_config_acquire(current);
	pthread_rwlock_unlock(&current_lock);
	return cfg;
}

void rg_config_current_set(struct rg_config *cfg)
{
	struct rg_config *old;

	pthread_rwlock_wrlock(&current_lock);
	old = current;
	current = cfg;
	pthread_rwlock_unlock(&current_lock);
	rg_config_release(old);
}

const struct rg_tenant *rg_config_tenant(const struct rg_config *cfg, const char *name)
{
	if (cfg->tenants.index.slots == NULL) {
		/* a snapshot put together by hand (unit tests), not by the loader */
		for (size_t i = 0; name != NULL && i < cfg->tenants.n_list; i++)
			if (cfg->tenants.list[i].name && strcasecmp(cfg->tenants.list[i].name, name) == 0)
				return &cfg->tenants.list[i];
		return NULL;
	}
	long i = rg_name_index_find(&cfg->tenants.index, name);
	return i >= 0 ? &cfg->tenants.list[i] : NULL;
}
