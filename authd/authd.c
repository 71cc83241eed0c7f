/*
 * authd.c — the SASL service's sockets: listeners, accept loop, one thread
 * per connection (Postfix holds one long-lived connection per smtpd process;
 * Cyrus opens one per check), bounded by auth.max_connections, each with a
 * small stack.  Protocol logic lives in proto_dovecot.c / proto_saslauthd.c,
 * the decision in auth_check.c.
 *
 * TEMPORARY FAILURES.  Both wires lack a temporary answer their MTAs honour:
 *  - Dovecot protocol: Postfix's smtpd turns every FAIL (with or without
 *    "temp") into "535 5.7.8 authentication failed", but end-of-file on the
 *    auth socket into "454 4.7.0 Temporary authentication failure" and
 *    reconnects for the next AUTH.  So on TEMPFAIL we send nothing and close
 *    the connection.  Other Dovecot-protocol clients (Exim, Dovecot's own)
 *    would read "FAIL id temp", but a lost connection is also a temporary
 *    error for them, and we cannot tell clients apart: closing is the
 *    answer that is temporary for every client.
 *  - saslauthd protocol: the reply is only OK or NO, and NO becomes
 *    SASL_BADAUTH (permanent, 535).  Closing without a reply makes libsasl's
 *    saslauthd_verify_password fail its read ("size read failed") and return
 *    SASL_FAIL, a temporary error.  See doc/relayguard-auth.txt.
 */
#include <autoconfig.h>
#include "authd.h"
#include "clock.h"
#include "auth_check.h"
#include "proto_dovecot.h"
#include "proto_saslauthd.h"

#include "log.h"
#include "threads.h"
#include "logins.h"
#include "sockperm.h"
#include "stats.h"
#include "unixsock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* After four fields, wait this long for an optional fifth (the client address,
 * Cyrus SASL >= 2.1.27).  libsasl's checkpw.c writes the whole request with one
 * writev, so a fifth field is normally already buffered; the short wait only
 * covers clients that write field by field.  Sendmail's libsasl sends four
 * fields, so this is added to every Sendmail AUTH: keep it small. */
#define SASLAUTHD_FIFTH_WAIT_MS 10
#define STOP_WAIT_MS 5000

enum proto { PROTO_DOVECOT, PROTO_SASLAUTHD };

struct listener {
	int fd;
	enum proto proto;
	char *path;
	pthread_t thread;
	bool running;
};

struct conn {
	int fd;
	enum proto proto;
	struct conn *prev, *next;
};

static struct listener listeners[2];
static size_t n_listeners;
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conns_cond = PTHREAD_COND_INITIALIZER;
static struct conn *conns;
static int n_conns;
static atomic_bool stopping;
static atomic_ulong cuid_counter;
static bool started;

/* ---- I/O helpers ---- */

/* write_all on a Dovecot connection; says so when the client stopped reading
 * (SO_SNDTIMEO, auth.request_timeout) */
static int write_dovecot(int fd, const void *buf, size_t len)
{
	if (rg_write_all(fd, buf, len) == 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		rg_log(LOG_NOTICE, "auth: dovecot: client does not read its answers "
		       "(auth.request_timeout); closing");
		rg_stats_inc("auth.request_timeout");
	}
	return -1;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !atomic_load(&stopping))
		;
}

/* Wait for input: 1 ready, 0 timeout, -1 error. timeout_ms < 0 = forever. */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	for (;;) {
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r;
	}
}

static const struct rg_config *take_config(struct rg_config **ref)
{
	*ref = rg_config_current_get();
	return *ref;
}

/* auth.idle_timeout and auth.request_timeout of the current snapshot, in ms */
/* auth.idle_timeout and auth.request_timeout in ms, published at start and at
 * each reload, so that the connection loops read them without taking a
 * snapshot per read (a reload reaches an open connection at its next wait) */
static _Atomic int64_t idle_timeout_ms = 600000, request_timeout_ms = 10000;

