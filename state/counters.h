/*
 * counters.h — windowed counters and flags behind one small interface.
 *
 * The stolen-account guard keeps its counts here (messages, recipients,
 * failed logins, distinct client addresses, holds) and its suspensions; a
 * fleet can put them in a shared store behind the same table of operations.
 * This file has the interface and the local, in-memory implementation.
 *
 * A counter is a sliding window of window_s seconds, kept as two fixed
 * buckets (the current one and the one before, weighted by how much of it is
 * still inside the window): O(1) per event, 3 numbers per counter, and a
 * count that never forgets an event younger than window_s (it may remember
 * one up to 2 * window_s old, with a weight that falls to 0).
 *
 * Every operation answers RG_COUNTERS_OK or RG_COUNTERS_ERROR (with
 * *error_r): the local implementation never fails; a shared one can, and the
 * caller decides what an error means (the guard: a temporary failure unless
 * guard.state_error = accept).
 *
 * Local bounds: at most max_counters counters (44 bytes each, 48 with the
 * index: 1,000,000 counters in 48 MB; the guard keeps 3 to 6 per active
 * identity, so 1,000,000 identities take 150 to 300 MB) in two LRU segments, as the penalty
 * tables: a counter's first event puts it in the probation quarter, a second
 * event moves it to the protected three quarters, so a flood of one-event
 * keys (random names) churns probation and never evicts a counter that is
 * being counted up; a full protected segment evicts its least recently used
 * counter (a lookup counts as a use), so evicting a protected counter takes
 * three quarters of max_counters other protected counters used since.  Keys are kept as a keyed 128-bit MAC (SipHash-2-4-128), never the text.
 * Flags (suspensions) are never evicted: at most max_flags, then set fails.
 * Thread-safe.
 */
#ifndef RG_COUNTERS_H
#define RG_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum rg_counters_result { RG_COUNTERS_OK = 0, RG_COUNTERS_ERROR = -1 };

struct rg_counters;

/* One operation of a batch (the guard's questions at MAIL FROM and at end of
 * headers go to a shared store in one round trip). */
enum rg_counters_op_kind {
	RG_CTR_ADD,		/* add n to key over window_s; count = after */
	RG_CTR_GET,		/* key's count over window_s */
	RG_CTR_DISTINCT,	/* note member (a key) over window_s; when it is new
				 * there, add 1 to key; count = key's count after */
	RG_CTR_FLAG_GET,	/* flag key: set, until */
	RG_CTR_BUMP_GET,	/* a bump counter's count (window_s: its idle time) */
};
struct rg_counters_op {
	enum rg_counters_op_kind kind;
	struct rg_counters *in;	/* another set of the same kind to ask (NULL: the batch's
				 * own): one round trip for questions of two purposes */
	const char *key;
	const char *member;	/* RG_CTR_DISTINCT */
	unsigned window_s, n;
	uint64_t count;		/* results */
	bool set;
	time_t until;
};

struct rg_counters_ops {
	/* Add n to key's counter over window_s; *count_r: the count after it. */
	int (*add)(struct rg_counters *c, const char *key, unsigned window_s, unsigned n,
		   time_t now, uint64_t *count_r, const char **error_r);
	/* The count now (0 for an unknown key). */
	int (*get)(struct rg_counters *c, const char *key, unsigned window_s, time_t now,
		   uint64_t *count_r, const char **error_r);
	/* A count of distinct events forgotten after idle_s seconds without any
	 * (the failure penalties): add 1 unless tag equals the last event's tag
	 * (one wrong password repeated counts once); *count_r the count after.
	 * The counter is protected from its second counted event on. */
	int (*bump)(struct rg_counters *c, const char *key, unsigned idle_s, uint32_t tag,
		    time_t now, uint64_t *count_r, const char **error_r);
	/* Such a count now (0: unknown, or idle too long). */
	int (*bump_get)(struct rg_counters *c, const char *key, unsigned idle_s, time_t now,
			uint64_t *count_r, const char **error_r);
	/* Forget key's counter. */
	int (*reset)(struct rg_counters *c, const char *key, const char **error_r);
	/* A flag with an end (until = 0: until deleted) and a short text. */
	int (*flag_set)(struct rg_counters *c, const char *key, time_t now, time_t until,
			const char *text, const char **error_r);
	/* *set_r; when set, *until_r and text (n bytes, may be NULL). */
	int (*flag_get)(struct rg_counters *c, const char *key, time_t now, bool *set_r,
			time_t *until_r, char *text, size_t n, const char **error_r);
	int (*flag_del)(struct rg_counters *c, const char *key, const char **error_r);
	/* Call fn for every flag set now (the local implementation: for show). */
	int (*flag_list)(struct rg_counters *c, time_t now,
			 void (*fn)(void *ctx, const char *key, time_t until, const char *text),
			 void *ctx, const char **error_r);
	/* Every op of ops, in order: RG_COUNTERS_OK with each op's results, or
	 * RG_COUNTERS_ERROR (results undefined).  NULL: rg_counters_batch runs
	 * them one by one. */
	int (*batch)(struct rg_counters *c, struct rg_counters_op *ops, size_t n, time_t now,
		     const char **error_r);
	void (*free)(struct rg_counters *c);
};

struct rg_counters {
	const struct rg_counters_ops *ops;
};

/* Run a batch (at most RG_COUNTERS_BATCH_MAX ops): the implementation's own,
 * else op by op. */
#define RG_COUNTERS_BATCH_MAX 24
int rg_counters_batch(struct rg_counters *c, struct rg_counters_op *ops, size_t n, time_t now,
		      const char **error_r);

/* The local implementation. */
struct rg_counters *rg_counters_local_new(size_t max_counters, size_t max_flags);
/* Change the bounds (a reload); evicts down to them.  Flags beyond a smaller
 * max_flags stay (they end at their own time); no new one until below it. */
void rg_counters_local_resize(struct rg_counters *c, size_t max_counters);
void rg_counters_local_set_max_flags(struct rg_counters *c, size_t max_flags);
size_t rg_counters_local_count(struct rg_counters *c);

static inline void rg_counters_free(struct rg_counters *c)
{
	if (c != NULL)
		c->ops->free(c);
}

#endif
