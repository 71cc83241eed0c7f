/*
 * store_pgsql.c — users, act-as grants, tenants and sender grants in
 * PostgreSQL (libpq), for a fleet of relays that share one database.
 *
 *   stores = ({ type = "postgresql";
 *               conninfo = "host=db1,db2 dbname=mail user=relayguard target_session_attrs=any";
 *               password_file = "/etc/relayguard/pg.pass"; });
 *
 * The schema and the custom queries are the SQLite store's (sql_queries.h:
 * the same keys and named parameters, rewritten to $1/$2 here); `relayguardctl
 * db init` creates the tables.  Every query is prepared on each connection
 * and checked when the store opens (columns, parameters); the session is
 * read-only (default_transaction_read_only), so a custom query cannot write.
 *
 * Connections: a pool of pool_size, shared by every thread; a lookup waits
 * for a free one at most query_timeout_ms.  A connection is made when needed
 * with libpq, which tries the conninfo's hosts in order; the password is read
 * from password_file at each connect (never from the config).  A lookup
 * whose connection turns out to be lost is retried once on a new one (the
 * next host that answers).  When no host answers, lookups fail temporarily
 * for the next 250 ms without trying again (a dead database costs nothing
 * per lookup), then the next lookup tries.  A query that does not answer
 * within query_timeout_ms loses its connection (the server's
 * statement_timeout, set to the same value, ends the query there).  Every
 * failure is RG_LOOKUP_ERROR (a temporary failure), never stale data or
 * "unknown": nothing is cached, each lookup reads the server that answers.
 *
 * Standbys: with max_standby_lag_ms, a connection to a server in recovery
 * asks for its lag before each lookup (one more round trip): 0 when the WAL
 * receiver is streaming and everything received is replayed, else the age
 * of the last replayed transaction (now - pg_last_xact_replay_timestamp()).
 * A receiver that is not streaming (the primary gone or unreachable) or
 * whose state the role may not read (it needs pg_read_all_stats) gives no
 * lag: a temporary failure, as a lag over the limit does.
 */
#include <autoconfig.h>
#include "store.h"
#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium.h>
#include <libpq-fe.h>

#include "log.h"
#include "secretfile.h"
#include "mailbox.h"
#include "sql_queries.h"
#include "stats.h"
#include "str.h"

#define PG_HOLDOFF_MS 250	/* after no host answered: fail at once this long */

static const char lag_sql[] =
	"SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
	"WHEN (SELECT status FROM pg_stat_wal_receiver) IS DISTINCT FROM 'streaming' THEN NULL "
	"WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
	"ELSE GREATEST(0, extract(epoch FROM clock_timestamp() - "
	"pg_last_xact_replay_timestamp()) * 1000)::bigint END";

/* Statements of our own, prepared after the query table's (numbered on
 * from RG_SQL_COUNT).  With the default schema, a tenant question is one
 * round trip instead of two or three: the same tables and conditions as the
 * default queries of sql_queries.c, asked together. */
enum { PGI_LAG = RG_SQL_COUNT, PGI_TENANT_AUTHZ, PGI_TENANT_DOMAIN, PGI_END };
static const struct { const char *what, *sql; int nargs; } internal[PGI_END - RG_SQL_COUNT] = {
	[PGI_LAG - RG_SQL_COUNT] = { "the standby lag query", lag_sql, 0 },
	/* no row: tenant unknown; else allowed */
	[PGI_TENANT_AUTHZ - RG_SQL_COUNT] = { "the tenant query",
		"SELECT EXISTS (SELECT 1 FROM tenant_authz WHERE lower(tenant) = lower($1) "
		"AND identity = $2) FROM tenants WHERE lower(name) = lower($1) LIMIT 1", 2 },
	/* no row: tenant unknown; else has domains, one of $2 (text[]) listed */
	[PGI_TENANT_DOMAIN - RG_SQL_COUNT] = { "the tenant domain query",
		"SELECT EXISTS (SELECT 1 FROM tenant_domains WHERE lower(tenant) = lower($1)), "
		"EXISTS (SELECT 1 FROM tenant_domains WHERE lower(tenant) = lower($1) "
		"AND domain = ANY ($2::text[])) FROM tenants WHERE lower(name) = lower($1) LIMIT 1",
		2 },
};

struct pg_conn {
	PGconn *pg;		/* NULL: not connected */
	bool in_use;
	bool standby;		/* in recovery when connected */
};

