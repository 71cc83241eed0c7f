/*
 * milter_ctx.h — per-connection and per-message state of the milter.
 *
 * One struct rg_milter_conn per MTA connection (libmilter's private pointer):
 * connection facts (client, listener, TLS — TLS facts survive a repeated EHLO
 * and every message; the MTA process behind the connection), the snapshot
 * the connection was negotiated with, and the current message.
 *
 * Policy comes from the snapshot current at each MAIL FROM, held by the
 * message until it ends: a reload reaches the next message of an open
 * session.  The message part is reset at every MAIL FROM, at abort (RSET,
 * client gone) and after end of message; the connection part when the MTA
 * starts a new SMTP session (connect, or SMFIC_QUIT_NC on a reused connection).
 */
#ifndef RG_MILTER_CTX_H
#define RG_MILTER_CTX_H

#include <stdbool.h>
#include <sys/types.h>
#include "config.h"
#include "authres.h"
#include "policy.h"
#include "guard.h"

#define RG_MILTER_NAME 256

struct rg_milter_msg {
	bool active;		/* between MAIL FROM and EOM/abort */
	struct rg_config *cfg;	/* snapshot taken at MAIL FROM, released at reset */
	char *queue_id;
	char *auth_type;
	char *auth_authen;
	char *auth_author;
	bool mail_macros_seen;
	char login_authc[RG_MILTER_NAME];	/* the login behind auth_authen, "" = unknown */
	bool login_known;
	bool login_act_as_seen;
	struct rg_tenant_msg tenant;
	char *mail_from;	/* the MAIL FROM argument */
	struct rg_sender_msg senders;	/* From:, Sender: */
	struct rg_authres_msg authres;	/* Authentication-Results fields claiming our id */
	struct rg_header_edits edits;	/* planned at EOH, applied at EOM */
	bool edits_pending;
	struct rg_verdict verdict;	/* EOH verdict awaiting EOM */
	unsigned n_rcpt;	/* RCPTs seen (asked for only when the guard counts them) */
	char guard_hold[200];	/* the guard's reason for the hold queue, "" = none */
	struct rg_guard_verdict guard;	/* decided at MAIL FROM (guard.counted), or not */
};

struct rg_milter_conn {
	struct rg_config *cfg;	/* snapshot of negotiation, released at close */
	pid_t peer_pid;		/* MTA process on a unix socket, 0 = unknown */
	char client_addr[64];
	char *daemon_name;
	bool connect_macros_seen;
	char *tls_version;
	char *cipher;
	char *cipher_bits;
	unsigned long protocol;	/* SMFIP_* bits agreed at negotiation */
	bool warned_mail_macros;	/* logged once per connection */
	bool warned_connect_macros;
	unsigned messages;	/* MAIL FROMs seen in this SMTP session */
	bool session_started;	/* connect seen: the next one is a new session */
	bool guard_noted;	/* the guard saw this session's client address */
	struct rg_milter_msg msg;
};

/* New connection state holding a reference to the current config (NULL on
 * allocation failure). */
struct rg_milter_conn *rg_milter_conn_new(void);
void rg_milter_conn_free(struct rg_milter_conn *c);
void rg_milter_msg_reset(struct rg_milter_msg *m);
/* A new SMTP session on this connection: forget the previous session's
 * facts (client, listener, TLS) and message; keep what was negotiated. */
void rg_milter_conn_new_session(struct rg_milter_conn *c);

/* Replace *slot with a copy of value (value NULL leaves *slot unchanged
 * when keep_old, else clears it).  Returns -1 on allocation failure. */
int rg_milter_copy_str(char **slot, const char *value, bool keep_old);

/* The facts the policy reads, pointing into c. */
void rg_milter_conn_facts(const struct rg_milter_conn *c, struct rg_facts *f);

/* Fallback snapshot when no current one is set (the one rg_milter_main got). */
void rg_milter_conn_set_fallback_config(struct rg_config *cfg);

#endif
