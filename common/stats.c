/* stats.c — a small fixed table of named counters under one mutex. */
#include <autoconfig.h>
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RG_STATS_MAX 256
#define RG_STATS_NAME 96
#define RG_STATS_SLOTS 512	/* a power of two, over twice RG_STATS_MAX */

/* The counters: an append-only table and a hash index over it.  Counting an
 * existing name takes no lock (a hash probe and an atomic add: every login and
 * every message counts twice or more); only a name seen for the first time
 * takes the lock to append itself. */
struct stat_entry {
	char name[RG_STATS_NAME];
	_Atomic int64_t value;
	_Atomic int gauge;
};

static struct stat_entry table[RG_STATS_MAX];
static _Atomic size_t n_entries;
static _Atomic uint32_t slots[RG_STATS_SLOTS];	/* entry index + 1; 0 = empty */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The entry of name, or NULL; with add, appended when missing (NULL when the
 * table is full or the name too long: the count is dropped, never the request). */
static struct stat_entry *find(const char *name, bool add)
{
	uint32_t h = name_hash(name);

	for (;;) {
		for (uint32_t i = 0; i < RG_STATS_SLOTS; i++) {
			uint32_t at = (h + i) & (RG_STATS_SLOTS - 1);
			uint32_t e = atomic_load_explicit(&slots[at], memory_order_acquire);
			if (e == 0)
				break;
			if (strcmp(table[e - 1].name, name) == 0)
				return &table[e - 1];
		}
		if (!add)
			return NULL;
		pthread_mutex_lock(&stats_lock);
		size_t n = atomic_load(&n_entries);
		uint32_t at = h & (RG_STATS_SLOTS - 1);
		bool there = false;
		while (atomic_load(&slots[at]) != 0) {	/* added by another thread meanwhile? */
			if (strcmp(table[atomic_load(&slots[at]) - 1].name, name) == 0)
				there = true;
			at = (at + 1) & (RG_STATS_SLOTS - 1);
		}
		if (!there) {
			if (n == RG_STATS_MAX || strlen(name) >= RG_STATS_NAME) {
				pthread_mutex_unlock(&stats_lock);
				return NULL;
			}
			memcpy(table[n].name, name, strlen(name) + 1);
			atomic_store(&n_entries, n + 1);
			/* published last: a reader that finds the slot sees the name */
			atomic_store_explicit(&slots[at], (uint32_t)n + 1, memory_order_release);
		}
		pthread_mutex_unlock(&stats_lock);
		add = false;	/* found by the probe above now */
	}
}

_Atomic int64_t *rg_stats_cell(const char *name)
{
	struct stat_entry *e = find(name, true);
	return e != NULL ? &e->value : NULL;
}

void rg_stats_add(const char *name, int64_t delta)
{
	struct stat_entry *e = find(name, true);
	if (e != NULL)
		atomic_fetch_add_explicit(&e->value, delta, memory_order_relaxed);
}

void rg_stats_set(const char *name, int64_t value)
{
	struct stat_entry *e = find(name, true);
	if (e != NULL) {
		atomic_store_explicit(&e->value, value, memory_order_relaxed);
		atomic_store_explicit(&e->gauge, 1, memory_order_relaxed);
	}
}

void rg_stats_gauge_add(const char *name, int64_t delta)
{
	struct stat_entry *e = find(name, true);
	if (e != NULL) {
		atomic_fetch_add_explicit(&e->value, delta, memory_order_relaxed);
		atomic_store_explicit(&e->gauge, 1, memory_order_relaxed);
	}
}

int64_t rg_stats_get(const char *name)
{
	struct stat_entry *e = find(name, false);
	return e != NULL ? atomic_load(&e->value) : 0;
}

static _Atomic long long started_at;

void rg_stats_started(time_t t)
{
	atomic_store(&started_at, (long long)t);
}

/* uptime_seconds, as of the moment the counters are printed */
static void set_uptime(void)
{
	long long t0 = atomic_load(&started_at);
	if (t0 != 0)
		rg_stats_set("uptime_seconds", (int64_t)(time(NULL) - t0));
}

/* A plain copy for printing. */
struct stat_copy {
	char name[RG_STATS_NAME];
	int64_t value;
	int gauge;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct stat_copy *)a)->name, ((const struct stat_copy *)b)->name);
}

static size_t snapshot(struct stat_copy *copy)
{
	set_uptime();
	pthread_mutex_lock(&stats_lock);	/* no name is being appended meanwhile */
	size_t n = atomic_load(&n_entries);
	for (size_t i = 0; i < n; i++) {
		memcpy(copy[i].name, table[i].name, sizeof(copy[i].name));
		copy[i].value = atomic_load(&table[i].value);
		copy[i].gauge = atomic_load(&table[i].gauge);
	}
	pthread_mutex_unlock(&stats_lock);
	qsort(copy, n, sizeof(*copy), cmp_entry);
	return n;
}

