/*
 * store_sqlite.c — users, act-as grants and tenants in an SQLite database.
 *
 * Default schema (created by `relayguardctl db init`):
 *   users(name PRIMARY KEY, password, enabled)
 *   act_as(identity, as_identity)
 *   tenants(name PRIMARY KEY)
 *   tenant_authz(tenant, identity)
 *
 * Or admin-given queries with named parameters (any one set switches the
 * store to custom mode; queries not given are then off — no act-as grants,
 * no tenants):
 *   password_query      :user            → password [, enabled]   (at most one row)
 *   act_as_query        :user, :as       → any row = allowed
 *   tenant_query        :tenant          → any row = tenant known
 *   tenant_authz_query  :tenant, :user   → any row = allowed
 *   state_query         :user            → enabled   (at most one row; without it,
 *                       custom mode answers state lookups with password_query
 *                       and wipes the password it did not need)
 * Each query must compile, be read-only, be a single statement and use
 * exactly its parameters; otherwise the store does not open (so `relayguard
 * -n` reports it).  tenant_query and tenant_authz_query go together.
 *
 * enabled: integers are true when non-zero; text yes/y/true/on/1 is true;
 * NULL or anything else is false (fail closed).
 *
 * Tenants are closed by default: a tenant present in `tenants` admits only
 * the identities listed for it in `tenant_authz` (none listed: nobody).
 * Tenant names compare case-insensitively (as in the config); identities
 * exactly.
 *
 * The database is opened read-only, with the configured busy timeout.  A
 * locked (busy after the timeout), missing, unreadable or corrupt database
 * is RG_LOOKUP_ERROR with a clear error text — never NOTFOUND or FOUND.
 * A database locked by a writer while the store opens does not stop the
 * open (the queries are then prepared and checked at the first lookup).
 * Every lookup stats the path (before taking the store's mutex, so the
 * mutex is held only for SQLite's own work): if the file was replaced (new
 * inode) the store reconnects; if it has gone, lookups fail (SQLite would
 * otherwise go on reading the unlinked old file).  One mutex per store
 * serialises the prepared statements; lookups are microseconds.  Nothing is
 * cached between lookups: each one is its own read transaction (the two
 * queries of a tenant lookup share one), so it sees the file as it is now.
 */
#include <autoconfig.h>
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <sqlite3.h>

#include "log.h"
#include "mailbox.h"
#include "mapread.h"
#include "sql_queries.h"
#include "stats.h"

/* The built-in queries a database made by an older relayguardctl db init
 * cannot compile (their table is missing): the store opens without them and
 * answers those lookups with a temporary failure naming the fix. */
static bool added_later(enum rg_sql_q q)
{
	return q == RG_SQL_SENDER || q == RG_SQL_SENDER_OWNER || q == RG_SQL_TENANT_DOMAIN ||
	       q == RG_SQL_TENANT_DOMAINS || q == RG_SQL_DOMAIN_TENANT;
}

/*
 * Answers without SQLite while the file has not changed.  In rollback-journal
 * mode (not WAL) SQLite increments the file change counter (header offset 24)
 * with every commit.  The counter is read (from the file's first page, mapped
 * shared, so a read is a memory load, not a system call) under the shared
 * lock of the read transaction that ran the query, so it names exactly the
 * state the answer came from; a later lookup compares an unlocked read of it
 * (and the stat it already makes) with it: equal means no commit since, so
 * the answer stands.  A decision (store.h) reads it once.  A write in
 * progress shows a new counter (miss) or the old one (the answer from before
 * that commit, which has not happened yet).  WAL mode
 * (header bytes 18-19 = 2) has no such counter: no memo.  Size and mtime are
 * compared too, against a file overwritten in place with a copy whose counter
 * happens to match, and a writer holding a lock sends the lookup to SQLite.
 * Revocation stays immediate: the next lookup after a commit misses.  The
 * password query's answer (the stored hash, never a plaintext) is remembered
 * the same way, in its own allocation, wiped when the slot is reused, the
 * store disconnects or closes.
 */
#define MEMO_SLOTS 512
#define HDR_MAP_LEN 4096	/* the header is the first 100 bytes */
#define MEMO_KEY 192

struct sq_version {
	uint32_t counter;
	off_t size;
	struct timespec mtime;
	bool valid;		/* rollback-journal mode and all three known */
};

struct sq_memo {
	bool used;
	unsigned char q;	/* RG_SQL_PASSWORD, RG_SQL_STATE, RG_SQL_ACT_AS, RG_SQL_TENANT_AUTHZ, RG_SQL_SENDER* */
	signed char result;	/* RG_LOOKUP_FOUND / RG_LOOKUP_NOTFOUND */
	bool flag;		/* enabled / allowed */
	char *secret;		/* RG_SQL_PASSWORD: the stored hash (malloc'd, wiped on reuse) */
	struct sq_version at;
	char k1[MEMO_KEY], k2[MEMO_KEY];
};

struct sq_store {
	char *path;
	const char *sql[RG_SQL_COUNT];	/* NULL: feature off (custom mode) */
	bool custom;
	int busy_ms;
	pthread_rwlock_t lock;		/* write: the connection; read: the memo only */
	sqlite3 *db;
	sqlite3_stmt *stmt[RG_SQL_COUNT];
	sqlite3_stmt *begin, *commit;	/* one read transaction for several queries */
	dev_t dev;
	ino_t ino;
	int hdr_fd;			/* the file, for reading its header's change counter */
	const unsigned char *hdr_map;	/* its first page mapped (no read call per look); NULL: pread */
	struct sq_memo *memo;		/* answers by file version (below); NULL: none */
	struct sq_version now;		/* the version seen by the current lookup */
	bool old_schema;		/* default schema without the senders table */
};

