/*
 * milter_macros.h — which MTA macros the milter needs, per stage.
 *
 * Requested at negotiation with smfi_setsymlist (Postfix then replaces its
 * milter_*_macros lists for this milter; Sendmail 8.14+ honours it too).  An
 * MTA that cannot take the request must be configured to send them; see
 * doc/relayguard-milter.txt.
 */
#ifndef RG_MILTER_MACROS_H
#define RG_MILTER_MACROS_H

#include <stdbool.h>
#include <libmilter/mfapi.h>

#define RG_MACROS_CONNECT "j {daemon_name} {daemon_addr} _"
#define RG_MACROS_HELO "{tls_version} {cipher} {cipher_bits}"
/* {mail_addr}, {mail_host}, {mail_mailer} are always set at MAIL by Postfix
 * and Sendmail (even for the null sender): they prove the MTA sends this
 * stage's macros, so an absent {auth_type} means "no AUTH".  TLS macros are
 * asked again here in case the client skipped the EHLO after STARTTLS. */
#define RG_MACROS_ENVFROM "i {auth_type} {auth_authen} {auth_author} {mail_addr} " \
	"{mail_host} {mail_mailer} {tls_version} {cipher}"
#define RG_MACROS_EOH "i"
#define RG_MACROS_EOM "i"

/* Ask for the lists above; returns false when the MTA refused. */
bool rg_milter_request_macros(SMFICTX *ctx);

/* smfi_getsymval with a const name; NULL when not sent. */
const char *rg_macro(SMFICTX *ctx, const char *name);

#endif
