/*
 * counters_redis.c — counters.h in Redis, for a fleet of relays (hiredis).
 *
 * Every operation is one round trip: a short Lua script (EVAL) that reads,
 * updates and sets the expiry of one key.  Key names are
 *   <key_prefix><namespace>:<hex of BLAKE2b-128(fleet secret, key text)>
 * so Redis never holds a login or an address; flags (suspensions, locks)
 * store only their text ("3 guard actions in 86400s") and end by TTL.
 *
 *   windowed counter   HASH s (window number), c (count in it), p (the one
 *                      before); expires after two windows
 *   bump counter       HASH n (count), t (last tag); expires after idle_s
 *   flag               STRING with EXAT (or none: until deleted)
 *
 * Connections: a small pool of hiredis contexts (one per concurrent caller),
 * made to the first server that answers, or, with sentinel_master, to the
 * master the first answering Sentinel names.  A failed request drops its
 * connection.
 *
 * When Redis does not answer: on_error = tempfail makes every operation an
 * error (the callers tempfail); on_error = local answers from this relay's
 * own counters until Redis answers again; each change is logged once.
 */
#include <autoconfig.h>
#include "counters.h"
#include "counters_shared.h"
#include "log.h"
#include "stats.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <fcntl.h>
#include <unistd.h>

#define IDLE_CONNS 16
/* the words after EVAL script of the largest batch: numkeys, 2 keys and 5
 * arguments an op, now and the op count */
#define EVAL_WORDS (1 + 7 * RG_COUNTERS_BATCH_MAX + 2)

struct redis {
	struct rg_counters base;
	char **servers;
	size_t n_servers;
	char *sentinel_master;	/* NULL: none */
	char *password;		/* NULL: none */
	char prefix[200];	/* key_prefix + namespace + ':' */
	unsigned char secret[crypto_generichash_KEYBYTES];
	struct timeval connect_tv, tv;
	bool fallback_local;
	struct rg_counters *local;	/* on_error = local */
	pthread_mutex_t lock;
	redisContext *idle[IDLE_CONNS];
	size_t n_idle;
};

static __thread char rd_err[300];

static void key_name(const struct redis *r, const char *key, char *out, size_t n)
{
	unsigned char mac[16];
	char hex[33];

	crypto_generichash(mac, sizeof(mac), (const unsigned char *)key, strlen(key), r->secret,
			   sizeof(r->secret));
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, n, "%s%s", r->prefix, hex);
}

/* "unix:/p" or "host:port" → a connected context, or NULL (rd_err). */
static redisContext *connect_to(const struct redis *r, const char *server)
{
	redisContext *c;

	if (strncmp(server, "unix:", 5) == 0) {
		c = redisConnectUnixWithTimeout(server + 5, r->connect_tv);
	} else {
		char host[256];
		const char *colon = strrchr(server, ':');
		size_t hl = colon ? (size_t)(colon - server) : 0;
		if (colon == NULL || hl >= sizeof(host)) {
			snprintf(rd_err, sizeof(rd_err), "%s: not host:port", server);
			return NULL;
		}
		memcpy(host, server, hl);
		host[hl] = '\0';
		c = redisConnectWithTimeout(host, atoi(colon + 1), r->connect_tv);
	}
	if (c == NULL || c->err) {
		snprintf(rd_err, sizeof(rd_err), "%s: %s", server, c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, r->tv);
	return c;
}

static redisContext *connect_master(const struct redis *r)
{
	for (size_t i = 0; i < r->n_servers; i++) {
		redisContext *c = connect_to(r, r->servers[i]);
		if (c == NULL)
			continue;
		if (r->sentinel_master != NULL) {
			/* a Sentinel: ask it where the master is */
			redisReply *rep = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
						       r->sentinel_master);
			redisFree(c);
			c = NULL;
			if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
			    rep->element[0]->type == REDIS_REPLY_STRING &&
			    rep->element[1]->type == REDIS_REPLY_STRING) {
				char addr[300];
				snprintf(addr, sizeof(addr), "%s:%s", rep->element[0]->str,
					 rep->element[1]->str);
				c = connect_to(r, addr);
			} else {
				snprintf(rd_err, sizeof(rd_err), "Sentinel %s does not know master %s",
					 r->servers[i], r->sentinel_master);
			}
			freeReplyObject(rep);
			if (c == NULL)
				continue;
		}
		if (r->password != NULL) {
			redisReply *rep = redisCommand(c, "AUTH %s", r->password);
			bool ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;
			if (!ok)
				snprintf(rd_err, sizeof(rd_err), "AUTH refused: %s",
					 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no answer");
			freeReplyObject(rep);
			if (!ok) {
				redisFree(c);
				continue;
			}
		}
		return c;
	}
	return NULL;
}