void rg_stats_print(FILE *out)
{
	static struct stat_copy copy[RG_STATS_MAX];
	size_t n = snapshot(copy);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s %lld\n", copy[i].name, (long long)copy[i].value);
}

/* ---- Prometheus exposition -------------------------------------------------------
 * One registry maps the dotted counter names to metric families named by the
 * Prometheus conventions: the relayguard_ prefix, counters ending in _total,
 * results and reasons as labels, not in the name.  An entry whose dotted name
 * ends in '.' is a prefix: the rest of the name fills its label(s), split at
 * dots.  Entries of one family are next to each other, so that the family's
 * samples follow its HELP and TYPE lines. */
struct family {
	const char *dotted;	/* exact name, or a prefix ending in '.' */
	const char *metric;
	const char *type;	/* "counter" / "gauge" */
	const char *help;
	const char *fixed;	/* fixed labels, e.g. result="ok"; NULL: none */
	const char *labels;	/* prefix entries: label names for the rest, comma-separated */
};

#define C "counter"
#define G "gauge"
static const struct family families[] = {
	{ "login.ok", "relayguard_logins_total", C, "SASL logins decided, by result and reason",
	  "result=\"ok\",reason=\"ok\"", NULL },
	{ "login.fail.", "relayguard_logins_total", C, NULL, "result=\"fail\"", "reason" },
	{ "login.tempfail.", "relayguard_logins_total", C, NULL, "result=\"tempfail\"", "reason" },
	{ "login.weak_scheme", "relayguard_logins_weak_scheme_total", C,
	  "successful logins whose stored hash uses a weak scheme", NULL, NULL },
	{ "cache.hit", "relayguard_auth_cache_lookups_total", C,
	  "password checks answered by the keyed-MAC cache, or not", "result=\"hit\"", NULL },
	{ "cache.negative_hit", "relayguard_auth_cache_lookups_total", C, NULL,
	  "result=\"negative_hit\"", NULL },
	{ "cache.miss", "relayguard_auth_cache_lookups_total", C, NULL, "result=\"miss\"", NULL },
	{ "hashpool.rejected", "relayguard_hashpool_rejected_total", C,
	  "password hashes refused because the hashing pool's queue was full", NULL, NULL },
	{ "hashpool.queue_depth", "relayguard_hashpool_queue_depth", G,
	  "password hashes waiting for a hashing thread", NULL, NULL },
	{ "auth.connections", "relayguard_open_connections", G,
	  "client connections open now, by listener", "listener=\"sasl\"", NULL },
	{ "milter.connections_open", "relayguard_open_connections", G, NULL,
	  "listener=\"milter\"", NULL },
	{ "auth.connections_refused", "relayguard_auth_connections_refused_total", C,
	  "SASL client connections refused (auth.max_connections reached)", NULL, NULL },
	{ "auth.idle_timeout", "relayguard_auth_connections_closed_total", C,
	  "SASL client connections closed by relayguard, by reason", "reason=\"idle_timeout\"", NULL },
	{ "auth.request_timeout", "relayguard_auth_connections_closed_total", C, NULL,
	  "reason=\"request_timeout\"", NULL },
	{ "auth.protocol_error", "relayguard_auth_connections_closed_total", C, NULL,
	  "reason=\"protocol_error\"", NULL },
	{ "auth.cost_padded", "relayguard_auth_cost_padded_total", C,
	  "failed logins padded to the cost of a hash (timing equalisation)", NULL, NULL },
	{ "auth.lockouts", "relayguard_auth_lockouts_total", C,
	  "identities locked out after repeated failures", NULL, NULL },
	{ "auth.lockout_table_full", "relayguard_auth_lockout_table_full_total", C,
	  "failures not recorded because the lockout table was full", NULL, NULL },
	{ "milter.connections", "relayguard_milter_connections_total", C,
	  "milter connections from the MTA", NULL, NULL },
	{ "milter.verdict.", "relayguard_milter_verdicts_total", C,
	  "milter verdicts, by action and reason", NULL, "action,reason" },
	{ "guard.action.", "relayguard_guard_actions_total", C,
	  "messages over a stolen-account guard limit, by action", NULL, "action" },
	{ "guard.suspended", "relayguard_guard_suspensions_total", C,
	  "identities the guard suspended after repeated actions", NULL, NULL },
	{ "guard.state_error", "relayguard_guard_state_errors_total", C,
	  "guard counter operations that failed (temporary failures, or accepts with "
	  "guard.state_error = accept)", NULL, NULL },
	{ "shared_state.error", "relayguard_shared_state_errors_total", C,
	  "requests to the shared counters (Redis) that got no answer", NULL, NULL },
	{ "store.error", "relayguard_store_errors_total", C,
	  "store lookups that could not be answered (temporary failures)", NULL, NULL },
	{ "store.memo_hit", "relayguard_store_memo_hits_total", C,
	  "SQLite lookups answered without a query because the file had not changed", NULL, NULL },
	{ "store.pgsql.query", "relayguard_postgresql_events_total", C,
	  "PostgreSQL store events: queries sent (each one round trip), connections made, connections that failed, lookups retried on a new connection, queries past query_timeout_ms, waits for a pool connection past it, standbys refused for their lag, lookups that failed", "event=\"query\"", NULL },
	{ "store.pgsql.connect", "relayguard_postgresql_events_total", C,
	  NULL, "event=\"connect\"", NULL },
	{ "store.pgsql.connect_error", "relayguard_postgresql_events_total", C,
	  NULL, "event=\"connect_error\"", NULL },
	{ "store.pgsql.reconnect", "relayguard_postgresql_events_total", C,
	  NULL, "event=\"reconnect\"", NULL },
	{ "store.pgsql.timeout", "relayguard_postgresql_events_total", C,
	  NULL, "event=\"timeout\"", NULL },
	{ "store.pgsql.pool_timeout", "relayguard_postgresql_events_total", C,
	  NULL, "event=\"pool_timeout\"", NULL },
	{ "store.pgsql.standby_lag", "relayguard_postgresql_events_total", C,
	  NULL, "event=\"standby_lag\"", NULL },
	{ "store.pgsql.error", "relayguard_postgresql_events_total", C,
	  NULL, "event=\"error\"", NULL },
	{ "store.bad_hash", "relayguard_store_bad_hashes_total", C,
	  "stored password hashes that could not be used", NULL, NULL },
	{ "log.syslog_dropped", "relayguard_log_lines_dropped_total", C,
	  "log lines lost because the syslog socket was missing or refused them", NULL, NULL },
	{ "config.reload.ok", "relayguard_config_reloads_total", C,
	  "configuration reloads, by result", "result=\"ok\"", NULL },
	{ "config.reload.failed", "relayguard_config_reloads_total", C, NULL,
	  "result=\"failed\"", NULL },
	{ "config.generation", "relayguard_config_generation", G,
	  "generation of the running configuration snapshot", NULL, NULL },
	{ "uptime_seconds", "relayguard_uptime_seconds", G,
	  "seconds since the daemon started", NULL, NULL },
};
#undef C
#undef G
#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

