/*
 * guard.h — the stolen-account guard: per effective identity (and tenant)
 * counts of client addresses, messages, recipients and failed logins, the
 * action on a message over a limit, and suspension after repeated actions.
 *
 * The counts live in a struct rg_counters (state/counters.h): the local
 * in-memory one today.  The milter calls rg_guard_mail at MAIL FROM and
 * rg_guard_message at end of message; the SASL service calls
 * rg_guard_login_failed and rg_guard_suspended.  Counter trouble is
 * RG_GUARD_ERROR: the caller tempfails unless guard.state_error = accept.
 */
#ifndef RG_GUARD_H
#define RG_GUARD_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "counters.h"

/* The process's counters: made at start, resized at reload; NULL = guard off. */
int rg_guard_setup(const struct rg_config *cfg);
void rg_guard_shutdown(void);
/* Tests: use these counters (NULL: back to none). */
void rg_guard_use(struct rg_counters *c);

bool rg_guard_on(const struct rg_config *cfg);
/* The milter needs each RCPT (recipient limits configured). */
bool rg_guard_wants_rcpt(const struct rg_config *cfg);

enum rg_guard_answer { RG_GUARD_OK = 0, RG_GUARD_SUSPENDED, RG_GUARD_ERROR };


/* SASL service, before the password check: the questions whether authc or
 * authz (NULL: none) is suspended, as batch ops on the guard's counters, to
 * go with the penalty's in one round trip; keys: storage for them.  The
 * number of ops (0: guard off), or -1 (guard on, no counters). */
#define RG_GUARD_KEY_MAX 600
int rg_guard_login_ops(const struct rg_config *cfg, const char *authc, const char *authz,
		       struct rg_counters_op *ops, char keys[][RG_GUARD_KEY_MAX]);
/* SASL service: a failed login for user; is user suspended? */
void rg_guard_login_failed(const struct rg_config *cfg, const char *user, time_t now);
enum rg_guard_answer rg_guard_suspended(const struct rg_config *cfg, const char *user, time_t now);

struct rg_guard_msg {
	const char *identity;	/* effective identity */
	const char *tenant;	/* verified tenant, or NULL */
	const char *client_addr;
	const char *queue_id;
	unsigned n_rcpt;
};

struct rg_guard_verdict {
	enum { RG_GUARD_PASS = 0, RG_GUARD_ACT, RG_GUARD_STATE_FAILED } result;
	bool counted;			/* the message was counted (rg_guard_mail: early) */
	bool acted;			/* logged, listed, counted toward suspension */
	enum rg_guard_action action;	/* RG_GUARD_ACT: cfg's action */
	const char *signal;		/* "messages", "recipients", "addresses", "failed_logins",
					   "tenant_messages", "tenant_recipients" */
	unsigned long long count, limit;
	unsigned long window;
	bool suspended;			/* this action suspended the identity */
	char reason[200];		/* for the hold queue and the reply */
};

/* MAIL FROM of an authenticated identity (m: identity, client, queue id):
 * suspended?  first_in_session: note the client's network among the
 * identity's (once per session).  v (may be NULL): when nothing needs the end
 * of headers (rg_guard_counts_at_mail: no recipient or tenant limits), the
 * message is counted and decided here, in the same round trip, and
 * v->counted is set; the caller then skips rg_guard_message. */
enum rg_guard_answer rg_guard_mail(const struct rg_config *cfg, const struct rg_guard_msg *m,
				   bool first_in_session, time_t now, struct rg_guard_verdict *v);
bool rg_guard_counts_at_mail(const struct rg_config *cfg);
/* Act on a decided verdict not acted on yet (a hold decided at MAIL FROM, once
 * the message has its queue id): the log line, the held list, the count
 * toward suspension. */
void rg_guard_act(const struct rg_config *cfg, const struct rg_guard_msg *m, time_t now,
		  struct rg_guard_verdict *v);

/* End of a message that passed every other check: count it, then decide.
 * Logs one line per action. */
void rg_guard_message(const struct rg_config *cfg, const struct rg_guard_msg *m, time_t now,
		      struct rg_guard_verdict *v);

/* relayguardctl guard ...: write the answer's lines to out; 0, or -1 with a
 * message in out (no guard, unknown identity...). */
int rg_guard_show(const struct rg_config *cfg, const char *identity, time_t now, FILE *out);
int rg_guard_release(const struct rg_config *cfg, const char *identity, FILE *out);
int rg_guard_suspend(const struct rg_config *cfg, const char *identity, time_t now, FILE *out);
int rg_guard_unsuspend(const struct rg_config *cfg, const char *identity, FILE *out);
int rg_guard_held(FILE *out);

#endif