/* A pooled connection (*pooled_r) or a new one. */
static redisContext *conn_get(struct redis *r, bool *pooled_r)
{
	redisContext *c = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->n_idle > 0)
		c = r->idle[--r->n_idle];
	pthread_mutex_unlock(&r->lock);
	*pooled_r = c != NULL;
	return c != NULL ? c : connect_master(r);
}

static void conn_put(struct redis *r, redisContext *c, bool ok)
{
	if (ok) {
		pthread_mutex_lock(&r->lock);
		if (r->n_idle < IDLE_CONNS) {
			r->idle[r->n_idle++] = c;
			c = NULL;
		}
		pthread_mutex_unlock(&r->lock);
	}
	redisFree(c);
}

/* One EVAL of script over nargs words (numkeys, the key names, then the
 * arguments).  The reply (the caller frees it), or NULL with rd_err. */
static redisReply *evalv(struct redis *r, const char *script, int nargs, const char **words)
{
	const char *args[EVAL_WORDS + 2];
	size_t lens[EVAL_WORDS + 2];
	int n = 0;

	if (nargs > EVAL_WORDS) {
		snprintf(rd_err, sizeof(rd_err), "batch too large");
		return NULL;
	}
	args[n++] = "EVAL";
	args[n++] = script;
	for (int i = 0; i < nargs; i++)
		args[n++] = words[i];
	for (int i = 0; i < n; i++)
		lens[i] = strlen(args[i]);
	redisReply *rep = NULL;
	redisContext *c = NULL;
	for (int attempt = 0; attempt < 2 && rep == NULL; attempt++) {
		bool pooled;
		if ((c = conn_get(r, &pooled)) == NULL)
			return NULL;
		rep = redisCommandArgv(c, n, args, lens);
		if (rep == NULL) {
			snprintf(rd_err, sizeof(rd_err), "%s", c->errstr[0] ? c->errstr : "no answer");
			conn_put(r, c, false);
			c = NULL;
			/* a pooled connection may have died with a Redis restart:
			 * one more try on a new one; a new one that fails is final */
			if (!pooled)
				return NULL;
		}
	}
	if (rep == NULL)
		return NULL;
	conn_put(r, c, true);
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(rd_err, sizeof(rd_err), "%s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* One EVAL over one key with up to 4 arguments. */
static redisReply *eval(struct redis *r, const char *script, const char *key, int argc,
			const char *const *argv)
{
	char name[300];
	const char *words[8];
	int n = 0;

	key_name(r, key, name, sizeof(name));
	words[n++] = "1";
	words[n++] = name;
	for (int i = 0; i < argc && n < 8; i++)
		words[n++] = argv[i];
	return evalv(r, script, n, words);
}

/* Redis answered (ok) or not: log the changes between the two, once for the
 * process (every purpose's counters talk to the same Redis). */
static atomic_bool redis_down;

static void note_state(struct redis *r, bool ok)
{
	if (ok && !atomic_load(&redis_down))
		return;	/* the usual case: no change */
	bool was_down = atomic_exchange(&redis_down, !ok);
	char q[320];

	if (!ok) {
		rg_stats_inc("shared_state.error");
		if (!was_down)
			rg_log(LOG_ERR, "shared_state: Redis does not answer (%s): %s",
			       rg_log_quote(q, sizeof(q), rd_err),
			       r->fallback_local ? "using this relay's own counters (on_error = local)"
						 : "temporary failures until it does (on_error = tempfail)");
	} else if (was_down) {
		rg_log(LOG_NOTICE, "shared_state: Redis answers again: counters are shared again");
	}
}

#define FALLBACK(r, call)                                                      \
	do {                                                                   \
		note_state(r, false);                                          \
		if ((r)->fallback_local && (r)->local != NULL)                 \
			return (r)->local->ops->call;                           \
		*error_r = rd_err;                                             \
		return RG_COUNTERS_ERROR;                                      \
	} while (0)

static const char ADD_LUA[] =
	"local w,n,now=tonumber(ARGV[1]),tonumber(ARGV[2]),tonumber(ARGV[3]) "
	"local slot=math.floor(now/w) "
	"local v=redis.call('HMGET',KEYS[1],'s','c','p') "
	"local s,c,p=tonumber(v[1] or '-1'),tonumber(v[2] or '0'),tonumber(v[3] or '0') "
	"if s~=slot then if s==slot-1 then p=c else p=0 end c=0 end "
	"c=c+n "
	"if n>0 then redis.call('HSET',KEYS[1],'s',slot,'c',c,'p',p) "
	"redis.call('EXPIRE',KEYS[1],2*w) end "
	"return {c,p}";

static int window_op(struct rg_counters *base, const char *key, unsigned window_s, unsigned n,
		     time_t now, uint64_t *count_r, const char **error_r)
{
	struct redis *r = (struct redis *)base;
	char w[24], ns[24], t[24];
	unsigned win = window_s ? window_s : 1;

	snprintf(w, sizeof(w), "%u", win);
	snprintf(ns, sizeof(ns), "%u", n);
	snprintf(t, sizeof(t), "%lld", (long long)now);
	const char *argv[] = { w, ns, t };
	redisReply *rep = eval(r, ADD_LUA, key, 3, argv);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
		freeReplyObject(rep);
		if (n > 0)
			FALLBACK(r, add(r->local, key, window_s, n, now, count_r, error_r));
		FALLBACK(r, get(r->local, key, window_s, now, count_r, error_r));
	}
	uint64_t cur = (uint64_t)rep->element[0]->integer, prev = (uint64_t)rep->element[1]->integer;
	freeReplyObject(rep);
	note_state(r, true);
	uint64_t left = win - (uint64_t)now % win;
	*count_r = cur + (prev * left + win - 1) / win;
	return RG_COUNTERS_OK;
}

static int r_add(struct rg_counters *base, const char *key, unsigned window_s, unsigned n,
		 time_t now, uint64_t *count_r, const char **error_r)
{
	return window_op(base, key, window_s, n, now, count_r, error_r);
}

static int r_get(struct rg_counters *base, const char *key, unsigned window_s, time_t now,
		 uint64_t *count_r, const char **error_r)
{
	return window_op(base, key, window_s, 0, now, count_r, error_r);
}

static const char BUMP_LUA[] =
	"local v=redis.call('HMGET',KEYS[1],'n','t') "
	"local n=tonumber(v[1] or '0') "
	"if ARGV[2]=='' then return n end "
	"if n==0 or v[2]~=ARGV[2] then n=redis.call('HINCRBY',KEYS[1],'n',1) "
	"redis.call('HSET',KEYS[1],'t',ARGV[2]) end "
	"redis.call('EXPIRE',KEYS[1],ARGV[1]) "
	"return n";

static int bump_op(struct rg_counters *base, const char *key, unsigned idle_s, const char *tag,
		   uint64_t *count_r, const char **error_r)
{
	struct redis *r = (struct redis *)base;
	char idle[24];

	snprintf(idle, sizeof(idle), "%u", idle_s ? idle_s : 1);
	const char *argv[] = { idle, tag };
	redisReply *rep = eval(r, BUMP_LUA, key, 2, argv);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return -1;
	}
	*count_r = (uint64_t)rep->integer;
	freeReplyObject(rep);
	note_state(r, true);
	(void)error_r;
	return 0;
}

