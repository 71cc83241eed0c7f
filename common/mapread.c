/* mapread.c — see mapread.h.
 *
 * The handler jumps back into rg_mapread only for a thread that is inside
 * it (a thread-local jump buffer); for any other SIGBUS it restores the
 * default action and returns, so that the faulting instruction runs again
 * and the default action happens where the fault was.  SA_NODEFER keeps
 * SIGBUS unblocked across the jump, so sigsetjmp need not save the signal
 * mask (saving it would cost a system call per read). */
#include <autoconfig.h>
#include "mapread.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

static __thread sigjmp_buf *volatile inside;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_err;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (inside != NULL)
		siglongjmp(*inside, 1);
	signal(sig, SIG_DFL);	/* not ours: fault again, with the default action */
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		init_err = errno;
}

int rg_mapread_init(void)
{
	int err = pthread_once(&once, install);

	return err != 0 ? err : init_err;
}

int rg_mapread(const volatile unsigned char *map, size_t off, unsigned char *out, size_t n)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0) != 0) {
		inside = NULL;
		return -1;
	}
	inside = &jb;
	for (size_t i = 0; i < n; i++)
		out[i] = map[off + i];
	inside = NULL;
	return 0;
}
