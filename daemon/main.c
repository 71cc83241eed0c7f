/*
 * main.c — the relayguard daemon: options, config check (-n), start-up,
 * reload (SIGUSR1, control socket), graceful stop (SIGTERM, SIGINT, SIGHUP).
 *
 *   relayguard [-c FILE] [-n] [-f] [-V] [-h] [-K]
 *
 * Life cycle: load and check the config, create run directories, fork (unless
 * -f), lock the pidfile, bind every socket as root (SASL, milter, control),
 * drop privileges, serve.  A stop closes the listeners, lets requests in
 * flight finish on the snapshot they hold (bounded), removes sockets and
 * pidfile.  See relayguard(8).
 */
#include <autoconfig.h>
#include "authd.h"
#include "config.h"
#include "control.h"
#include "metrics_http.h"
#include "daemon.h"
#include "log.h"
#include "threads.h"
#include "guard.h"
#include "rg_milter.h"
#include "sockperm.h"
#include "stats.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/relayguard/relayguard.conf"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: relayguard [-c FILE] [-n] [-f] [-V] [-h] [-K]\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -n       check the configuration, open the stores, check every stored hash;\n"
		"           print every problem and exit 0 (fine) or 1 (problems)\n"
		"  -f       stay in the foreground and log to stderr too\n"
		"  -V       print the version\n"
		"  -h       this help\n"
		"  -K       print the configuration key table (for relayguard.conf(5))\n",
		DEFAULT_CONFIG);
}

/* Print each line of text to out (text is "file:line: ..." lines). */
static void print_lines(FILE *out, const char *text)
{
	if (text == NULL)
		return;
	fputs(text, out);
	if (*text && text[strlen(text) - 1] != '\n')
		fputc('\n', out);
}

/* -n: load, open stores, check hashes; every problem on stderr. */
static int check_config(const char *file)
{
	char *errors = NULL, *warnings;
	struct rg_config *cfg = rg_config_load(file, &errors);
	int status = 0;

	if (cfg == NULL) {
		print_lines(stderr, errors);
		free(errors);
		return 1;
	}
	if (rg_stores_open(cfg, &errors) != 0) {
		print_lines(stderr, errors);
		free(errors);
		status = 1;
	} else if (rg_stores_check_hashes(cfg, &errors) != 0) {
		print_lines(stderr, errors);
		free(errors);
		status = 1;
	}
	warnings = rg_config_warnings(cfg);	/* the loader's and the stores' */
	print_lines(stderr, warnings);
	free(warnings);
	rg_config_release(cfg);
	if (status == 0)
		printf("%s: configuration OK\n", file);
	return status;
}

/* Log a multi-line error text one line at a time. */
static void log_lines(int priority, const char *prefix, const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		rg_log(priority, "%s%.*s", prefix, len, p);
		p = nl ? nl + 1 : NULL;
	}
}