static int r_bump(struct rg_counters *base, const char *key, unsigned idle_s, uint32_t tag,
		  time_t now, uint64_t *count_r, const char **error_r)
{
	struct redis *r = (struct redis *)base;
	char t[16];

	snprintf(t, sizeof(t), "%08x", tag);
	if (bump_op(base, key, idle_s, t, count_r, error_r) == 0)
		return RG_COUNTERS_OK;
	FALLBACK(r, bump(r->local, key, idle_s, tag, now, count_r, error_r));
}

static int r_bump_get(struct rg_counters *base, const char *key, unsigned idle_s, time_t now,
		      uint64_t *count_r, const char **error_r)
{
	struct redis *r = (struct redis *)base;

	if (bump_op(base, key, idle_s, "", count_r, error_r) == 0)
		return RG_COUNTERS_OK;
	FALLBACK(r, bump_get(r->local, key, idle_s, now, count_r, error_r));
}

static const char DEL_LUA[] = "return redis.call('DEL',KEYS[1])";

static int r_reset(struct rg_counters *base, const char *key, const char **error_r)
{
	struct redis *r = (struct redis *)base;
	redisReply *rep = eval(r, DEL_LUA, key, 0, NULL);

	if (r->local != NULL)
		r->local->ops->reset(r->local, key, error_r);
	if (rep == NULL)
		FALLBACK(r, reset(r->local, key, error_r));
	freeReplyObject(rep);
	note_state(r, true);
	return RG_COUNTERS_OK;
}

