/* test_penalty.c — failure delays: growth, cap, no escalation for a repeated attempt,
 * success, per-address, lockout, forgetting. */
#include <autoconfig.h>
#include "../tap.h"
#include "penalty.h"

static unsigned char M[8][16];

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
	return done_testing();
}