/* Append "prefix line" for each line of text to *acc (malloc'd, may be NULL). */
static void append_lines(char **acc, const char *prefix, const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		char *next = NULL;
		if (asprintf(&next, "%s%s%.*s\n", *acc ? *acc : "", prefix, len, p) >= 0) {
			free(*acc);
			*acc = next;
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* Load and open a snapshot; NULL (logged, and the problems in *errors_r when
 * errors_r is not NULL) on any problem. */
static struct rg_config *load_snapshot(const char *file, char **errors_r)
{
	char *errors = NULL, *warnings;
	struct rg_config *cfg = rg_config_load(file, &errors);

	if (cfg == NULL) {
		log_lines(LOG_ERR, "config error: ", errors);
		if (errors_r)
			append_lines(errors_r, "config error: ", errors);
		free(errors);
		return NULL;
	}
	if (rg_stores_open(cfg, &errors) != 0) {
		log_lines(LOG_ERR, "store error: ", errors);
		if (errors_r)
			append_lines(errors_r, "store error: ", errors);
		free(errors);
		rg_config_release(cfg);
		return NULL;
	}
	warnings = rg_config_warnings(cfg);
	log_lines(LOG_WARNING, "", warnings);
	free(warnings);
	return cfg;
}

/* ---- reload: SIGUSR1 and the control socket's RELOAD ------------------------- */

static const char *config_file;
/* one reload at a time; held for good once the daemon stops */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

static bool str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* Settings read only at start: a reload cannot apply them.  Say so. */
static void note_restart_needed(const struct rg_config *old, const struct rg_config *cfg,
				char **text)
{
	static const char *const restart = " changed: takes effect after a restart";
	struct { const char *name; bool changed; } keys[] = {
		{ "control_socket", str_differs(old->control_socket, cfg->control_socket) },
		{ "metrics_listen", str_differs(old->metrics_listen, cfg->metrics_listen) },
		{ "pidfile", str_differs(old->pidfile, cfg->pidfile) },
		{ "user", str_differs(old->user, cfg->user) },
		{ "group", str_differs(old->group, cfg->group) },
		{ "socket_owner", str_differs(old->socket_owner, cfg->socket_owner) },
		{ "socket_group", str_differs(old->socket_group, cfg->socket_group) },
		{ "socket_mode", old->socket_mode != cfg->socket_mode },
		{ "syslog_facility", str_differs(old->syslog_facility, cfg->syslog_facility) },
		{ "syslog_ident", str_differs(old->syslog_ident, cfg->syslog_ident) },
		{ "syslog_socket", str_differs(old->syslog_socket, cfg->syslog_socket) },
		{ "milter.enabled", old->milter.enabled != cfg->milter.enabled },
		{ "milter.socket", str_differs(old->milter.socket, cfg->milter.socket) },
		{ "milter.timeout", old->milter.timeout != cfg->milter.timeout },
		{ "auth.enabled", old->auth.enabled != cfg->auth.enabled },
		{ "auth.dovecot_socket", str_differs(old->auth.dovecot_socket,
						     cfg->auth.dovecot_socket) },
		{ "auth.saslauthd_socket", str_differs(old->auth.saslauthd_socket,
						       cfg->auth.saslauthd_socket) },
		{ "auth.hash_threads", old->auth.hash_threads != cfg->auth.hash_threads },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!keys[i].changed)
			continue;
		rg_log(LOG_WARNING, "reload: %s%s", keys[i].name, restart);
		char line[200];
		snprintf(line, sizeof(line), "%s%s", keys[i].name, restart);
		append_lines(text, "warning: ", line);
	}
}

/* Load config_file into a new snapshot and make it current; requests in
 * flight finish on the snapshot they hold.  0, or -1 when the new
 * configuration is refused (the running one stays).  *text_r: what
 * happened, for the control socket (malloc'd). */
static int reload(const char *origin, char **text_r)
{
	struct rg_config *old, *cfg;
	char *errors = NULL, *text = NULL, *warnings = NULL;
	int status = 0;

	pthread_mutex_lock(&reload_lock);
	old = rg_config_current_get();
	rg_log(LOG_INFO, "reload requested (%s): loading %s", origin, config_file);
	cfg = load_snapshot(config_file, &errors);
	if (cfg == NULL) {
		rg_log(LOG_ERR, "reload failed: keeping the running configuration "
		       "(generation %llu)", old ? (unsigned long long)old->generation : 0ULL);
		rg_stats_inc("config.reload.failed");
		if (asprintf(&text, "reload failed: %s has errors; keeping the running "
			     "configuration (generation %llu)\n%s", config_file,
			     old ? (unsigned long long)old->generation : 0ULL,
			     errors ? errors : "") < 0)
			text = NULL;
		status = -1;
	} else {
		if (old != NULL)
			note_restart_needed(old, cfg, &warnings);
		rg_log_set_json(cfg->log_format == RG_LOG_FORMAT_JSON);
		rg_config_current_set(cfg);
		rg_authd_reload();	/* drops the auth cache and penalties */
		if (rg_guard_setup(cfg) != 0)
			rg_log(LOG_ERR, "guard: out of memory for its counters: guarded messages "
			       "get temporary failures");
		rg_stats_inc("config.reload.ok");
		rg_stats_set("config.generation", (int64_t)cfg->generation);
		rg_log(LOG_INFO, "reload done: configuration generation %llu",
		       (unsigned long long)cfg->generation);
		if (asprintf(&text, "reload done: configuration generation %llu\n%s",
			     (unsigned long long)cfg->generation, warnings ? warnings : "") < 0)
			text = NULL;
	}
	rg_config_release(old);
	pthread_mutex_unlock(&reload_lock);
	free(errors);
	free(warnings);
	/* no trailing newline: the control socket adds its own */
	if (text != NULL && *text && text[strlen(text) - 1] == '\n')
		text[strlen(text) - 1] = '\0';
	if (text_r != NULL)
		*text_r = text;
	else
		free(text);
	return status;
}

static int control_reload(char **text_r)
{
	return reload("control socket", text_r);
}

/* ---- signals -------------------------------------------------------------------- */

static void *reload_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) == 0)
			(void)reload("SIGUSR1", NULL);
	}
	return NULL;
}