static void publish_timeouts(const struct rg_config *cfg)
{
	atomic_store(&idle_timeout_ms,
		     (cfg->auth.idle_timeout > 0 ? cfg->auth.idle_timeout : 600) * 1000LL);
	atomic_store(&request_timeout_ms,
		     (cfg->auth.request_timeout > 0 ? cfg->auth.request_timeout : 10) * 1000LL);
}

static void current_timeouts(int64_t *idle_ms, int64_t *request_ms)
{
	*idle_ms = atomic_load_explicit(&idle_timeout_ms, memory_order_relaxed);
	*request_ms = atomic_load_explicit(&request_timeout_ms, memory_order_relaxed);
}

/* ---- Dovecot protocol connection ---- */

/*
 * Facts of the connection (the handshake's MECH lines, the line buffer sized
 * by max_request_length) are fixed when it opens; policy is read from the
 * current snapshot at each line: the mechanisms enabled, the timeouts, and
 * everything rg_auth_check decides.
 *
 * Timeouts (so that silent or trickling clients cannot hold the
 * auth.max_connections slots): the connection is closed after
 * auth.idle_timeout without input (counted from the last byte or the last
 * answer; Postfix reconnects on its next AUTH), and a line must be complete
 * within auth.request_timeout of its first byte, however slowly it trickles.
 */
