/* hashpool.c — fixed worker threads, bounded FIFO of waiting jobs. */
#include <autoconfig.h>
#include "hashpool.h"
#include "error.h"
#include "stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
	void (*fn)(void *);
	void *arg;
	bool done;
	enum rg_hashpool_status status;
	pthread_cond_t cond;
	struct job *next;
};

struct rg_hashpool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct job *head, *tail;
	size_t waiting;		/* jobs in the FIFO */
	size_t idle;		/* workers waiting for work */
	size_t busy;		/* jobs taken by a worker, not finished yet */
	size_t queue_max;
	int nthreads;
	bool stopping;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct rg_hashpool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == NULL && !p->stopping) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->lock);
			p->idle--;
		}
		if (p->head == NULL && p->stopping)
			break;
		struct job *j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->waiting--;
		p->busy++;
		rg_stats_set("hashpool.queue_depth", (int64_t)p->waiting);
		pthread_mutex_unlock(&p->lock);

		j->fn(j->arg);

		pthread_mutex_lock(&p->lock);
		p->busy--;
		j->done = true;
		j->status = RG_HASHPOOL_DONE;
		pthread_cond_signal(&j->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct rg_hashpool *rg_hashpool_new(int threads, int queue, char **error_r)
{
	struct rg_hashpool *p = calloc(1, sizeof(*p));
	char buf[160];

	if (p == NULL)
		goto oom;
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (int)n : 1;
	}
	p->queue_max = queue > 0 ? (size_t)queue : 0;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	p->threads = calloc((size_t)threads, sizeof(*p->threads));
	if (p->threads == NULL)
		goto oom;
	for (int i = 0; i < threads; i++) {
		int err = pthread_create(&p->threads[i], NULL, worker, p);
		if (err != 0) {
			snprintf(buf, sizeof(buf), "hashing pool: cannot start thread: %s",
				 strerror(err));
			p->nthreads = i;
			rg_hashpool_free(p);
			rg_error_r(error_r, "%s", buf);
			return NULL;
		}
		p->nthreads = i + 1;
	}
	return p;
oom:
	free(p);
	rg_error_r(error_r, "hashing pool: out of memory");
	return NULL;
}

void rg_hashpool_free(struct rg_hashpool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	/* jobs still waiting are answered "stopped" */
	for (struct job *j = p->head; j != NULL;) {
		struct job *next = j->next;
		j->done = true;
		j->status = RG_HASHPOOL_STOPPED;
		pthread_cond_signal(&j->cond);
		j = next;
	}
	p->head = p->tail = NULL;
	p->waiting = 0;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void rg_hashpool_set_queue(struct rg_hashpool *p, int queue)
{
	pthread_mutex_lock(&p->lock);
	p->queue_max = queue > 0 ? (size_t)queue : 0;
	pthread_mutex_unlock(&p->lock);
}

int rg_hashpool_threads(const struct rg_hashpool *p)
{
	return p->nthreads;
}

size_t rg_hashpool_waiting(struct rg_hashpool *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->waiting;
	pthread_mutex_unlock(&p->lock);
	return n;
}

enum rg_hashpool_status rg_hashpool_run(struct rg_hashpool *p, void (*fn)(void *), void *arg)
{
	struct job j = { .fn = fn, .arg = arg };

	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return RG_HASHPOOL_STOPPED;
	}
	/* At most one job per worker plus queue_max more.  Counted from the jobs
	 * in the pool (taken or queued), not from the idle workers: a worker that
	 * has just finished a job is not idle yet, and counting it as busy would
	 * refuse a job that fits. */
	if (p->busy + p->waiting + 1 > (size_t)p->nthreads + p->queue_max) {
		pthread_mutex_unlock(&p->lock);
		return RG_HASHPOOL_FULL;
	}
	pthread_cond_init(&j.cond, NULL);
	if (p->tail)
		p->tail->next = &j;
	else
		p->head = &j;
	p->tail = &j;
	p->waiting++;
	rg_stats_set("hashpool.queue_depth", (int64_t)p->waiting);
	pthread_cond_signal(&p->work);
	while (!j.done)
		pthread_cond_wait(&j.cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	pthread_cond_destroy(&j.cond);
	return j.status;
}
