/*
 * mailbox.h — the addresses of From:/Sender: fields (RFC 5322 §3.4) and of
 * the envelope sender, as sender-ownership checks need them.
 *
 * Pure functions: no I/O, no allocation.
 *
 * rg_mailbox_list_parse reads an address-list: mailboxes (addr-spec, or a
 * display name and an angle-addr) and groups ("team: a@x, b@y;", also empty),
 * comments (nested) and folding white space anywhere RFC 5322 allows CFWS,
 * quoted local parts, domain literals, UTF-8 (RFC 6532) in atoms and quoted
 * strings.  The address of a mailbox is always its addr-spec, never anything
 * in its display name (an encoded word or a quoted "ceo@victim" there is only
 * a name: display_has_at says that it looks like an address).
 *
 * Refused (error text in *error_r), because each lets two readers see two
 * different addresses: obsolete routes (<@relay:a@x>), obsolete local parts
 * and domains (white space or comments between their dots and atoms, a
 * leading, trailing or doubled dot), empty list members (",,"), an
 * addr-spec without '@', unterminated quoted strings, comments or domain
 * literals, control characters, an address longer than RG_ADDR_MAX - 1.
 * Accepted although obsolete: '.' in an unquoted display name (obs-phrase:
 * "J. Smith <j@x>" is common and a display name never yields the address).
 */
#ifndef RG_MAILBOX_H
#define RG_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>

#define RG_ADDR_MAX 512

struct rg_mailbox {
	/* "local@domain": the local part unquoted (quoted-pairs resolved), so
	 * "a b"@x is a b@x; the domain as written (a literal keeps its brackets) */
	char addr[RG_ADDR_MAX];
	bool quoted_local;	/* the local part was a quoted string */
	bool display_has_at;	/* the display name holds an '@' */
};

/* Parse value (len bytes: a folded header value, CRLF or LF) as an
 * address-list.  Returns the number of mailboxes (groups' members included;
 * an empty group adds none); the first `max` are stored in out.  -1: not a
 * valid address-list, *error_r says why. */
int rg_mailbox_list_parse(const char *value, size_t len, struct rg_mailbox *out, size_t max,
			  const char **error_r);

/* The envelope sender from the MAIL FROM argument as the MTA passes it
 * ("<a@x>", also without brackets): into out (n bytes) unquoted like
 * rg_mailbox.addr.  *null_r: the null sender <>.  false: malformed (a route,
 * no '@', too long). */
bool rg_envelope_sender(const char *arg, char *out, size_t n, bool *null_r);

/* The domain of addr (after its last '@'), or NULL. */
const char *rg_addr_domain(const char *addr);

/*
 * Sender grants: "identity may use address A", A one of
 *   user@domain   that address (the local part exact, the domain in any case)
 *   @domain       any address of the domain
 *   *             any address
 * A grant is stored normalized: the domain in lower case, no trailing dot,
 * an internationalized domain as its A-label (IDNA2008: bücher.example and
 * xn--bcher-kva.example are one domain, in grants and in addresses alike).
 *
 * rg_sender_grant_normalize: grant into out (n bytes); false with *error_r.
 */
bool rg_sender_grant_normalize(const char *grant, char *out, size_t n, const char **error_r);

/* The grants that would cover addr, most specific first, into keys:
 * "local@domain", "base@domain" when the local part holds one of the
 * delimiter characters (Postfix's recipient_delimiter: user+ext is tried as
 * user), "@domain", and, with with_any, "*".  Domain lower-cased.  Returns
 * how many (0: addr has no '@' or does not fit). */
#define RG_SENDER_KEYS 4

/* A tenant's allowed domain: "acme.example" (exactly) or "*.acme.example"
 * (its subdomains, not itself), into out lower-cased; false with *error_r. */
bool rg_tenant_domain_normalize(const char *d, char *out, size_t n, const char **error_r);

/* Does domain (any case) match an allowed-domain entry (normalized)? */
bool rg_tenant_domain_match(const char *entry, const char *domain);

/* The entries that would allow domain, most specific first: the domain
 * itself, then "*.parent" for each parent, into keys (lower-cased); returns
 * how many (at most max, 0 if the domain is unusable). */
size_t rg_tenant_domain_keys(const char *domain, char keys[][RG_ADDR_MAX], size_t max);
size_t rg_sender_keys(const char *addr, const char *delimiters, bool with_any,
		      char keys[RG_SENDER_KEYS][RG_ADDR_MAX]);

#endif
