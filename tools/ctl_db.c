/*
 * ctl_db.c — relayguardctl: the SQLite store's users, act-as grants and
 * tenants.
 *
 * relayguardctl writes through its own read-write connection (the daemon's
 * is read-only); SQLite's locking keeps the two apart, and the daemon sees
 * each committed change at its next lookup.  Every write runs in one
 * BEGIN IMMEDIATE transaction with the store's busy timeout: if another
 * process holds the database longer, nothing is changed and the exit code
 * is 75 (EX_TEMPFAIL: try again).
 */
#include <autoconfig.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include <libpq-fe.h>

#include "ctl.h"
#include "mailbox.h"
#include "pwscheme.h"
#include "secretfile.h"
#include "sql_queries.h"
#include "sqlite_schema.h"
#include "str.h"

#define DEFAULT_BUSY_MS 5000
#define PG_PREFIX "postgresql:"

/* The database written: an SQLite file, or a PostgreSQL server (the store's
 * conninfo and password_file, or -d postgresql:CONNINFO).  Statements are
 * written once, for both: ?1, ?2 parameters (rewritten to $1, $2 for
 * PostgreSQL), ON CONFLICT DO NOTHING, lower() for tenant names. */
struct db {
	sqlite3 *h;
	PGconn *pg;
	const char *path;	/* the file, or the conninfo (for messages) */
	int busy;
	char pgerr[512];	/* PostgreSQL: the last error, one line */
	char pgstate[6];	/* and its SQLSTATE */
};

/* Which database, and how long to wait for a lock.  sc_r: the store of the
 * config it belongs to, if any. */
static int db_target(struct ctl *c, const char *explicit_path, const char **path_r, int *busy_r,
		     const struct rg_store_conf **sc_r)
{
	*busy_r = DEFAULT_BUSY_MS;
	*sc_r = NULL;
	int rc = ctl_load_config(c, explicit_path == NULL && c->db_path == NULL);
	if (rc != 0)
		return rc;
	const struct rg_store_conf *first = NULL;
	for (size_t i = 0; c->cfg != NULL && i < c->cfg->n_stores; i++)
		if (c->cfg->stores[i].type == RG_STORE_SQLITE ||
		    c->cfg->stores[i].type == RG_STORE_PGSQL) {
			first = &c->cfg->stores[i];
			break;
		}
	*path_r = explicit_path != NULL ? explicit_path : c->db_path;
	if (*path_r == NULL && first != NULL) {
		*path_r = first->type == RG_STORE_PGSQL ? first->conninfo : first->path;
		*sc_r = first;
	}
	if (first != NULL && first->type == RG_STORE_SQLITE && *path_r != NULL &&
	    strcmp(*path_r, first->path) == 0) {
		*busy_r = first->busy_timeout_ms;
		*sc_r = first;
	}
	if (*path_r == NULL) {
		ctl_err("%s has no sqlite or postgresql store; add one to stores, or give the "
			"database with -d PATH (or -d postgresql:CONNINFO)", c->config_path);
		return EX_CONFIG;
	}
	if (*sc_r != NULL && (*sc_r)->password_query != NULL)
		ctl_err("warning: the %s store in %s uses custom queries; relayguardctl "
			"writes the default schema's tables", rg_store_type_name((*sc_r)->type),
			c->config_path);
	return 0;
}

/* After user del: a store reading path through custom queries may keep the
 * identity (or grants naming it) in tables relayguardctl does not know. */
static void custom_query_note(struct ctl *c, const char *path, const char *name)
{
	for (size_t i = 0; c->cfg != NULL && i < c->cfg->n_stores; i++) {
		const struct rg_store_conf *sc = &c->cfg->stores[i];
		const char *where = sc->type == RG_STORE_PGSQL ? sc->conninfo : sc->path;
		if ((sc->type != RG_STORE_SQLITE && sc->type != RG_STORE_PGSQL) ||
		    sc->password_query == NULL || where == NULL || strcmp(where, path) != 0)
			continue;
		ctl_err("warning: %s: the %s store of %s reads it through custom queries; "
			"only the default tables (users, act_as, tenant_authz) were changed: remove "
			"%s and the grants naming it from the tables that password_query%s%s read",
			path, rg_store_type_name(sc->type), c->config_path, name,
			sc->act_as_query ? ", act_as_query" : "",
			sc->tenant_authz_query ? ", tenant_authz_query" : "");
		return;
	}
}

