/* test_control_proto.c — the control protocol both ends share (common/control_proto.c)
 * and the daemon's command handler (daemon/control.c): the status reaches the client
 * as a token, and relayguardctl's exit code comes from it, not from the text. */
#include <autoconfig.h>
#include "control.h"
#include "control_proto.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char *reload_text;
static int reload_rc;

static int fake_reload(char **text_r)
{
	*text_r = reload_text ? strdup(reload_text) : NULL;
	return reload_rc;
}

/* Run a command through the daemon's handler; parse the answer as relayguardctl does. */
static enum rg_ctl_status run(const char *line, rg_control_reload_fn reload, char *text,
			      size_t text_size, char **rest_r)
{
	char *answer = NULL, *rest_copy;
	size_t len = 0, text_len;
	const char *t, *rest;
	enum rg_ctl_status st;
	FILE *out = open_memstream(&answer, &len);

	rg_control_command(line, out, reload);
	fclose(out);
	if (rg_ctl_parse_answer(answer, &st, &t, &text_len, &rest) != 0) {
		free(answer);
		return (enum rg_ctl_status)-1;
	}
	snprintf(text, text_size, "%.*s", (int)text_len, t);
	rest_copy = strdup(rest);
	free(answer);
	if (rest_r)
		*rest_r = rest_copy;
	else
		free(rest_copy);
	return st;
}

int main(void)
{
	char text[512], *rest;
	enum rg_ctl_status st;
	const char *t, *r;
	size_t tl;

	/* ---- each status: its token round-trips and picks a distinct exit code ---- */
	enum rg_ctl_status all[] = { RG_CTL_OK, RG_CTL_USAGE, RG_CTL_DENIED, RG_CTL_CONFIG,
				     RG_CTL_UNAVAILABLE, RG_CTL_INTERNAL };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char *a = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&a, &n);
		rg_ctl_answer(f, all[i], "some text");
		fclose(f);
		ok(rg_ctl_parse_answer(a, &st, &t, &tl, &r) == 0 && st == all[i] && tl == 9 &&
			   strncmp(t, "some text", 9) == 0 && *r == '\0',
		   "status '%s' round-trips (%s)", rg_ctl_status_token(all[i]), a);
		for (size_t j = 0; j < i; j++)
			if (rg_ctl_status_exit(all[i]) == rg_ctl_status_exit(all[j]))
				ok(0, "statuses %zu and %zu share exit code %d", i, j,
				   rg_ctl_status_exit(all[i]));
		free(a);
	}
	is_int(rg_ctl_status_exit(RG_CTL_OK), 0, "OK: exit 0");
	is_int(rg_ctl_status_exit(RG_CTL_CONFIG), EX_CONFIG, "config refused: exit 78");
	is_int(rg_ctl_status_exit(RG_CTL_DENIED), EX_NOPERM, "denied: exit 77");

	/* ---- parsing: what does not follow the protocol ---- */
	ok(rg_ctl_parse_answer("OK done", &st, &t, &tl, &r) != 0, "no newline: refused");
	ok(rg_ctl_parse_answer("OKAY\n", &st, &t, &tl, &r) != 0, "OKAY is not OK");
	ok(rg_ctl_parse_answer("hello\n", &st, &t, &tl, &r) != 0, "neither OK nor ERR: refused");
	ok(rg_ctl_parse_answer("ERR brand-new-status text\n", &st, &t, &tl, &r) == 0 &&
		   st == RG_CTL_INTERNAL,
	   "an unknown status token still fails (internal)");
	ok(rg_ctl_parse_answer("OK\nrelayguard_x 1\n", &st, &t, &tl, &r) == 0 && st == RG_CTL_OK &&
		   tl == 0 && strcmp(r, "relayguard_x 1\n") == 0,
	   "OK without text, then detail lines");

	/* ---- the daemon's handler ---- */
	reload_rc = -1;
	reload_text = "config error: /x.conf:3: unknown key\nkeeping the running configuration";
	st = run("RELOAD", fake_reload, text, sizeof(text), &rest);
	ok(st == RG_CTL_CONFIG && strcmp(text, "config error: /x.conf:3: unknown key") == 0 &&
		   strcmp(rest, "keeping the running configuration\n") == 0,
	   "a refused reload: status config, whatever the text says (%s)", text);
	free(rest);
	reload_rc = 0;
	reload_text = "reload failed is only words here";
	st = run("reload", fake_reload, text, sizeof(text), NULL);
	ok(st == RG_CTL_OK, "a reload that succeeded is OK even if its text says 'reload failed'");
	st = run("RELOAD", NULL, text, sizeof(text), NULL);
	ok(st == RG_CTL_UNAVAILABLE, "no reload hook: status unavailable (%s)", text);
	st = run("SHUTDOWN", fake_reload, text, sizeof(text), NULL);
	ok(st == RG_CTL_USAGE && strstr(text, RG_CTL_CMD_RELOAD) != NULL,
	   "an unknown command: status usage, naming the commands (%s)", text);
	st = run("STATS", fake_reload, text, sizeof(text), &rest);
	ok(st == RG_CTL_OK && text[0] == '\0', "STATS: a bare OK line, then the counters");
	free(rest);
	st = run("STATS prometheus", fake_reload, text, sizeof(text), &rest);
	ok(st == RG_CTL_OK && text[0] == '\0', "STATS prometheus: a bare OK line, then the exposition");
	free(rest);
	return done_testing();
}