static void serve_dovecot(int fd)
{
	struct rg_config *cfg;
	char out[512];
	unsigned char cookie[16];
	struct rg_dv_session *s = NULL;
	struct rg_dv_event *ev = NULL;
	char *buf = NULL;
	size_t have = 0, max_line;
	unsigned mechs;
	pid_t peer = rg_peer_pid(fd);	/* the MTA process (Postfix: one smtpd) */
	int64_t last_activity, line_start = 0, idle_ms, request_ms, rcv_timeout_ms = -1;

	if (take_config(&cfg) == NULL)
		return;
	max_line = cfg->auth.max_request_length > 0 ? (size_t)cfg->auth.max_request_length : 8192;
	mechs = cfg->auth.mechanisms;
	/* a client that does not read its answers must not block this thread */
	struct timeval stv = { .tv_sec = cfg->auth.request_timeout > 0 ?
					 cfg->auth.request_timeout : 10 };
	rg_config_release(cfg);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof(stv));

	s = malloc(sizeof(*s));
	ev = malloc(sizeof(*ev));
	buf = malloc(max_line + 2);
	if (s == NULL || ev == NULL || buf == NULL)
		goto done;
	rg_dv_session_init(s, mechs, max_line);
	memset(ev, 0, sizeof(*ev));

	randombytes_buf(cookie, sizeof(cookie));
	size_t hl = rg_dv_handshake(out, sizeof(out), mechs, (unsigned long)getpid(),
				    atomic_fetch_add(&cuid_counter, 1) + 1, cookie);
	if (hl == 0 || write_dovecot(fd, out, hl) < 0)
		goto done;
	last_activity = rg_mono_ms();

	for (;;) {
		current_timeouts(&idle_ms, &request_ms);
		int64_t deadline = last_activity + idle_ms;
		bool line_due = have > 0 && line_start + request_ms <= deadline;
		if (line_due)
			deadline = line_start + request_ms;
		int64_t left = deadline - rg_mono_ms();
		/* the deadline goes into SO_RCVTIMEO, so that a request costs one
		 * blocking recv (no poll before it); the option is set again only
		 * when the time left no longer matches it */
		if (left > 0 && (rcv_timeout_ms < 0 || rcv_timeout_ms > left + 250 ||
				 rcv_timeout_ms < left - 1000)) {
			struct timeval rtv = { .tv_sec = left / 1000,
					       .tv_usec = (suseconds_t)(left % 1000) * 1000 };
			if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof(rtv)) != 0)
				goto done;
			rcv_timeout_ms = left;
		}
		if (left <= 0) {
			if (line_due) {
				rg_log(LOG_NOTICE, "auth: dovecot: request line not complete %lld s "
				       "after its first byte (auth.request_timeout); closing",
				       (long long)(request_ms / 1000));
				rg_stats_inc("auth.request_timeout");
			} else {
				rg_log(LOG_INFO, "auth: dovecot: connection idle for %lld s "
				       "(auth.idle_timeout); closing", (long long)(idle_ms / 1000));
				rg_stats_inc("auth.idle_timeout");
			}
			goto done;
		}
		ssize_t n = recv(fd, buf + have, max_line + 1 - have, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;	/* EAGAIN: SO_RCVTIMEO ran out; the loop decides */
		if (n <= 0)
			goto done;
		last_activity = rg_mono_ms();
		if (have == 0)
			line_start = last_activity;
		have += (size_t)n;

		size_t start = 0;
		char *nl;
		while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
			size_t len = (size_t)(nl - (buf + start));
			/* the current snapshot decides each line */
			const struct rg_config *c = take_config(&cfg);
			if (c == NULL)
				goto done;
			rg_dv_session_set_mechs(s, c->auth.mechanisms);
			enum rg_dv_action a = rg_dv_input(s, buf + start, len, ev);
			sodium_memzero(buf + start, len + 1);
			start += len + 1;
			if (a == RG_DV_CLOSE) {
				rg_config_release(cfg);
				rg_log(LOG_NOTICE, "auth: dovecot: protocol error: %s; closing connection",
				       ev->error);
				rg_stats_inc("auth.protocol_error");
				goto done;
			}
			if (a == RG_DV_REPLY) {
				rg_config_release(cfg);
				if (ev->error != NULL)
					rg_log(LOG_NOTICE, "auth: dovecot: request refused: %s", ev->error);
				if (write_dovecot(fd, ev->reply, ev->reply_len) < 0)
					goto done;
				continue;
			}
			if (a != RG_DV_AUTH) {
				rg_config_release(cfg);
				continue;
			}
			struct rg_auth_result res;
			rg_auth_check(c, &ev->req, &res);
			rg_config_release(cfg);
			if (res.status == RG_AUTH_OK)	/* for the milter: common/logins.h */
				rg_logins_record(peer, ev->req.authc, res.identity);
			rg_dv_event_wipe(ev);
			if (res.status == RG_AUTH_FAIL && res.delay_ms > 0)
				sleep_ms(res.delay_ms);
			size_t rl = rg_dv_format_result(out, sizeof(out), ev->id, &res);
			if (rl == 0)	/* TEMPFAIL: close without reply (see top of file) */
				goto done;
			if (write_dovecot(fd, out, rl) < 0)
				goto done;
		}
		if (start > 0) {
			memmove(buf, buf + start, have - start);
			sodium_memzero(buf + (have - start), start);
			have -= start;
			/* the idle time starts after the last answer; a line left
			 * over started no earlier than that */
			last_activity = rg_mono_ms();
			line_start = last_activity;
		}
		if (have > max_line) {
			rg_log(LOG_NOTICE, "auth: dovecot: protocol error: line longer than %zu bytes; "
			       "closing connection", max_line);
			rg_stats_inc("auth.protocol_error");
			goto done;
		}
	}
done:
	if (buf != NULL) {
		sodium_memzero(buf, max_line + 2);
		free(buf);
	}
	if (s != NULL) {
		rg_dv_session_wipe(s);
		free(s);
	}
	if (ev != NULL) {
		rg_dv_event_wipe(ev);
		free(ev);
	}
}

/* ---- saslauthd protocol connection ---- */