/* PostgreSQL failures come back as this code, the text in d->pgerr. */
#define PG_FAILED 0x7f00

/* Map a failure to a message and an exit code. */
static int db_fail(struct db *d, int rc, const char *what)
{
	if (d->pg != NULL || rc == PG_FAILED) {
		const char *st = d->pgstate;
		if (strstr(d->pgerr, "does not exist") != NULL && strncmp(st, "42P01", 5) == 0) {
			ctl_err("%s: %s has no relayguard schema (%s); create it with: relayguardctl "
				"db init", what, d->path, d->pgerr);
			return EX_DATAERR;
		}
		if (strncmp(st, "42501", 5) == 0 || strncmp(st, "25006", 5) == 0) {
			ctl_err("%s: %s: %s; connect as a role that may write the tables (-d "
				"postgresql:CONNINFO)", what, d->path, d->pgerr);
			return EX_NOPERM;
		}
		if (st[0] == '\0' || strncmp(st, "08", 2) == 0 || strncmp(st, "55P03", 5) == 0 ||
		    strncmp(st, "40", 2) == 0 || strncmp(st, "57", 2) == 0 ||
		    (d->pg != NULL && PQstatus(d->pg) != CONNECTION_OK)) {
			ctl_err("%s: %s: %s; nothing changed, try again", what, d->path, d->pgerr);
			return EX_TEMPFAIL;
		}
		ctl_err("%s: %s: %s", what, d->path, d->pgerr);
		return EX_SOFTWARE;
	}
	const char *msg = d->h != NULL ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		ctl_err("%s: database %s is locked by another process; nothing changed, try again",
			what, d->path);
		return EX_TEMPFAIL;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		ctl_err("%s: %s is corrupt or not an SQLite database (%s); restore it from a backup",
			what, d->path, msg);
		return EX_DATAERR;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		ctl_err("%s: cannot write %s (%s); run as a user who may write it and its folder",
			what, d->path, msg);
		return EX_NOPERM;
	case SQLITE_CANTOPEN:
		ctl_err("%s: cannot open %s (%s)", what, d->path, msg);
		return access(d->path, F_OK) == 0 ? EX_NOPERM : EX_NOINPUT;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		ctl_err("%s: I/O error on %s (%s)", what, d->path, msg);
		return EX_IOERR;
	default:
		if (strstr(msg, "no such table") != NULL) {
			ctl_err("%s: %s has no relayguard schema (%s); create it with: relayguardctl "
				"db init %s", what, d->path, msg, d->path);
			return EX_DATAERR;
		}
		ctl_err("%s: %s: %s", what, d->path, msg);
		return EX_SOFTWARE;
	}
}

static void pg_note(struct db *d, const PGresult *res)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : "";
	const char *st = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (m == NULL || m[0] == '\0')
		m = PQerrorMessage(d->pg);
	rg_str_one_line(d->pgerr, sizeof(d->pgerr), m);
	snprintf(d->pgstate, sizeof(d->pgstate), "%s", st != NULL ? st : "");
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;	/* "relation ... already exists, skipping" */
}

/* The store's password_file into pw (empty: none); a file that cannot be
 * read is said and the connection tried without it. */
static void store_password(const struct rg_store_conf *sc, char *pw, size_t n)
{
	char err[512];

	pw[0] = '\0';
	if (sc != NULL && sc->password_file != NULL &&
	    rg_secret_file_read(sc->password_file, pw, n, NULL, err, sizeof(err)) != 0)
		ctl_err("warning: password_file: %s", err);
}

static int pg_open_db(struct db *d, const struct rg_store_conf *sc)
{
	char pw[1024];
	const char *keys[4] = { "dbname", "fallback_application_name", NULL, NULL };
	const char *vals[4] = { d->path, "relayguardctl", NULL, NULL };

	store_password(sc, pw, sizeof(pw));
	if (pw[0] != '\0')
		keys[2] = "password", vals[2] = pw;
	d->pg = PQconnectdbParams(keys, vals, 1);
	explicit_bzero(pw, sizeof(pw));
	if (d->pg == NULL || PQstatus(d->pg) != CONNECTION_OK) {
		pg_note(d, NULL);
		ctl_err("cannot connect to %s: %s; nothing changed, try again", d->path, d->pgerr);
		PQfinish(d->pg);
		d->pg = NULL;
		return EX_TEMPFAIL;
	}
	PQsetNoticeProcessor(d->pg, quiet_notices, NULL);
	return 0;
}