static __thread char sq_errbuf[600];

static void memo_slot_clear(struct sq_memo *m)
{
	if (m->secret != NULL) {
		sodium_memzero(m->secret, strlen(m->secret));
		free(m->secret);
	}
	memset(m, 0, sizeof(*m));
}

/* Forget every remembered answer (the hashes wiped). */
static void memo_wipe(struct sq_store *s)
{
	for (size_t i = 0; s->memo != NULL && i < MEMO_SLOTS; i++)
		memo_slot_clear(&s->memo[i]);
}

static const char *sq_explain(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "database is locked by another process (busy timeout expired)";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "database file is corrupt or not an SQLite database";
	case SQLITE_CANTOPEN:
		return "cannot open database file";
	case SQLITE_IOERR:
		return "I/O error reading database";
	case SQLITE_NOMEM:
		return "out of memory";
	case SQLITE_READONLY:
		return "database needs recovery by a writer (hot journal)";
	default:
		return "database error";
	}
}

static void sq_disconnect(struct sq_store *s)
{
	for (int i = 0; i < RG_SQL_COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	s->begin = s->commit = NULL;
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	s->db = NULL;
	if (s->hdr_map != NULL)
		munmap((void *)(uintptr_t)s->hdr_map, HDR_MAP_LEN);
	s->hdr_map = NULL;
	if (s->hdr_fd >= 0)
		close(s->hdr_fd);
	s->hdr_fd = -1;
	memo_wipe(s);
}

static bool param_allowed(enum rg_sql_q q, const char *name)
{
	for (int i = 0; i < 2; i++)
		if (rg_sql_queries[q].params[i] != NULL && strcmp(rg_sql_queries[q].params[i], name) == 0)
			return true;
	return false;
}

/* Prepare and validate one query.  0, or -1 with msg. */
static int sq_prepare(struct sq_store *s, enum rg_sql_q q, char *msg, size_t msglen)
{
	const char *sql = s->sql[q], *tail = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail);

	if (rc != SQLITE_OK) {
		int base = rc & 0xff;
		if (base == SQLITE_BUSY || base == SQLITE_CORRUPT || base == SQLITE_NOTADB ||
		    base == SQLITE_IOERR || base == SQLITE_CANTOPEN)
			snprintf(msg, msglen, "%s: %s (%s)", s->path, sq_explain(rc),
				 sqlite3_errmsg(s->db));
		else
			snprintf(msg, msglen, "%s: %s \"%s\" does not compile: %s%s", s->path,
				 rg_sql_queries[q].key, sql, sqlite3_errmsg(s->db),
				 s->custom ? "" : " (create the schema with: relayguardctl db init)");
		sqlite3_finalize(stmt);
		return -1;
	}
	while (tail != NULL && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == ';'))
		tail++;
	if (stmt == NULL || (tail != NULL && *tail != '\0')) {
		snprintf(msg, msglen, "%s must be exactly one SQL statement", rg_sql_queries[q].key);
		goto fail;
	}
	if (!sqlite3_stmt_readonly(stmt)) {
		snprintf(msg, msglen, "%s must be a read-only query (SELECT)", rg_sql_queries[q].key);
		goto fail;
	}
	int np = sqlite3_bind_parameter_count(stmt);
	for (int i = 1; i <= np; i++) {
		const char *name = sqlite3_bind_parameter_name(stmt, i);
		if (name == NULL || !param_allowed(q, name)) {
			snprintf(msg, msglen, "%s uses parameter %s; it may use only %s%s%s",
				 rg_sql_queries[q].key, name ? name : "? (nameless)", rg_sql_queries[q].params[0],
				 rg_sql_queries[q].params[1] ? " and " : "",
				 rg_sql_queries[q].params[1] ? rg_sql_queries[q].params[1] : "");
			goto fail;
		}
	}
	for (int i = 0; i < 2; i++)
		if (rg_sql_queries[q].params[i] != NULL &&
		    sqlite3_bind_parameter_index(stmt, rg_sql_queries[q].params[i]) == 0) {
			snprintf(msg, msglen, "%s must use the parameter %s", rg_sql_queries[q].key,
				 rg_sql_queries[q].params[i]);
			goto fail;
		}
	int nc = sqlite3_column_count(stmt);
	if (q == RG_SQL_PASSWORD && (nc < 1 || nc > 2)) {
		snprintf(msg, msglen, "%s must return password [, enabled] (1 or 2 columns, not %d)",
			 rg_sql_queries[q].key, nc);
		goto fail;
	}
	if (q == RG_SQL_DOMAIN_TENANT && nc != 1) {
		snprintf(msg, msglen, "%s must return one column, the tenant (not %d)",
			 rg_sql_queries[q].key, nc);
		goto fail;
	}
	if (q == RG_SQL_STATE && nc != 1) {
		snprintf(msg, msglen, "%s must return one column, enabled (not %d)",
			 rg_sql_queries[q].key, nc);
		goto fail;
	}
	s->stmt[q] = stmt;
	return 0;
fail:
	sqlite3_finalize(stmt);
	return -1;
}

/* Open the connection and prepare everything.  0, or -1 with msg
 * (-2: the database was locked while reading its schema). */
