/*
 * store_vault.c — users kept as secrets of a HashiCorp Vault (or OpenBao) KV
 * version 2 engine, read over HTTPS with libcurl, answers parsed with Jansson.
 *
 *   stores = ({ type = "vault"; address = "https://vault.example:8200";
 *               mount = "secret"; path = "smtp-auth/%u"; token_file = "..."; });
 *
 * One secret per user, at <mount>/data/<path with %u = the user name>.  Its
 * field `field` holds the password HASH (any scheme of pwscheme.c, plaintext
 * only with allow_plaintext, like every store); optional fields say whether
 * the user is enabled and list act_as identities, sender grants and tenants.
 * `vault kv put` stores every value as a string, so "false" is accepted
 * for false and "a,b" for a list.
 *
 * Answers are tri-state, and only a secret Vault says is missing is "not
 * found": a 404 whose body is KV v2's own ({"errors":[]}, or a deleted or
 * destroyed version).  Every other outcome is a store error, that is a
 * temporary failure, never "unknown user" and never success: 403 (after one
 * fresh login or token re-read), 5xx, 3xx, a timeout, a TLS failure, JSON
 * that is not what KV v2 returns, a 404 from a missing mount ("no handler
 * for route"), a record without the password field or with an unreadable
 * enabled field.
 *
 * Authentication to Vault: a token from token_file (re-read whenever the
 * file changes: Vault Agent's sink), or AppRole (role_id_file,
 * secret_id_file; re-read at each login).  An AppRole token is renewed once
 * two thirds of its lease have passed, and replaced by a new login when
 * renewal fails or the lease has run out.  Tokens and secret_ids are never
 * logged and are wiped when dropped.
 *
 * Every request reads Vault (read_ttl_ms = 0, the default), so a disabled
 * user is refused at the next request.  read_ttl_ms > 0 keeps each fetched
 * secret (or not-found) that long in a small table: fewer round trips, but a
 * change in Vault waits up to read_ttl_ms.
 *
 * A user name that cannot be a single path segment (empty, ".", "..", a '/'
 * or a control character) is not found; every other byte outside
 * [A-Za-z0-9._~-] is percent-encoded.
 */
#include <autoconfig.h>
#include "store.h"
#include "clock.h"
#include "error.h"
#include "log.h"
#include "secretfile.h"
#include "mailbox.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY	(1024 * 1024)	/* a larger answer is an error */
#define MAX_TOKEN	4096
#define MAX_USER	256
#define IDLE_HANDLES	32
#define CACHE_SLOTS	1024

struct buf {
	char *p;
	size_t len, cap;
	bool too_big;
};

static void buf_wipe(struct buf *b)
{
	if (b->p != NULL) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

struct cache_slot {
	char *user;		/* NULL: empty */
	long status;		/* 200 or 404 */
	struct buf body;
	long long at_ms;
};

struct vault_store {
	const struct rg_store_conf *conf;
	char *base;			/* address without a trailing '/' */
	char *pre, *post;		/* the path template around %u */

	pthread_mutex_t lock;		/* the token (held across a login or renewal) */
	char token[MAX_TOKEN];		/* "" = none yet */
	bool approle;
	/* token_file: what was read */
	dev_t tf_dev;
	ino_t tf_ino;
	struct timespec tf_mtime;
	off_t tf_size;
	/* AppRole: the lease (monotonic ms; 0 = none) */
	long long renew_at, expires_at;
	bool renewable;
	pthread_mutex_t pool_lock;	/* the idle handles */
	CURL *idle[IDLE_HANDLES];
	size_t n_idle;

	pthread_mutex_t cache_lock;
	struct cache_slot *cache;	/* read_ttl_ms > 0 */
};

static __thread char vt_errbuf[600];

static const char *errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *errf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vt_errbuf, sizeof(vt_errbuf), fmt, ap);
	va_end(ap);
	return vt_errbuf;
}

/* ---- files holding secrets ------------------------------------------------ */

/* A token or id file (common/secretfile.h).  0, or -1 with *error_r. */
static int read_secret_file(const char *path, char *out, size_t n, struct stat *st_r,
			    const char **error_r)
{
	char err[512];

	if (rg_secret_file_read(path, out, n, st_r, err, sizeof(err)) == 0)
		return 0;
	*error_r = errf("%s", err);
	return -1;
}