static int db_open(struct ctl *c, struct db *d, bool write, bool create, const char *path_arg)
{
	const struct rg_store_conf *sc;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = db_target(c, path_arg, &d->path, &d->busy, &sc)) != 0)
		return rc;
	if (sc != NULL ? sc->type == RG_STORE_PGSQL :
	    strncmp(d->path, PG_PREFIX, strlen(PG_PREFIX)) == 0) {
		if (sc == NULL)
			d->path += strlen(PG_PREFIX);
		return pg_open_db(d, sc);
	}
	if (!create && access(d->path, F_OK) != 0) {
		ctl_err("database %s does not exist; create it with: relayguardctl db init %s",
			d->path, d->path);
		return EX_NOINPUT;
	}
	int flags = write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(d->path, &d->h, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = db_fail(d, rc, "open");
		sqlite3_close(d->h);
		d->h = NULL;
		return rc;
	}
	sqlite3_extended_result_codes(d->h, 1);
	sqlite3_busy_timeout(d->h, d->busy);
	return 0;
}

static void db_close(struct db *d)
{
	if (d->h != NULL)
		sqlite3_close(d->h);
	d->h = NULL;
	PQfinish(d->pg);
	d->pg = NULL;
}

/* ?1 .. ?9 → $1 .. $9 (the statements here hold no quoted '?'). */
static void pg_params(const char *sql, char *out, size_t n)
{
	size_t j = 0;

	for (const char *p = sql; *p != '\0' && j + 1 < n; p++)
		out[j++] = (*p == '?' && p[1] >= '1' && p[1] <= '9') ? '$' : *p;
	out[j] = '\0';
}