struct pg_store {
	const char *label;
	char *conninfo;
	char *password_file;
	char *sql[RG_SQL_COUNT];	/* $n texts; NULL: feature off (custom mode) */
	bool custom;
	int pool_size, timeout_ms, max_lag_ms;
	bool has_connect_timeout, has_options;
	pthread_mutex_t mu;
	pthread_cond_t freed;
	struct pg_conn *conns;
	int64_t down_until;	/* monotonic ms: no host answered; fail until then */
	char down_msg[500];
};

static __thread char pg_errbuf[700];

static void set_err(const struct pg_store *s, const char *what, const char *libpq_msg)
{
	char line[400];

	rg_str_one_line(line, sizeof(line), libpq_msg);
	snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: %s%s%s", s->label, what,
		 line[0] ? ": " : "", line);
}

/* The password from password_file (NULL file: none): into pw (n bytes,
 * for the caller to wipe).  0, or -1 with msg. */
static int read_password(const struct pg_store *s, char *pw, size_t n, char *msg, size_t msglen)
{
	pw[0] = '\0';
	if (s->password_file == NULL)
		return 0;
	return rg_secret_file_read(s->password_file, pw, n, NULL, msg, msglen) == 0 ? 0 : -1;
}

/* Run one statement on a fresh connection (setup and checks; blocking, the
 * connection is not shared yet).  The result, or NULL with msg. */
static PGresult *setup_exec(PGconn *pg, const char *sql, ExecStatusType want, char *msg, size_t n)
{
	PGresult *res = PQexec(pg, sql);

	if (PQresultStatus(res) != want) {
		char line[400];
		rg_str_one_line(line, sizeof(line), PQerrorMessage(pg));
		snprintf(msg, n, "%s", line);
		PQclear(res);
		return NULL;
	}
	return res;
}

static void stmt_name(char *out, size_t n, int q)
{
	snprintf(out, n, "rg%d", q);
}

/* Connect (libpq tries the hosts in order), make the session read-only,
 * note whether it is a standby and prepare every query.  check: also verify
 * each query's columns (at open).  The connection, or NULL with msg. */
static PGconn *pg_connect(struct pg_store *s, bool check, bool *standby_r, char *msg, size_t n)
{
	char pw[1024];
	char timeout[16], options[96];
	const char *keys[8], *vals[8];
	int k = 0;

	if (read_password(s, pw, sizeof(pw), msg, n) < 0)
		return NULL;
	keys[k] = "dbname", vals[k++] = s->conninfo;	/* expanded: the conninfo */
	if (pw[0] != '\0')
		keys[k] = "password", vals[k++] = pw;
	if (!s->has_connect_timeout) {
		/* libpq counts whole seconds, at least 2 */
		int secs = (s->timeout_ms + 999) / 1000;
		snprintf(timeout, sizeof(timeout), "%d", secs < 2 ? 2 : secs);
		keys[k] = "connect_timeout", vals[k++] = timeout;
	}
	if (!s->has_options) {
		snprintf(options, sizeof(options), "-c default_transaction_read_only=on "
			 "-c statement_timeout=%d", s->timeout_ms);
		keys[k] = "options", vals[k++] = options;
	}
	keys[k] = "fallback_application_name", vals[k++] = "relayguard";
	keys[k] = NULL, vals[k] = NULL;
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	sodium_memzero(pw, sizeof(pw));
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		char line[400];
		rg_str_one_line(line, sizeof(line), pg ? PQerrorMessage(pg) : "out of memory");
		snprintf(msg, n, "no server answers: %s", line);
		PQfinish(pg);
		return NULL;
	}
	PGresult *res;
	if (s->has_options) {
		/* the admin's options replaced ours: read-only, and the same
		 * statement_timeout, all the same */
		char set[96];
		snprintf(set, sizeof(set), "SET default_transaction_read_only = on; "
			 "SET statement_timeout = %d", s->timeout_ms);
		if ((res = setup_exec(pg, set, PGRES_COMMAND_OK, msg, n)) == NULL)
			goto fail;
		PQclear(res);
	}
	if ((res = setup_exec(pg, "SELECT pg_is_in_recovery()", PGRES_TUPLES_OK, msg, n)) == NULL)
		goto fail;
	*standby_r = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	char name[16];
	for (int q = 0; q < PGI_END; q++) {
		const char *sql = q < RG_SQL_COUNT ? s->sql[q] :
				  q == PGI_LAG || !s->custom ? internal[q - RG_SQL_COUNT].sql : NULL;
		if (sql == NULL)
			continue;
		stmt_name(name, sizeof(name), q);
		res = PQprepare(pg, name, sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			char line[400];
			rg_str_one_line(line, sizeof(line), PQerrorMessage(pg));
			snprintf(msg, n, "%s \"%s\" does not compile: %s%s",
				 q < RG_SQL_COUNT ? rg_sql_queries[q].key : internal[q - RG_SQL_COUNT].what,
				 sql, line, s->custom ? "" :
				 " (create the schema with: relayguardctl db init)");
			PQclear(res);
			goto fail;
		}
		PQclear(res);
		if (!check || q >= RG_SQL_COUNT)
			continue;
		res = PQdescribePrepared(pg, name);
		int nc = PQnfields(res), lo = rg_sql_queries[q].min_cols,
		    hi = rg_sql_queries[q].max_cols;
		PQclear(res);
		if (hi > 0 && (nc < lo || nc > hi)) {
			snprintf(msg, n, "%s must return %s (%d to %d columns, not %d)",
				 rg_sql_queries[q].key, q == RG_SQL_PASSWORD ? "password [, enabled]" :
				 q == RG_SQL_STATE ? "enabled" : "the tenant", lo, hi, nc);
			goto fail;
		}
	}
	return pg;
