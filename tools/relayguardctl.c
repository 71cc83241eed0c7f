/*
 * relayguardctl — manage relayguard's SQLite credential store and test
 * credentials through the configured stores.
 *
 *   relayguardctl [-c FILE] [-d DB] COMMAND [ARGS]
 *
 * Commands are a table (name, arguments, handler) so later ones (reload,
 * stats over the control socket) are one line each.  Passwords are read
 * from stdin (without echo on a terminal), never from the command line.
 */
#include <autoconfig.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>

#include "ctl.h"
#include "ctl_control.h"
#include "log.h"
#include "pwscheme.h"
#include "store.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/relayguard/relayguard.conf"

struct command {
	const char *word1, *word2;	/* "user", "add"; word2 NULL for one-word commands */
	int min_args, max_args;
	bool reads_password;
	int (*run)(struct ctl *c);
	const char *args_help, *help;
};

static const struct command commands[] = {
	{ "hash", NULL, 0, 0, true, cmd_hash, "",
	  "password on stdin → hash (Argon2id, the config's parameters) on stdout" },
	{ "auth", NULL, 1, 2, true, cmd_auth, "USER [AS]",
	  "password on stdin; verify through every configured store (and may USER act as AS?)" },
	{ "db", "init", 0, 1, false, cmd_db_init, "[PATH]",
	  "create the default schema (PATH: the first sqlite store of the config)" },
	{ "user", "add", 1, 1, true, cmd_user_add, "NAME", "add a user (password on stdin)" },
	{ "user", "passwd", 1, 1, true, cmd_user_passwd, "NAME", "set a new password (stdin)" },
	{ "user", "del", 1, 1, false, cmd_user_del, "NAME", "delete a user and its grants" },
	{ "user", "disable", 1, 1, false, cmd_user_disable, "NAME",
	  "refuse the user's logins and mail" },
	{ "user", "enable", 1, 1, false, cmd_user_enable, "NAME", "enable the user again" },
	{ "user", "list", 0, 0, false, cmd_user_list, "", "list users, state and act-as grants" },
	{ "act-as", "grant", 2, 2, false, cmd_act_as_grant, "USER AS",
	  "let USER send as AS (SASL authorization identity)" },
	{ "act-as", "revoke", 2, 2, false, cmd_act_as_revoke, "USER AS", "take that back" },
	{ "tenant", "add", 1, 1, false, cmd_tenant_add, "NAME",
	  "add a tenant (closed: nobody may use it until granted)" },
	{ "tenant", "del", 1, 1, false, cmd_tenant_del, "NAME", "delete a tenant and its grants" },
	{ "tenant", "grant", 2, 2, false, cmd_tenant_grant, "TENANT USER",
	  "let USER send mail for TENANT" },
	{ "tenant", "revoke", 2, 2, false, cmd_tenant_revoke, "TENANT USER", "take that back" },
	{ "tenant", "list", 0, 0, false, cmd_tenant_list, "", "list tenants and who may use them" },
	{ "sender", "grant", 2, 2, false, cmd_sender_grant, "USER ADDRESS",
	  "USER may send as ADDRESS (user@domain, @domain or *)" },
	{ "sender", "revoke", 2, 2, false, cmd_sender_revoke, "USER ADDRESS", "take that back" },
	{ "sender", "list", 0, 0, false, cmd_sender_list, "", "list sender grants by identity" },
	{ "domain", "add", 2, 2, false, cmd_domain_add, "TENANT DOMAIN",
	  "TENANT's mail may use DOMAIN (acme.example, or *.acme.example: its subdomains)" },
	{ "domain", "del", 2, 2, false, cmd_domain_del, "TENANT DOMAIN", "take that back" },
	{ "domain", "list", 0, 0, false, cmd_domain_list, "", "list tenants' allowed domains" },
	{ "postfix-egress-map", NULL, 0, 1, false, cmd_postfix_egress_map, "[NEXTHOP]",
	  "print the milter_header_checks table routing each tenant's mail to its egress pool" },
	{ "reload", NULL, 0, 0, false, cmd_reload, "",
	  "ask the running daemon to reload its config (control socket)" },
	{ "stats", NULL, 0, 1, false, cmd_stats, "[--prometheus]",
	  "the running daemon's counters (control socket)" },
	{ "guard", NULL, 1, 2, false, cmd_guard, "show [ID]|held|release ID|suspend ID|unsuspend ID",
	  "the stolen-account guard: counts and suspensions, messages it held, lift or set "
	  "a suspension, reset an identity's counts (control socket)" },
};

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("relayguardctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: relayguardctl [-c FILE] [-d DB] COMMAND [ARGS]\n\n"
		"  -c FILE  config file (default %s)\n"
		"  -d DB    database for db/user/act-as/tenant/sender/domain commands:\n"
		"           an SQLite file, or postgresql:CONNINFO\n"
		"           (default: the first sqlite or postgresql store in the config)\n\n"
		"commands:\n", DEFAULT_CONFIG);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];
		char name[64];
		snprintf(name, sizeof(name), "%s%s%s %s", cmd->word1, cmd->word2 ? " " : "",
			 cmd->word2 ? cmd->word2 : "", cmd->args_help);
		fprintf(out, "  %-28s %s\n", name, cmd->help);
	}
	fprintf(out, "\nPasswords are read from stdin (no echo on a terminal), never from the "
		"command line.\nExit: 0 ok, 1 credential refused, 64 usage, 65 data, 66 no database, "
		"67 no such user,\n      75 temporary failure (locked database: try again), "
		"78 config error.\n");
}