static void serve_saslauthd(int fd)
{
	unsigned char buf[RG_SA_MAX_REQUEST + 16];
	unsigned char out[64];
	struct rg_sa_request *r = malloc(sizeof(*r));
	size_t have = 0;
	const char *err = NULL;
	enum rg_sa_parse st = RG_SA_NEED_MORE;
	int64_t idle_ms, request_ms, deadline;

	if (r == NULL)
		return;
	/* one request per connection: it must arrive whole within
	 * auth.request_timeout of the connection, however it trickles */
	current_timeouts(&idle_ms, &request_ms);
	deadline = rg_mono_ms() + request_ms;
	for (;;) {
		int64_t left = deadline - rg_mono_ms();
		int timeout = st == RG_SA_DONE4 && left > SASLAUTHD_FIFTH_WAIT_MS ?
			      SASLAUTHD_FIFTH_WAIT_MS : (int)left;
		if (left <= 0) {
			if (st == RG_SA_DONE4)
				break;	/* four fields arrived in time */
			rg_log(LOG_NOTICE, "auth: saslauthd: request not complete within %lld s "
			       "(auth.request_timeout); closing", (long long)(request_ms / 1000));
			rg_stats_inc("auth.request_timeout");
			goto done;
		}
		int w = wait_readable(fd, timeout);
		if (w < 0)
			goto done;
		if (w == 0) {
			if (st == RG_SA_DONE4)
				break;	/* a four-field (pre-2.1.27) client */
			continue;
		}
		if (have == sizeof(buf)) {
			err = "request too long";
			st = RG_SA_ERROR;
			break;
		}
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (st == RG_SA_DONE4 && n == 0)
				break;	/* client half-closed after four fields */
			goto done;
		}
		have += (size_t)n;
		st = rg_sa_parse(buf, have, r, &err);
		if (st == RG_SA_DONE5 || st == RG_SA_ERROR)
			break;
	}
	if (st == RG_SA_ERROR) {
		rg_log(LOG_NOTICE, "auth: saslauthd: protocol error: %s; closing connection", err);
		rg_stats_inc("auth.protocol_error");
		goto done;
	}

	struct rg_config *cfg;
	struct rg_auth_result res;
	if (take_config(&cfg) == NULL)
		goto done;
	rg_auth_check(cfg, &r->req, &res);
	rg_config_release(cfg);
	if (res.status == RG_AUTH_OK)	/* for the milter: common/logins.h */
		rg_logins_record(rg_peer_pid(fd), r->req.authc, res.identity);
	rg_sa_request_wipe(r);
	if (res.status == RG_AUTH_FAIL && res.delay_ms > 0)
		sleep_ms(res.delay_ms);
	size_t rl = rg_sa_format_result(out, sizeof(out), &res);
	if (rl > 0)	/* TEMPFAIL: close without reply → libsasl SASL_FAIL */
		(void)rg_write_all(fd, out, rl);
done:
	sodium_memzero(buf, sizeof(buf));
	rg_sa_request_wipe(r);
	free(r);
}

/* ---- connection threads ---- */

static void *conn_main(void *arg)
{
	struct conn *c = arg;

	if (c->proto == PROTO_DOVECOT)
		serve_dovecot(c->fd);
	else
		serve_saslauthd(c->fd);

	pthread_mutex_lock(&conns_lock);
	if (c->prev) c->prev->next = c->next; else conns = c->next;
	if (c->next) c->next->prev = c->prev;
	n_conns--;
	rg_stats_set("auth.connections", n_conns);
	close(c->fd);
	pthread_cond_broadcast(&conns_cond);
	pthread_mutex_unlock(&conns_lock);
	free(c);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct listener *l = arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, RG_THREAD_STACK);
	while (!atomic_load(&stopping)) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (atomic_load(&stopping))
				break;
			rg_log(LOG_ERR, "auth: accept on %s: %s", l->path, strerror(errno));
			sleep_ms(100);	/* EMFILE etc.: do not spin */
			continue;
		}
		struct rg_config *cfg = rg_config_current_get();
		int max = cfg && cfg->auth.max_connections > 0 ? cfg->auth.max_connections : 1000;
		if (cfg)
			rg_config_release(cfg);
		struct conn *c = calloc(1, sizeof(*c));
		pthread_mutex_lock(&conns_lock);
		if (c == NULL || n_conns >= max) {
			pthread_mutex_unlock(&conns_lock);
			rg_log(LOG_WARNING, "auth: %s: connection limit (%d) reached; refusing a "
			       "connection", l->path, max);
			rg_stats_inc("auth.connections_refused");
			close(fd);
			free(c);
			continue;
		}
		c->fd = fd;
		c->proto = l->proto;
		c->next = conns;
		if (conns) conns->prev = c;
		conns = c;
		n_conns++;
		rg_stats_set("auth.connections", n_conns);
		pthread_t t;
		int err = pthread_create(&t, &attr, conn_main, c);
		if (err != 0) {
			conns = c->next;
			if (conns) conns->prev = NULL;
			n_conns--;
			pthread_mutex_unlock(&conns_lock);
			rg_log(LOG_ERR, "auth: cannot start a connection thread: %s", strerror(err));
			close(fd);
			free(c);
			continue;
		}
		pthread_mutex_unlock(&conns_lock);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* ---- sockets ---- */