/* ---- HTTP ------------------------------------------------------------------- */

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;

	if (b->too_big || b->len + n + 1 > MAX_BODY) {
		b->too_big = true;
		return 0;	/* aborts the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = malloc(cap);
		if (p == NULL)
			return 0;
		if (b->p != NULL) {
			memcpy(p, b->p, b->len);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static CURL *handle_get(struct vault_store *s)
{
	CURL *h = NULL;

	pthread_mutex_lock(&s->pool_lock);
	if (s->n_idle > 0)
		h = s->idle[--s->n_idle];
	pthread_mutex_unlock(&s->pool_lock);
	if (h == NULL)
		h = curl_easy_init();
	else
		curl_easy_reset(h);	/* keeps the connection and TLS session caches */
	return h;
}

static void handle_put(struct vault_store *s, CURL *h)
{
	pthread_mutex_lock(&s->pool_lock);
	if (s->n_idle < IDLE_HANDLES) {
		s->idle[s->n_idle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&s->pool_lock);
	if (h != NULL)
		curl_easy_cleanup(h);
}

/* One request.  0 with *status_r and the body in out (caller wipes it), or
 * -1 with *error_r (no answer: connection, TLS, timeout, oversized). */
static int http(struct vault_store *s, const char *method, const char *url, const char *token,
		const char *body, long *status_r, struct buf *out, const char **error_r)
{
	const struct rg_store_conf *c = s->conf;
	struct curl_slist *hdr = NULL, *h2;
	char line[MAX_TOKEN + 32];
	char cerr[CURL_ERROR_SIZE] = "";
	CURL *h = handle_get(s);
	CURLcode rc;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	*status_r = 0;
	if (h == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	if (token != NULL) {
		snprintf(line, sizeof(line), "X-Vault-Token: %s", token);
		h2 = curl_slist_append(hdr, line);
		sodium_memzero(line, sizeof(line));
		if (h2 == NULL)
			goto oom;
		hdr = h2;
	}
	if (c->vault_namespace != NULL && c->vault_namespace[0] != '\0') {
		snprintf(line, sizeof(line), "X-Vault-Namespace: %s", c->vault_namespace);
		if ((h2 = curl_slist_append(hdr, line)) == NULL)
			goto oom;
		hdr = h2;
	}
	if (body != NULL) {
		if ((h2 = curl_slist_append(hdr, "Content-Type: application/json")) == NULL)
			goto oom;
		hdr = h2;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);	/* threads: no SIGALRM for timeouts */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (hdr != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "{}");
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status_r);
		ret = 0;
	} else if (out->too_big) {
		*error_r = errf("answer larger than %d bytes", MAX_BODY);
	} else {
		*error_r = errf("%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	}
	/* the handle keeps no pointer to the headers, the error buffer or out */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdr);	/* the token line: wiped above, copied by curl */
	handle_put(s, h);
	if (ret != 0)
		buf_wipe(out);
	return ret;
oom:
	curl_slist_free_all(hdr);
	handle_put(s, h);
	*error_r = "out of memory";
	return -1;
}

/* Vault's own error text, for the log ("permission denied"). */
static const char *vault_errors(const struct buf *b)
{
	static __thread char text[200];
	json_error_t je;
	json_t *root = b->p ? json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, &je) : NULL;
	json_t *e = json_is_object(root) ? json_object_get(root, "errors") : NULL;
	json_t *first = json_is_array(e) ? json_array_get(e, 0) : NULL;

	snprintf(text, sizeof(text), "%s", json_is_string(first) ? json_string_value(first) : "");
	json_decref(root);
	return text;
}

/* ---- the token ---------------------------------------------------------------- */

/* A token is not used in the last tenth of its lease (at most 5 s): a
 * request sent just before expiry would arrive after it. */
static long long expiry_margin(long long lease_ms)
{
	return lease_ms / 10 < 5000 ? lease_ms / 10 : 5000;
}

/* Vault's answer to a login or a renewal (its "auth" object), taken into s:
 * the lease's expiry and renewal times, and with new_token the token itself
 * (which must be there).  b is wiped.  0, or -1 with *error_r. */