fail:
	PQfinish(pg);
	return NULL;
}

/* Take a free connection (waiting at most the query timeout), connected.
 * NULL with pg_errbuf set. */
static struct pg_conn *pool_get(struct pg_store *s)
{
	struct timespec until;
	struct pg_conn *c = NULL;
	char msg[500];

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s->timeout_ms / 1000;
	until.tv_nsec += (long)(s->timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (int i = 0; c == NULL && i < s->pool_size; i++)
			if (!s->conns[i].in_use && s->conns[i].pg != NULL)
				c = &s->conns[i];
		for (int i = 0; c == NULL && i < s->pool_size; i++)
			if (!s->conns[i].in_use)
				c = &s->conns[i];
		if (c != NULL)
			break;
		if (pthread_cond_timedwait(&s->freed, &s->mu, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&s->mu);
			rg_stats_inc("store.pgsql.pool_timeout");
			snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: all %d connections "
				 "busy for %d ms", s->label, s->pool_size, s->timeout_ms);
			return NULL;
		}
	}
	c->in_use = true;
	if (c->pg != NULL) {
		pthread_mutex_unlock(&s->mu);
		return c;
	}
	if (rg_mono_ms() < s->down_until) {
		snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: %.500s", s->label, s->down_msg);
		c->in_use = false;
		pthread_cond_signal(&s->freed);
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	pthread_mutex_unlock(&s->mu);
	bool standby = false;
	PGconn *pg = pg_connect(s, false, &standby, msg, sizeof(msg));
	pthread_mutex_lock(&s->mu);
	if (pg == NULL) {
		snprintf(s->down_msg, sizeof(s->down_msg), "%s", msg);
		s->down_until = rg_mono_ms() + PG_HOLDOFF_MS;
		c->in_use = false;
		pthread_cond_signal(&s->freed);
		pthread_mutex_unlock(&s->mu);
		rg_stats_inc("store.pgsql.connect_error");
		snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: %.500s", s->label, msg);
		return NULL;
	}
	s->down_until = 0;
	c->pg = pg;
	c->standby = standby;
	pthread_mutex_unlock(&s->mu);
	rg_stats_inc("store.pgsql.connect");
	return c;
}

/* Give c back; drop: its connection is lost or in an unknown state.  A
 * lost one means its server went away: the idle ones, most likely to the
 * same server, go too, so that the retry connects afresh (to the next host
 * that answers) instead of finding another dead connection. */
static void pool_put(struct pg_store *s, struct pg_conn *c, bool drop, bool lost)
{
	pthread_mutex_lock(&s->mu);
	if (drop && c->pg != NULL) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	for (int i = 0; lost && i < s->pool_size; i++)
		if (!s->conns[i].in_use && s->conns[i].pg != NULL) {
			PQfinish(s->conns[i].pg);
			s->conns[i].pg = NULL;
		}
	c->in_use = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->mu);
}

