/*
 * fuzz_dovecot.c — libFuzzer target for the Dovecot auth protocol engine
 * (authd/proto_dovecot.c + sasl_mech.c).  The input is split into lines and
 * fed to one session, as a client connection would; every AUTH outcome is
 * answered with a result chosen from the input, and invariants are checked:
 * a request the engine hands out always has a valid authc and a bounded
 * password, replies are single \n-terminated lines without NUL.
 */
#include <autoconfig.h>
#include "proto_dovecot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const char *r, size_t len)
{
	if (len == 0 || r[len - 1] != '\n' || memchr(r, '\0', len) != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_dv_session s;
	struct rg_dv_event ev;
	char out[600];
	char *buf = malloc(size + 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rg_dv_session_init(&s, RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN), 1024);
	memset(&ev, 0, sizeof(ev));
	size_t start = 0;
	unsigned turn = size ? data[0] : 0;
	while (start < size) {
		char *nl = memchr(buf + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (buf + start)) : size - start;
		enum rg_dv_action a = rg_dv_input(&s, buf + start, len, &ev);
		start += len + 1;
		if (a == RG_DV_CLOSE)
			break;
		if (a == RG_DV_REPLY)
			check_reply(ev.reply, ev.reply_len);
		if (a == RG_DV_AUTH) {
			struct rg_auth_result res;
			if (ev.req.authc == NULL || ev.req.authc[0] == '\0' ||
			    !rg_sasl_name_ok(ev.req.authc, strlen(ev.req.authc), false) ||
			    ev.req.password_len > RG_AUTH_MAX_PASSWORD ||
			    strlen(ev.req.authz) > RG_AUTH_MAX_NAME)
				abort();
			memset(&res, 0, sizeof(res));
			res.status = (enum rg_auth_status)(turn++ % 3);
			memcpy(res.identity, ev.req.authc, strlen(ev.req.authc) + 1);
			res.client_reason = "Authentication failed";
			size_t rl = rg_dv_format_result(out, sizeof(out), ev.id, &res);
			if (res.status == RG_AUTH_TEMPFAIL ? rl != 0 : rl == 0)
				abort();
			if (rl)
				check_reply(out, rl);
			rg_dv_event_wipe(&ev);
		}
	}
	rg_dv_session_wipe(&s);
	free(buf);
	return 0;
}