static int take_auth(struct vault_store *s, struct buf *b, long status, const char *what,
		     bool new_token, const char **error_r)
{
	json_error_t je;
	int ret = -1;

	if (status != 200) {
		*error_r = errf("%s: HTTP %ld %s", what, status, vault_errors(b));
		buf_wipe(b);
		return -1;
	}
	json_t *root = json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, &je);
	json_t *auth = json_is_object(root) ? json_object_get(root, "auth") : NULL;
	json_t *tok = json_is_object(auth) ? json_object_get(auth, "client_token") : NULL;
	json_t *lease = json_is_object(auth) ? json_object_get(auth, "lease_duration") : NULL;
	json_t *renew = json_is_object(auth) ? json_object_get(auth, "renewable") : NULL;
	if (new_token && (!json_is_string(tok) || json_string_length(tok) == 0 ||
			  json_string_length(tok) >= sizeof(s->token) || !json_is_integer(lease) ||
			  json_integer_value(lease) < 0)) {
		*error_r = errf("%s: answer without auth.client_token and lease_duration", what);
	} else if (!new_token && (!json_is_integer(lease) || json_integer_value(lease) <= 0)) {
		*error_r = errf("%s: answer without auth.lease_duration (max TTL reached?)", what);
	} else {
		long long now = rg_mono_ms(), l = (long long)json_integer_value(lease) * 1000;
		if (new_token) {
			sodium_memzero(s->token, sizeof(s->token));
			memcpy(s->token, json_string_value(tok), json_string_length(tok));
			s->renewable = json_is_true(renew);
		}
		s->expires_at = l > 0 ? now + l - expiry_margin(l) : 0;
		s->renew_at = l > 0 ? now + l * 2 / 3 : 0;
		ret = 0;
	}
	if (json_is_string(tok))
		sodium_memzero((char *)json_string_value(tok), json_string_length(tok));
	json_decref(root);
	buf_wipe(b);
	return ret;
}