enum pg_fail { PG_OK, PG_SQL_ERROR, PG_LOST, PG_TIMEOUT };

/* Send prepared statement q (a query of the table, or one of ours) with its
 * parameters and wait for its result, at most until deadline. */
static enum pg_fail run_prepared(struct pg_store *s, PGconn *pg, int q, const char *const *args,
				 int nargs, int64_t deadline, PGresult **res_r)
{
	char name[16];
	PGresult *res = NULL, *r;

	*res_r = NULL;
	stmt_name(name, sizeof(name), q);
	if (!PQsendQueryPrepared(pg, name, nargs, args, NULL, NULL, 0)) {
		set_err(s, "cannot send the query", PQerrorMessage(pg));
		return PQstatus(pg) == CONNECTION_BAD ? PG_LOST : PG_SQL_ERROR;
	}
	for (;;) {
		if (!PQconsumeInput(pg)) {
			set_err(s, "connection lost", PQerrorMessage(pg));
			PQclear(res);
			return PG_LOST;
		}
		if (PQisBusy(pg)) {
			int64_t left = deadline - rg_mono_ms();
			struct pollfd pfd = { .fd = PQsocket(pg), .events = POLLIN };
			if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
				/* no PQcancel: it connects to the server again and
				 * blocks while the server does not answer.  The caller
				 * drops this connection; the server's statement_timeout
				 * (the same value) ends the query. */
				PQclear(res);
				rg_stats_inc("store.pgsql.timeout");
				snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: no answer within "
					 "%d ms (query_timeout_ms)", s->label, s->timeout_ms);
				return PG_TIMEOUT;
			}
			continue;
		}
		r = PQgetResult(pg);
		if (r == NULL)
			break;
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	ExecStatusType st = PQresultStatus(res);
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (st != PGRES_TUPLES_OK && state != NULL && strcmp(state, "57014") == 0 &&
	    rg_mono_ms() + 50 >= deadline) {
		/* cancelled at the deadline: the server's statement_timeout
		 * (query_timeout_ms) came first (an admin's cancel is said as such) */
		PQclear(res);
		rg_stats_inc("store.pgsql.timeout");
		snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: no answer within %d ms "
			 "(query_timeout_ms)", s->label, s->timeout_ms);
		return PQstatus(pg) == CONNECTION_BAD ? PG_LOST : PG_SQL_ERROR;
	}
	if (st != PGRES_TUPLES_OK) {
		set_err(s, q < RG_SQL_COUNT ? rg_sql_queries[q].key : internal[q - RG_SQL_COUNT].what,
			res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
		PQclear(res);
		return PQstatus(pg) == CONNECTION_BAD ? PG_LOST : PG_SQL_ERROR;
	}
	*res_r = res;
	return PG_OK;
}

/* On a standby with a lag limit: may it answer?  PG_OK, or a failure with
 * pg_errbuf set (PG_SQL_ERROR for a lag over the limit or unknown). */
static enum pg_fail check_lag(struct pg_store *s, struct pg_conn *c, int64_t deadline)
{
	PGresult *res;
	enum pg_fail f;

	if (s->max_lag_ms <= 0 || !c->standby)
		return PG_OK;
	if ((f = run_prepared(s, c->pg, PGI_LAG, NULL, 0, deadline, &res)) != PG_OK)
		return f;
	bool unknown = PQntuples(res) != 1 || PQgetisnull(res, 0, 0);
	long long lag = unknown ? -1 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (unknown) {
		rg_stats_inc("store.pgsql.standby_lag");
		snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: standby lag unknown (its WAL "
			 "receiver is not streaming, or the role may not read pg_stat_wal_receiver)",
			 s->label);
		return PG_SQL_ERROR;
	}
	if (lag > s->max_lag_ms) {
		rg_stats_inc("store.pgsql.standby_lag");
		snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: standby lags %lld ms "
			 "(max_standby_lag_ms %d)", s->label, lag, s->max_lag_ms);
		return PG_SQL_ERROR;
	}
	return PG_OK;
}

/* Run query q with args ($1, $2).  A connection found lost is replaced and
 * the query tried once more.  *res_r: the rows (PQclear it).  0, or -1 with
 * pg_errbuf set. */