/* A script of statements (the schema; BEGIN ... ): SQLITE_OK, or an error. */
static int db_exec(struct db *d, const char *sql)
{
	if (d->pg == NULL)
		return sqlite3_exec(d->h, sql, NULL, NULL, NULL);
	PGresult *res = PQexec(d->pg, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		pg_note(d, res);
	PQclear(res);
	return ok ? SQLITE_OK : PG_FAILED;
}

/* Run one statement with text parameters ?1..?n; *changes_r = rows changed.
 * Returns SQLITE_DONE / SQLITE_ROW (there was a row) or an error code. */
static int db_run(struct db *d, const char *sql, int *changes_r, int n, ...)
{
	const char *vals[4] = { NULL };
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n && i < 4; i++)
		vals[i] = va_arg(ap, const char *);
	va_end(ap);
	if (d->pg != NULL) {
		char text[1024];
		int nparams = 0;
		pg_params(sql, text, sizeof(text));
		for (int i = 1; i <= n; i++) {
			char tag[4] = { '$', (char)('0' + i), 0, 0 };
			if (strstr(text, tag) != NULL)
				nparams = i;
		}
		PGresult *res = PQexecParams(d->pg, text, nparams, NULL, vals, NULL, NULL, 0);
		ExecStatusType st = PQresultStatus(res);
		int rc = st == PGRES_TUPLES_OK ? (PQntuples(res) > 0 ? SQLITE_ROW : SQLITE_DONE) :
			 st == PGRES_COMMAND_OK ? SQLITE_DONE : PG_FAILED;
		if (rc == PG_FAILED)
			pg_note(d, res);
		if (changes_r != NULL)
			*changes_r = atoi(PQcmdTuples(res));
		PQclear(res);
		return rc;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->h, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	for (int i = 1; i <= n && rc == SQLITE_OK; i++)
		rc = sqlite3_bind_text(st, i, vals[i - 1], -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (changes_r != NULL)
		*changes_r = sqlite3_changes(d->h);
	sqlite3_finalize(st);
	return rc;
}

static bool failed(int rc)
{
	return rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK;
}

/* A write transaction that waits for other writers at most the busy time. */
static int begin(struct db *d)
{
	char sql[80];

	if (d->pg != NULL)
		snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL lock_timeout = %d", d->busy);
	int rc = db_exec(d, d->pg != NULL ? sql : "BEGIN IMMEDIATE");
	return rc == SQLITE_OK ? 0 : db_fail(d, rc, "begin transaction");
}

static int commit(struct db *d)
{
	int rc = db_exec(d, "COMMIT");
	if (rc == SQLITE_OK)
		return 0;
	rc = db_fail(d, rc, "commit");
	db_exec(d, "ROLLBACK");
	return rc;
}

static int rollback(struct db *d, int rc)
{
	db_exec(d, "ROLLBACK");
	return rc;
}

static const char *schema_sql(const struct db *d)
{
	return d->pg != NULL ? rg_pgsql_schema_sql : rg_sqlite_schema_sql;
}

/* Identities and tenant names: printable, no spaces, at most 255 bytes. */
static int check_name(const char *what, const char *s)
{
	size_t n = strlen(s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f) {
			ctl_err("%s must not contain spaces or control characters", what);
			return EX_DATAERR;
		}
	if (n == 0 || n > 255) {
		ctl_err("%s must be 1 to 255 bytes", what);
		return EX_DATAERR;
	}
	return 0;
}

static bool exists(struct db *d, const char *sql, const char *arg, int *rc_r)
{
	*rc_r = db_run(d, sql, NULL, 1, arg);
	return *rc_r == SQLITE_ROW;
}

int cmd_db_init(struct ctl *c)
{
	struct db d;
	int rc = db_open(c, &d, true, true, c->n_args > 0 ? c->args[0] : NULL);

	if (rc != 0)
		return rc;
	if ((rc = begin(&d)) != 0)
		goto out;
	int r = db_exec(&d, schema_sql(&d));
	if (r != SQLITE_OK) {
		rc = rollback(&d, db_fail(&d, r, "create schema"));
		goto out;
	}
	if ((rc = commit(&d)) == 0)
		printf("db init: %s has the relayguard schema\n", d.path);
out:
	db_close(&d);
	return rc;
}

/* user add / passwd: hash first (slow, no lock held), then write. */
static int set_password(struct ctl *c, bool add)
{
	const char *name = c->args[0];
	struct rg_pw_params params;
	const char *err = NULL;
	struct db d;
	char *pw;
	size_t len;
	int rc, r, changes = 0;

	if ((rc = check_name("user name", name)) != 0)
		return rc;
	if ((rc = db_open(c, &d, true, false, NULL)) != 0)
		return rc;
	ctl_pw_params(c, &params);
	if ((rc = ctl_read_password("New password", true, false, &pw, &len)) != 0)
		goto out;
	char *h = rg_pwscheme_hash(pw, len, &params, &err);
	ctl_password_free(pw);
	if (h == NULL) {
		ctl_err("hashing failed: %s", err ? err : "unknown error");
		rc = EX_SOFTWARE;
		goto out;
	}
	if ((rc = begin(&d)) != 0)
		goto out_h;
	if (add) {
		if (exists(&d, "SELECT 1 FROM users WHERE name = ?1", name, &r)) {
			ctl_err("user %s exists; change its password with: relayguardctl user passwd %s",
				name, name);
			rc = rollback(&d, EX_DATAERR);
			goto out_h;
		}
		r = failed(r) ? r : db_run(&d, "INSERT INTO users(name, password, enabled) "
					   "VALUES(?1, ?2, 1)", &changes, 2, name, h);
	} else {
		r = db_run(&d, "UPDATE users SET password = ?2 WHERE name = ?1", &changes, 2, name, h);
	}
	if (failed(r)) {
		rc = rollback(&d, db_fail(&d, r, add ? "user add" : "user passwd"));
	} else if (changes == 0) {
		ctl_err("no user %s in %s; add it with: relayguardctl user add %s", name, d.path,
			name);
		rc = rollback(&d, EX_NOUSER);
	} else if ((rc = commit(&d)) == 0) {
		printf("user %s: %s\n", name, add ? "added" : "password changed");
	}
out_h:
	free(h);
out:
	db_close(&d);
	return rc;
}

int cmd_user_add(struct ctl *c) { return set_password(c, true); }
int cmd_user_passwd(struct ctl *c) { return set_password(c, false); }

/* One transaction of statements, each taking the command's arguments as ?1, ?2.
 * need_change: if the first statement changes nothing, roll back and return
 * NOTHING (the caller says why).  *path_r: the database written.  counts_r
 * (optional, one per statement): the rows each statement changed. */
#define NOTHING (-1)
static int write_op_counts(struct ctl *c, const char *what, const char *const *sqls,
			   bool need_change, const char **path_r, int *counts_r)
{
	struct db d;
	int rc, changes = 0, first_changes = 0;

	*path_r = "";
	for (int i = 0; i < c->n_args; i++)
		if ((rc = check_name("name", c->args[i])) != 0)
			return rc;
	if ((rc = db_open(c, &d, true, false, NULL)) != 0)
		return rc;
	*path_r = d.path;
	if ((rc = begin(&d)) != 0)
		goto out;
	/* the tables of this version (CREATE ... IF NOT EXISTS): a database made
	 * by an older db init gains the ones added since, e.g. senders */
	int sr = db_exec(&d, schema_sql(&d));
	if (sr != SQLITE_OK) {
		rc = rollback(&d, db_fail(&d, sr, "update the schema"));
		goto out;
	}
	for (int i = 0; sqls[i] != NULL; i++) {
		int r = db_run(&d, sqls[i], &changes, c->n_args, c->args[0],
			       c->n_args > 1 ? c->args[1] : NULL);
		if (failed(r)) {
			rc = rollback(&d, db_fail(&d, r, what));
			goto out;
		}
		if (i == 0)
			first_changes = changes;
		if (counts_r != NULL)
			counts_r[i] = changes;
	}
	if (first_changes == 0 && need_change)
		rc = rollback(&d, NOTHING);
	else
		rc = commit(&d);
out:
	db_close(&d);
	return rc;
}

static int write_op(struct ctl *c, const char *what, const char *const *sqls, bool need_change,
		    const char **path_r)
{
	return write_op_counts(c, what, sqls, need_change, path_r, NULL);
}

static int user_state(struct ctl *c, const char *what, const char *const *sqls,
		      const char *done)
{
	const char *path;
	int rc = write_op(c, what, sqls, true, &path);

	if (rc == NOTHING) {
		ctl_err("no user %s in %s; nothing changed", c->args[0], path);
		return EX_NOUSER;
	}
	if (rc == 0)
		printf("user %s: %s\n", c->args[0], done);
	return rc;
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* user del: the user and every row of the default schema that names the
 * identity, in one transaction.  Act-as grants go in both directions: a
 * grant TO a deleted identity would otherwise let its holder act as a user
 * created later under the same name.  With no such user but grants left
 * naming it (from an older relayguardctl), those grants are removed. */
int cmd_user_del(struct ctl *c)
{
	static const char *const sqls[] = {
		"DELETE FROM users WHERE name = ?1",
		"DELETE FROM act_as WHERE identity = ?1",
		"DELETE FROM act_as WHERE as_identity = ?1",
		"DELETE FROM tenant_authz WHERE identity = ?1",
		"DELETE FROM senders WHERE identity = ?1", NULL };
	const char *name = c->args[0], *path;
	int n[5] = { 0 };
	int rc = write_op_counts(c, "user del", sqls, false, &path, n);

	if (rc != 0)
		return rc;
	int grants = n[1] + n[2];
	if (n[0] == 0 && grants == 0 && n[3] == 0 && n[4] == 0) {
		ctl_err("no user %s in %s; nothing changed", name, path);
		return EX_NOUSER;
	}
	if (n[0] == 0)
		printf("no user %s in %s; removed grants naming it: ", name, path);
	else
		printf("deleted user %s; removed ", name);
	printf("%d act-as %s (%d by %s, %d to %s), %d tenant %s, %d sender %s\n", grants,
	       plural(grants, "grant", "grants"), n[1], name, n[2], name, n[3],
	       plural(n[3], "grant", "grants"), n[4], plural(n[4], "grant", "grants"));
	custom_query_note(c, path, name);
	return 0;
}

int cmd_user_disable(struct ctl *c)
{
	static const char *const sqls[] = { "UPDATE users SET enabled = 0 WHERE name = ?1", NULL };
	return user_state(c, "user disable", sqls, "disabled (logins and mail refused)");
}

int cmd_user_enable(struct ctl *c)
{
	static const char *const sqls[] = { "UPDATE users SET enabled = 1 WHERE name = ?1", NULL };
	return user_state(c, "user enable", sqls, "enabled");
}

/* Is args[0] a row of table (users or tenants)?  0 yes, else an exit code. */
static int must_exist(struct ctl *c, const char *sql, const char *what, int missing_rc,
		      const char *kind, const char *add_cmd)
{
	struct db d;
	int rc, r;

	if ((rc = check_name("name", c->args[0])) != 0)
		return rc;
	if ((rc = db_open(c, &d, false, false, NULL)) != 0)
		return rc;
	bool known = exists(&d, sql, c->args[0], &r);
	rc = failed(r) ? db_fail(&d, r, what) : 0;
	if (rc == 0 && !known) {
		ctl_err("no %s %s in %s; add it first (relayguardctl %s %s)", kind, c->args[0],
			d.path, add_cmd, c->args[0]);
		rc = missing_rc;
	}
	db_close(&d);
	return rc;
}

int cmd_act_as_grant(struct ctl *c)
{
	static const char *const sqls[] = {
		"INSERT INTO act_as(identity, as_identity) VALUES(?1, ?2) ON CONFLICT DO NOTHING", NULL };
	const char *path;
	int rc = must_exist(c, "SELECT 1 FROM users WHERE name = ?1", "act-as grant", EX_NOUSER,
			    "user", "user add");

	if (rc == 0 && (rc = write_op(c, "act-as grant", sqls, false, &path)) == 0)
		printf("act-as: %s may act as %s\n", c->args[0], c->args[1]);
	return rc;
}

int cmd_act_as_revoke(struct ctl *c)
{
	static const char *const sqls[] = {
		"DELETE FROM act_as WHERE identity = ?1 AND as_identity = ?2", NULL };
	const char *path;
	int rc = write_op(c, "act-as revoke", sqls, true, &path);

	if (rc == NOTHING) {
		ctl_err("%s has no act-as grant for %s in %s; nothing changed", c->args[0],
			c->args[1], path);
		return EX_DATAERR;
	}
	if (rc == 0)
		printf("act-as: %s may no longer act as %s\n", c->args[0], c->args[1]);
	return rc;
}

/* sender grant USER ADDRESS: the grant stored normalized (common/mailbox.h) */
static int sender_args(struct ctl *c, char norm[RG_ADDR_MAX])
{
	const char *why;

	if (!rg_sender_grant_normalize(c->args[1], norm, RG_ADDR_MAX, &why)) {
		ctl_err("sender address \"%s\": %s (use user@domain, @domain or *)", c->args[1], why);
		return EX_DATAERR;
	}
	c->args[1] = norm;
	return 0;
}

int cmd_sender_grant(struct ctl *c)
{
	static const char *const sqls[] = {
		"INSERT INTO senders(identity, address) VALUES(?1, ?2) ON CONFLICT DO NOTHING", NULL };
	char norm[RG_ADDR_MAX];
	const char *path;
	int rc = sender_args(c, norm);

	if (rc == 0)
		rc = must_exist(c, "SELECT 1 FROM users WHERE name = ?1", "sender grant", EX_NOUSER,
				"user", "user add");
	if (rc == 0 && (rc = write_op(c, "sender grant", sqls, false, &path)) == 0)
		printf("sender: %s may send as %s\n", c->args[0], c->args[1]);
	return rc;
}

int cmd_sender_revoke(struct ctl *c)
{
	static const char *const sqls[] = {
		"DELETE FROM senders WHERE identity = ?1 AND address = ?2", NULL };
	char norm[RG_ADDR_MAX];
	const char *path;
	int rc = sender_args(c, norm);

	if (rc == 0)
		rc = write_op(c, "sender revoke", sqls, true, &path);
	if (rc == NOTHING) {
		ctl_err("%s has no sender grant %s in %s; nothing changed", c->args[0], c->args[1],
			path);
		return EX_DATAERR;
	}
	if (rc == 0)
		printf("sender: %s may no longer send as %s\n", c->args[0], c->args[1]);
	return rc;
}

/* domain add|del TENANT DOMAIN: the tenant's allowed From:/envelope domains */
static int domain_args(struct ctl *c, char norm[RG_ADDR_MAX])
{
	const char *why;

	if (!rg_tenant_domain_normalize(c->args[1], norm, RG_ADDR_MAX, &why)) {
		ctl_err("domain \"%s\": %s", c->args[1], why);
		return EX_DATAERR;
	}
	c->args[1] = norm;
	return 0;
}

int cmd_domain_add(struct ctl *c)
{
	static const char *const sqls[] = {
		"INSERT INTO tenant_domains(tenant, domain) SELECT name, CAST(?2 AS TEXT) FROM tenants "
		"WHERE lower(name) = lower(?1) ON CONFLICT DO NOTHING", NULL };
	char norm[RG_ADDR_MAX];
	const char *path;
	int rc = domain_args(c, norm);

	if (rc == 0)
		rc = must_exist(c, "SELECT 1 FROM tenants WHERE lower(name) = lower(?1)",
				"domain add", EX_DATAERR, "tenant", "tenant add");
	if (rc == 0 && (rc = write_op(c, "domain add", sqls, false, &path)) == 0)
		printf("domain: tenant %s may use %s\n", c->args[0], c->args[1]);
	return rc;
}

int cmd_domain_del(struct ctl *c)
{
	static const char *const sqls[] = {
		"DELETE FROM tenant_domains WHERE lower(tenant) = lower(?1) AND domain = ?2", NULL };
	char norm[RG_ADDR_MAX];
	const char *path;
	int rc = domain_args(c, norm);

	if (rc == 0)
		rc = write_op(c, "domain del", sqls, true, &path);
	if (rc == NOTHING) {
		ctl_err("tenant %s has no domain %s in %s; nothing changed", c->args[0], c->args[1],
			path);
		return EX_DATAERR;
	}
	if (rc == 0)
		printf("domain: tenant %s may no longer use %s\n", c->args[0], c->args[1]);
	return rc;
}

int cmd_tenant_add(struct ctl *c)
{
	static const char *const sqls[] = {
		"INSERT INTO tenants(name) VALUES(?1) ON CONFLICT DO NOTHING", NULL };
	const char *path;
	int rc = write_op(c, "tenant add", sqls, true, &path);

	if (rc == NOTHING) {
		ctl_err("tenant %s exists in %s; nothing changed", c->args[0], path);
		return EX_DATAERR;
	}
	if (rc == 0)
		printf("tenant %s: added (closed: nobody may use it until granted with "
		       "relayguardctl tenant grant %s USER)\n", c->args[0], c->args[0]);
	return rc;
}

int cmd_tenant_del(struct ctl *c)
{
	static const char *const sqls[] = {
		"DELETE FROM tenants WHERE lower(name) = lower(?1)",
		"DELETE FROM tenant_authz WHERE lower(tenant) = lower(?1)",
		"DELETE FROM tenant_domains WHERE lower(tenant) = lower(?1)", NULL };
	const char *path;
	int rc = write_op(c, "tenant del", sqls, true, &path);

	if (rc == NOTHING) {
		ctl_err("no tenant %s in %s; nothing changed", c->args[0], path);
		return EX_DATAERR;
	}
	if (rc == 0)
		printf("tenant %s: deleted with its grants\n", c->args[0]);
	return rc;
}

int cmd_tenant_grant(struct ctl *c)
{
	/* the tenant's own spelling from the tenants table */
	static const char *const sqls[] = {
		"INSERT INTO tenant_authz(tenant, identity) "
		"SELECT name, CAST(?2 AS TEXT) FROM tenants WHERE lower(name) = lower(?1) "
		"ON CONFLICT DO NOTHING", NULL };
	const char *path;
	int rc = must_exist(c, "SELECT 1 FROM tenants WHERE lower(name) = lower(?1)", "tenant grant", EX_DATAERR,
			    "tenant", "tenant add");

	if (rc == 0 && (rc = check_name("user name", c->args[1])) == 0 &&
	    (rc = write_op(c, "tenant grant", sqls, false, &path)) == 0)
		printf("tenant %s: %s may use it\n", c->args[0], c->args[1]);
	return rc;
}

int cmd_tenant_revoke(struct ctl *c)
{
	static const char *const sqls[] = {
		"DELETE FROM tenant_authz WHERE lower(tenant) = lower(?1) AND identity = ?2", NULL };
	const char *path;
	int rc = write_op(c, "tenant revoke", sqls, true, &path);

	if (rc == NOTHING) {
		ctl_err("tenant %s has no grant for %s in %s; nothing changed", c->args[0],
			c->args[1], path);
		return EX_DATAERR;
	}
	if (rc == 0)
		printf("tenant %s: %s may no longer use it\n", c->args[0], c->args[1]);
	return rc;
}

/* ---- listings (read-only) ---- */

/* Run a listing; row() gets each row's columns (NULL for SQL NULL).  The
 * SQL is SQLite's; for PostgreSQL group_concat( becomes string_agg(. */
static int list(struct ctl *c, const char *what, const char *sql,
		void (*row)(const char *const *cols))
{
	struct db d;
	int rc = db_open(c, &d, false, false, NULL);

	if (rc != 0)
		return rc;
	if (d.pg != NULL) {
		char text[1024];
		size_t j = 0;
		for (const char *p = sql; *p != '\0' && j + 12 < sizeof(text); ) {
			if (strncmp(p, "group_concat(", 13) == 0) {
				memcpy(text + j, "string_agg(", 11);
				j += 11;
				p += 13;
			} else {
				text[j++] = *p++;
			}
		}
		text[j] = '\0';
		PGresult *res = PQexec(d.pg, text);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			pg_note(&d, res);
			rc = db_fail(&d, PG_FAILED, what);
		}
		for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
			const char *cols[3] = { NULL, NULL, NULL };
			for (int k = 0; k < PQnfields(res) && k < 3; k++)
				cols[k] = PQgetisnull(res, i, k) ? NULL : PQgetvalue(res, i, k);
			row(cols);
		}
		PQclear(res);
		db_close(&d);
		return rc;
	}
	sqlite3_stmt *st = NULL;
	int r = sqlite3_prepare_v2(d.h, sql, -1, &st, NULL);
	if (r == SQLITE_OK)
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			const char *cols[3] = { NULL, NULL, NULL };
			for (int k = 0; k < sqlite3_column_count(st) && k < 3; k++)
				cols[k] = (const char *)sqlite3_column_text(st, k);
			row(cols);
		}
	if (r != SQLITE_DONE)
		rc = db_fail(&d, r, what);
	sqlite3_finalize(st);
	db_close(&d);
	return rc;
}