/* AppRole login (s->lock held).  0, or -1 with *error_r. */
static int approle_login(struct vault_store *s, const char **error_r)
{
	const struct rg_store_conf *c = s->conf;
	char role[512], secret[512], url[2048];
	struct buf b;
	long status;

	if (read_secret_file(c->role_id_file, role, sizeof(role), NULL, error_r) != 0)
		return -1;
	if (read_secret_file(c->secret_id_file, secret, sizeof(secret), NULL, error_r) != 0) {
		sodium_memzero(role, sizeof(role));
		return -1;
	}
	json_t *req = json_pack("{s:s, s:s}", "role_id", role, "secret_id", secret);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	sodium_memzero(role, sizeof(role));
	sodium_memzero(secret, sizeof(secret));
	if (req != NULL) {
		/* the values in req are copies: wipe them before they are freed */
		const char *k;
		json_t *v;
		json_object_foreach(req, k, v)
			sodium_memzero((char *)json_string_value(v), json_string_length(v));
		json_decref(req);
	}
	if (body == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	snprintf(url, sizeof(url), "%s/v1/auth/%s/login", s->base, c->approle_mount);
	int r = http(s, "POST", url, NULL, body, &status, &b, error_r);
	sodium_memzero(body, strlen(body));
	free(body);
	if (r != 0) {
		*error_r = errf("AppRole login: %s", *error_r);
		return -1;
	}
	return take_auth(s, &b, status, "AppRole login", true, error_r);
}

/* Renew the AppRole token (s->lock held).  0, or -1 (log, then log in). */
static int token_renew(struct vault_store *s, const char **error_r)
{
	char url[2048];
	struct buf b;
	long status;

	snprintf(url, sizeof(url), "%s/v1/auth/token/renew-self", s->base);
	if (http(s, "POST", url, s->token, "{}", &status, &b, error_r) != 0)
		return -1;
	return take_auth(s, &b, status, "token renewal", false, error_r);
}

/* Is the token file another file (or the same file changed) since it was read? */
static bool token_file_changed(const struct vault_store *s)
{
	struct stat st;

	if (stat(s->conf->token_file, &st) != 0)
		return true;
	return st.st_dev != s->tf_dev || st.st_ino != s->tf_ino || st.st_size != s->tf_size ||
	       st.st_mtim.tv_sec != s->tf_mtime.tv_sec || st.st_mtim.tv_nsec != s->tf_mtime.tv_nsec;
}

/* s->lock held. */
static int token_file_read(struct vault_store *s, const char **error_r)
{
	char tok[MAX_TOKEN];
	struct stat st;

	if (read_secret_file(s->conf->token_file, tok, sizeof(tok), &st, error_r) != 0)
		return -1;
	sodium_memzero(s->token, sizeof(s->token));
	memcpy(s->token, tok, strlen(tok) + 1);
	sodium_memzero(tok, sizeof(tok));
	s->tf_dev = st.st_dev;
	s->tf_ino = st.st_ino;
	s->tf_size = st.st_size;
	s->tf_mtime = st.st_mtim;
	return 0;
}

/* Copy a usable token into out (the caller wipes it).  fresh: the last one
 * was refused (403): log in again, or re-read the file.  0, or -1. */
static int token_get(struct vault_store *s, bool fresh, char *out, const char **error_r)
{
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->approle) {
		if (s->token[0] == '\0' || fresh || token_file_changed(s))
			if (token_file_read(s, error_r) != 0 && s->token[0] == '\0')
				ret = -1;	/* a file mid-rewrite: the last token, if any */
	} else {
		long long now = rg_mono_ms();
		bool expired = s->token[0] == '\0' || fresh ||
			       (s->expires_at != 0 && now >= s->expires_at);
		if (!expired && s->renew_at != 0 && now >= s->renew_at) {
			const char *why = NULL;
			if (!s->renewable || token_renew(s, &why) != 0) {
				char q[300];
				if (why != NULL)
					rg_log(LOG_WARNING, "store %s: %s; logging in again",
					       s->conf->name ? s->conf->name : "vault",
					       rg_log_quote(q, sizeof(q), why));
				expired = true;
			}
		}
		if (expired) {
			sodium_memzero(s->token, sizeof(s->token));
			if (approle_login(s, error_r) != 0)
				ret = -1;
		}
	}
	if (ret == 0)
		memcpy(out, s->token, sizeof(s->token));
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ---- reading a secret ------------------------------------------------------------- */

/* The URL of user's secret, or NULL (the name cannot be a path segment). */
static bool secret_url(const struct vault_store *s, const char *user, char *url, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(user), o;

	if (len == 0 || len > MAX_USER || strcmp(user, ".") == 0 || strcmp(user, "..") == 0)
		return false;
	o = (size_t)snprintf(url, n, "%s/v1/%s/data/%s", s->base, s->conf->mount, s->pre);
	for (size_t i = 0; i < len && o + 4 < n; i++) {
		unsigned char ch = (unsigned char)user[i];
		if (ch == '/' || ch < 0x20 || ch == 0x7f)
			return false;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '~' || ch == '-') {
			url[o++] = (char)ch;
		} else {
			url[o++] = '%';
			url[o++] = hex[ch >> 4];
			url[o++] = hex[ch & 15];
		}
	}
	if (o + strlen(s->post) + 1 > n)
		return false;
	memcpy(url + o, s->post, strlen(s->post) + 1);
	return true;
}

static void slot_clear(struct cache_slot *sl)
{
	free(sl->user);
	buf_wipe(&sl->body);
	memset(sl, 0, sizeof(*sl));
}

static size_t slot_of(const char *user)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)user; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % CACHE_SLOTS;
}

static bool buf_copy(struct buf *dst, const struct buf *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->p == NULL)
		return true;
	dst->p = malloc(src->len + 1);
	if (dst->p == NULL)
		return false;
	memcpy(dst->p, src->p, src->len + 1);
	dst->len = src->len;
	dst->cap = src->len + 1;
	return true;
}

static bool cache_get(struct vault_store *s, const char *user, long *status_r, struct buf *b)
{
	bool hit = false;

	if (s->cache == NULL)
		return false;
	pthread_mutex_lock(&s->cache_lock);
	struct cache_slot *sl = &s->cache[slot_of(user)];
	if (sl->user != NULL && strcmp(sl->user, user) == 0) {
		if (rg_mono_ms() - sl->at_ms < s->conf->read_ttl_ms) {
			hit = buf_copy(b, &sl->body);
			*status_r = sl->status;
		} else {
			slot_clear(sl);
		}
	}
	pthread_mutex_unlock(&s->cache_lock);
	return hit;
}