static bool is_prefix(const struct family *f)
{
	size_t n = strlen(f->dotted);
	return n > 0 && f->dotted[n - 1] == '.';
}

static const struct family *family_of(const char *name)
{
	for (size_t i = 0; i < N_FAMILIES; i++) {
		const struct family *f = &families[i];
		if (is_prefix(f) ? strncmp(name, f->dotted, strlen(f->dotted)) == 0 && name[strlen(f->dotted)]
				 : strcmp(name, f->dotted) == 0)
			return f;
	}
	return NULL;
}

/* A label value, escaped as the text format wants (\\, \", \n). */
static void put_value(FILE *out, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\' || v[i] == '"')
			fputc('\\', out);
		if (v[i] == '\n')
			fputs("\\n", out);
		else
			fputc(v[i], out);
	}
}

/* The labels of one sample: the entry's fixed ones, then the rest of the
 * dotted name split at dots into the entry's label names (the last label
 * takes whatever is left). */
static void put_labels(FILE *out, const struct family *f, const char *name)
{
	bool any = false;

	if (f->fixed == NULL && f->labels == NULL)
		return;
	fputc('{', out);
	if (f->fixed) {
		fputs(f->fixed, out);
		any = true;
	}
	if (f->labels) {
		const char *rest = name + strlen(f->dotted), *ln = f->labels;
		while (*ln) {
			size_t lnl = strcspn(ln, ",");
			bool last = ln[lnl] == '\0';
			size_t vl = last ? strlen(rest) : strcspn(rest, ".");
			fprintf(out, "%s%.*s=\"", any ? "," : "", (int)lnl, ln);
			put_value(out, rest, vl);
			fputc('"', out);
			any = true;
			rest += vl + (rest[vl] == '.');
			ln += lnl + !last;
		}
	}
	fputc('}', out);
}

