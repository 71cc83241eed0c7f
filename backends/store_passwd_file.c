/*
 * store_passwd_file.c — Dovecot passwd-file compatible user list.
 *
 *   user:password[:uid:gid:gecos:home:shell:extra_fields]
 *
 * '#' starts a comment line; blank lines are skipped.  Only user and
 * password are used; uid..shell are accepted and ignored.  extra_fields (the
 * rest of the line after the seventh ':') are space-separated key=value
 * items, Dovecot style.  relayguard understands:
 *
 *   nologin  (or nologin=<anything but no/n/false/0>)   user is disabled
 *                                  (Dovecot's meaning: logins refused)
 *   relayguard_disabled=yes|no     user is disabled / enabled
 *   relayguard_act_as=a,b,...      identities this user may act as (SASL
 *                                  authzid); may be given more than once
 *   relayguard_senders=a@x,@y,...  sender addresses this identity may use
 *                                  (user@domain, @domain, *: common/mailbox.h);
 *                                  may be given more than once
 *
 * Dovecot fields that would let someone in without the checks relayguard
 * makes are refused at load time rather than silently ignored:
 * `nopassword` (any password accepted) and `allow_nets`/`allow_real_nets`
 * (relayguard does not see the client address; restrict in the MTA).  Any
 * other extra field (userdb_*, quota, ...) is ignored.  An empty password
 * field is an error (lock an account with relayguard_disabled=yes instead).
 * A user listed twice is an error.  This store knows no tenants.
 *
 * Keys are case-sensitive.  A known key in another case (NoLogin), an
 * unknown relayguard_* key, a known key in one of the fields uid..shell (a
 * ':' too few or too many) and a shell such as /usr/sbin/nologin have no
 * effect; each is logged as a warning with file:line and the value, at
 * every read of the file (so `relayguard -n` prints them too).
 *
 * A file caught in the middle of a rewrite must not be taken for a
 * complete one: users it does not list yet would fall through to the next
 * store.  So a 0-byte file (the first state of a rewrite with O_TRUNC) and
 * a last line without its newline are errors; a file that lists no users
 * on purpose says so with a comment line ("# no users").  A rewrite can
 * still stop at a line end, which no reader can tell from a complete file:
 * replace the file by rename (write a temporary file, then mv).
 *
 * The file is read into memory at open.  Every lookup does one stat(); when
 * the file's device, inode, size, mtime or ctime changed, it is read again,
 * so edits take effect without a daemon reload.  If the file has gone, is
 * unreadable or (after an edit) malformed or incomplete, lookups answer
 * RG_LOOKUP_ERROR (temporary failure) until it is fixed — never "unknown
 * user", and never the stale old contents.
 */
#include <autoconfig.h>
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sodium.h>

#include "log.h"
#include "mailbox.h"

struct pf_user {
	char *name;
	char *password;
	bool enabled;
	char **act_as;
	size_t n_act_as;
	char **senders;		/* normalized grants */
	size_t n_senders;
};

struct pf_table {
	struct pf_user *users;	/* sorted by name */
	size_t n;
};

struct pf_sig {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct pf_store {
	char *path;
	pthread_mutex_t lock;
	struct pf_table table;
	struct pf_sig sig;	/* of the file last read (good or bad) */
	bool broken;		/* last read failed; error text in broken_msg */
	char broken_msg[512];
};

static __thread char pf_errbuf[600];

static void pf_user_free(struct pf_user *u)
{
	if (u->password != NULL) {
		sodium_memzero(u->password, strlen(u->password));
		free(u->password);
	}
	free(u->name);
	for (size_t j = 0; j < u->n_act_as; j++)
		free(u->act_as[j]);
	free(u->act_as);
	for (size_t j = 0; j < u->n_senders; j++)
		free(u->senders[j]);
	free(u->senders);
	memset(u, 0, sizeof(*u));
}

static void pf_table_free(struct pf_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		pf_user_free(&t->users[i]);
	free(t->users);
	t->users = NULL;
	t->n = 0;
}

static int cmp_pf_user(const void *a, const void *b)
{
	return strcmp(((const struct pf_user *)a)->name, ((const struct pf_user *)b)->name);
}

static int cmp_pf_key(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct pf_user *)elem)->name);
}