static void cache_put(struct vault_store *s, const char *user, long status, const struct buf *b)
{
	if (s->cache == NULL)
		return;
	pthread_mutex_lock(&s->cache_lock);
	struct cache_slot *sl = &s->cache[slot_of(user)];
	slot_clear(sl);
	sl->user = strdup(user);
	if (sl->user != NULL && buf_copy(&sl->body, b)) {
		sl->status = status;
		sl->at_ms = rg_mono_ms();
	} else {
		slot_clear(sl);
	}
	pthread_mutex_unlock(&s->cache_lock);
}

/* Is this 404 the KV v2 engine saying "no such secret"?  Its body is
 * {"errors":[]}, or a deleted/destroyed version's metadata.  A 404 from a
 * missing mount or a wrong path has errors or warnings instead. */
static bool kv_not_found(const struct buf *b)
{
	json_error_t je;
	json_t *root = b->p ? json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, &je) : NULL;
	bool yes = false;

	if (json_is_object(root)) {
		json_t *e = json_object_get(root, "errors");
		json_t *d = json_object_get(root, "data");
		json_t *m = json_is_object(d) ? json_object_get(d, "metadata") : NULL;
		json_t *w = json_object_get(root, "warnings");
		if (json_is_array(e) && json_array_size(e) == 0 && json_object_size(root) == 1)
			yes = true;
		else if (json_is_object(m) && (w == NULL || json_is_null(w)) &&
			 ((json_is_string(json_object_get(m, "deletion_time")) &&
			   json_string_length(json_object_get(m, "deletion_time")) > 0) ||
			  json_is_true(json_object_get(m, "destroyed"))))
			yes = true;
	}
	json_decref(root);
	return yes;
}

/* Fetch user's secret: FOUND with *data_r (the secret's fields: the caller
 * json_decref()s it after wiping what it read), NOTFOUND, or ERROR. */
static enum rg_lookup fetch(struct vault_store *s, const char *user, json_t **root_r,
			    json_t **data_r, const char **error_r)
{
	char url[4096], token[MAX_TOKEN];
	struct buf b;
	long status = 0;
	json_error_t je;
	enum rg_lookup r = RG_LOOKUP_ERROR;

	*root_r = *data_r = NULL;
	if (user == NULL || !secret_url(s, user, url, sizeof(url)))
		return RG_LOOKUP_NOTFOUND;
	if (!cache_get(s, user, &status, &b)) {
		for (int attempt = 0;; attempt++) {
			if (token_get(s, attempt > 0, token, error_r) != 0)
				return RG_LOOKUP_ERROR;
			int h = http(s, "GET", url, token, NULL, &status, &b, error_r);
			sodium_memzero(token, sizeof(token));
			if (h != 0)
				return RG_LOOKUP_ERROR;
			if (status != 403 || attempt > 0)
				break;
			buf_wipe(&b);	/* refused: a fresh token, once */
		}
		if (status == 200 || (status == 404 && kv_not_found(&b)))
			cache_put(s, user, status, &b);
	}
	if (status == 404) {
		if (kv_not_found(&b))
			r = RG_LOOKUP_NOTFOUND;
		else
			*error_r = errf("HTTP 404 not from a KV version 2 secret (is mount \"%s\" "
					"right?) %s", s->conf->mount, vault_errors(&b));
	} else if (status != 200) {
		*error_r = errf("HTTP %ld %s", status, vault_errors(&b));
	} else {
		json_t *root = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &je);
		json_t *d = json_is_object(root) ? json_object_get(root, "data") : NULL;
		json_t *dd = json_is_object(d) ? json_object_get(d, "data") : NULL;
		if (!json_is_object(dd)) {
			*error_r = root == NULL ? errf("answer is not JSON: %s", je.text) :
				   "answer has no data.data object (not a KV version 2 read)";
			json_decref(root);
		} else {
			*root_r = root;
			*data_r = dd;
			r = RG_LOOKUP_FOUND;
		}
	}
	buf_wipe(&b);
	return r;
}

/* Wipe every string of the secret, then free it. */
static void secret_free(json_t *root, json_t *data)
{
	const char *k;
	json_t *v;

	if (data != NULL)
		json_object_foreach(data, k, v)
			if (json_is_string(v))
				sodium_memzero((char *)json_string_value(v), json_string_length(v));
	json_decref(root);
}