static const char FLAG_SET_LUA[] =
	"if ARGV[1]=='0' then redis.call('SET',KEYS[1],ARGV[2]) "
	"else redis.call('SET',KEYS[1],ARGV[2],'EXAT',ARGV[1]) end return 1";

static int r_flag_set(struct rg_counters *base, const char *key, time_t now, time_t until,
		      const char *text, const char **error_r)
{
	struct redis *r = (struct redis *)base;
	char u[24];

	if (until != 0 && until <= now)
		return RG_COUNTERS_OK;	/* already over */
	snprintf(u, sizeof(u), "%lld", (long long)until);
	const char *argv[] = { u, text ? text : "" };
	redisReply *rep = eval(r, FLAG_SET_LUA, key, 2, argv);
	if (rep == NULL)
		FALLBACK(r, flag_set(r->local, key, now, until, text, error_r));
	freeReplyObject(rep);
	note_state(r, true);
	return RG_COUNTERS_OK;
}

static const char FLAG_GET_LUA[] =
	"local v=redis.call('GET',KEYS[1]) if not v then return {} end "
	"return {v, redis.call('TTL',KEYS[1])}";

static int r_flag_get(struct rg_counters *base, const char *key, time_t now, bool *set_r,
		      time_t *until_r, char *text, size_t n, const char **error_r)
{
	struct redis *r = (struct redis *)base;
	redisReply *rep = eval(r, FLAG_GET_LUA, key, 0, NULL);

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		*set_r = false;
		FALLBACK(r, flag_get(r->local, key, now, set_r, until_r, text, n, error_r));
	}
	*set_r = rep->elements == 2;
	if (*set_r) {
		long long ttl = rep->element[1]->integer;
		if (until_r != NULL)
			*until_r = ttl > 0 ? now + ttl : 0;
		if (text != NULL && n > 0)
			snprintf(text, n, "%s", rep->element[0]->str ? rep->element[0]->str : "");
	}
	freeReplyObject(rep);
	note_state(r, true);
	return RG_COUNTERS_OK;
}

static int r_flag_del(struct rg_counters *base, const char *key, const char **error_r)
{
	return r_reset(base, key, error_r);
}

static int r_flag_list(struct rg_counters *base, time_t now,
		       void (*fn)(void *ctx, const char *key, time_t until, const char *text),
		       void *ctx, const char **error_r)
{
	(void)base; (void)now; (void)fn; (void)ctx;
	*error_r = "the shared state keeps no names (keys are keyed MACs): ask for one identity";
	return RG_COUNTERS_ERROR;
}

static const char BATCH_LUA[] =
	"local now=tonumber(ARGV[1]) local out={} local a=3 "
	"local function win(K,w,n) "
	" local slot=math.floor(now/w) "
	" local v=redis.call('HMGET',K,'s','c','p') "
	" local s,c,p=tonumber(v[1] or '-1'),tonumber(v[2] or '0'),tonumber(v[3] or '0') "
	" if s~=slot then if s==slot-1 then p=c else p=0 end c=0 end "
	" c=c+n "
	" if n>0 then redis.call('HSET',K,'s',slot,'c',c,'p',p) redis.call('EXPIRE',K,2*w) end "
	" return c,p end "
	"for i=1,tonumber(ARGV[2]) do "
	" local kind,w,n,ki,mi=ARGV[a],tonumber(ARGV[a+1]),tonumber(ARGV[a+2]),"
	"  tonumber(ARGV[a+3]),tonumber(ARGV[a+4]) a=a+5 "
	" if kind=='a' or kind=='g' then "
	"  local c,p=win(KEYS[ki],w,kind=='a' and n or 0) out[#out+1]=c out[#out+1]=p "
	" elseif kind=='d' then "
	"  local mc,mp=win(KEYS[mi],w,1) "
	"  local left=w-(now%w) local m=mc+math.ceil(mp*left/w) "
	"  local c,p=win(KEYS[ki],w,(m==1) and 1 or 0) out[#out+1]=c out[#out+1]=p "
	" elseif kind=='b' then "
	"  out[#out+1]=tonumber(redis.call('HGET',KEYS[ki],'n') or '0') out[#out+1]=0 "
	" else "
	"  local v=redis.call('GET',KEYS[ki]) "
	"  if v then out[#out+1]=1 out[#out+1]=redis.call('TTL',KEYS[ki]) "
	"  else out[#out+1]=0 out[#out+1]=-2 end "
	" end "
	"end return out";

