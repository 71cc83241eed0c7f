/*
 * main.c — the relayguard daemon: options, config check (-n), start-up,
 * reload on SIGUSR1, stop on SIGTERM/SIGINT.
 *
 *   relayguard [-c FILE] [-n] [-f] [-V] [-h]
 */
#include <autoconfig.h>
#include "authd.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "rg_milter.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	warnings = rg_config_warnings(cfg);
	print_lines(stderr, warnings);
	free(warnings);
	if (rg_config_open_stores(cfg, &errors) != 0) {
		print_lines(stderr, errors);
		free(errors);
		status = 1;
	} else if (rg_config_check_store_hashes(cfg, &errors) != 0) {
		print_lines(stderr, errors);
		free(errors);
		status = 1;
	}
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

/* Load and open a snapshot; NULL (logged) on any problem. */
static struct rg_config *load_snapshot(const char *file)
{
	char *errors = NULL, *warnings;
	struct rg_config *cfg = rg_config_load(file, &errors);

	if (cfg == NULL) {
		log_lines(LOG_ERR, "config error: ", errors);
		free(errors);
		return NULL;
	}
	if (rg_config_open_stores(cfg, &errors) != 0) {
		log_lines(LOG_ERR, "store error: ", errors);
		free(errors);
		rg_config_release(cfg);
		return NULL;
	}
	warnings = rg_config_warnings(cfg);
	log_lines(LOG_WARNING, "", warnings);
	free(warnings);
	return cfg;
}

/* ---- signals: one thread waits for SIGUSR1 (reload) ------------------------ */

static const char *config_file;

static void *reload_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		struct rg_config *cfg;
		if (sigwait(&set, &sig) != 0)
			continue;
		rg_log(LOG_INFO, "reload requested (SIGUSR1): loading %s", config_file);
		cfg = load_snapshot(config_file);
		if (cfg == NULL) {
			rg_log(LOG_ERR, "reload failed: keeping the running configuration");
			continue;
		}
		rg_config_current_set(cfg);
		rg_authd_reload();
		rg_log(LOG_INFO, "reload done: configuration generation %llu",
		       (unsigned long long)cfg->generation);
	}
	return NULL;
}

/* Wait for SIGTERM/SIGINT when the milter (which owns them) is not running. */
static void wait_for_stop(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while (sigwait(&set, &sig) != 0)
		;
	rg_log(LOG_INFO, "signal %d: stopping", sig);
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
	bool authd_running = false;

	/* stderr too until started: a background start reports problems to the terminal */
	rg_log_open("relayguard", "mail", true);
	/* reloads re-read the file after chdir("/") */
	abs_file = realpath(file, NULL);
	config_file = abs_file ? abs_file : file;
	cfg = load_snapshot(config_file);
	if (cfg == NULL) {
		rg_log(LOG_ERR, "not starting: fix the configuration (check it with: "
		       "relayguard -n -c %s)", file);
		free(abs_file);
		return 1;
	}
	rg_log_open(cfg->syslog_ident, cfg->syslog_facility, true);

	if (rg_daemon_make_dirs(cfg, &err) != 0)
		return start_failed("run directory", err);
	/* fork before any thread exists */
	if (!foreground && rg_daemon_background(&err) != 0)
		return start_failed("background", err);
	if (rg_pidfile_create(cfg->pidfile, &err) != 0)
		return start_failed("pidfile", err);

	/* SIGUSR1 is blocked in every thread; the reload thread takes it with sigwait.
	 * SIGTERM/SIGINT/SIGHUP are blocked in every thread, always: with the
	 * milter, libmilter's own signal thread takes them with sigwait, and a
	 * thread created before smfi_main (reload, SASL service) must not catch
	 * them with the default action, which would kill the process without
	 * removing sockets and pidfile. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rg_config_current_set(rg_config_acquire(cfg));

	if (cfg->auth.enabled && (*cfg->auth.dovecot_socket || *cfg->auth.saslauthd_socket)) {
		if (rg_authd_start(cfg, &err) != 0) {
			rg_config_current_set(NULL);
			rg_config_release(cfg);
			return start_failed("SASL service", err);
		}
		authd_running = true;
	}
	/* The SASL sockets are bound; open the milter socket too while still root,
	 * so that its owner, group and mode can be set like theirs. */
	if (cfg->milter.enabled && rg_milter_open(cfg) != 0) {
		status = start_failed("milter socket", NULL);
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
	rg_log(LOG_INFO, "started (pid %ld): milter %s, SASL service %s, %zu store(s), "
	       "%zu tenant(s)", (long)getpid(), cfg->milter.enabled ? cfg->milter.socket : "off",
	       authd_running ? "on" : "off", cfg->n_stores, cfg->tenants.n_list);
	rg_daemon_ready(true);

	if (cfg->milter.enabled)
		status = rg_milter_run();
	else
		wait_for_stop();
out:
	if (authd_running)
		rg_authd_stop();
	rg_pidfile_remove();
	rg_log(LOG_INFO, "stopped");
	rg_config_release(cfg);
	rg_config_current_set(NULL);
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