/* The enabled field: true/false or the strings vault kv put stores. */
static int field_enabled(const struct vault_store *s, json_t *data, bool *enabled_r,
			 const char **error_r)
{
	const char *f = s->conf->enabled_field;
	json_t *v = f != NULL && f[0] ? json_object_get(data, f) : NULL;

	*enabled_r = true;
	if (v == NULL)
		return 0;
	if (json_is_boolean(v)) {
		*enabled_r = json_is_true(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *t = json_string_value(v);
		if (strcasecmp(t, "true") == 0 || strcasecmp(t, "yes") == 0 || strcmp(t, "1") == 0)
			return 0;
		if (strcasecmp(t, "false") == 0 || strcasecmp(t, "no") == 0 || strcmp(t, "0") == 0) {
			*enabled_r = false;
			return 0;
		}
	}
	*error_r = errf("field \"%s\" is neither true nor false", f);
	return -1;
}

/* Does list field f hold an entry for which match(entry, arg) is true?
 * A JSON list of strings, or one string "a,b,c".  1 yes, 0 no, -1 malformed. */
static int field_list_has(json_t *data, const char *f, const char *arg,
			  int (*match)(const char *entry, const char *arg), const char **error_r)
{
	json_t *v = f != NULL && f[0] ? json_object_get(data, f) : NULL;
	size_t i;
	json_t *e;

	if (v == NULL)
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				*error_r = errf("field \"%s\": an entry is not a string", f);
				return -1;
			}
			int m = match(json_string_value(e), arg);
			if (m != 0)
				return m;
		}
		return 0;
	}
	if (!json_is_string(v)) {
		*error_r = errf("field \"%s\" is neither a list nor a string", f);
		return -1;
	}
	char tmp[4096];
	const char *p = json_string_value(v);
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t a = 0, b = n;
		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
			b--;
		if (b > a) {
			if (b - a >= sizeof(tmp)) {
				*error_r = errf("field \"%s\": an entry is too long", f);
				return -1;
			}
			memcpy(tmp, p + a, b - a);
			tmp[b - a] = '\0';
			int m = match(tmp, arg);
			if (m != 0)
				return m;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int match_exact(const char *entry, const char *arg)
{
	return strcmp(entry, arg) == 0;
}

static int match_tenant(const char *entry, const char *arg)
{
	return strcasecmp(entry, arg) == 0;
}

static __thread const char *grant_error;
static int match_grant(const char *entry, const char *grant)
{
	char norm[RG_ADDR_MAX];
	const char *why = NULL;

	if (!rg_sender_grant_normalize(entry, norm, sizeof(norm), &why)) {
		grant_error = errf("sender grant \"%.200s\": %s", entry, why ? why : "invalid");
		return -1;
	}
	return strcmp(norm, grant) == 0;
}

/* ---- the store operations ------------------------------------------------------------- */

/* A secret's password field and enabled state: the one reading both lookups
 * use, so that they cannot judge the same secret differently.  0, or -1 with
 * *error_r (no password string, an unreadable enabled field). */
static int read_record(const struct vault_store *s, const char *user, json_t *data,
		       const char **password_r, bool *enabled_r, const char **error_r)
{
	json_t *pw = json_object_get(data, s->conf->field);

	*enabled_r = false;
	if (!json_is_string(pw) || json_string_length(pw) == 0) {
		*error_r = errf("secret of \"%.100s\" has no field \"%s\" (a string)", user,
				s->conf->field);
		return -1;
	}
	if (field_enabled(s, data, enabled_r, error_r) != 0) {
		*enabled_r = false;
		return -1;
	}
	*password_r = json_string_value(pw);
	return 0;
}

static enum rg_lookup vault_lookup_user(struct rg_store *st, const char *user,
					struct rg_user_record *rec_r, const char **error_r)
{
	struct vault_store *s = st->priv;
	json_t *root, *data;
	const char *pw;
	enum rg_lookup r;

	rec_r->password = NULL;
	rec_r->enabled = false;
	r = fetch(s, user, &root, &data, error_r);
	if (r != RG_LOOKUP_FOUND)
		return r;
	if (read_record(s, user, data, &pw, &rec_r->enabled, error_r) != 0) {
		r = RG_LOOKUP_ERROR;
	} else if ((rec_r->password = strdup(pw)) == NULL) {
		*error_r = "out of memory";
		r = RG_LOOKUP_ERROR;
	}
	if (r != RG_LOOKUP_FOUND)
		rec_r->enabled = false;
	secret_free(root, data);
	return r;
}

static enum rg_lookup vault_lookup_state(struct rg_store *st, const char *user, bool *enabled_r,
					 const char **error_r)
{
	struct vault_store *s = st->priv;
	json_t *root, *data;
	const char *pw;
	enum rg_lookup r = fetch(s, user, &root, &data, error_r);

	*enabled_r = false;
	if (r != RG_LOOKUP_FOUND)
		return r;
	if (read_record(s, user, data, &pw, enabled_r, error_r) != 0)
		r = RG_LOOKUP_ERROR;
	secret_free(root, data);
	return r;
}

/* One list field of user's secret against arg: FOUND (listed), NOTFOUND, ERROR. */
static enum rg_lookup list_lookup(struct rg_store *st, const char *user, const char *field,
				  const char *arg, int (*match)(const char *, const char *),
				  bool *known_r, const char **error_r)
{
	struct vault_store *s = st->priv;
	json_t *root, *data;
	enum rg_lookup r;

	*known_r = false;
	if (field == NULL || field[0] == '\0')
		return RG_LOOKUP_NOTFOUND;
	r = fetch(s, user, &root, &data, error_r);
	if (r != RG_LOOKUP_FOUND)
		return r;
	*known_r = true;
	grant_error = NULL;
	int m = field_list_has(data, field, arg, match, error_r);
	if (m < 0 && grant_error != NULL)
		*error_r = grant_error;
	secret_free(root, data);
	return m < 0 ? RG_LOOKUP_ERROR : m > 0 ? RG_LOOKUP_FOUND : RG_LOOKUP_NOTFOUND;
}

static enum rg_lookup vault_may_act_as(struct rg_store *st, const char *user, const char *as,
				       const char **error_r)
{
	bool known;
	return list_lookup(st, user, st->conf->act_as_field, as, match_exact, &known, error_r);
}

/* A tenant listed in the user's secret: the store knows it (for this user)
 * and allows it.  Not listed: not known here (the next store, or
 * tenants.unknown, decides). */
static enum rg_lookup vault_tenant_authz(struct rg_store *st, const char *tenant,
					 const char *user, bool *allowed_r, const char **error_r)
{
	bool known;
	enum rg_lookup r = list_lookup(st, user, st->conf->tenants_field, tenant, match_tenant,
				       &known, error_r);
	*allowed_r = r == RG_LOOKUP_FOUND;
	return r;
}

static enum rg_lookup vault_sender_granted(struct rg_store *st, const char *identity,
					   const char *grant, const char **error_r)
{
	bool known;
	return list_lookup(st, identity, st->conf->senders_field, grant, match_grant, &known,
			   error_r);
}

/* ---- open / close ------------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	json_object_seed(0);	/* before threads build objects */
}