static int pg_query(struct pg_store *s, int q, const char *a1, const char *a2,
		    PGresult **res_r)
{
	const char *args[2] = { a1, a2 };
	int nargs = q >= RG_SQL_COUNT ? internal[q - RG_SQL_COUNT].nargs :
		    rg_sql_queries[q].params[1] != NULL ? 2 : 1;
	int64_t deadline = rg_mono_ms() + s->timeout_ms;

	*res_r = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct pg_conn *c = pool_get(s);
		if (c == NULL)
			return -1;
		rg_stats_inc("store.pgsql.query");
		enum pg_fail f = check_lag(s, c, deadline);
		if (f == PG_OK)
			f = run_prepared(s, c->pg, q, args, nargs, deadline, res_r);
		pool_put(s, c, f == PG_LOST || f == PG_TIMEOUT, f == PG_LOST);
		if (f == PG_OK)
			return 0;
		if (f != PG_LOST)
			break;
		rg_stats_inc("store.pgsql.reconnect");
	}
	rg_stats_inc("store.pgsql.error");
	return -1;
}

/* Existence query: FOUND with a row, NOTFOUND without, ERROR. */
static enum rg_lookup pg_exists(struct pg_store *s, enum rg_sql_q q, const char *a1,
				const char *a2)
{
	PGresult *res;

	if (pg_query(s, q, a1, a2, &res) < 0)
		return RG_LOOKUP_ERROR;
	enum rg_lookup r = PQntuples(res) > 0 ? RG_LOOKUP_FOUND : RG_LOOKUP_NOTFOUND;
	PQclear(res);
	return r;
}

/* The arguments in the order of q's parameters, from the named values. */
static enum rg_lookup pg_ask(struct pg_store *s, enum rg_sql_q q, const char *user,
			     const char *as, const char *tenant, const char *address,
			     const char *domain)
{
	const char *v[2] = { NULL, NULL };

	for (int i = 0; i < 2; i++) {
		const char *p = rg_sql_queries[q].params[i];
		if (p == NULL)
			continue;
		v[i] = strcmp(p, ":user") == 0 ? user : strcmp(p, ":as") == 0 ? as :
		       strcmp(p, ":tenant") == 0 ? tenant : strcmp(p, ":address") == 0 ? address :
		       domain;
	}
	return pg_exists(s, q, v[0], v[1]);
}

/* The one row of q for user (two are an error: ambiguous).  FOUND with
 * *res_r kept for the caller, NOTFOUND, ERROR. */
static enum rg_lookup pg_one_row(struct pg_store *s, enum rg_sql_q q, const char *user,
				 PGresult **res_r)
{
	if (pg_query(s, q, user, NULL, res_r) < 0)
		return RG_LOOKUP_ERROR;
	int rows = PQntuples(*res_r);
	if (rows == 1)
		return RG_LOOKUP_FOUND;
	if (rows > 1)
		snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: %s returned more than one "
			 "row for the user", s->label, rg_sql_queries[q].key);
	PQclear(*res_r);
	*res_r = NULL;
	return rows == 0 ? RG_LOOKUP_NOTFOUND : RG_LOOKUP_ERROR;
}

static bool col_true(PGresult *res, int col)
{
	return col < PQnfields(res) && !PQgetisnull(res, 0, col) &&
	       rg_sql_text_true(PQgetvalue(res, 0, col));
}