static bool is_no(const char *v)
{
	return strcasecmp(v, "no") == 0 || strcasecmp(v, "n") == 0 ||
		strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0;
}

static bool is_yes(const char *v)
{
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "y") == 0 ||
		strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* Append the comma-separated items of list to *items; senders: each a grant,
 * stored normalized. */
static int add_items(char ***items, size_t *n_items, const char *list, bool senders, char *msg,
		     size_t msglen)
{
	char *copy = strdup(list), *save = NULL;
	if (copy == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char norm[RG_ADDR_MAX];
		const char *why;
		if (*tok == '\0')
			continue;
		if (senders) {
			if (!rg_sender_grant_normalize(tok, norm, sizeof(norm), &why)) {
				snprintf(msg, msglen, "relayguard_senders: \"%.100s\": %s", tok, why);
				free(copy);
				return -1;
			}
			tok = norm;
		}
		char **n = realloc(*items, (*n_items + 1) * sizeof(*n));
		if (n == NULL || (n[*n_items] = strdup(tok)) == NULL) {
			if (n != NULL)
				*items = n;
			free(copy);
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		*items = n;
		(*n_items)++;
	}
	free(copy);
	return 0;
}

/* Where a line comes from, for warnings. */
struct pf_pos {
	const char *path;
	int line;
	const char *user;
};

/* The extra-field keys this store acts on (nopassword and allow_*nets: by
 * refusing the file). */
static const char *const known_keys[] = {
	"nologin", "relayguard_disabled", "relayguard_act_as", "relayguard_senders",
	"nopassword", "allow_nets", "allow_real_nets",
};

/* The known key that `key` (len bytes) spells in another case, or NULL. */
static const char *known_key_nocase(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		if (strlen(known_keys[i]) == len && strncasecmp(key, known_keys[i], len) == 0)
			return known_keys[i];
	return NULL;
}

/* Log one warning: file:line, the user and the value, quoted. */
static void pf_warn(const struct pf_pos *pos, const char *value, const char *why)
{
	char user[300], val[300];

	rg_log(LOG_WARNING, "%s:%d: warning: user \"%s\": \"%s\" %s", pos->path, pos->line,
	       rg_log_safe(user, sizeof(user), pos->user), rg_log_safe(val, sizeof(val), value),
	       why);
}

/* An extra-field key this store does not act on: say so when it looks like
 * one it knows (another case) or like a relayguard key (a typo). */
static void check_unknown_key(const struct pf_pos *pos, const char *key)
{
	const char *known = known_key_nocase(key, strlen(key));
	char why[200];

	if (known != NULL) {
		snprintf(why, sizeof(why), "is ignored: keys are case-sensitive (did you mean %s?)",
			 known);
		pf_warn(pos, key, why);
	} else if (strncasecmp(key, "relayguard", 10) == 0) {
		pf_warn(pos, key, "is ignored: unknown key (known: relayguard_disabled, "
			"relayguard_act_as)");
	}
}

/* Fields uid..shell are ignored: warn about a key written there (too few or
 * too many ':'), or a shell that would disable the user elsewhere. */
static void check_ignored_field(const struct pf_pos *pos, const char *field, int index)
{
	static const char *const names[] = { "uid", "gid", "gecos", "home", "shell" };
	const char *p = field;

	for (;;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, " \t");
		if (len == 0)
			break;
		size_t klen = strcspn(p, "= \t");
		const char *base = memrchr(p, '/', klen);
		base = base != NULL ? base + 1 : p;
		size_t blen = klen - (size_t)(base - p);
		char tok[256], why[200];
		snprintf(tok, sizeof(tok), "%.*s", (int)(len < 255 ? len : 255), p);
		if (known_key_nocase(p, klen) != NULL || strncasecmp(p, "relayguard", 10) == 0) {
			snprintf(why, sizeof(why), "in the %s field is ignored: extra fields go after "
				 "the seventh ':' (user:password:uid:gid:gecos:home:shell:extra)",
				 names[index - 2]);
			pf_warn(pos, tok, why);
		} else if (index == 6 && ((blen == 7 && strncmp(base, "nologin", 7) == 0) ||
					  (blen == 5 && strncmp(base, "false", 5) == 0))) {
			pf_warn(pos, tok, "in the shell field does not disable the user here: write "
				"the extra field nologin or relayguard_disabled=yes");
		}
		p += len;
	}
}

