/*
 * penalty.h — Dovecot-style failure delay, per remote address and per user.
 *
 * Each failure raises a counter n for the address and for the user (bounded
 * tables); the answer to a failure is delayed by
 *   min(base_ms * 2^(n-1), max_ms)      (n = the larger of the two counters)
 * A failure with the same keyed MAC as the last one for that address/user
 * (a misconfigured client repeating one wrong password) does not raise n.
 * A success clears the user's counter (not the address's: an attacker who
 * owns one account must not reset the delay for his guesses at others).
 * Counters are forgotten after `forget` seconds without failures.
 *
 * Bounds: each counter table (addresses, users) holds at most table_size
 * counters, in two LRU segments: a key's first failure puts it in the
 * probation quarter, its second distinct failure moves it to the protected
 * three quarters.  A flood of fresh names or addresses with one failure each
 * only churns probation: it never evicts a counter that has reached 2 (a user
 * under attack, an attacking address).  Evicting one of those takes more than
 * table_size*3/4 other keys with 2+ distinct failures each since its own last
 * failure.  An evicted counter restarts at 0 (shorter delays, a later lockout);
 * a lock is never evicted.
 *
 * Optional lockout: after lockout_failures distinct failures the user is
 * refused without hashing for lockout_seconds.  Locks live in their own table
 * of at most table_size entries, are never evicted and end only at their own
 * time (a reload keeps them, unless it turns lockout off).  Unknown names are
 * locked like known ones (otherwise the lock would tell which names exist), so
 * a flood can fill the lock table: that takes table_size * lockout_failures
 * hashed failures within lockout_seconds; once it is full no new lock is taken
 * (counter auth.lockout_table_full; those users still get the delays) and no
 * existing lock is lifted.  The counters and locks are kept in counters
 * (state/counters.h), the interface a fleet can back with a shared store.
 * A counter's repeated-attempt check keeps 32 bits of the attempt's keyed MAC.
 * Memory: 2 * table_size counters of 48 bytes (with their index slot) and at
 * most table_size locks (about 130 bytes each with the name).  Thread-safe.
 */
#ifndef RG_PENALTY_H
#define RG_PENALTY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct rg_shared_state_conf;

struct rg_penalty_conf {
	unsigned base_ms, max_ms;
	unsigned lockout_failures;	/* 0 = off */
	unsigned lockout_seconds;
	unsigned forget_seconds;	/* idle time after which a counter resets */
	size_t table_size;		/* entries per table (counters: addresses, users; locks) */
	/* shared_state: the counters and locks in a fleet's Redis (NULL or
	 * type none: in this process); read at rg_penalty_new/reset only */
	const struct rg_shared_state_conf *shared;
};

struct rg_penalty;

struct rg_penalty *rg_penalty_new(const struct rg_penalty_conf *conf);
void rg_penalty_free(struct rg_penalty *p);
void rg_penalty_reset(struct rg_penalty *p, const struct rg_penalty_conf *conf);

/* Is the user locked out now?  1 yes, 0 no, -1 the counters could not be
 * read (a shared store that does not answer): a temporary failure. */
int rg_penalty_check_lock(struct rg_penalty *p, const char *user, time_t now);
/* Before a password check, in one round trip to a shared store: the lock,
 * the user's failure count (a success needs rg_penalty_success only when it
 * is not 0), and the caller's own questions (extra: another purpose's
 * counters, op.in set).  0, or -1 (nothing could be read). */
struct rg_counters_op;
int rg_penalty_precheck(struct rg_penalty *p, const char *user, struct rg_counters_op *extra,
			size_t n_extra, time_t now, bool *locked_r, unsigned *count_r);
/* The same, an error counted as locked (tests). */
bool rg_penalty_locked(struct rg_penalty *p, const char *user, time_t now);
/* Record a failure; returns the delay in ms.  addr may be "" (not tracked).
 * mac: 16+ bytes identifying the attempt (keyed, never the password). */
unsigned rg_penalty_failure(struct rg_penalty *p, const char *addr, const char *user,
			    const unsigned char *mac, size_t maclen, time_t now);
/* Current delay for a failure without recording one (tests, logs). */
unsigned rg_penalty_delay(struct rg_penalty *p, const char *addr, const char *user, time_t now);
void rg_penalty_success(struct rg_penalty *p, const char *user);

#endif
