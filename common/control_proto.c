/* control_proto.c — the control protocol's status table (control_proto.h). */
#include <autoconfig.h>
#include "control_proto.h"

#include <string.h>
#include <sysexits.h>

static const struct {
	enum rg_ctl_status status;
	const char *token;
	int exit_code;
} statuses[] = {
	{ RG_CTL_OK, "", 0 },
	{ RG_CTL_USAGE, "usage", EX_PROTOCOL },
	{ RG_CTL_DENIED, "denied", EX_NOPERM },
	{ RG_CTL_CONFIG, "config", EX_CONFIG },
	{ RG_CTL_UNAVAILABLE, "unavailable", EX_UNAVAILABLE },
	{ RG_CTL_INTERNAL, "internal", EX_TEMPFAIL },
};

#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

const char *rg_ctl_status_token(enum rg_ctl_status st)
{
	for (size_t i = 0; i < N_STATUSES; i++)
		if (statuses[i].status == st)
			return statuses[i].token;
	return "internal";
}

int rg_ctl_status_exit(enum rg_ctl_status st)
{
	for (size_t i = 0; i < N_STATUSES; i++)
		if (statuses[i].status == st)
			return statuses[i].exit_code;
	return EX_TEMPFAIL;
}

void rg_ctl_answer(FILE *out, enum rg_ctl_status st, const char *text)
{
	if (text == NULL)
		text = "";
	if (st == RG_CTL_OK)
		fprintf(out, "OK%s%s", *text ? " " : "", text);
	else
		fprintf(out, "ERR %s %s", rg_ctl_status_token(st), text);
	if (*text == '\0' || text[strlen(text) - 1] != '\n')
		fputc('\n', out);
}

int rg_ctl_parse_answer(const char *answer, enum rg_ctl_status *st_r, const char **text_r,
			size_t *text_len_r, const char **rest_r)
{
	const char *p, *eol = strchr(answer, '\n');

	if (eol == NULL)
		return -1;	/* no complete first line */
	*rest_r = eol + 1;
	if (strncmp(answer, "OK", 2) == 0 && (answer[2] == ' ' || answer[2] == '\n')) {
		*st_r = RG_CTL_OK;
		p = answer + 2;
	} else if (strncmp(answer, "ERR ", 4) == 0) {
		size_t n = strcspn(answer + 4, " \n");
		*st_r = RG_CTL_INTERNAL;
		for (size_t i = 1; i < N_STATUSES; i++)
			if (strlen(statuses[i].token) == n &&
			    strncmp(answer + 4, statuses[i].token, n) == 0)
				*st_r = statuses[i].status;
		p = answer + 4 + n;
	} else {
		return -1;
	}
	if (*p == ' ')
		p++;
	*text_r = p;
	*text_len_r = (size_t)(eol - p);
	return 0;
}