int ctl_load_config(struct ctl *c, bool required)
{
	char *errors = NULL;

	if (c->cfg != NULL)
		return 0;
	if (!c->config_given && access(c->config_path, F_OK) != 0 && errno == ENOENT) {
		if (!required)
			return 0;
		ctl_err("no config file %s; give one with -c FILE", c->config_path);
		return EX_CONFIG;
	}
	c->cfg = rg_config_load(c->config_path, &errors);
	if (c->cfg == NULL) {
		fprintf(stderr, "%s", errors ? errors : "");
		if (errors != NULL && errors[0] != '\0' && errors[strlen(errors) - 1] != '\n')
			fputc('\n', stderr);
		ctl_err("config %s has errors (listed above); fix them, then check with "
			"relayguard -n -c %s", c->config_path, c->config_path);
		free(errors);
		return EX_CONFIG;
	}
	return 0;
}

void ctl_pw_params(const struct ctl *c, struct rg_pw_params *p)
{
	if (c->cfg == NULL)
		rg_pw_params_default(p);
	else
		rg_pw_params_from_config(c->cfg, p);
}

static const struct command *find_command(int argc, char **argv, int *used_r)
{
	const struct command *partial = NULL;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];
		if (strcmp(argv[0], cmd->word1) != 0)
			continue;
		if (cmd->word2 == NULL) {
			*used_r = 1;
			return cmd;
		}
		partial = cmd;
		if (argc > 1 && strcmp(argv[1], cmd->word2) == 0) {
			*used_r = 2;
			return cmd;
		}
	}
	*used_r = partial != NULL ? -1 : 0;	/* -1: known first word, bad second */
	return NULL;
}

int main(int argc, char **argv)
{
	struct ctl c = { .config_path = DEFAULT_CONFIG };
	int opt, used = 0;

	rg_log_stderr_only();
	if (sodium_init() < 0) {
		ctl_err("libsodium does not initialise");
		return EX_SOFTWARE;
	}
	while ((opt = getopt(argc, argv, "+c:d:h")) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			c.config_given = true;
			break;
		case 'd':
			c.db_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return 0;
	}
	const struct command *cmd = find_command(argc, argv, &used);
	if (cmd == NULL) {
		if (used < 0)
			ctl_err("unknown %s command \"%s\"; see relayguardctl -h", argv[0],
				argc > 1 ? argv[1] : "");
		else
			ctl_err("unknown command \"%s\"; see relayguardctl -h", argv[0]);
		return EX_USAGE;
	}
	c.args = argv + used;
	c.n_args = argc - used;
	if (c.n_args < cmd->min_args || c.n_args > cmd->max_args) {
		ctl_err("usage: relayguardctl %s%s%s %s%s", cmd->word1, cmd->word2 ? " " : "",
			cmd->word2 ? cmd->word2 : "", cmd->args_help,
			cmd->reads_password && c.n_args > cmd->max_args ?
			"\n  (passwords are read from stdin, never from the command line)" : "");
		return EX_USAGE;
	}
	for (int i = 0; i < c.n_args; i++)
		if (c.args[i][0] == '\0') {
			ctl_err("empty argument");
			return EX_USAGE;
		}
	int rc = cmd->run(&c);
	if (c.cfg != NULL)
		rg_config_release(c.cfg);
	return rc;
}