/* The whole batch in one EVAL: one round trip. */
static int r_batch(struct rg_counters *base, struct rg_counters_op *ops, size_t n, time_t now,
		   const char **error_r)
{
	struct redis *r = (struct redis *)base;
	char names[2 * RG_COUNTERS_BATCH_MAX][300], nums[RG_COUNTERS_BATCH_MAX][3][24];
	char nowb[24], nopsb[16];
	const char *words[EVAL_WORDS];
	int nw = 0, nkeys = 0;
	int ki[RG_COUNTERS_BATCH_MAX], mi[RG_COUNTERS_BATCH_MAX];

	if (n > RG_COUNTERS_BATCH_MAX) {
		*error_r = "batch too large";
		return RG_COUNTERS_ERROR;
	}
	/* the key names first (numkeys, KEYS...), then ARGV */
	for (size_t i = 0; i < n; i++) {	/* at most 2 keys an op: names has room */
		const struct redis *ri = ops[i].in != NULL ? (const struct redis *)ops[i].in : r;
		key_name(ri, ops[i].key, names[nkeys], sizeof(names[0]));
		ki[i] = ++nkeys;
		mi[i] = 0;
		if (ops[i].kind == RG_CTR_DISTINCT) {
			key_name(ri, ops[i].member, names[nkeys], sizeof(names[0]));
			mi[i] = ++nkeys;
		}
	}
	char nk[16];
	snprintf(nk, sizeof(nk), "%d", nkeys);
	words[nw++] = nk;
	for (int k = 0; k < nkeys; k++)
		words[nw++] = names[k];
	snprintf(nowb, sizeof(nowb), "%lld", (long long)now);
	snprintf(nopsb, sizeof(nopsb), "%zu", n);
	words[nw++] = nowb;
	words[nw++] = nopsb;
	for (size_t i = 0; i < n; i++) {
		static const char *const kinds[] = { "a", "g", "d", "f", "b" };
		snprintf(nums[i][0], sizeof(nums[i][0]), "%u", ops[i].window_s ? ops[i].window_s : 1);
		snprintf(nums[i][1], sizeof(nums[i][1]), "%u", ops[i].n);
		snprintf(nums[i][2], sizeof(nums[i][2]), "%d %d", ki[i], mi[i]);
		words[nw++] = kinds[ops[i].kind];
		words[nw++] = nums[i][0];
		words[nw++] = nums[i][1];
		char *sp = strchr(nums[i][2], ' ');
		*sp = '\0';
		words[nw++] = nums[i][2];
		words[nw++] = sp + 1;
	}
	redisReply *rep = evalv(r, BATCH_LUA, nw, words);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 * n) {
		freeReplyObject(rep);
		note_state(r, false);
		if (r->fallback_local && r->local != NULL)
			return rg_counters_batch(r->local, ops, n, now, error_r);
		*error_r = rd_err;
		return RG_COUNTERS_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		long long a = rep->element[2 * i]->integer, b = rep->element[2 * i + 1]->integer;
		if (ops[i].kind == RG_CTR_FLAG_GET) {
			ops[i].set = a == 1;
			ops[i].until = a == 1 && b > 0 ? now + b : 0;
		} else if (ops[i].kind == RG_CTR_BUMP_GET) {
			ops[i].count = (uint64_t)a;
		} else {
			uint64_t w = ops[i].window_s ? ops[i].window_s : 1, left = w - (uint64_t)now % w;
			ops[i].count = (uint64_t)a + ((uint64_t)b * left + w - 1) / w;
		}
	}
	freeReplyObject(rep);
	note_state(r, true);
	return RG_COUNTERS_OK;
}

