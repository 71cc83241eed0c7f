/* test_counters.c — the local counters: sliding windows, reset, flags with an
 * end, the memory bound, and a flood of one-event keys that never evicts a
 * counter being counted up. */
#include <autoconfig.h>
#include "../tap.h"
#include "counters.h"

static uint64_t add(struct rg_counters *c, const char *key, unsigned w, unsigned n, time_t now)
{
	uint64_t v = 0;
	const char *err = NULL;
	ok(c->ops->add(c, key, w, n, now, &v, &err) == RG_COUNTERS_OK, "add %s", key);
	return v;
}

static uint64_t get(struct rg_counters *c, const char *key, unsigned w, time_t now)
{
	uint64_t v = 0;
	const char *err = NULL;
	c->ops->get(c, key, w, now, &v, &err);
	return v;
}

int main(void)
{
	struct rg_counters *c = rg_counters_local_new(1000, 10);
	const char *err = NULL;
	time_t t0 = 36000;	/* a window boundary for 3600 */

	ok(c != NULL, "local counters made");
	/* ---- a sliding window ---- */
	for (int i = 1; i <= 5; i++)
		is_int(add(c, "m|3600|alice", 3600, 1, t0 + i), i, "event %d counted", i);
	is_int(add(c, "m|3600|alice", 3600, 10, t0 + 10), 15, "add n at once");
	is_int(get(c, "m|3600|alice", 3600, t0 + 3599), 15, "still 15 at the end of the window");
	is_int(get(c, "m|3600|alice", 3600, t0 + 3600), 15,
	       "the next window starts: the previous one still counts in full");
	is_int(get(c, "m|3600|alice", 3600, t0 + 3600 + 1800), 8,
	       "half the next window later: half of it (15 -> 8, rounded up)");
	is_int(get(c, "m|3600|alice", 3600, t0 + 7200), 0, "two windows later: 0");
	is_int(add(c, "m|3600|alice", 3600, 1, t0 + 7300), 1, "and counting starts again");
	is_int(get(c, "m|60|alice", 60, t0), 0, "another key: 0");
	is_int(get(c, "nosuch", 60, t0), 0, "an unknown key: 0");

	/* ---- reset ---- */
	c->ops->reset(c, "m|3600|alice", &err);
	is_int(get(c, "m|3600|alice", 3600, t0 + 7300), 0, "reset: 0");

	/* ---- flags ---- */
	bool set = true;
	time_t until = 0;
	char text[32];
	c->ops->flag_get(c, "s|alice", t0, &set, &until, text, sizeof(text), &err);
	ok(!set, "no flag yet");
	ok(c->ops->flag_set(c, "s|alice", t0, t0 + 60, "3 actions", &err) == RG_COUNTERS_OK, "flag set");
	c->ops->flag_get(c, "s|alice", t0 + 59, &set, &until, text, sizeof(text), &err);
	ok(set && until == t0 + 60, "flag set until its end");
	is_str(text, "3 actions", "flag text");
	c->ops->flag_get(c, "s|alice", t0 + 60, &set, &until, text, sizeof(text), &err);
	ok(!set, "flag gone at its end");
	c->ops->flag_set(c, "s|bob", t0, 0, "manual", &err);
	c->ops->flag_get(c, "s|bob", t0 + 1000000, &set, NULL, NULL, 0, &err);
	ok(set, "a flag without an end stays");
	c->ops->flag_del(c, "s|bob", &err);
	c->ops->flag_get(c, "s|bob", t0, &set, NULL, NULL, 0, &err);
	ok(!set, "flag deleted");
	for (int i = 0; i < 10; i++) {
		char k[32];
		snprintf(k, sizeof(k), "s|u%d", i);
		c->ops->flag_set(c, k, t0, 0, "", &err);
	}
	err = NULL;
	ok(c->ops->flag_set(c, "s|one-too-many", t0, 0, "", &err) == RG_COUNTERS_ERROR && err != NULL,
	   "the flag table is bounded: a set past it fails (%s)", err ? err : "");
	rg_counters_free(c);

	/* ---- bounded: a flood of one-event keys never evicts a counted-up key ---- */
	c = rg_counters_local_new(400, 10);
	int quiet = 1;
	for (int i = 0; i < 2; i++)
		add(c, "m|3600|victim", 3600, 1, t0);
	for (int i = 0; i < 100000; i++) {
		char k[40];
		uint64_t v;
		snprintf(k, sizeof(k), "m|3600|random%d", i);
		if (c->ops->add(c, k, 3600, 1, t0, &v, &err) != RG_COUNTERS_OK || v != 1)
			quiet = 0;
	}
	ok(quiet, "100000 fresh keys: each counted 1");
	ok(rg_counters_local_count(c) <= 400, "the table stays within its bound (%zu <= 400)",
	   rg_counters_local_count(c));
	is_int(get(c, "m|3600|victim", 3600, t0), 2,
	       "the key with two events survived the flood of one-event keys");
	is_int(get(c, "m|3600|random0", 3600, t0), 0, "an early one-event key was evicted");
	rg_counters_local_resize(c, 100);
	ok(rg_counters_local_count(c) <= 100, "resize: down to the new bound (%zu)",
	   rg_counters_local_count(c));
	is_int(get(c, "m|3600|victim", 3600, t0), 2, "... the protected key still there");
	rg_counters_free(c);
	return done_testing();
}
