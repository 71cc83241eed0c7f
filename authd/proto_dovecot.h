/*
 * proto_dovecot.h — server side of the Dovecot auth protocol (version 1),
 * as Postfix's xsasl_dovecot_server.c and Dovecot's own clients speak it.
 *
 * Pure: the connection code splits input into lines and feeds each one to
 * rg_dv_input(), which returns what to do (send a reply, run an auth check,
 * or close).  No sockets, no logging, so the parser is unit-tested and
 * fuzzed directly (fuzz/fuzz_dovecot.c).
 *
 * Escaping: Dovecot's tab-escaping (strescape.c str_tabescape) uses \001 as
 * the escape byte: \001 '1' = \001, \001 't' = TAB, \001 'r' = CR,
 * \001 'n' = LF.  A backslash is an ordinary byte in this protocol (Dovecot
 * does not unescape it), so we do not either; an unknown \001 sequence is
 * refused.
 */
#ifndef RG_PROTO_DOVECOT_H
#define RG_PROTO_DOVECOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "auth_check.h"

#define RG_DV_MAX_PENDING 16	/* unfinished requests per connection; oldest dropped */
#define RG_DV_MAX_FIELDS 64
#define RG_DV_MAX_ADDR 64	/* lip / rip */
#define RG_DV_MAX_SERVICE 64

struct rg_dv_pending {
	unsigned id;
	enum rg_mech mech;
	int step;		/* PLAIN: 0 = awaiting data; LOGIN: 0 = user, 1 = password */
	bool secured;
	uint64_t seq;		/* age, to drop the oldest */
	char service[RG_DV_MAX_SERVICE + 1];
	char rip[RG_DV_MAX_ADDR + 1];
	char login_user[RG_AUTH_MAX_NAME + 1];
};

struct rg_dv_session {
	unsigned mechs;		/* enabled now: RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN) (config.h) */
	size_t max_line;
	bool version_seen;
	bool cpid_seen;
	uint64_t seq;
	size_t n_pending;
	struct rg_dv_pending pending[RG_DV_MAX_PENDING];
};

enum rg_dv_action {
	RG_DV_NOTHING = 0,	/* line accepted, nothing to send */
	RG_DV_REPLY,		/* send ev->reply */
	RG_DV_AUTH,		/* run auth_check(ev->req), then rg_dv_format_result(ev->id) */
	RG_DV_CLOSE,		/* protocol violation: log ev->error, close */
};

struct rg_dv_event {
	const char *error;		/* CLOSE / failed REPLY: why (static) */
	char reply[256];		/* REPLY: complete line(s) with \n */
	size_t reply_len;
	unsigned id;			/* AUTH */
	struct rg_auth_request req;	/* AUTH: points into the buffers below */
	char authz[RG_AUTH_MAX_NAME + 1];
	char authc[RG_AUTH_MAX_NAME + 1];
	char password[RG_AUTH_MAX_PASSWORD + 1];
	char service[RG_DV_MAX_SERVICE + 1];
	char rip[RG_DV_MAX_ADDR + 1];
};

void rg_dv_session_init(struct rg_dv_session *s, unsigned mechs, size_t max_line);
/* The mechanisms enabled now (auth.mechanisms of the current configuration):
 * the caller sets them before each rg_dv_input, so a reload applies to open
 * connections.  An AUTH, or a CONT of a pending request, for a mechanism not
 * in the set gets a FAIL.  (The handshake's MECH lines are not sent again:
 * a mechanism added by a reload is offered on new connections.) */
void rg_dv_session_set_mechs(struct rg_dv_session *s, unsigned mechs);
void rg_dv_session_wipe(struct rg_dv_session *s);

/* One input line, without its '\n' (modified in place).  A line longer than
 * the session's max_line, with a NUL byte, out of order, or unparsable
 * closes the connection; a bad request with a valid id gets a FAIL. */
enum rg_dv_action rg_dv_input(struct rg_dv_session *s, char *line, size_t len,
			      struct rg_dv_event *ev);

/* Wipe the password and names in ev (call after every AUTH). */
void rg_dv_event_wipe(struct rg_dv_event *ev);

/* The server handshake, written on connect.  cookie: 16 random bytes.
 * Returns the length written (0 when buf is too small). */
size_t rg_dv_handshake(char *buf, size_t n, unsigned mechs, unsigned long spid,
		       unsigned long cuid, const unsigned char cookie[16]);

/* The final reply for request id.  Returns its length, or 0 for TEMPFAIL:
 * the caller then closes the connection without a reply (see authd.c for
 * why: Postfix maps any FAIL to 535 and only a lost connection to 454). */
size_t rg_dv_format_result(char *buf, size_t n, unsigned id, const struct rg_auth_result *r);

/* Tab-unescape s in place (\001 escapes).  Returns the new length, or -1 on
 * an invalid escape.  Exposed for tests. */
long rg_dv_tabunescape(char *s, size_t len);
/* Tab-escape src into dst (size n); returns length or -1 if too small. */
long rg_dv_tabescape(char *dst, size_t n, const char *src);

#endif