static void vault_close(struct rg_store *st)
{
	struct vault_store *s = st->priv;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_idle; i++)
		curl_easy_cleanup(s->idle[i]);
	for (size_t i = 0; s->cache != NULL && i < CACHE_SLOTS; i++)
		slot_clear(&s->cache[i]);
	free(s->cache);
	sodium_memzero(s->token, sizeof(s->token));
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->pool_lock);
	pthread_mutex_destroy(&s->cache_lock);
	free(s->base);
	free(s->pre);
	free(s->post);
	free(s);
	st->priv = NULL;
}

/* The path template: one %u, relative, no empty, "." or ".." segment. */
static const char *check_template(const char *t)
{
	const char *u = strstr(t, "%u");

	if (u == NULL || strstr(u + 2, "%u") != NULL)
		return "needs exactly one %u (the user name)";
	if (strchr(t, '%') != u || strchr(u + 2, '%') != NULL)
		return "only %u may follow '%'";
	if (t[0] == '/' || strstr(t, "//") != NULL || t[strlen(t) - 1] == '/')
		return "no leading, trailing or doubled '/'";
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '?' || *p == '#' || (unsigned char)*p >= 0x7f)
			return "a space, control, '?', '#' or non-ASCII character";
	for (const char *seg = t; seg != NULL; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
		size_t n = strcspn(seg, "/");
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return "a '.' or '..' segment";
	}
	return NULL;
}