static int sq_connect(struct sq_store *s, char *msg, size_t msglen)
{
	struct stat sb;

	if (stat(s->path, &sb) < 0) {
		snprintf(msg, msglen, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(msg, msglen, "%s: not a regular file", s->path);
		return -1;
	}
	int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msglen, "%s: %s (%s)", s->path, sq_explain(rc),
			 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		sq_disconnect(s);
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	s->old_schema = false;
	for (int q = 0; q < RG_SQL_COUNT; q++) {
		if (s->sql[q] == NULL)
			continue;
		if (sq_prepare(s, q, msg, msglen) < 0) {
			if (!s->custom && added_later(q) &&
			    strstr(sqlite3_errmsg(s->db), "no such table") != NULL) {
				s->old_schema = true;	/* answered by sq_sender_* below */
				continue;
			}
			int busy = (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_BUSY ||
				(sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_LOCKED;
			sq_disconnect(s);
			return busy ? -2 : -1;
		}
	}
	if ((rc = sqlite3_prepare_v3(s->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT, &s->begin,
				     NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v3(s->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &s->commit,
				     NULL)) != SQLITE_OK) {
		snprintf(msg, msglen, "%s: %s (%s)", s->path, sq_explain(rc), sqlite3_errmsg(s->db));
		sq_disconnect(s);
		return -1;
	}
	s->dev = sb.st_dev;
	s->ino = sb.st_ino;
	/* the same file SQLite opened (checked by dev/ino on every lookup) */
	s->hdr_fd = open(s->path, O_RDONLY | O_CLOEXEC);
	/* the header read through a mapping (mapread.h: a file cut meanwhile
	 * answers "unknown", never SIGBUS); pread when it cannot be mapped */
	if (s->hdr_fd >= 0 && s->memo != NULL && rg_mapread_init() == 0) {
		void *m = mmap(NULL, HDR_MAP_LEN, PROT_READ, MAP_SHARED, s->hdr_fd, 0);
		s->hdr_map = m != MAP_FAILED ? m : NULL;
	}
	return 0;
}

static int sq_open(struct rg_store *st, const struct rg_config *cfg, char **error_r)
{
	const struct rg_store_conf *conf = st->conf;
	char msg[1024];
	struct sq_store *s;

	if (conf->path == NULL || conf->path[0] == '\0') {
		rg_error_r(error_r, "sqlite store needs a path");
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (s != NULL) {
		s->hdr_fd = -1;
		s->memo = calloc(MEMO_SLOTS, sizeof(*s->memo));	/* NULL: lookups without it */
	}
	if (s == NULL || (s->path = strdup(conf->path)) == NULL) {
		if (s != NULL)
			free(s->memo);
		free(s);
		rg_error_r(error_r, "out of memory");
		return -1;
	}
	if (rg_sql_choose(conf, 0, s->sql, &s->custom, msg, sizeof(msg)) < 0)
		goto fail;
	s->busy_ms = conf->busy_timeout_ms > 0 ? conf->busy_timeout_ms : 0;
	int rc = sq_connect(s, msg, sizeof(msg));
	if (rc == -2) {
		/* a writer holds the database right now: do not refuse to start for
		 * that; lookups connect (and check the queries) once it is free,
		 * answering temporary failures until then */
		rg_log(LOG_WARNING, "store %s: %s; will connect at the first lookup", st->label, msg);
	} else if (rc < 0) {
		goto fail;
	}
	/* a database from before the senders/tenant_domains tables: fine until
	 * a check needs them (then 451); say so now, -n included */
	if (s->old_schema && cfg != NULL &&
	    (cfg->senders.check_envelope || cfg->senders.check_from ||
	     cfg->senders.unauthenticated == RG_UNAUTH_SENDER_REJECT_OWNED))
		rg_log(LOG_WARNING, "store %s: %s has no senders or tenant_domains table: sender "
		       "checks will fail temporarily (451) until: relayguardctl db init", st->label,
		       s->path);
	pthread_rwlock_init(&s->lock, NULL);
	st->priv = s;
	return 0;
fail:
	free(s->memo);
	free(s->path);
	free(s);
	rg_error_r(error_r, "%s", msg);
	return -1;
}

/* Before taking the lock: where the path points now (stat costs a system
 * call; no reason to make the other threads wait for it). */
struct sq_file_now {
	int err;	/* errno of stat(), 0 if it worked */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

static void sq_stat_path(const struct sq_store *s, struct sq_file_now *now)
{
	struct stat sb;

	now->err = stat(s->path, &sb) < 0 ? errno : 0;
	now->dev = now->err == 0 ? sb.st_dev : 0;
	now->ino = now->err == 0 ? sb.st_ino : 0;
	now->size = now->err == 0 ? sb.st_size : -1;
	if (now->err == 0)
		now->mtime = sb.st_mtim;
	else
		memset(&now->mtime, 0, sizeof(now->mtime));
}

/* With the lock held: make sure we read the file that was at path. */
static int sq_check_file(struct sq_store *s, const struct sq_file_now *now)
{
	char msg[512];

	if (now->err != 0) {
		snprintf(sq_errbuf, sizeof(sq_errbuf), "%s: database file has gone: %s", s->path,
			 strerror(now->err));
		return -1;
	}
	if (s->db != NULL && now->dev == s->dev && now->ino == s->ino)
		return 0;
	/* replaced (or an earlier reconnect failed): connect again */
	sq_disconnect(s);
	if (sq_connect(s, msg, sizeof(msg)) < 0) {
		snprintf(sq_errbuf, sizeof(sq_errbuf), "%s", msg);
		return -1;
	}
	return 0;
}

/* Stat the path, then take the lock and check it.  The lock is held on
 * return, also on failure (-1, sq_errbuf set). */
static int sq_lock_checked(struct sq_store *s)
{
	struct sq_file_now now;

	sq_stat_path(s, &now);
	pthread_rwlock_wrlock(&s->lock);
	s->now.valid = false;
	s->now.size = now.size;
	s->now.mtime = now.mtime;
	return sq_check_file(s, &now);
}

/* The header's journal mode and change counter now (one pread), into v along
 * with the size and mtime of this lookup's stat.  v->valid: usable for the memo. */
static void sq_read_header(const struct sq_store *s, struct sq_version *v)
{
	unsigned char h[10];	/* header bytes 18..27 */

	v->valid = false;
	if (s->memo == NULL || s->hdr_fd < 0)
		return;
	if (s->hdr_map != NULL ? rg_mapread(s->hdr_map, 18, h, sizeof(h)) != 0
			       : pread(s->hdr_fd, h, sizeof(h), 18) != sizeof(h))
		return;	/* a file shorter than a page reads as zeros past its end: not valid */
	if (h[0] != 1 || h[1] != 1)
		return;	/* WAL (2) or unknown: no counter to trust */
	v->counter = (uint32_t)h[6] << 24 | (uint32_t)h[7] << 16 | (uint32_t)h[8] << 8 | h[9];
	v->valid = true;
}

/* The version of the file the current query reads (write lock held). */
static void sq_read_version(struct sq_store *s, struct sq_version *v)
{
	*v = s->now;
	sq_read_header(s, v);
}


static bool same_version(const struct sq_version *a, const struct sq_version *b)
{
	return a->valid && b->valid && a->counter == b->counter && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static struct sq_memo *memo_slot(struct sq_store *s, enum rg_sql_q q, const char *k1, const char *k2)
{
	uint32_t h = 2166136261u ^ (uint32_t)q;
	for (const char *p = k1; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = k2; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &s->memo[h & (MEMO_SLOTS - 1)];
}

/* What this thread's current decision (store.h) saw of the file: the stat,
 * then, when a memo slot asked for them, the header and the lock test.  A
 * question of the same decision to the same store takes them from here. */
struct sq_seen {
	unsigned long long decision;	/* 0: not usable for the next question */
	const struct sq_store *s;
	struct sq_file_now now;
	bool have_version, have_lock;
	struct sq_version v;		/* the header's counter with now's size and mtime */
	bool writer;			/* a writer held a lock */
};
static __thread struct sq_seen seen;

/* The file as this question sees it: looked at now, or, within a decision
 * that already looked, as it looked then. */
static const struct sq_file_now *seen_file(const struct sq_store *s)
{
	unsigned long long d = rg_store_decision();

	if (d != 0 && seen.decision == d && seen.s == s)
		return &seen.now;
	memset(&seen, 0, sizeof(seen));
	sq_stat_path(s, &seen.now);
	seen.decision = d;
	seen.s = s;
	return &seen.now;
}

/* A writer holding a lock (RESERVED, PENDING or EXCLUSIVE: SQLite's unix
 * locks on the bytes from 0x40000000), or a lock that cannot be tested. */
static bool seen_writer(const struct sq_store *s)
{
	if (!seen.have_lock) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
				    .l_start = 0x40000000, .l_len = 512 };
		seen.writer = fcntl(s->hdr_fd, F_GETLK, &fl) != 0 || fl.l_type != F_UNLCK;
		seen.have_lock = true;
	}
	return seen.writer;
}

/* A remembered answer for (q, k1, k2) that still holds: the file has not
 * changed since it was read.  Lock held (read is enough); the file as seen
 * by this question (seen_file). */
static bool memo_find(struct sq_store *s, enum rg_sql_q q, const char *k1, const char *k2,
		      enum rg_lookup *r, bool *flag, const char **secret_r)
{
	struct sq_memo *m;

	if (s->memo == NULL)
		return false;
	m = memo_slot(s, q, k1, k2);
	if (!m->used || m->q != q || strcmp(m->k1, k1) != 0 || strcmp(m->k2, k2) != 0)
		return false;
	if (!seen.have_version) {
		seen.v = (struct sq_version){ .size = seen.now.size, .mtime = seen.now.mtime };
		sq_read_header(s, &seen.v);
		seen.have_version = true;
	}
	if (!same_version(&seen.v, &m->at))
		return false;
	/* a writer holding a lock takes the query path, so that a database
	 * held by a writer answers as it always has (it waits the busy
	 * timeout, then fails temporarily) */
	if (seen_writer(s))
		return false;
	*r = (enum rg_lookup)m->result;
	*flag = m->flag;
	if (secret_r != NULL)
		*secret_r = m->secret;
	rg_stats_inc("store.memo_hit");
	return true;
}

/* The fast path: a remembered answer that still holds, found under the read
 * lock, so that lookups answered from the memo run side by side; false: ask
 * SQLite (under the write lock).  *secret_r: a copy of the remembered hash
 * (RG_SQL_PASSWORD, found), for the caller to wipe and free. */
static bool memo_answer(struct sq_store *s, enum rg_sql_q q, const char *k1, const char *k2,
			enum rg_lookup *r, bool *flag, char **secret_r)
{
	const struct sq_file_now *now;
	const char *secret = NULL;
	bool hit = false;

	if (s->memo == NULL)
		return false;
	now = seen_file(s);
	if (now->err != 0)
		return false;	/* the slow path says why */
	pthread_rwlock_rdlock(&s->lock);
	if (s->db != NULL && now->dev == s->dev && now->ino == s->ino)
		hit = memo_find(s, q, k1, k2, r, flag, &secret);
	if (hit && secret_r != NULL && *r == RG_LOOKUP_FOUND &&
	    (*secret_r = strdup(secret != NULL ? secret : "")) == NULL)
		hit = false;	/* out of memory: the slow path */
	pthread_rwlock_unlock(&s->lock);
	return hit;
}

/* Remember an answer read at version v (read under the query's shared lock). */
static void memo_put(struct sq_store *s, enum rg_sql_q q, const char *k1, const char *k2,
		     const struct sq_version *v, enum rg_lookup r, bool flag, const char *secret)
{
	struct sq_memo *m;
	char *copy = NULL;

	if (s->memo == NULL || !v->valid || r == RG_LOOKUP_ERROR || strlen(k1) >= MEMO_KEY ||
	    strlen(k2) >= MEMO_KEY)
		return;
	if (secret != NULL && (copy = strdup(secret)) == NULL)
		return;	/* out of memory: no memo, the answer stands */
	m = memo_slot(s, q, k1, k2);
	memo_slot_clear(m);
	m->secret = copy;
	m->used = true;
	m->q = (unsigned char)q;
	m->result = (signed char)r;
	m->flag = flag;
	m->at = *v;
	memcpy(m->k1, k1, strlen(k1) + 1);
	memcpy(m->k2, k2, strlen(k2) + 1);
}

static void sq_fail(struct sq_store *s, int rc)
{
	snprintf(sq_errbuf, sizeof(sq_errbuf), "%s: %s (%s)", s->path, sq_explain(rc),
		 sqlite3_errmsg(s->db));
}

/* Several queries in one read transaction: SQLite then takes and checks
 * its file lock once, and the queries see the same state of the file. */
static int sq_begin(struct sq_store *s)
{
	int rc = sqlite3_step(s->begin);

	sqlite3_reset(s->begin);
	if (rc != SQLITE_DONE) {
		sq_fail(s, rc);
		return -1;
	}
	return 0;
}

/* End the read transaction (it must not outlive the lookup: it would hold
 * the read lock and hide later changes).  Cannot end it: disconnect, so
 * the next lookup starts on a fresh connection. */
static int sq_end(struct sq_store *s)
{
	int rc = sqlite3_step(s->commit);

	sqlite3_reset(s->commit);
	if (rc == SQLITE_DONE)
		return 0;
	sq_fail(s, rc);
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (!sqlite3_get_autocommit(s->db))
		sq_disconnect(s);
	return -1;
}

/* SQLITE_STATIC: value outlives the query (bindings are cleared before
 * the lookup returns), so SQLite need not copy it. */
static int bind_text(sqlite3_stmt *stmt, const char *param, const char *value)
{
	int idx = sqlite3_bind_parameter_index(stmt, param);
	if (idx == 0)
		return SQLITE_OK;
	return sqlite3_bind_text(stmt, idx, value, -1, SQLITE_STATIC);
}

/* Run an existence query.  FOUND if a row, NOTFOUND if none, ERROR otherwise. */
static enum rg_lookup sq_exists(struct sq_store *s, enum rg_sql_q q, const char *user,
				const char *as, const char *tenant, const char *address)
{
	sqlite3_stmt *stmt = s->stmt[q];
	int rc;

	if ((rc = bind_text(stmt, ":domain", address)) != SQLITE_OK ||
	    (rc = bind_text(stmt, ":user", user)) != SQLITE_OK ||
	    (rc = bind_text(stmt, ":as", as)) != SQLITE_OK ||
	    (rc = bind_text(stmt, ":tenant", tenant)) != SQLITE_OK ||
	    (rc = bind_text(stmt, ":address", address)) != SQLITE_OK) {
		sq_fail(s, rc);
		sqlite3_clear_bindings(stmt);
		return RG_LOOKUP_ERROR;
	}
	rc = sqlite3_step(stmt);
	enum rg_lookup r = rc == SQLITE_ROW ? RG_LOOKUP_FOUND :
		rc == SQLITE_DONE ? RG_LOOKUP_NOTFOUND : RG_LOOKUP_ERROR;
	if (r == RG_LOOKUP_ERROR)
		sq_fail(s, rc);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return r;
}

static bool value_true(sqlite3_stmt *stmt, int col)
{
	switch (sqlite3_column_type(stmt, col)) {
	case SQLITE_INTEGER:
		return sqlite3_column_int64(stmt, col) != 0;
	case SQLITE_FLOAT:
		return sqlite3_column_double(stmt, col) != 0.0;
	case SQLITE_TEXT:
		return rg_sql_text_true((const char *)sqlite3_column_text(stmt, col));
	default:
		return false;
	}
}

/* Run query q for :user, which must give at most one row; take(stmt, ctx)
 * copies what the caller wants from it (-1: out of memory).  FOUND, NOTFOUND,
 * or ERROR with sq_errbuf set (two rows are an error: ambiguous). */
static enum rg_lookup sq_one_row(struct sq_store *s, enum rg_sql_q q, const char *user,
				 int (*take)(sqlite3_stmt *stmt, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = s->stmt[q];
	int rc = bind_text(stmt, ":user", user);
	enum rg_lookup r = RG_LOOKUP_ERROR;

	if (rc != SQLITE_OK) {
		sq_fail(s, rc);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		r = RG_LOOKUP_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sq_fail(s, rc);
		goto out;
	}
	if (take(stmt, ctx) < 0) {
		snprintf(sq_errbuf, sizeof(sq_errbuf), "out of memory");
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		r = RG_LOOKUP_FOUND;
	else if (rc == SQLITE_ROW)
		snprintf(sq_errbuf, sizeof(sq_errbuf), "%s: %s returned more than one row for the "
			 "user", s->path, rg_sql_queries[q].key);
	else
		sq_fail(s, rc);
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return r;
}

/* password_query: password [, enabled] */
static int take_record(sqlite3_stmt *stmt, void *ctx)
{
	struct rg_user_record *rec = ctx;
	const char *pw = (const char *)sqlite3_column_text(stmt, 0);

	rec->password = strdup(pw != NULL ? pw : "");
	rec->enabled = sqlite3_column_count(stmt) < 2 || value_true(stmt, 1);
	return rec->password != NULL ? 0 : -1;
}

/* state_query: enabled, no password read */
static int take_enabled(sqlite3_stmt *stmt, void *ctx)
{
	*(bool *)ctx = value_true(stmt, 0);
	return 0;
}

static enum rg_lookup sq_lookup_locked(struct sq_store *s, const char *user,
				       struct rg_user_record *rec_r)
{
	enum rg_lookup r = sq_one_row(s, RG_SQL_PASSWORD, user, take_record, rec_r);

	if (r != RG_LOOKUP_FOUND)
		rg_user_record_clear(rec_r);
	return r;
}

static enum rg_lookup sq_state_locked(struct sq_store *s, const char *user, bool *enabled_r)
{
	enum rg_lookup r = sq_one_row(s, RG_SQL_STATE, user, take_enabled, enabled_r);

	if (r != RG_LOOKUP_FOUND)
		*enabled_r = false;
	return r;
}

static enum rg_lookup sq_lookup_user(struct rg_store *st, const char *user,
				     struct rg_user_record *rec_r, const char **error_r)
{
	struct sq_store *s = st->priv;
	enum rg_lookup r;

	rec_r->password = NULL;
	rec_r->enabled = false;
	if (memo_answer(s, RG_SQL_PASSWORD, user, "", &r, &rec_r->enabled, &rec_r->password))
		return r;
	if (sq_lock_checked(s) < 0) {
		r = RG_LOOKUP_ERROR;
	} else {
		struct sq_version v = { 0 };

		if (sq_begin(s) < 0) {
			r = RG_LOOKUP_ERROR;
		} else {
			r = sq_lookup_locked(s, user, rec_r);
			sq_read_version(s, &v);	/* under the query's shared lock */
			if (sq_end(s) < 0) {
				rg_user_record_clear(rec_r);
				r = RG_LOOKUP_ERROR;
			}
		}
		memo_put(s, RG_SQL_PASSWORD, user, "", &v, r, rec_r->enabled, rec_r->password);
	}
	pthread_rwlock_unlock(&s->lock);
	if (r == RG_LOOKUP_ERROR)
		*error_r = sq_errbuf;
	return r;
}

static enum rg_lookup sq_lookup_state(struct rg_store *st, const char *user, bool *enabled_r,
				      const char **error_r)
{
	struct sq_store *s = st->priv;
	enum rg_lookup r;

	*enabled_r = false;
	if (memo_answer(s, RG_SQL_STATE, user, "", &r, enabled_r, NULL))
		return r;
	if (sq_lock_checked(s) < 0) {
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[RG_SQL_STATE] != NULL) {
		struct sq_version v = { 0 };
		if (sq_begin(s) < 0) {
			r = RG_LOOKUP_ERROR;
		} else {
			r = sq_state_locked(s, user, enabled_r);
			sq_read_version(s, &v);	/* under the query's shared lock */
			if (sq_end(s) < 0)
				r = RG_LOOKUP_ERROR;
		}
		memo_put(s, RG_SQL_STATE, user, "", &v, r, *enabled_r, NULL);
	} else {
		/* custom queries without a state_query: the password query answers,
		 * and the password it read is wiped at once */
		struct rg_user_record rec = { NULL, false };
		r = sq_lookup_locked(s, user, &rec);
		*enabled_r = r == RG_LOOKUP_FOUND && rec.enabled;
		rg_user_record_clear(&rec);
	}
	pthread_rwlock_unlock(&s->lock);
	if (r == RG_LOOKUP_ERROR)
		*error_r = sq_errbuf;
	return r;
}

/* One existence query in its own read transaction; *v: the file version it
 * read (for the memo).  Write lock held. */
static enum rg_lookup sq_exists_txn(struct sq_store *s, enum rg_sql_q q, const char *user,
				    const char *as, const char *address, struct sq_version *v)
{
	enum rg_lookup r;

	if (sq_begin(s) < 0)
		return RG_LOOKUP_ERROR;
	r = sq_exists(s, q, user, as, NULL, address);
	sq_read_version(s, v);
	if (sq_end(s) < 0)
		r = RG_LOOKUP_ERROR;
	return r;
}

static enum rg_lookup sq_may_act_as(struct rg_store *st, const char *user, const char *as,
				    const char **error_r)
{
	struct sq_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	bool unused;
	if (memo_answer(s, RG_SQL_ACT_AS, user, as, &r, &unused, NULL))
		return r;
	if (sq_lock_checked(s) < 0) {
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[RG_SQL_ACT_AS] != NULL) {
		struct sq_version v = { 0 };
		r = sq_exists_txn(s, RG_SQL_ACT_AS, user, as, NULL, &v);
		memo_put(s, RG_SQL_ACT_AS, user, as, &v, r, false, NULL);
	}
	pthread_rwlock_unlock(&s->lock);
	if (r == RG_LOOKUP_ERROR)
		*error_r = sq_errbuf;
	return r;
}

static enum rg_lookup sq_tenant_authz(struct rg_store *st, const char *tenant, const char *user,
				      bool *allowed_r, const char **error_r)
{
	struct sq_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	*allowed_r = false;
	if (memo_answer(s, RG_SQL_TENANT_AUTHZ, tenant, user, &r, allowed_r, NULL))
		return r;
	if (sq_lock_checked(s) < 0) {
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[RG_SQL_TENANT] != NULL) {
		struct sq_version v = { 0 };
		if (sq_begin(s) < 0) {
			r = RG_LOOKUP_ERROR;
		} else {
			r = sq_exists(s, RG_SQL_TENANT, NULL, NULL, tenant, NULL);
			if (r == RG_LOOKUP_FOUND) {
				enum rg_lookup a = sq_exists(s, RG_SQL_TENANT_AUTHZ, user, NULL, tenant, NULL);
				if (a == RG_LOOKUP_ERROR)
					r = RG_LOOKUP_ERROR;
				else
					*allowed_r = a == RG_LOOKUP_FOUND;
			}
			sq_read_version(s, &v);
			if (sq_end(s) < 0)
				r = RG_LOOKUP_ERROR;
		}
		memo_put(s, RG_SQL_TENANT_AUTHZ, tenant, user, &v, r, *allowed_r, NULL);
	}
	pthread_rwlock_unlock(&s->lock);
	if (r == RG_LOOKUP_ERROR) {
		*allowed_r = false;
		*error_r = sq_errbuf;
	}
	return r;
}

/* A sender grant lookup (q: RG_SQL_SENDER with identity, RG_SQL_SENDER_OWNER without). */
static enum rg_lookup sq_sender(struct rg_store *st, enum rg_sql_q q, const char *identity,
				const char *grant, const char **error_r)
{
	struct sq_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;
	bool unused;
	const char *k1 = q == RG_SQL_SENDER ? identity : grant, *k2 = q == RG_SQL_SENDER ? grant : "";

	if (memo_answer(s, q, k1, k2, &r, &unused, NULL))
		return r;
	if (sq_lock_checked(s) < 0) {
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[q] == NULL && s->old_schema) {
		snprintf(sq_errbuf, sizeof(sq_errbuf), "%s: no senders table (add it with: "
			 "relayguardctl db init)", s->path);
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[q] != NULL) {
		struct sq_version v = { 0 };
		r = sq_exists_txn(s, q, q == RG_SQL_SENDER ? identity : NULL, NULL, grant, &v);
		memo_put(s, q, k1, k2, &v, r, false, NULL);
	}
	pthread_rwlock_unlock(&s->lock);
	if (r == RG_LOOKUP_ERROR)
		*error_r = sq_errbuf;
	return r;
}

static enum rg_lookup sq_sender_granted(struct rg_store *st, const char *identity,
					const char *grant, const char **error_r)
{
	return sq_sender(st, RG_SQL_SENDER, identity, grant, error_r);
}

static enum rg_lookup sq_sender_has_owner(struct rg_store *st, const char *grant,
					  const char **error_r)
{
	return sq_sender(st, RG_SQL_SENDER_OWNER, NULL, grant, error_r);
}

/* rg_sql_ask_fn over this store's prepared statements (lock held). */
static enum rg_lookup sq_ask(void *ctx, enum rg_sql_q q, const char *tenant, const char *domain)
{
	return sq_exists(ctx, q, NULL, NULL, tenant, domain);
}

/* Does the store know tenant, and may its mail use domain?  One read
 * transaction: tenant known, has domains, the domain or a *.parent listed. */
static enum rg_lookup sq_tenant_domain(struct rg_store *st, const char *tenant,
				       const char *domain, bool *allowed_r, const char **error_r)
{
	struct sq_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	*allowed_r = false;
	if (memo_answer(s, RG_SQL_TENANT_DOMAIN, tenant, domain, &r, allowed_r, NULL))
		return r;
	if (sq_lock_checked(s) < 0) {
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[RG_SQL_TENANT] != NULL && s->stmt[RG_SQL_TENANT_DOMAINS] == NULL &&
		   s->old_schema) {
		snprintf(sq_errbuf, sizeof(sq_errbuf), "%s: no tenant_domains table (add it with: "
			 "relayguardctl db init)", s->path);
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[RG_SQL_TENANT] != NULL) {
		struct sq_version v = { 0 };
		if (sq_begin(s) < 0) {
			r = RG_LOOKUP_ERROR;
		} else {
			const char *on[RG_SQL_COUNT];
			for (int q = 0; q < RG_SQL_COUNT; q++)
				on[q] = s->stmt[q] != NULL ? s->sql[q] : NULL;
			r = rg_sql_tenant_domain(sq_ask, s, on, tenant, domain, allowed_r);
			sq_read_version(s, &v);
			if (sq_end(s) < 0)
				r = RG_LOOKUP_ERROR;
		}
		memo_put(s, RG_SQL_TENANT_DOMAIN, tenant, domain, &v, r, *allowed_r, NULL);
	}
	pthread_rwlock_unlock(&s->lock);
	if (r == RG_LOOKUP_ERROR) {
		*allowed_r = false;
		*error_r = sq_errbuf;
	}
	return r;
}

/* Which tenant's domains hold domain (tenants.missing = from_domain)?  The
 * most specific entry decides: the domain itself, then *.parent, *.grandparent;
 * two tenants at that level are an error (ambiguous, never a guess).  FOUND
 * with the tenant's name in out. */
static enum rg_lookup sq_domain_tenant(struct rg_store *st, const char *domain, char *out,
				       size_t n, const char **error_r)
{
	struct sq_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;
	char keys[16][RG_ADDR_MAX];
	size_t nk = rg_tenant_domain_keys(domain, keys, 16);
	char *memo = NULL;
	bool unused;

	out[0] = '\0';
	if (memo_answer(s, RG_SQL_DOMAIN_TENANT, domain, "", &r, &unused, &memo)) {
		if (r == RG_LOOKUP_FOUND)
			snprintf(out, n, "%s", memo);
		free(memo);
		return r;
	}
	if (sq_lock_checked(s) < 0) {
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[RG_SQL_DOMAIN_TENANT] == NULL && s->old_schema) {
		snprintf(sq_errbuf, sizeof(sq_errbuf), "%s: no tenant_domains table (add it with: "
			 "relayguardctl db init)", s->path);
		r = RG_LOOKUP_ERROR;
	} else if (s->stmt[RG_SQL_DOMAIN_TENANT] != NULL) {
		struct sq_version v = { 0 };
		sqlite3_stmt *stmt = s->stmt[RG_SQL_DOMAIN_TENANT];
		if (sq_begin(s) < 0) {
			r = RG_LOOKUP_ERROR;
		} else {
			for (size_t k = 0; r == RG_LOOKUP_NOTFOUND && k < nk; k++) {
				int rc = bind_text(stmt, ":domain", keys[k]);
				int rows = 0;
				while (rc == SQLITE_OK || rc == SQLITE_ROW) {
					if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
						break;
					const char *t = (const char *)sqlite3_column_text(stmt, 0);
					char why[400];
					if (rg_sql_domain_tenant_row(rows++, t, keys[k], out, n, why,
								     sizeof(why)) < 0) {
						snprintf(sq_errbuf, sizeof(sq_errbuf), "%.150s: %s", s->path,
							 why);
						r = RG_LOOKUP_ERROR;
						break;
					}
				}
				if (r != RG_LOOKUP_ERROR && rc != SQLITE_DONE && rc != SQLITE_ROW) {
					sq_fail(s, rc);
					r = RG_LOOKUP_ERROR;
				} else if (r != RG_LOOKUP_ERROR && rows > 0 && out[0] != '\0') {
					r = RG_LOOKUP_FOUND;
				}
				sqlite3_reset(stmt);
				sqlite3_clear_bindings(stmt);
			}
			sq_read_version(s, &v);
			if (sq_end(s) < 0)
				r = RG_LOOKUP_ERROR;
		}
		memo_put(s, RG_SQL_DOMAIN_TENANT, domain, "", &v, r, false,
			 r == RG_LOOKUP_FOUND ? out : NULL);
	}
	pthread_rwlock_unlock(&s->lock);
	if (r != RG_LOOKUP_FOUND)
		out[0] = '\0';
	if (r == RG_LOOKUP_ERROR)
		*error_r = sq_errbuf;
	return r;
}

/* Default schema only: custom password queries cannot be enumerated. */
static int sq_foreach_hash(struct rg_store *st,
			   int (*fn)(void *ctx, const char *user, const char *hash), void *ctx,
			   char **error_r)
{
	struct sq_store *s = st->priv;
	sqlite3_stmt *stmt = NULL;
	int ret = 0, rc;

	if (s->custom)
		return 0;
	if (sq_lock_checked(s) < 0) {
		rg_error_r(error_r, "%s", sq_errbuf);
		pthread_rwlock_unlock(&s->lock);
		return -1;
	}
	rc = sqlite3_prepare_v2(s->db, "SELECT name, password FROM users ORDER BY name", -1,
				&stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);
		const char *pw = (const char *)sqlite3_column_text(stmt, 1);
		if (fn(ctx, name ? name : "", pw ? pw : "") < 0)
			ret = -1;
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, rc);
		rg_error_r(error_r, "%s", sq_errbuf);
		ret = -1;
	}
	sqlite3_finalize(stmt);
	pthread_rwlock_unlock(&s->lock);
	return ret;
}

static void sq_close(struct rg_store *st)
{
	struct sq_store *s = st->priv;

	if (s == NULL)
		return;
	sq_disconnect(s);
	pthread_rwlock_destroy(&s->lock);
	memo_wipe(s);
	free(s->memo);
	free(s->path);
	free(s);
	st->priv = NULL;
}

const struct rg_store_ops rg_store_sqlite_ops = {
	.open = sq_open,
	.lookup_user = sq_lookup_user,
	.lookup_state = sq_lookup_state,
	.may_act_as = sq_may_act_as,
	.tenant_authz = sq_tenant_authz,
	.sender_granted = sq_sender_granted,
	.sender_has_owner = sq_sender_has_owner,
	.tenant_domain = sq_tenant_domain,
	.domain_tenant = sq_domain_tenant,
	.foreach_hash = sq_foreach_hash,
	.close = sq_close,
};