void rg_stats_print_prometheus(FILE *out)
{
	static struct stat_copy copy[RG_STATS_MAX];
	size_t n = snapshot(copy);

	for (size_t i = 0; i < N_FAMILIES; i++) {
		const struct family *f = &families[i];
		if (i == 0 || strcmp(families[i - 1].metric, f->metric) != 0) {
			/* the first entry of a family carries its help */
			fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->metric, f->help ? f->help : "",
				f->metric, f->type);
		}
		bool seen = false;
		for (size_t j = 0; j < n; j++) {
			if (family_of(copy[j].name) != f)
				continue;
			fputs(f->metric, out);
			put_labels(out, f, copy[j].name);
			fprintf(out, " %lld\n", (long long)copy[j].value);
			seen = true;
		}
		if (!seen && !is_prefix(f)) {	/* a fixed series is there from the start, at 0 */
			fputs(f->metric, out);
			put_labels(out, f, f->dotted);
			fputs(" 0\n", out);
		}
	}
	rg_stats_print_histograms(out);
	/* a name missing from the registry still shows, under one family */
	bool header = false;
	for (size_t j = 0; j < n; j++) {
		if (family_of(copy[j].name) != NULL)
			continue;
		if (!header)
			fputs("# HELP relayguard_unregistered_events_total counters not in the registry "
			      "(a bug: please report)\n# TYPE relayguard_unregistered_events_total "
			      "counter\n", out);
		header = true;
		fputs("relayguard_unregistered_events_total{name=\"", out);
		put_value(out, copy[j].name, strlen(copy[j].name));
		fprintf(out, "\"} %lld\n", (long long)copy[j].value);
	}
}

/* ---- histograms ---- */

static const double bucket_le[RG_HIST_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

static const struct {
	const char *metric, *help, *labels;
} hists[RG_HIST_COUNT] = {
	[RG_HIST_LOGIN_CACHED] = { "relayguard_login_duration_seconds",
		"time to decide a SASL login (without failure delays), by whether the cache answered",
		"cache=\"hit\"" },
	[RG_HIST_LOGIN_HASHED] = { "relayguard_login_duration_seconds", NULL, "cache=\"miss\"" },
	[RG_HIST_MILTER_MAIL] = { "relayguard_milter_verdict_duration_seconds",
		"time relayguard's milter takes to decide, by SMTP stage", "stage=\"mail\"" },
	[RG_HIST_MILTER_EOH] = { "relayguard_milter_verdict_duration_seconds", NULL,
		"stage=\"headers\"" },
};

static _Atomic uint64_t hist_buckets[RG_HIST_COUNT][RG_HIST_BUCKETS];
static _Atomic uint64_t hist_count[RG_HIST_COUNT];
static _Atomic uint64_t hist_sum_ns[RG_HIST_COUNT];

void rg_stats_observe(enum rg_hist h, uint64_t ns)
{
	double s = (double)ns / 1e9;

	if ((int)h < 0 || h >= RG_HIST_COUNT)
		return;
	for (int b = 0; b < RG_HIST_BUCKETS; b++)
		if (s <= bucket_le[b]) {
			atomic_fetch_add_explicit(&hist_buckets[h][b], 1, memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&hist_sum_ns[h], ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&hist_count[h], 1, memory_order_relaxed);
}

uint64_t rg_stats_observed(enum rg_hist h)
{
	return (int)h >= 0 && h < RG_HIST_COUNT ? atomic_load(&hist_count[h]) : 0;
}

void rg_stats_print_histograms(FILE *out)
{
	for (int h = 0; h < RG_HIST_COUNT; h++) {
		if (hists[h].help != NULL)
			fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", hists[h].metric, hists[h].help,
				hists[h].metric);
		/* read count first: buckets may then run ahead of it, never behind
		 * (cumulative buckets never exceed the count printed with them) */
		uint64_t count = atomic_load(&hist_count[h]), cum = 0;
		for (int b = 0; b < RG_HIST_BUCKETS; b++) {
			cum += atomic_load(&hist_buckets[h][b]);
			if (cum > count)
				cum = count;
			fprintf(out, "%s_bucket{%s,le=\"%g\"} %llu\n", hists[h].metric, hists[h].labels,
				bucket_le[b], (unsigned long long)cum);
		}
		fprintf(out, "%s_bucket{%s,le=\"+Inf\"} %llu\n", hists[h].metric, hists[h].labels,
			(unsigned long long)count);
		fprintf(out, "%s_sum{%s} %.9f\n", hists[h].metric, hists[h].labels,
			(double)atomic_load(&hist_sum_ns[h]) / 1e9);
		fprintf(out, "%s_count{%s} %llu\n", hists[h].metric, hists[h].labels,
			(unsigned long long)count);
	}
}
