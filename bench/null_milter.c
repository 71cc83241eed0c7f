/*
 * null_milter.c — the reference for the milter benchmark: a libmilter filter
 * that registers the usual message callbacks and does nothing in them (every
 * step is sent to it and answered with "continue").
 *
 *   null_milter unix:/path/null.sock [lean] [stacks]
 *
 * "lean": also negotiate away the same steps and replies relayguard does
 * (no RCPT/DATA/body/unknown, no reply to connect/HELO/headers), so the
 * comparison shows relayguard's own work rather than protocol savings.
 *
 * "stacks": also start threads on relayguard's stack size (common/threads.h)
 * instead of glibc's default, so that the comparison shows relayguard's work
 * rather than what its thread stacks save.
 */
#include <autoconfig.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <libmilter/mfapi.h>

#include "threads.h"

static sfsistat n_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{ (void)ctx; (void)host; (void)sa; return SMFIS_CONTINUE; }
static sfsistat n_helo(SMFICTX *ctx, char *helo)
{ (void)ctx; (void)helo; return SMFIS_CONTINUE; }
static sfsistat n_argv(SMFICTX *ctx, char **argv)
{ (void)ctx; (void)argv; return SMFIS_CONTINUE; }
static sfsistat n_header(SMFICTX *ctx, char *name, char *value)
{ (void)ctx; (void)name; (void)value; return SMFIS_CONTINUE; }
static sfsistat n_ctx(SMFICTX *ctx)
{ (void)ctx; return SMFIS_CONTINUE; }
static sfsistat n_body(SMFICTX *ctx, unsigned char *b, size_t n)
{ (void)ctx; (void)b; (void)n; return SMFIS_CONTINUE; }

static sfsistat n_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			    unsigned long f2, unsigned long f3, unsigned long *pf0,
			    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx; (void)f0; (void)f2; (void)f3;
	*pf0 = 0;
	*pf1 = f1 & (SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA |
		     SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR);
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat n_noreply_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{ (void)ctx; (void)host; (void)sa; return SMFIS_NOREPLY; }
static sfsistat n_noreply_helo(SMFICTX *ctx, char *helo)
{ (void)ctx; (void)helo; return SMFIS_NOREPLY; }
static sfsistat n_noreply_header(SMFICTX *ctx, char *name, char *value)
{ (void)ctx; (void)name; (void)value; return SMFIS_NOREPLY; }

static struct smfiDesc desc = {
	.xxfi_name = "null",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_connect = n_connect,
	.xxfi_helo = n_helo,
	.xxfi_envfrom = n_argv,
	.xxfi_envrcpt = n_argv,
	.xxfi_header = n_header,
	.xxfi_eoh = n_ctx,
	.xxfi_body = n_body,
	.xxfi_eom = n_ctx,
	.xxfi_abort = n_ctx,
	.xxfi_close = n_ctx,
};

int main(int argc, char **argv)
{
	bool lean = false, stacks = false, bad = argc < 2;

	for (int i = 2; i < argc; i++) {
		lean = lean || strcmp(argv[i], "lean") == 0;
		stacks = stacks || strcmp(argv[i], "stacks") == 0;
		bad = bad || (strcmp(argv[i], "lean") != 0 && strcmp(argv[i], "stacks") != 0);
	}
	if (bad) {
		fprintf(stderr, "usage: null_milter unix:/path/socket [lean] [stacks]\n");
		return 2;
	}
	if (lean) {
		desc.xxfi_negotiate = n_negotiate;
		desc.xxfi_connect = n_noreply_connect;
		desc.xxfi_helo = n_noreply_helo;
		desc.xxfi_header = n_noreply_header;
	}
	if (stacks && rg_threads_default_stack() != 0) {
		fprintf(stderr, "null_milter: cannot set the threads' stack size\n");
		return 1;
	}
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
