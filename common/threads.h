/* threads.h — the stack every thread of the daemon gets.
 *
 * glibc gives a thread the stack rlimit (8 MiB) unless told otherwise, and
 * keeps 40 MiB of freed stacks for reuse: five of 8 MiB.  libmilter starts a
 * thread per milter connection (Postfix opens one per SMTP session), so with
 * more than a handful of sessions at once most threads start on a freshly
 * mapped stack and pay a page fault for every page they touch (the TLS
 * block, each page of stack the callbacks reach).  RG_THREAD_STACK is enough
 * for every request path (a store lookup through SQLite, libpq, hiredis or
 * libcurl with TLS, the hash functions of the pool, a log line) with a wide
 * margin, and 160 such stacks fit in glibc's cache. */
#ifndef RG_THREADS_H
#define RG_THREADS_H

#include <pthread.h>

#define RG_THREAD_STACK (256 * 1024)

/* Make RG_THREAD_STACK the default for threads created after this call
 * (pthread_create with NULL or default attributes, libraries' threads
 * included); 0, or an errno value. */
static inline int rg_threads_default_stack(void)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);

	if (err != 0)
		return err;
	err = pthread_attr_setstacksize(&attr, RG_THREAD_STACK);
	if (err == 0)
		err = pthread_setattr_default_np(&attr);
	pthread_attr_destroy(&attr);
	return err;
}

#endif