static const char *col(const char *const *cols, int i)
{
	return cols[i] != NULL ? cols[i] : "";
}

static void user_row(const char *const *cols)
{
	printf("%s\t%s%s%s\n", col(cols, 0), rg_sql_text_true(cols[1]) ? "enabled" : "disabled",
	       cols[2] != NULL ? "\tact-as=" : "", col(cols, 2));
}

int cmd_user_list(struct ctl *c)
{
	return list(c, "user list",
		    "SELECT u.name, u.enabled, (SELECT group_concat(as_identity, ',') FROM "
		    "(SELECT as_identity FROM act_as WHERE identity = u.name ORDER BY as_identity) "
		    "AS a) FROM users u ORDER BY u.name", user_row);
}

static void tenant_row(const char *const *cols)
{
	if (cols[1] == NULL)
		printf("%s\t(nobody: closed until granted)\n", col(cols, 0));
	else
		printf("%s\t%s\n", col(cols, 0), col(cols, 1));
}

static void sender_row(const char *const *cols)
{
	printf("%s\t%s\n", col(cols, 0), col(cols, 1));
}

int cmd_sender_list(struct ctl *c)
{
	return list(c, "sender list",
		    "SELECT identity, group_concat(address, ',') FROM "
		    "(SELECT identity, address FROM senders ORDER BY identity, address) AS s "
		    "GROUP BY identity ORDER BY identity", sender_row);
}

int cmd_domain_list(struct ctl *c)
{
	return list(c, "domain list",
		    "SELECT tenant, group_concat(domain, ',') FROM "
		    "(SELECT tenant, domain FROM tenant_domains ORDER BY tenant, domain) AS d "
		    "GROUP BY tenant ORDER BY tenant", sender_row);
}

int cmd_tenant_list(struct ctl *c)
{
	return list(c, "tenant list",
		    "SELECT t.name, (SELECT group_concat(identity, ',') FROM "
		    "(SELECT identity FROM tenant_authz WHERE lower(tenant) = lower(t.name) "
		    "ORDER BY identity) AS a) FROM tenants t ORDER BY t.name", tenant_row);
}
