/*
 * penalty.h — Dovecot-style failure delay, per remote address and per user.
 *
 * Each failure raises a counter n for the address and for the user (bounded
 * LRU tables); the answer to a failure is delayed by
 *   min(base_ms * 2^(n-1), max_ms)      (n = the larger of the two counters)
 * A failure with the same keyed MAC as the last one for that address/user
 * (a misconfigured client repeating one wrong password) does not raise n.
 * A success clears the user's counter (not the address's: an attacker who
 * owns one account must not reset the delay for his guesses at others).
 * Counters are forgotten after `forget` seconds without failures.
 * Optional lockout: after lockout_failures distinct failures the user is
 * refused without hashing for lockout_seconds.  Thread-safe.
 */
#ifndef RG_PENALTY_H
#define RG_PENALTY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct rg_penalty_conf {
	unsigned base_ms, max_ms;
	unsigned lockout_failures;	/* 0 = off */
	unsigned lockout_seconds;
	unsigned forget_seconds;	/* idle time after which a counter resets */
	size_t table_size;		/* entries per table */
};

struct rg_penalty;

struct rg_penalty *rg_penalty_new(const struct rg_penalty_conf *conf);
void rg_penalty_free(struct rg_penalty *p);
void rg_penalty_reset(struct rg_penalty *p, const struct rg_penalty_conf *conf);

/* Is the user locked out now? */
bool rg_penalty_locked(struct rg_penalty *p, const char *user, time_t now);
/* Record a failure; returns the delay in ms.  addr may be "" (not tracked).
 * mac: 16+ bytes identifying the attempt (keyed, never the password). */
unsigned rg_penalty_failure(struct rg_penalty *p, const char *addr, const char *user,
			    const unsigned char *mac, size_t maclen, time_t now);
/* Current delay for a failure without recording one (tests, logs). */
unsigned rg_penalty_delay(struct rg_penalty *p, const char *addr, const char *user, time_t now);
void rg_penalty_success(struct rg_penalty *p, const char *user);

#endif