/* Wipe the row's password text before the result is freed. */
static void clear_password_row(PGresult *res)
{
	if (res != NULL && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		sodium_memzero(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
}

static enum rg_lookup pg_lookup_user(struct rg_store *st, const char *user,
				     struct rg_user_record *rec_r, const char **error_r)
{
	struct pg_store *s = st->priv;
	PGresult *res = NULL;
	enum rg_lookup r = pg_one_row(s, RG_SQL_PASSWORD, user, &res);

	memset(rec_r, 0, sizeof(*rec_r));
	if (r == RG_LOOKUP_FOUND) {
		rec_r->enabled = PQnfields(res) < 2 || col_true(res, 1);
		if (PQgetisnull(res, 0, 0) ||
		    (rec_r->password = strdup(PQgetvalue(res, 0, 0))) == NULL) {
			snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: %s", s->label,
				 PQgetisnull(res, 0, 0) ? "the password is NULL" : "out of memory");
			r = RG_LOOKUP_ERROR;
		}
		clear_password_row(res);
	}
	if (r == RG_LOOKUP_ERROR) {
		rg_user_record_clear(rec_r);
		*error_r = pg_errbuf;
	}
	return r;
}

static enum rg_lookup pg_lookup_state(struct rg_store *st, const char *user, bool *enabled_r,
				      const char **error_r)
{
	struct pg_store *s = st->priv;
	PGresult *res = NULL;
	enum rg_lookup r;

	*enabled_r = false;
	if (s->sql[RG_SQL_STATE] != NULL) {
		r = pg_one_row(s, RG_SQL_STATE, user, &res);
		if (r == RG_LOOKUP_FOUND)
			*enabled_r = col_true(res, 0);
		PQclear(res);
	} else {
		/* custom queries without state_query: the password query, the
		 * password wiped unused */
		r = pg_one_row(s, RG_SQL_PASSWORD, user, &res);
		if (r == RG_LOOKUP_FOUND)
			*enabled_r = PQnfields(res) < 2 || col_true(res, 1);
		clear_password_row(res);
	}
	if (r == RG_LOOKUP_ERROR)
		*error_r = pg_errbuf;
	return r;
}

static enum rg_lookup pg_may_act_as(struct rg_store *st, const char *user, const char *as,
				    const char **error_r)
{
	struct pg_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	if (s->sql[RG_SQL_ACT_AS] != NULL)
		r = pg_ask(s, RG_SQL_ACT_AS, user, as, NULL, NULL, NULL);
	if (r == RG_LOOKUP_ERROR)
		*error_r = pg_errbuf;
	return r;
}

static enum rg_lookup pg_tenant_authz(struct rg_store *st, const char *tenant, const char *user,
				      bool *allowed_r, const char **error_r)
{
	struct pg_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	*allowed_r = false;
	if (!s->custom) {
		PGresult *res;
		if (pg_query(s, PGI_TENANT_AUTHZ, tenant, user, &res) < 0) {
			r = RG_LOOKUP_ERROR;
		} else if (PQntuples(res) > 0) {
			r = RG_LOOKUP_FOUND;
			*allowed_r = col_true(res, 0);
		}
		PQclear(res);
	} else if (s->sql[RG_SQL_TENANT] != NULL) {
		r = pg_ask(s, RG_SQL_TENANT, NULL, NULL, tenant, NULL, NULL);
	}
	if (r == RG_LOOKUP_FOUND && s->custom) {
		enum rg_lookup a = pg_ask(s, RG_SQL_TENANT_AUTHZ, user, NULL, tenant, NULL, NULL);
		if (a == RG_LOOKUP_ERROR)
			r = RG_LOOKUP_ERROR;
		*allowed_r = a == RG_LOOKUP_FOUND;
	}
	if (r == RG_LOOKUP_ERROR) {
		*allowed_r = false;
		*error_r = pg_errbuf;
	}
	return r;
}

static enum rg_lookup pg_sender_granted(struct rg_store *st, const char *identity,
					const char *grant, const char **error_r)
{
	struct pg_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	if (s->sql[RG_SQL_SENDER] != NULL)
		r = pg_ask(s, RG_SQL_SENDER, identity, NULL, NULL, grant, NULL);
	if (r == RG_LOOKUP_ERROR)
		*error_r = pg_errbuf;
	return r;
}

static enum rg_lookup pg_sender_has_owner(struct rg_store *st, const char *grant,
					  const char **error_r)
{
	struct pg_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	if (s->sql[RG_SQL_SENDER_OWNER] != NULL)
		r = pg_ask(s, RG_SQL_SENDER_OWNER, NULL, NULL, NULL, grant, NULL);
	if (r == RG_LOOKUP_ERROR)
		*error_r = pg_errbuf;
	return r;
}

/* rg_sql_ask_fn over this store's queries (custom mode). */
static enum rg_lookup pg_ask_sql(void *ctx, enum rg_sql_q q, const char *tenant,
				 const char *domain)
{
	return pg_ask(ctx, q, NULL, NULL, tenant, NULL, domain);
}

/* keys as a PostgreSQL array literal: {"a.example","*.example"} */
static void text_array(char *out, size_t n, char keys[][RG_ADDR_MAX], size_t nk)
{
	size_t j = 0;

	out[j++] = '{';
	for (size_t k = 0; k < nk && j + 4 < n; k++) {
		if (k > 0)
			out[j++] = ',';
		out[j++] = '"';
		for (const char *p = keys[k]; *p != '\0' && j + 4 < n; p++) {
			if (*p == '"' || *p == '\\')
				out[j++] = '\\';
			out[j++] = *p;
		}
		out[j++] = '"';
	}
	out[j++] = '}';
	out[j] = '\0';
}

/* Does the store know tenant, and may its mail use domain (the domain, or
 * a *.parent entry; a tenant without domains may use any)? */
static enum rg_lookup pg_tenant_domain(struct rg_store *st, const char *tenant,
				       const char *domain, bool *allowed_r, const char **error_r)
{
	struct pg_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;
	char keys[16][RG_ADDR_MAX];
	size_t nk = rg_tenant_domain_keys(domain, keys, 16);

	*allowed_r = false;
	if (!s->custom) {
		char arr[16 * (RG_ADDR_MAX + 3) + 3];
		PGresult *res;
		text_array(arr, sizeof(arr), keys, nk);
		if (pg_query(s, PGI_TENANT_DOMAIN, tenant, arr, &res) < 0) {
			r = RG_LOOKUP_ERROR;
		} else if (PQntuples(res) > 0) {
			r = RG_LOOKUP_FOUND;
			*allowed_r = !col_true(res, 0) || col_true(res, 1);	/* no domains: any */
		}
		PQclear(res);
		goto out;
	}
	r = rg_sql_tenant_domain(pg_ask_sql, s, (const char *const *)s->sql, tenant, domain,
				 allowed_r);
out:
	if (r == RG_LOOKUP_ERROR) {
		*allowed_r = false;
		*error_r = pg_errbuf;
	}
	return r;
}

/* The tenant whose domains hold domain: the most specific entry decides;
 * two tenants listing it are an error (never a guess). */
static enum rg_lookup pg_domain_tenant(struct rg_store *st, const char *domain, char *out,
				       size_t n, const char **error_r)
{
	struct pg_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;
	char keys[16][RG_ADDR_MAX];
	size_t nk = rg_tenant_domain_keys(domain, keys, 16);

	out[0] = '\0';
	for (size_t k = 0; s->sql[RG_SQL_DOMAIN_TENANT] != NULL && r == RG_LOOKUP_NOTFOUND &&
	     k < nk; k++) {
		PGresult *res;
		if (pg_query(s, RG_SQL_DOMAIN_TENANT, keys[k], NULL, &res) < 0) {
			r = RG_LOOKUP_ERROR;
			break;
		}
		for (int row = 0; row < PQntuples(res) && r != RG_LOOKUP_ERROR; row++) {
			const char *t = PQgetisnull(res, row, 0) ? "" : PQgetvalue(res, row, 0);
			char why[400];
			if (rg_sql_domain_tenant_row(row, t, keys[k], out, n, why, sizeof(why)) < 0) {
				snprintf(pg_errbuf, sizeof(pg_errbuf), "postgresql %.100s: %s", s->label,
					 why);
				r = RG_LOOKUP_ERROR;
			} else if (row == 0) {
				r = t[0] != '\0' ? RG_LOOKUP_FOUND : RG_LOOKUP_NOTFOUND;
			}
		}
		PQclear(res);
	}
	if (r != RG_LOOKUP_FOUND)
		out[0] = '\0';
	if (r == RG_LOOKUP_ERROR)
		*error_r = pg_errbuf;
	return r;
}

/* Default schema only: custom password queries cannot be enumerated. */
static int pg_foreach_hash(struct rg_store *st,
			   int (*fn)(void *ctx, const char *user, const char *hash), void *ctx,
			   char **error_r)
{
	struct pg_store *s = st->priv;
	int ret = 0;

	if (s->custom)
		return 0;
	struct pg_conn *c = pool_get(s);
	if (c == NULL) {
		/* the database is down, not the config wrong: said, not refused
		 * (the store opened with the same warning) */
		rg_log(LOG_WARNING, "store %s: the stored hashes were not checked: %s", s->label,
		       pg_errbuf);
		return 0;
	}
	PGresult *res = PQexec(c->pg, "SELECT name, password FROM users ORDER BY name");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_err(s, "users", PQerrorMessage(c->pg));
		rg_error_r(error_r, "%s", pg_errbuf);
		ret = -1;
	}
	for (int i = 0; ret == 0 && i < PQntuples(res); i++)
		if (fn(ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)) < 0)
			ret = -1;
	for (int i = 0; i < PQntuples(res); i++)
		sodium_memzero(PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
	PQclear(res);
	pool_put(s, c, PQstatus(c->pg) != CONNECTION_OK, false);
	return ret;
}

