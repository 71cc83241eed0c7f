/*
 * hashpool.h — a bounded pool of worker threads for password hashing.
 *
 * Memory-hard hashes hold megabytes each, so at most `threads` run at once
 * and at most `queue` wait; rg_hashpool_run() refuses at once (returns
 * RG_HASHPOOL_FULL) instead of queueing without limit.  The caller's thread
 * waits on its own condition variable for its job; cache hits never come here.
 */
#ifndef RG_HASHPOOL_H
#define RG_HASHPOOL_H

#include <stddef.h>

enum rg_hashpool_status { RG_HASHPOOL_DONE = 0, RG_HASHPOOL_FULL = 1, RG_HASHPOOL_STOPPED = 2 };

struct rg_hashpool;

/* threads 0 = one per online CPU.  queue ≥ 0 (0: only idle workers take jobs). */
struct rg_hashpool *rg_hashpool_new(int threads, int queue, char **error_r);
/* Stop the workers (waiting jobs get RG_HASHPOOL_STOPPED) and free. */
void rg_hashpool_free(struct rg_hashpool *p);
void rg_hashpool_set_queue(struct rg_hashpool *p, int queue);
int rg_hashpool_threads(const struct rg_hashpool *p);

/* Run fn(arg) on a worker and wait for it. */
enum rg_hashpool_status rg_hashpool_run(struct rg_hashpool *p, void (*fn)(void *), void *arg);

/* Gauges for stats/tests. */
size_t rg_hashpool_waiting(struct rg_hashpool *p);

#endif
