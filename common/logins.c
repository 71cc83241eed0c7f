/* logins.c — which login stands behind an authenticated SMTP session (see logins.h). */
#include <autoconfig.h>
#include "logins.h"
#include "str.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define BUCKETS (RG_LOGINS_MAX * 2)

/* A bounded map from a short key to a short value, oldest-written first out.
 * Entries sit in a fixed array; buckets chain them by index; a doubly linked
 * list keeps them in write order. */
struct entry {
	char key[RG_LOGINS_NAME];
	char value[RG_LOGINS_NAME];
	int hnext;		/* next in bucket, -1 = end */
	int older, newer;	/* write order, -1 = end */
	bool used;
};

struct table {
	struct entry e[RG_LOGINS_MAX];
	int bucket[BUCKETS];
	int oldest, newest;
	int n;
	bool ready;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct table by_pid;	/* "1234" → authc "\n" identity */
static struct table targets;	/* identity reached by act-as → "" */

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % BUCKETS;
}

static void table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < BUCKETS; i++)
		t->bucket[i] = -1;
	t->oldest = t->newest = -1;
	t->ready = true;
}

static int table_find(struct table *t, const char *key)
{
	if (!t->ready)
		return -1;
	for (int i = t->bucket[hash(key)]; i >= 0; i = t->e[i].hnext)
		if (strcmp(t->e[i].key, key) == 0)
			return i;
	return -1;
}

static void order_unlink(struct table *t, int i)
{
	struct entry *x = &t->e[i];

	if (x->older >= 0) t->e[x->older].newer = x->newer; else t->oldest = x->newer;
	if (x->newer >= 0) t->e[x->newer].older = x->older; else t->newest = x->older;
	x->older = x->newer = -1;
}

static void order_push(struct table *t, int i)
{
	t->e[i].older = t->newest;
	t->e[i].newer = -1;
	if (t->newest >= 0)
		t->e[t->newest].newer = i;
	t->newest = i;
	if (t->oldest < 0)
		t->oldest = i;
}

static void bucket_unlink(struct table *t, int i)
{
	int *p = &t->bucket[hash(t->e[i].key)];

	while (*p >= 0 && *p != i)
		p = &t->e[*p].hnext;
	if (*p == i)
		*p = t->e[i].hnext;
}

/* Set key → value; the oldest entry makes room when the table is full. */
static void table_put(struct table *t, const char *key, const char *value)
{
	int i;

	if (!t->ready)
		table_init(t);
	i = table_find(t, key);
	if (i >= 0) {
		order_unlink(t, i);
	} else {
		if (t->n < RG_LOGINS_MAX) {
			i = t->n++;
		} else {
			i = t->oldest;
			order_unlink(t, i);
			bucket_unlink(t, i);
		}
		(void)rg_strbcpy(t->e[i].key, sizeof(t->e[i].key), key);
		t->e[i].used = true;
		t->e[i].hnext = t->bucket[hash(key)];
		t->bucket[hash(key)] = i;
	}
	(void)rg_strbcpy(t->e[i].value, sizeof(t->e[i].value), value);
	order_push(t, i);
}

/* pid in decimal into key (at least 21 bytes): the table's key, written on
 * every login, so without printf */
static void pid_key(char key[32], pid_t pid)
{
	char tmp[24];
	size_t n = 0;
	unsigned long v = (unsigned long)pid;	/* callers pass pid > 0 */

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (size_t i = 0; i < n; i++)
		key[i] = tmp[n - 1 - i];
	key[n] = '\0';
}

void rg_logins_record(pid_t pid, const char *authc, const char *identity)
{
	char key[32], value[RG_LOGINS_NAME];
	bool fits;

	if (pid <= 0 || authc == NULL || identity == NULL)
		return;
	pid_key(key, pid);
	/* a login whose names do not fit is recorded as "unknown login" (it
	 * still replaces the process's earlier login): the milter then sees no
	 * login for this process and milter.uncorrelated_auth applies */
	fits = strlen(authc) + strlen(identity) + 2 <= sizeof(value) &&
	       strchr(authc, '\n') == NULL;
	value[0] = '\0';
	if (fits) {
		size_t a = strlen(authc), i = strlen(identity);

		memcpy(value, authc, a);
		value[a] = '\n';
		memcpy(value + a + 1, identity, i + 1);
	}
	pthread_mutex_lock(&lock);
	table_put(&by_pid, key, value);
	if (strcmp(authc, identity) != 0 && strlen(identity) < RG_LOGINS_NAME)
		table_put(&targets, identity, "");
	pthread_mutex_unlock(&lock);
}

bool rg_logins_find(pid_t pid, const char *identity, char *authc_r, size_t n)
{
	char key[32];
	bool found = false;
	int i;

	if (pid <= 0 || identity == NULL)
		return false;
	pid_key(key, pid);
	pthread_mutex_lock(&lock);
	i = table_find(&by_pid, key);
	if (i >= 0) {
		const char *v = by_pid.e[i].value;
		const char *nl = strchr(v, '\n');

		if (nl != NULL && strcmp(nl + 1, identity) == 0 && (size_t)(nl - v) < n) {
			memcpy(authc_r, v, (size_t)(nl - v));
			authc_r[nl - v] = '\0';
			found = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

bool rg_logins_act_as_seen(const char *identity)
{
	bool seen;

	if (identity == NULL)
		return false;
	pthread_mutex_lock(&lock);
	/* a name too long to record: assume the worst */
	seen = strlen(identity) >= RG_LOGINS_NAME || table_find(&targets, identity) >= 0;
	pthread_mutex_unlock(&lock);
	return seen;
}

pid_t rg_peer_pid_unix(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred))
		return 0;
	return cred.pid > 0 ? cred.pid : 0;
}

pid_t rg_peer_pid(int fd)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);

	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &slen) != 0 ||
	    ss.ss_family != AF_UNIX)
		return 0;
	return rg_peer_pid_unix(fd);
}

void rg_logins_clear(void)
{
	pthread_mutex_lock(&lock);
	by_pid.ready = false;
	targets.ready = false;
	pthread_mutex_unlock(&lock);
}