static void pg_free(struct pg_store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; s->conns != NULL && i < s->pool_size; i++)
		PQfinish(s->conns[i].pg);
	free(s->conns);
	for (int q = 0; q < RG_SQL_COUNT; q++)
		free(s->sql[q]);
	free(s->conninfo);
	free(s->password_file);
	free(s);
}

/* The conninfo must parse and must not carry the password. */
static int check_conninfo(struct pg_store *s, char *msg, size_t n)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(s->conninfo, &err);

	if (opts == NULL) {
		char line[300];
		rg_str_one_line(line, sizeof(line), err ? err : "out of memory");
		snprintf(msg, n, "conninfo: %s", line);
		PQfreemem(err);
		return -1;
	}
	int ret = 0;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			snprintf(msg, n, "conninfo must not hold the password: put it in "
				 "password_file");
			ret = -1;
		}
		if (strcmp(o->keyword, "connect_timeout") == 0)
			s->has_connect_timeout = true;
		if (strcmp(o->keyword, "options") == 0)
			s->has_options = true;
	}
	PQconninfoFree(opts);
	return ret;
}

static int pg_open(struct rg_store *st, const struct rg_config *cfg, char **error_r)
{
	const struct rg_store_conf *conf = st->conf;
	const char *chosen[RG_SQL_COUNT];
	char msg[1024];
	struct pg_store *s = calloc(1, sizeof(*s));

	(void)cfg;
	if (s == NULL || (s->conninfo = strdup(conf->conninfo ? conf->conninfo : "")) == NULL ||
	    (conf->password_file != NULL &&
	     (s->password_file = strdup(conf->password_file)) == NULL) ||
	    (s->conns = calloc((size_t)(conf->pool_size > 0 ? conf->pool_size : 1),
			       sizeof(*s->conns))) == NULL) {
		pg_free(s);
		rg_error_r(error_r, "out of memory");
		return -1;
	}
	s->label = st->label;
	s->pool_size = conf->pool_size > 0 ? conf->pool_size : 1;
	s->timeout_ms = conf->query_timeout_ms > 0 ? conf->query_timeout_ms : 2000;
	s->max_lag_ms = conf->max_standby_lag_ms;
	if (check_conninfo(s, msg, sizeof(msg)) < 0 ||
	    rg_sql_choose(conf, 1, chosen, &s->custom, msg, sizeof(msg)) < 0)
		goto fail;
	for (int q = 0; q < RG_SQL_COUNT; q++)
		if (chosen[q] != NULL &&
		    (s->sql[q] = rg_sql_positional(q, chosen[q], msg, sizeof(msg))) == NULL)
			goto fail;
	/* check the queries now; a database that does not answer is not a
	 * reason to refuse to start: lookups fail temporarily until it does */
	bool standby = false;
	PGconn *pg = pg_connect(s, true, &standby, msg, sizeof(msg));
	if (pg == NULL && strncmp(msg, "no server answers", 17) != 0)
		goto fail;
	if (pg == NULL)
		rg_log(LOG_WARNING, "store %s: %s; lookups fail temporarily until one does",
		       st->label, msg);
	s->conns[0].pg = pg;	/* checked and prepared: the pool's first connection */
	s->conns[0].standby = standby;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->freed, NULL);
	st->priv = s;
	return 0;
fail:
	pg_free(s);
	rg_error_r(error_r, "%s", msg);
	return -1;
}

static void pg_close(struct rg_store *st)
{
	struct pg_store *s = st->priv;

	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->freed);
	pg_free(s);
	st->priv = NULL;
}

const struct rg_store_ops rg_store_pgsql_ops = {
	.open = pg_open,
	.lookup_user = pg_lookup_user,
	.lookup_state = pg_lookup_state,
	.may_act_as = pg_may_act_as,
	.tenant_authz = pg_tenant_authz,
	.sender_granted = pg_sender_granted,
	.sender_has_owner = pg_sender_has_owner,
	.tenant_domain = pg_tenant_domain,
	.domain_tenant = pg_domain_tenant,
	.foreach_hash = pg_foreach_hash,
	.close = pg_close,
};
