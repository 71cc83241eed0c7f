/*
 * ctl.h — relayguardctl internals shared by its files.
 *
 * Exit codes (sysexits.h): 0 done, 1 credential refused (auth failed,
 * unknown user), EX_USAGE 64, EX_DATAERR 65 (bad name, nothing to change,
 * corrupt database), EX_NOINPUT 66 (database missing), EX_NOUSER 67,
 * EX_SOFTWARE 70, EX_IOERR 74, EX_TEMPFAIL 75 (locked database, store
 * error), EX_NOPERM 77, EX_CONFIG 78.
 */
#ifndef RG_CTL_H
#define RG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sysexits.h>

#include "config.h"

#define CTL_REFUSED 1

struct ctl {
	const char *config_path;	/* -c, or the default */
	bool config_given;		/* -c was on the command line */
	const char *db_path;		/* -d: SQLite database for the write commands */
	struct rg_config *cfg;		/* loaded on demand */
	char **args;			/* the command's own arguments */
	int n_args;
};

/* Load the config (once).  required=false: a missing *default* config file
 * is fine (cfg stays NULL, built-in defaults apply).  Returns 0 or an exit code. */
int ctl_load_config(struct ctl *c, bool required);

/* Argon2 parameters etc. from the config, or the defaults. */
struct rg_pw_params;
void ctl_pw_params(const struct ctl *c, struct rg_pw_params *p);

/* Read one password line from stdin (no echo on a tty; confirm: ask twice
 * on a tty).  *pw_r is sodium_malloc'd: free with ctl_password_free.
 * Returns 0 or an exit code (message printed). */
int ctl_read_password(const char *prompt, bool confirm, bool allow_empty, char **pw_r,
		      size_t *len_r);
void ctl_password_free(char *pw);

/* Print "relayguardctl: ..." to stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands: args are the words after the command name. */
int cmd_hash(struct ctl *c);
int cmd_auth(struct ctl *c);
int cmd_db_init(struct ctl *c);
int cmd_user_add(struct ctl *c);
int cmd_user_passwd(struct ctl *c);
int cmd_user_del(struct ctl *c);
int cmd_user_disable(struct ctl *c);
int cmd_user_enable(struct ctl *c);
int cmd_user_list(struct ctl *c);
int cmd_act_as_grant(struct ctl *c);
int cmd_act_as_revoke(struct ctl *c);
int cmd_tenant_add(struct ctl *c);
int cmd_tenant_del(struct ctl *c);
int cmd_tenant_grant(struct ctl *c);
int cmd_tenant_revoke(struct ctl *c);
int cmd_tenant_list(struct ctl *c);
int cmd_sender_grant(struct ctl *c);
int cmd_sender_revoke(struct ctl *c);
int cmd_sender_list(struct ctl *c);
int cmd_domain_add(struct ctl *c);
int cmd_domain_del(struct ctl *c);
int cmd_domain_list(struct ctl *c);
int cmd_postfix_egress_map(struct ctl *c);

#endif