static int open_listener(const struct rg_config *cfg, const char *path, enum proto proto,
			 char **error_r)
{
	char msg[600];
	int fd = rg_unix_listen(path, 128, rg_socket_apply_perms, cfg, error_r);

	if (fd < 0)
		return -1;
	struct listener *l = &listeners[n_listeners];
	l->fd = fd;
	l->proto = proto;
	l->path = strdup(path);
	int err = pthread_create(&l->thread, NULL, accept_main, l);
	if (err != 0) {
		snprintf(msg, sizeof(msg), "%s: cannot start accept thread: %s", path, strerror(err));
		rg_error_r(error_r, "%s", msg);
		close(fd);
		unlink(path);
		free(l->path);
		return -1;
	}
	l->running = true;
	n_listeners++;
	rg_log(LOG_INFO, "auth: listening on %s (%s protocol)", path,
	       proto == PROTO_DOVECOT ? "dovecot" : "saslauthd");
	return 0;
}

int rg_authd_start(const struct rg_config *cfg, char **error_r)
{
	if (!cfg->auth.enabled)
		return 0;
	if (started) {
		rg_error_r(error_r, "SASL service already running");
		return -1;
	}
	atomic_store(&stopping, false);
	if (rg_auth_check_init(cfg, error_r) < 0)
		return -1;
	publish_timeouts(cfg);
	started = true;
	/* "/path" or "unix:/path" (checked by the config loader) */
	const char *dv = rg_socket_unix_path(cfg->auth.dovecot_socket);
	const char *sa = rg_socket_unix_path(cfg->auth.saslauthd_socket);
	if (dv && dv[0] != '\0' && open_listener(cfg, dv, PROTO_DOVECOT, error_r) < 0)
		goto fail;
	if (sa && sa[0] != '\0' && open_listener(cfg, sa, PROTO_SASLAUTHD, error_r) < 0)
		goto fail;
	return 0;
fail:
	rg_authd_stop();
	return -1;
}

void rg_authd_reload(void)
{
	struct rg_config *cfg = rg_config_current_get();
	if (cfg == NULL)
		return;
	if (started) {
		rg_auth_check_reload(cfg);
		publish_timeouts(cfg);
	}
	rg_config_release(cfg);
}

void rg_authd_stop(void)
{
	if (!started)
		return;
	atomic_store(&stopping, true);
	for (size_t i = 0; i < n_listeners; i++) {
		shutdown(listeners[i].fd, SHUT_RDWR);	/* wakes accept() */
		pthread_join(listeners[i].thread, NULL);
		close(listeners[i].fd);
		unlink(listeners[i].path);
		free(listeners[i].path);
	}
	n_listeners = 0;

	/* wake every connection thread, then wait (bounded) for them */
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += STOP_WAIT_MS / 1000;
	pthread_mutex_lock(&conns_lock);
	/* SHUT_RD: an idle connection sees end-of-file and ends; one busy with a
	 * request still writes its answer, then sees end-of-file */
	for (struct conn *c = conns; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RD);
	while (n_conns > 0 &&
	       pthread_cond_timedwait(&conns_cond, &conns_lock, &deadline) != ETIMEDOUT)
		;
	int left = n_conns;
	pthread_mutex_unlock(&conns_lock);
	if (left == 0)
		rg_auth_check_shutdown();	/* else leave the pool: threads still use it */
	else
		rg_log(LOG_WARNING, "auth: %d connections still busy at shutdown", left);
	started = false;
}
