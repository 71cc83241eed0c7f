/* test_hashpool.c — bounded hashing pool: results, concurrency, full queue rejects at once. */
#include <autoconfig.h>
#include "../tap.h"
#include "hashpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static atomic_int running, max_running, done_jobs;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;

static void job_square(void *arg)
{
	int *v = arg;
	*v = *v * *v;
}

/* blocks until the gate opens; records concurrency */
static void job_gated(void *arg)
{
	(void)arg;
	int r = atomic_fetch_add(&running, 1) + 1;
	int m = atomic_load(&max_running);
	while (r > m && !atomic_compare_exchange_weak(&max_running, &m, r))
		;
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	atomic_fetch_sub(&running, 1);
	atomic_fetch_add(&done_jobs, 1);
}

struct submitter {
	struct rg_hashpool *p;
	enum rg_hashpool_status st;
};

static void *submit(void *arg)
{
	struct submitter *s = arg;
	s->st = rg_hashpool_run(s->p, job_gated, NULL);
	return NULL;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void)
{
	char *err = NULL;
	struct rg_hashpool *p = rg_hashpool_new(2, 3, &err);
	ok(p != NULL, "pool of 2 threads, queue 3");
	is_int(rg_hashpool_threads(p), 2, "2 threads");
	int v = 7;
	is_int(rg_hashpool_run(p, job_square, &v), RG_HASHPOOL_DONE, "job ran");
	is_int(v, 49, "job result visible to the caller");

	/* 2 running + 3 waiting fit; the 6th is refused at once */
	struct submitter s[6];
	pthread_t t[6];
	for (int i = 0; i < 5; i++) {
		s[i].p = p;
		s[i].st = -1;
		pthread_create(&t[i], NULL, submit, &s[i]);
	}
	/* a loaded machine may take a while to start five threads: wait up to
	 * 30 s, and never submit the 6th job unless the pool is really full
	 * (a queued gated job would block this thread for ever) */
	for (int i = 0; i < 3000 && (atomic_load(&running) < 2 || rg_hashpool_waiting(p) < 3); i++)
		usleep(10000);
	is_int(atomic_load(&running), 2, "two jobs run at once (threads bound)");
	is_int(rg_hashpool_waiting(p), 3, "three jobs wait");
	if (atomic_load(&running) == 2 && rg_hashpool_waiting(p) == 3) {
		double t0 = now_ms();
		is_int(rg_hashpool_run(p, job_gated, NULL), RG_HASHPOOL_FULL, "full queue: rejected");
		ok(now_ms() - t0 < 50, "rejected at once (%.1f ms)", now_ms() - t0);
	} else {
		ok(0, "full queue: not reached, the 6th job was not submitted");
		ok(0, "rejected at once: not measured");
	}
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	int all_done = 1;
	for (int i = 0; i < 5; i++) {
		pthread_join(t[i], NULL);
		all_done &= s[i].st == RG_HASHPOOL_DONE;
	}
	ok(all_done, "every accepted job completed");
	is_int(atomic_load(&done_jobs), 5, "five jobs ran");
	is_int(atomic_load(&max_running), 2, "never more than two at once");

	/* queue change at run time */
	rg_hashpool_set_queue(p, 0);
	gate_open = 0;
	atomic_store(&max_running, 0);
	s[0].p = s[1].p = p;
	pthread_create(&t[0], NULL, submit, &s[0]);
	pthread_create(&t[1], NULL, submit, &s[1]);
	for (int i = 0; i < 3000 && atomic_load(&running) < 2; i++)
		usleep(10000);
	if (atomic_load(&running) == 2)
		is_int(rg_hashpool_run(p, job_gated, NULL), RG_HASHPOOL_FULL,
		       "queue 0: busy workers → rejected");
	else
		ok(0, "queue 0: the two workers never got busy");
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);

	/* many concurrent callers, each gets its own result */
	rg_hashpool_set_queue(p, 1000);
	int vals[64];
	int good = 0;
	for (int i = 0; i < 64; i++) {
		vals[i] = i;
		rg_hashpool_run(p, job_square, &vals[i]);
		good += vals[i] == i * i;
	}
	is_int(good, 64, "64 sequential jobs correct");
	rg_hashpool_free(p);

	p = rg_hashpool_new(0, 1, &err);
	ok(p != NULL && rg_hashpool_threads(p) == (int)sysconf(_SC_NPROCESSORS_ONLN),
	   "threads 0 = one per CPU (%ld)", sysconf(_SC_NPROCESSORS_ONLN));
	rg_hashpool_free(p);
	return done_testing();
}