/* Parse the extra fields (modified in place). */
static int parse_extra(struct pf_user *u, char *extra, const struct pf_pos *pos, char *msg,
		       size_t msglen)
{
	char *save = NULL;

	for (char *tok = strtok_r(extra, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *val = strchr(tok, '=');
		if (val != NULL)
			*val++ = '\0';
		if (strcmp(tok, "nologin") == 0) {
			if (val == NULL || !is_no(val))
				u->enabled = false;
		} else if (strcmp(tok, "relayguard_disabled") == 0) {
			if (val == NULL || is_yes(val))
				u->enabled = false;
			else if (!is_no(val)) {
				snprintf(msg, msglen, "relayguard_disabled=%.40s: expected yes or no", val);
				return -1;
			}
		} else if (strcmp(tok, "relayguard_act_as") == 0) {
			if (val == NULL || add_items(&u->act_as, &u->n_act_as, val, false, msg,
						     msglen) < 0) {
				if (val == NULL)
					snprintf(msg, msglen, "relayguard_act_as needs a value (a,b,...)");
				return -1;
			}
		} else if (strcmp(tok, "relayguard_senders") == 0) {
			if (val == NULL || add_items(&u->senders, &u->n_senders, val, true, msg,
						     msglen) < 0) {
				if (val == NULL)
					snprintf(msg, msglen,
						 "relayguard_senders needs a value (a@x,@y,...)");
				return -1;
			}
		} else if (strcmp(tok, "nopassword") == 0) {
			snprintf(msg, msglen, "nopassword is not supported: relayguard always checks "
				 "a password");
			return -1;
		} else if (strcmp(tok, "allow_nets") == 0 || strcmp(tok, "allow_real_nets") == 0) {
			snprintf(msg, msglen, "%s is not supported: relayguard does not see the client "
				 "address; restrict access in the MTA", tok);
			return -1;
		} else {
			/* a Dovecot field relayguard has no use for, or a slip */
			check_unknown_key(pos, tok);
		}
	}
	return 0;
}

static bool bad_name(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return true;
	return name[0] == '\0';
}

/* Parse one non-comment line into u.  line is modified.  Returns -1 with msg.
 * pos: path and line number for warnings. */
static int parse_line(char *line, struct pf_user *u, struct pf_pos *pos, char *msg,
		      size_t msglen)
{
	char *fields[8] = { NULL };
	char *p = line;
	int nf = 0;

	memset(u, 0, sizeof(*u));
	u->enabled = true;
	/* split on the first seven ':'; the 8th field (extra) keeps any further ':' */
	fields[nf++] = p;
	while (nf < 8 && (p = strchr(p, ':')) != NULL) {
		*p++ = '\0';
		fields[nf++] = p;
	}
	if (nf < 2) {
		snprintf(msg, msglen, "expected user:password");
		return -1;
	}
	if (bad_name(fields[0])) {
		snprintf(msg, msglen, "user name is empty or contains spaces or control characters");
		return -1;
	}
	if (fields[1][0] == '\0') {
		snprintf(msg, msglen, "user \"%.100s\" has an empty password field (to lock an "
			 "account use the extra field relayguard_disabled=yes)", fields[0]);
		return -1;
	}
	if ((u->name = strdup(fields[0])) == NULL || (u->password = strdup(fields[1])) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	pos->user = u->name;
	for (int i = 2; i < nf && i < 7; i++)
		check_ignored_field(pos, fields[i], i);
	if (nf == 8 && parse_extra(u, fields[7], pos, msg, msglen) < 0)
		return -1;
	return 0;
}

/* Read the file into *t.  On error: -1 and msg ("file:line: ..." or "file: ..."). */
static int pf_read(const char *path, struct pf_table *t, struct pf_sig *sig,
		   char *msg, size_t msglen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, lmsg[300];
	size_t cap = 0, alloc = 0;
	ssize_t len;
	int lineno = 0, ret = 0;
	struct stat sb;

	t->users = NULL;
	t->n = 0;
	if (f == NULL) {
		snprintf(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(msg, msglen, "%s: not a regular file", path);
		fclose(f);
		return -1;
	}
	sig->dev = sb.st_dev;
	sig->ino = sb.st_ino;
	sig->size = sb.st_size;
	sig->mtime = sb.st_mtim;
	sig->ctime = sb.st_ctim;
	errno = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			/* only the last line can lack its newline */
			snprintf(msg, msglen, "%s:%d: the last line has no newline: the file is "
				 "incomplete (caught while being written?); replace the file by "
				 "rename (write a temporary file, then mv)", path, lineno);
			ret = -1;
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (t->n == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			struct pf_user *nu = realloc(t->users, na * sizeof(*nu));
			if (nu == NULL) {
				snprintf(msg, msglen, "%s: out of memory", path);
				ret = -1;
				break;
			}
			t->users = nu;
			alloc = na;
		}
		struct pf_pos pos = { path, lineno, NULL };
		if (parse_line(s, &t->users[t->n], &pos, lmsg, sizeof(lmsg)) < 0) {
			pf_user_free(&t->users[t->n]);
			snprintf(msg, msglen, "%s:%d: %s", path, lineno, lmsg);
			ret = -1;
			break;
		}
		t->n++;
	}
	if (ret == 0 && ferror(f)) {
		snprintf(msg, msglen, "%s: read error: %s", path, strerror(errno ? errno : EIO));
		ret = -1;
	}
	if (ret == 0 && lineno == 0) {
		snprintf(msg, msglen, "%s: the file is empty (0 bytes: caught while being "
			 "rewritten?); replace the file by rename (write a temporary file, then mv); "
			 "for a file with no users write a comment line such as \"# no users\"",
			 path);
		ret = -1;
	}
	if (line != NULL) {
		sodium_memzero(line, cap);
		free(line);
	}
	fclose(f);
	if (ret == 0 && t->n > 1) {
		qsort(t->users, t->n, sizeof(t->users[0]), cmp_pf_user);
		for (size_t i = 1; i < t->n; i++)
			if (strcmp(t->users[i - 1].name, t->users[i].name) == 0) {
				snprintf(msg, msglen, "%s: user \"%.100s\" is listed more than once",
					 path, t->users[i].name);
				ret = -1;
				break;
			}
	}
	if (ret < 0)
		pf_table_free(t);
	return ret;
}

static bool sig_equal(const struct pf_sig *a, const struct stat *sb)
{
	return a->dev == sb->st_dev && a->ino == sb->st_ino && a->size == sb->st_size &&
		a->mtime.tv_sec == sb->st_mtim.tv_sec && a->mtime.tv_nsec == sb->st_mtim.tv_nsec &&
		a->ctime.tv_sec == sb->st_ctim.tv_sec && a->ctime.tv_nsec == sb->st_ctim.tv_nsec;
}

/* Called with the lock held: make the table current.  0, or -1 with pf_errbuf. */
static int pf_refresh(struct rg_store *st)
{
	struct pf_store *s = st->priv;
	struct stat sb;

	if (stat(s->path, &sb) < 0) {
		snprintf(pf_errbuf, sizeof(pf_errbuf), "%s: %s", s->path, strerror(errno));
		return -1;
	}
	if (sig_equal(&s->sig, &sb)) {
		if (!s->broken)
			return 0;
		snprintf(pf_errbuf, sizeof(pf_errbuf), "%s", s->broken_msg);
		return -1;
	}
	struct pf_table t;
	struct pf_sig sig;
	char msg[512];
	if (pf_read(s->path, &t, &sig, msg, sizeof(msg)) < 0) {
		/* keep answering errors until the file changes again */
		pf_table_free(&s->table);
		s->sig.dev = sb.st_dev;
		s->sig.ino = sb.st_ino;
		s->sig.size = sb.st_size;
		s->sig.mtime = sb.st_mtim;
		s->sig.ctime = sb.st_ctim;
		s->broken = true;
		snprintf(s->broken_msg, sizeof(s->broken_msg), "%s", msg);
		rg_log(LOG_ERR, "store %s: cannot reload: %s", st->label, msg);
		snprintf(pf_errbuf, sizeof(pf_errbuf), "%s", msg);
		return -1;
	}
	pf_table_free(&s->table);
	s->table = t;
	s->sig = sig;
	if (s->broken)
		rg_log(LOG_NOTICE, "store %s: file readable again (%zu users)", st->label, t.n);
	else
		rg_log(LOG_INFO, "store %s: reloaded (%zu users)", st->label, t.n);
	s->broken = false;
	return 0;
}

static int pf_open(struct rg_store *st, const struct rg_config *cfg, char **error_r)
{
	char msg[512];
	struct pf_store *s;

	(void)cfg;
	if (st->conf->path == NULL || st->conf->path[0] == '\0') {
		rg_error_r(error_r, "passwd-file store needs a path");
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(st->conf->path)) == NULL) {
		free(s);
		rg_error_r(error_r, "out of memory");
		return -1;
	}
	if (pf_read(s->path, &s->table, &s->sig, msg, sizeof(msg)) < 0) {
		free(s->path);
		free(s);
		rg_error_r(error_r, "%s", msg);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	st->priv = s;
	return 0;
}

static struct pf_user *pf_find(struct pf_store *s, const char *user)
{
	if (s->table.n == 0 || user == NULL)
		return NULL;
	return bsearch(user, s->table.users, s->table.n, sizeof(s->table.users[0]), cmp_pf_key);
}

/* The three lookups: the file current (pf_refresh), then the user's entry.
 * The lock is held on return (unlock with pthread_mutex_unlock(&s->lock));
 * ERROR with *error_r, NOTFOUND with *u_r NULL, or FOUND. */
static enum rg_lookup pf_find_locked(struct rg_store *st, const char *user, struct pf_user **u_r,
				     const char **error_r)
{
	struct pf_store *s = st->priv;

	*u_r = NULL;
	pthread_mutex_lock(&s->lock);
	if (pf_refresh(st) < 0) {
		*error_r = pf_errbuf;
		return RG_LOOKUP_ERROR;
	}
	*u_r = pf_find(s, user);
	return *u_r != NULL ? RG_LOOKUP_FOUND : RG_LOOKUP_NOTFOUND;
}

static enum rg_lookup pf_lookup_user(struct rg_store *st, const char *user,
				     struct rg_user_record *rec_r, const char **error_r)
{
	struct pf_store *s = st->priv;
	struct pf_user *u;
	enum rg_lookup r = pf_find_locked(st, user, &u, error_r);

	rec_r->password = NULL;
	rec_r->enabled = false;
	if (r == RG_LOOKUP_FOUND) {
		rec_r->password = strdup(u->password);
		rec_r->enabled = u->enabled;
		if (rec_r->password == NULL) {
			*error_r = "out of memory";
			r = RG_LOOKUP_ERROR;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static enum rg_lookup pf_lookup_state(struct rg_store *st, const char *user, bool *enabled_r,
				      const char **error_r)
{
	struct pf_store *s = st->priv;
	struct pf_user *u;
	enum rg_lookup r = pf_find_locked(st, user, &u, error_r);

	*enabled_r = r == RG_LOOKUP_FOUND && u->enabled;
	pthread_mutex_unlock(&s->lock);
	return r;
}

static enum rg_lookup pf_may_act_as(struct rg_store *st, const char *user, const char *as,
				    const char **error_r)
{
	struct pf_store *s = st->priv;
	struct pf_user *u;
	enum rg_lookup r = pf_find_locked(st, user, &u, error_r);

	if (r == RG_LOOKUP_FOUND) {
		r = RG_LOOKUP_NOTFOUND;
		for (size_t i = 0; i < u->n_act_as; i++)
			if (strcmp(u->act_as[i], as) == 0)
				r = RG_LOOKUP_FOUND;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static enum rg_lookup pf_tenant_authz(struct rg_store *st, const char *tenant, const char *user,
				      bool *allowed_r, const char **error_r)
{
	(void)st; (void)tenant; (void)user; (void)error_r;
	*allowed_r = false;
	return RG_LOOKUP_NOTFOUND;
}

static bool pf_holds(const struct pf_user *u, const char *grant)
{
	for (size_t i = 0; i < u->n_senders; i++)
		if (strcmp(u->senders[i], grant) == 0)
			return true;
	return false;
}

static enum rg_lookup pf_sender_granted(struct rg_store *st, const char *identity,
					const char *grant, const char **error_r)
{
	struct pf_store *s = st->priv;
	struct pf_user *u;
	enum rg_lookup r = pf_find_locked(st, identity, &u, error_r);

	if (r == RG_LOOKUP_FOUND && !pf_holds(u, grant))
		r = RG_LOOKUP_NOTFOUND;
	pthread_mutex_unlock(&s->lock);
	return r;
}

static enum rg_lookup pf_sender_has_owner(struct rg_store *st, const char *grant,
					  const char **error_r)
{
	struct pf_store *s = st->priv;
	enum rg_lookup r = RG_LOOKUP_NOTFOUND;

	pthread_mutex_lock(&s->lock);
	if (pf_refresh(st) < 0) {
		*error_r = pf_errbuf;
		r = RG_LOOKUP_ERROR;
	} else {
		for (size_t i = 0; i < s->table.n && r == RG_LOOKUP_NOTFOUND; i++)
			if (pf_holds(&s->table.users[i], grant))
				r = RG_LOOKUP_FOUND;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int pf_foreach_hash(struct rg_store *st,
			   int (*fn)(void *ctx, const char *user, const char *hash), void *ctx,
			   char **error_r)
{
	struct pf_store *s = st->priv;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	if (pf_refresh(st) < 0) {
		rg_error_r(error_r, "%s", pf_errbuf);
		ret = -1;
	} else {
		for (size_t i = 0; i < s->table.n; i++)
			if (fn(ctx, s->table.users[i].name, s->table.users[i].password) < 0)
				ret = -1;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void pf_close(struct rg_store *st)
{
	struct pf_store *s = st->priv;

	if (s == NULL)
		return;
	pf_table_free(&s->table);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
	st->priv = NULL;
}

const struct rg_store_ops rg_store_passwd_file_ops = {
	.open = pf_open,
	.lookup_user = pf_lookup_user,
	.lookup_state = pf_lookup_state,
	.may_act_as = pf_may_act_as,
	.sender_granted = pf_sender_granted,
	.sender_has_owner = pf_sender_has_owner,
	.tenant_authz = pf_tenant_authz,
	.foreach_hash = pf_foreach_hash,
	.close = pf_close,
};