/* Without the milter: wait for SIGTERM, SIGINT or SIGHUP (with the milter,
 * libmilter's signal thread takes them, and each one stops it). */
static void wait_for_stop(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	while (sigwait(&set, &sig) != 0)
		;
	rg_log(LOG_INFO, "signal %d (%s): stopping", sig, strsignal(sig));
}

/* ---- stop ----------------------------------------------------------------------- */

/* Milter connections still holding a snapshot.  Debian's libmilter (built
 * with its worker pool) stops serving sessions between commands once it has
 * seen SIGTERM, so only callbacks already running can still finish; they are
 * short (a store lookup), hence a short bound. */
#define DRAIN_WAIT_MS 3000

/* Every request in flight holds a snapshot reference; wait (bounded) until
 * only ours (own_refs) are left. */
static void drain_requests(long own_refs)
{
	struct timespec step = { .tv_nsec = 20 * 1000000L };
	long left = rg_config_references() - own_refs;
	int waited = 0;

	if (left > 0)
		rg_log(LOG_INFO, "stopping: waiting for %ld request(s) in flight", left);
	while (left > 0 && waited < DRAIN_WAIT_MS) {
		nanosleep(&step, NULL);
		waited += 20;
		left = rg_config_references() - own_refs;
	}
	if (left > 0)
		rg_log(LOG_WARNING, "stopping: %ld request(s) still in flight after %d ms; "
		       "their MTA sessions see a temporary failure", left, DRAIN_WAIT_MS);
}

/* Stop every front end, let requests in flight finish, remove the sockets.
 * cfg: main's own reference (the start-up snapshot). */
static void stop_services(const struct rg_config *cfg, bool authd_running, bool milter_open)
{
	rg_control_stop();
	rg_metrics_http_stop();
	if (authd_running)
		rg_authd_stop();	/* bounded wait for its requests; unlinks its sockets */
	pthread_mutex_lock(&reload_lock);	/* no reload from here on */
	rg_config_current_set(NULL);
	drain_requests(1);
	if (milter_open) {
		/* libmilter removes its unix socket only when not running as root */
		const char *path = rg_socket_unix_path(cfg->milter.socket);
		struct stat st;
		if (path != NULL && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    unlink(path) != 0)
			rg_log(LOG_WARNING, "cannot remove %s: %s", path, strerror(errno));
	}
}

/* A start-up failure: log it, tell a waiting parent, exit status 1. */
static int start_failed(const char *what, char *err)
{
	rg_log(LOG_ERR, "not starting: %s%s%s", what, err ? ": " : "", err ? err : "");
	free(err);
	rg_daemon_ready(false);
	rg_pidfile_remove();
	return 1;
}