static void r_free(struct rg_counters *base)
{
	struct redis *r = (struct redis *)base;

	for (size_t i = 0; i < r->n_idle; i++)
		redisFree(r->idle[i]);
	for (size_t i = 0; i < r->n_servers; i++)
		free(r->servers[i]);
	free(r->servers);
	free(r->sentinel_master);
	if (r->password != NULL) {
		sodium_memzero(r->password, strlen(r->password));
		free(r->password);
	}
	sodium_memzero(r->secret, sizeof(r->secret));
	rg_counters_free(r->local);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static const struct rg_counters_ops redis_ops = {
	.add = r_add, .get = r_get, .bump = r_bump, .bump_get = r_bump_get, .reset = r_reset,
	.flag_set = r_flag_set, .flag_get = r_flag_get, .flag_del = r_flag_del,
	.flag_list = r_flag_list, .batch = r_batch, .free = r_free,
};

/* A secret file's content (whitespace kept: it is bytes), at least min bytes. */
static int read_file(const char *path, unsigned char *out, size_t cap, size_t min, size_t *len_r,
		     char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0, k;

	if (fd < 0)
		return rg_counters_error(error_r, "cannot open %s", path);
	while ((size_t)got < cap && (k = read(fd, out + got, cap - (size_t)got)) > 0)
		got += k;
	close(fd);
	while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == '\r'))
		got--;
	if ((size_t)got < min)
		return rg_counters_error(error_r, "%s: shorter than %zu bytes", path, min);
	*len_r = (size_t)got;
	return 0;
}

struct rg_counters *rg_counters_redis_new(const struct rg_shared_state_conf *conf,
					  const char *ns, size_t max_counters, size_t max_flags,
					  char **error_r)
{
	struct redis *r = calloc(1, sizeof(*r));
	unsigned char buf[4096];
	size_t len = 0;

	if (r == NULL) {
		rg_counters_error(error_r, "out of memory");
		return NULL;
	}
	r->base.ops = &redis_ops;
	pthread_mutex_init(&r->lock, NULL);
	if (read_file(conf->secret_file, buf, sizeof(buf), 32, &len, error_r) != 0)
		goto fail;
	/* the fleet secret, of any length, made into the MAC key */
	crypto_generichash(r->secret, sizeof(r->secret), buf, len, NULL, 0);
	sodium_memzero(buf, sizeof(buf));
	if (conf->password_file != NULL && conf->password_file[0] != '\0') {
		if (read_file(conf->password_file, buf, sizeof(buf) - 1, 1, &len, error_r) != 0)
			goto fail;
		buf[len] = '\0';
		r->password = strdup((char *)buf);
		sodium_memzero(buf, sizeof(buf));
	}
	r->servers = calloc(conf->n_servers ? conf->n_servers : 1, sizeof(char *));
	for (size_t i = 0; r->servers != NULL && i < conf->n_servers; i++)
		if ((r->servers[r->n_servers++] = strdup(conf->servers[i])) == NULL)
			goto oom;
	if (r->servers == NULL)
		goto oom;
	if (conf->sentinel_master != NULL && conf->sentinel_master[0] != '\0' &&
	    (r->sentinel_master = strdup(conf->sentinel_master)) == NULL)
		goto oom;
	snprintf(r->prefix, sizeof(r->prefix), "%s%s:", conf->key_prefix ? conf->key_prefix : "", ns);
	r->connect_tv.tv_sec = conf->connect_timeout_ms / 1000;
	r->connect_tv.tv_usec = (conf->connect_timeout_ms % 1000) * 1000;
	r->tv.tv_sec = conf->timeout_ms / 1000;
	r->tv.tv_usec = (conf->timeout_ms % 1000) * 1000;
	r->fallback_local = conf->on_error == RG_SHARED_ON_ERROR_LOCAL;
	if (r->fallback_local &&
	    (r->local = rg_counters_local_new(max_counters, max_flags)) == NULL)
		goto oom;
	return &r->base;
oom:
	rg_counters_error(error_r, "out of memory");
fail:
	sodium_memzero(buf, sizeof(buf));
	r_free(&r->base);
	return NULL;
}