static int vault_open(struct rg_store *st, const struct rg_config *cfg, char **error_r)
{
	const struct rg_store_conf *c = st->conf;
	struct vault_store *s;
	const char *why = NULL;

	(void)cfg;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return rg_error_r(error_r, "libcurl: %s", curl_easy_strerror(curl_init_rc)), -1;
	if (c->address == NULL || strncasecmp(c->address, "https://", 8) != 0 || c->address[8] == '\0')
		return rg_error_r(error_r, "address \"%s\": must be https://host[:port]",
				  c->address ? c->address : ""), -1;
	if (strchr(c->address + 8, '?') != NULL || strchr(c->address + 8, '#') != NULL)
		return rg_error_r(error_r, "address \"%s\": no query or fragment", c->address), -1;
	if ((why = check_template(c->path)) != NULL)
		return rg_error_r(error_r, "path \"%s\": %s", c->path, why), -1;
	if (c->mount == NULL || c->mount[0] == '/' || strstr(c->mount, "..") != NULL ||
	    strpbrk(c->mount, "?#% ") != NULL)
		return rg_error_r(error_r, "mount \"%s\": a relative path without ?, #, %%, spaces "
				  "or ..", c->mount ? c->mount : ""), -1;
	bool approle = c->role_id_file != NULL || c->secret_id_file != NULL;
	if (approle && (c->role_id_file == NULL || c->secret_id_file == NULL))
		return rg_error_r(error_r, "AppRole needs both role_id_file and secret_id_file"), -1;
	if (approle == (c->token_file != NULL))
		return rg_error_r(error_r, "set token_file, or role_id_file and secret_id_file "
				  "(one of the two)"), -1;
	if ((c->cert_file == NULL) != (c->key_file == NULL))
		return rg_error_r(error_r, "cert_file and key_file go together"), -1;
	if (c->ca_file != NULL && access(c->ca_file, R_OK) != 0)
		return rg_error_r(error_r, "ca_file %s: %s", c->ca_file, strerror(errno)), -1;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return rg_error_r(error_r, "out of memory"), -1;
	s->conf = c;
	s->approle = approle;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_mutex_init(&s->cache_lock, NULL);
	st->priv = s;
	size_t al = strlen(c->address);
	while (al > 8 && c->address[al - 1] == '/')
		al--;
	const char *u = strstr(c->path, "%u");
	s->base = strndup(c->address, al);
	s->pre = strndup(c->path, (size_t)(u - c->path));
	s->post = strdup(u + 2);
	if (c->read_ttl_ms > 0)
		s->cache = calloc(CACHE_SLOTS, sizeof(*s->cache));
	if (s->base == NULL || s->pre == NULL || s->post == NULL ||
	    (c->read_ttl_ms > 0 && s->cache == NULL)) {
		vault_close(st);
		return rg_error_r(error_r, "out of memory"), -1;
	}
	/* the secrets' files must be readable now (not Vault itself: a server
	 * that is down at start gives temporary failures, not a dead daemon) */
	char tmp[MAX_TOKEN];
	const char *e = NULL;
	int rc = 0;
	if (!approle) {
		pthread_mutex_lock(&s->lock);
		rc = token_file_read(s, &e);
		pthread_mutex_unlock(&s->lock);
	} else if (read_secret_file(c->role_id_file, tmp, sizeof(tmp), NULL, &e) != 0 ||
		   read_secret_file(c->secret_id_file, tmp, sizeof(tmp), NULL, &e) != 0) {
		rc = -1;
	}
	sodium_memzero(tmp, sizeof(tmp));
	if (rc != 0) {
		vault_close(st);
		return rg_error_r(error_r, "%s", e), -1;
	}
	return 0;
}

const struct rg_store_ops rg_store_vault_ops = {
	.open = vault_open,
	.lookup_user = vault_lookup_user,
	.lookup_state = vault_lookup_state,
	.may_act_as = vault_may_act_as,
	.tenant_authz = vault_tenant_authz,
	.sender_granted = vault_sender_granted,
	.close = vault_close,
};