static int run(const char *file, bool foreground)
{
	struct rg_config *cfg;
	char *err = NULL, *abs_file;
	pthread_t tid;
	sigset_t set;
	int status = 0;
	bool authd_running = false, milter_open = false;

	/* stderr too until started: a background start reports problems to the terminal */
	rg_log_open("relayguard", "mail", NULL, true);
	/* reloads re-read the file after chdir("/") */
	abs_file = realpath(file, NULL);
	config_file = abs_file ? abs_file : file;
	cfg = load_snapshot(config_file, NULL);
	if (cfg == NULL) {
		rg_log(LOG_ERR, "not starting: fix the configuration (check it with: "
		       "relayguard -n -c %s)", file);
		free(abs_file);
		return 1;
	}
	rg_log_open(cfg->syslog_ident, cfg->syslog_facility, cfg->syslog_socket, true);
	rg_log_set_json(cfg->log_format == RG_LOG_FORMAT_JSON);

	if (rg_daemon_make_dirs(cfg, &err) != 0)
		return start_failed("run directory", err);
	/* fork before any thread exists */
	if (!foreground && rg_daemon_background(&err) != 0)
		return start_failed("background", err);
	if (rg_pidfile_create(cfg->pidfile, &err) != 0)
		return start_failed("pidfile", err);

	/* Blocked in every thread, before the first thread exists: SIGUSR1 (the
	 * reload thread takes it with sigwait) and SIGTERM/SIGINT/SIGHUP (main
	 * or, with the milter, libmilter's signal thread takes them).  A thread
	 * with one of them unblocked would let its default action kill the
	 * process without removing sockets and pidfile. */
	int terr = rg_threads_default_stack();	/* before the first thread too */
	if (terr != 0)
		rg_log(LOG_WARNING, "cannot set the threads' stack size: %s", strerror(terr));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rg_config_current_set(rg_config_acquire(cfg));
	rg_stats_set("config.generation", (int64_t)cfg->generation);
	if (rg_guard_setup(cfg) != 0)
		rg_log(LOG_ERR, "guard: out of memory for its counters: guarded messages get "
		       "temporary failures");

	/* Every socket is bound while still root, so that socket_owner,
	 * socket_group and socket_mode can be applied (common/sockperm.c). */
	if (cfg->auth.enabled && (*cfg->auth.dovecot_socket || *cfg->auth.saslauthd_socket)) {
		if (rg_authd_start(cfg, &err) != 0) {
			status = start_failed("SASL service", err);
			goto out;
		}
		authd_running = true;
	}
	if (cfg->milter.enabled) {
		if (rg_milter_open(cfg) != 0) {
			status = start_failed("milter socket (see the message above)", NULL);
			goto out;
		}
		milter_open = true;
	}
	if (rg_control_start(cfg, control_reload, &err) != 0) {
		status = start_failed("control socket", err);
		goto out;
	}
	if (rg_metrics_http_start(cfg, &err) != 0) {
		status = start_failed("metrics listener", err);
		goto out;
	}
	if (rg_daemon_drop_privileges(cfg, &err) != 0) {
		status = start_failed("dropping privileges", err);
		goto out;
	}
	if (geteuid() == 0)
		rg_log(LOG_WARNING, "running as root: set user = \"...\" to drop privileges");
	if (pthread_create(&tid, NULL, reload_thread, NULL) != 0) {
		status = start_failed("cannot create the reload thread", NULL);
		goto out;
	}
	pthread_detach(tid);
	rg_log(LOG_INFO, "started (pid %ld): milter %s, SASL service %s, control %s, "
	       "%zu store(s), %zu tenant(s)", (long)getpid(),
	       cfg->milter.enabled ? cfg->milter.socket : "off", authd_running ? "on" : "off",
	       *cfg->control_socket ? cfg->control_socket : "off", cfg->n_stores,
	       cfg->tenants.n_list);
	rg_daemon_ready(true);

	if (cfg->milter.enabled)
		status = rg_milter_run();	/* until SIGTERM, SIGINT or SIGHUP */
	else
		wait_for_stop();
	rg_log(LOG_INFO, "stopping: no new connections; finishing requests in flight");
out:
	stop_services(cfg, authd_running, milter_open);
	rg_pidfile_remove();
	rg_log(LOG_INFO, "stopped");
	rg_config_release(cfg);
	rg_guard_shutdown();	/* every thread that counted has stopped */
	free(abs_file);
	return status;
}

int main(int argc, char **argv)
{
	const char *file = DEFAULT_CONFIG;
	bool check = false, foreground = false;
	int c;

	while ((c = getopt(argc, argv, "c:nfVhK")) != -1) {
		switch (c) {
		case 'c':
			file = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'V':
			printf("relayguard %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'K':
			rg_config_print_keys(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check) {
		rg_log_stderr_only();
		return check_config(file);
	}
	return run(file, foreground);
}
