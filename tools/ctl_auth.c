/*
 * ctl_auth.c — relayguardctl: reading passwords, `hash` and `auth`.
 *
 * Passwords come from stdin only: one line, the trailing newline (and CR)
 * stripped; on a terminal without echo.  They live in sodium_malloc'd
 * memory and are wiped when freed.
 */
#include <autoconfig.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>

#include "ctl.h"
#include "pwscheme.h"
#include "store.h"

#define PW_MAX 1024

static struct termios saved_tty;
static volatile sig_atomic_t tty_changed;

static void restore_tty(void)
{
	if (tty_changed) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
		tty_changed = 0;
	}
}

static void on_signal(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool echo_off(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return false;
	t = saved_tty;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	tty_changed = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
		tty_changed = 0;
		return false;
	}
	return true;
}

/* One line from stdin into buf (size PW_MAX).  0, or an exit code. */
static int read_line(char *buf, size_t *len_r)
{
	size_t n = 0;
	bool got_any = false;

	for (;;) {
		char ch;
		ssize_t r = read(STDIN_FILENO, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ctl_err("reading the password from stdin: %s", strerror(errno));
			return EX_IOERR;
		}
		if (r == 0)
			break;
		got_any = true;
		if (ch == '\n')
			break;
		if (n == PW_MAX - 1) {
			ctl_err("password longer than %d bytes; refused", PW_MAX - 1);
			return EX_DATAERR;
		}
		buf[n++] = ch;
	}
	if (!got_any) {
		ctl_err("no password on stdin (give it as one line on stdin, e.g. from a file "
			"or a pipe; never on the command line)");
		return EX_NOINPUT;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len_r = n;
	return 0;
}

void ctl_password_free(char *pw)
{
	if (pw != NULL)
		sodium_free(pw);	/* sodium_free wipes the memory */
}

int ctl_read_password(const char *prompt, bool confirm, bool allow_empty, char **pw_r,
		      size_t *len_r)
{
	char *pw = sodium_malloc(PW_MAX), *again = NULL;
	size_t len = 0, len2 = 0;
	int rc;

	*pw_r = NULL;
	if (pw == NULL) {
		ctl_err("out of memory");
		return EX_SOFTWARE;
	}
	bool tty = echo_off();
	if (tty) {
		fprintf(stderr, "%s: ", prompt);
		fflush(stderr);
	}
	rc = read_line(pw, &len);
	if (tty)
		fputc('\n', stderr);
	if (rc == 0 && tty && confirm) {
		again = sodium_malloc(PW_MAX);
		fprintf(stderr, "Retype %s: ", prompt);
		fflush(stderr);
		rc = again == NULL ? EX_SOFTWARE : read_line(again, &len2);
		fputc('\n', stderr);
		if (rc == 0 && (len != len2 || sodium_memcmp(pw, again, len) != 0)) {
			ctl_err("the passwords do not match; nothing changed");
			rc = EX_DATAERR;
		}
		ctl_password_free(again);
	}
	restore_tty();
	if (rc == 0 && len == 0 && !allow_empty) {
		ctl_err("empty password refused");
		rc = EX_DATAERR;
	}
	if (rc != 0) {
		ctl_password_free(pw);
		return rc;
	}
	*pw_r = pw;
	*len_r = len;
	return 0;
}

int cmd_hash(struct ctl *c)
{
	struct rg_pw_params params;
	const char *err = NULL;
	char *pw;
	size_t len;
	int rc;

	if ((rc = ctl_load_config(c, false)) != 0)
		return rc;
	ctl_pw_params(c, &params);
	if ((rc = ctl_read_password("Password", true, false, &pw, &len)) != 0)
		return rc;
	char *h = rg_pwscheme_hash(pw, len, &params, &err);
	ctl_password_free(pw);
	if (h == NULL) {
		ctl_err("hashing failed: %s", err ? err : "unknown error");
		return EX_SOFTWARE;
	}
	printf("%s\n", h);
	free(h);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

int cmd_auth(struct ctl *c)
{
	const char *user = c->args[0], *as = c->n_args > 1 ? c->args[1] : NULL;
	const struct rg_store *st = NULL;
	const char *err = NULL;
	char *open_err = NULL, *pw;
	size_t len;
	int rc;

	if ((rc = ctl_load_config(c, true)) != 0)
		return rc;
	if (rg_stores_open(c->cfg, &open_err) < 0) {
		fprintf(stderr, "%s\n", open_err ? open_err : "");
		ctl_err("the stores of %s do not open (see above); fix them, then check with "
			"relayguard -n -c %s", c->config_path, c->config_path);
		free(open_err);
		return EX_CONFIG;
	}
	if ((rc = ctl_read_password("Password", false, true, &pw, &len)) != 0)
		return rc;
	enum rg_verify v = rg_stores_verify(c->cfg, user, pw, len, &st, &err);
	ctl_password_free(pw);

	const char *label = st != NULL ? st->label : NULL;
	switch (v) {
	case RG_VERIFY_OK:
		printf("passdb: %s auth succeeded (store %s)\n", user, label ? label : "?");
		break;
	case RG_VERIFY_TEMPFAIL:
		printf("passdb: %s auth failed temporarily: %s%s%s%s\n", user,
		       err ? err : "store error", label ? " (store " : "", label ? label : "",
		       label ? ")" : "");
		ctl_err("temporary failure: try again; if it persists, check the store named above");
		return EX_TEMPFAIL;
	case RG_VERIFY_UNKNOWN_USER:
		printf("passdb: %s auth failed: unknown user (no store knows it)\n", user);
		return CTL_REFUSED;
	default:
		printf("passdb: %s auth failed: %s (store %s)\n", user, rg_verify_str(v),
		       label ? label : "?");
		return CTL_REFUSED;
	}
	if (as == NULL)
		return 0;
	enum rg_lookup r = rg_stores_may_act_as(c->cfg, user, as, &err);
	if (r == RG_LOOKUP_FOUND) {
		printf("act-as: %s may act as %s\n", user, as);
		return 0;
	}
	if (r == RG_LOOKUP_NOTFOUND) {
		printf("act-as: %s may not act as %s\n", user, as);
		return CTL_REFUSED;
	}
	printf("act-as: %s as %s failed temporarily: %s\n", user, as, err ? err : "store error");
	return EX_TEMPFAIL;
}
