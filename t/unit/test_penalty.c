/* test_penalty.c — failure delays: growth, cap, no escalation for a repeated attempt,
 * success, per-address, lockout, forgetting; floods of random names neither lift a
 * lock nor reset a grown counter. */
#include <autoconfig.h>
#include "../tap.h"
#include "penalty.h"
#include "stats.h"

static unsigned char M[8][16];

/* n failures for each of count fresh names (and fresh addresses when addr) */
static void flood(struct rg_penalty *p, const char *prefix, int count, int n, bool addr, time_t now)
{
	for (int i = 0; i < count; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		for (int k = 0; k < n; k++)
			rg_penalty_failure(p, addr ? name : "", name, M[k % 8], 16, now);
	}
}

int main(void)
{
	struct rg_penalty_conf pc = { .base_ms = 100, .max_ms = 1000, .lockout_failures = 0,
				      .lockout_seconds = 60, .forget_seconds = 900,
				      .table_size = 4 };
	time_t now = 5000;
	for (int i = 0; i < 8; i++)
		memset(M[i], i + 1, 16);

	struct rg_penalty *p = rg_penalty_new(&pc);
	ok(p != NULL, "created");
	is_int(rg_penalty_delay(p, "192.0.2.1", "daniel", now), 0, "no failures: no delay");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[0], 16, now), 100, "1st failure: base");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[1], 16, now), 200, "2nd: doubled");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[2], 16, now), 400, "3rd: 400");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[2], 16, now), 400,
	       "same attempt repeated: no escalation");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[2], 16, now), 400, "still none");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[3], 16, now), 800, "4th distinct: 800");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[4], 16, now), 1000, "5th: capped");
	is_int(rg_penalty_failure(p, "192.0.2.1", "daniel", M[5], 16, now), 1000, "stays capped");

	/* per address: another user from the same address is delayed too */
	is_int(rg_penalty_delay(p, "192.0.2.1", "other", now), 1000, "address counter applies to other users");
	/* per user: another address guessing the same user */
	is_int(rg_penalty_delay(p, "198.51.100.9", "daniel", now), 1000, "user counter applies from other addresses");
	is_int(rg_penalty_delay(p, "198.51.100.9", "other", now), 0, "unrelated address+user: none");

	rg_penalty_success(p, "daniel");
	is_int(rg_penalty_delay(p, "198.51.100.9", "daniel", now), 0, "success clears the user's counter");
	is_int(rg_penalty_delay(p, "192.0.2.1", "other", now), 1000,
	       "success does not clear the address counter");

	is_int(rg_penalty_failure(p, "", "carol", M[0], 16, now), 100, "empty address: user counter only");
	is_int(rg_penalty_delay(p, "", "carol", now + 900), 0, "forgotten after forget_seconds");

	/* bounded tables */
	for (int i = 0; i < 100; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.0.0.%d", i);
		rg_penalty_failure(p, a, a, M[0], 16, now);
	}
	is_int(rg_penalty_delay(p, "10.0.0.99", "10.0.0.99", now), 100, "newest entry kept");
	is_int(rg_penalty_delay(p, "10.0.0.1", "x", now), 0, "old entries evicted (table bounded)");

	/* lockout */
	pc.lockout_failures = 3;
	rg_penalty_reset(p, &pc);
	ok(!rg_penalty_locked(p, "eve", now), "not locked");
	rg_penalty_failure(p, "", "eve", M[0], 16, now);
	rg_penalty_failure(p, "", "eve", M[1], 16, now);
	rg_penalty_failure(p, "", "eve", M[1], 16, now);
	ok(!rg_penalty_locked(p, "eve", now), "two distinct failures: not locked");
	rg_penalty_failure(p, "", "eve", M[2], 16, now);
	ok(rg_penalty_locked(p, "eve", now), "third distinct failure: locked");
	ok(rg_penalty_locked(p, "eve", now + 59), "locked for lockout_seconds");
	ok(!rg_penalty_locked(p, "eve", now + 60), "unlocked after lockout_seconds");
	ok(!rg_penalty_locked(p, "mallory", now), "other users unaffected");

	pc.base_ms = 0;
	rg_penalty_reset(p, &pc);
	is_int(rg_penalty_failure(p, "1.2.3.4", "x", M[0], 16, now), 0, "base 0: no delay");
	rg_penalty_free(p);

	/* ---- a lock lasts lockout_seconds whatever else happens (table of 8) ---- */
	pc = (struct rg_penalty_conf){ .base_ms = 100, .max_ms = 100000, .lockout_failures = 3,
				       .lockout_seconds = 60, .forget_seconds = 900, .table_size = 8 };
	p = rg_penalty_new(&pc);
	for (int k = 0; k < 3; k++)
		rg_penalty_failure(p, "192.0.2.66", "victim", M[k], 16, now);
	ok(rg_penalty_locked(p, "victim", now), "victim locked after 3 distinct failures");
	flood(p, "rand", 5000, 1, true, now);
	ok(rg_penalty_locked(p, "victim", now), "still locked after 5000 random names, one failure each");
	flood(p, "r2-", 2000, 2, true, now);
	ok(rg_penalty_locked(p, "victim", now), "still locked after 2000 random names, two failures each");
	int64_t full0 = rg_stats_get("auth.lockout_table_full");
	flood(p, "lock", 3000, 3, true, now + 1);
	ok(rg_penalty_locked(p, "victim", now + 1),
	   "still locked after 3000 random names locked out themselves (lock table full)");
	ok(rg_stats_get("auth.lockout_table_full") > full0, "the full lock table was counted");
	int locked_now = 0;
	for (int i = 0; i < 3000; i++) {
		char name[64];
		snprintf(name, sizeof(name), "lock%d", i);
		locked_now += rg_penalty_locked(p, name, now + 1);
	}
	is_int(locked_now, 7, "lock table bounded: 7 flood names locked, the victim the 8th");
	ok(rg_penalty_locked(p, "lock0", now + 60), "a flood lock also lasts its lockout_seconds");
	ok(rg_penalty_locked(p, "victim", now + 59), "victim locked until lockout_seconds passes");
	ok(!rg_penalty_locked(p, "victim", now + 60), "victim unlocked after lockout_seconds");
	for (int k = 3; k < 6; k++)
		rg_penalty_failure(p, "", "late", M[k], 16, now + 61);
	ok(rg_penalty_locked(p, "late", now + 61), "ended locks make room: a new lock is taken");
	rg_penalty_free(p);

	/* ---- reload: locks kept, counters cleared; lockout off clears locks ---- */
	p = rg_penalty_new(&pc);
	for (int k = 0; k < 3; k++)
		rg_penalty_failure(p, "", "victim", M[k], 16, now);
	pc.table_size = 16;
	rg_penalty_reset(p, &pc);
	ok(rg_penalty_locked(p, "victim", now + 30), "a reload keeps the lock");
	flood(p, "small", 15, 3, false, now);	/* 15 + the victim: full */
	pc.table_size = 4;
	rg_penalty_reset(p, &pc);
	ok(rg_penalty_locked(p, "victim", now + 30) && rg_penalty_locked(p, "small14", now + 30),
	   "a smaller table after reload keeps every existing lock");
	for (int k = 0; k < 3; k++)
		rg_penalty_failure(p, "", "newcomer", M[k], 16, now + 30);
	ok(!rg_penalty_locked(p, "newcomer", now + 30), "... and takes no new lock while over its size");
	pc.lockout_failures = 0;
	rg_penalty_reset(p, &pc);
	ok(!rg_penalty_locked(p, "victim", now + 30), "lockout turned off: no lock");
	pc.lockout_failures = 3;
	rg_penalty_reset(p, &pc);
	ok(!rg_penalty_locked(p, "victim", now + 30), "turned on again: old locks are gone");
	rg_penalty_free(p);

	/* ---- a grown counter survives a flood of fresh names (table of 8) ---- */
	pc = (struct rg_penalty_conf){ .base_ms = 100, .max_ms = 100000, .lockout_failures = 0,
				       .lockout_seconds = 60, .forget_seconds = 900, .table_size = 8 };
	p = rg_penalty_new(&pc);
	for (int k = 0; k < 3; k++)
		rg_penalty_failure(p, "192.0.2.66", "daniel", M[k], 16, now);
	is_int(rg_penalty_delay(p, "", "daniel", now), 400, "daniel: 3 failures, 400 ms");
	flood(p, "fresh", 5000, 1, true, now);
	is_int(rg_penalty_delay(p, "", "daniel", now), 400,
	       "user counter kept through 5000 fresh names with one failure each");
	is_int(rg_penalty_delay(p, "192.0.2.66", "nobody", now), 400,
	       "address counter kept through 5000 fresh addresses with one failure each");
	flood(p, "two", 5, 2, false, now);
	is_int(rg_penalty_delay(p, "", "daniel", now), 400,
	       "kept while 5 other names grow to 2 failures (protected part: 6 of 8)");
	flood(p, "more", 5, 2, false, now);
	is_int(rg_penalty_delay(p, "", "daniel", now), 400, "kept: 5 more since its last use");
	flood(p, "last", 6, 2, false, now);
	is_int(rg_penalty_delay(p, "", "daniel", now), 0,
	       "evicted by 6 names with 2 failures each since its last use (bounded)");
	rg_penalty_free(p);
	return done_testing();
}
