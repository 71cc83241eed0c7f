/* mailbox.c — RFC 5322 address-lists and envelope senders (see mailbox.h). */
#include <autoconfig.h>
#include "mailbox.h"

#include <idn2.h>
#include <string.h>

enum tok_kind { T_END, T_ATOM, T_QSTR, T_DLIT, T_SPECIAL, T_ERROR };

struct tok {
	enum tok_kind kind;
	const char *p;		/* ATOM, DLIT (brackets included): the bytes; QSTR: inside the quotes */
	size_t n;
	char c;			/* SPECIAL: the character */
	bool ws_before;		/* CFWS right before the token */
};

struct lex {
	const char *s, *end;
	const char *error;
};

static bool is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;	/* UTF-8 (RFC 6532) */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* The character after a backslash (quoted-pair: a visible character or
 * white space, never NUL, CR or LF). */
static bool pair_ok(unsigned char c)
{
	return !is_ctl(c) && c != '\r' && c != '\n';
}

/* Folding white space and comments; false on a bad byte or an unterminated
 * comment (lx->error set). */
static bool skip_cfws(struct lex *lx, bool *skipped)
{
	while (lx->s < lx->end) {
		unsigned char c = (unsigned char)*lx->s;
		if (c == ' ' || c == '\t') {
			lx->s++;
		} else if (c == '\r' || c == '\n') {
			/* folding: CRLF or LF, then white space */
			const char *q = lx->s + (c == '\r' && lx->s + 1 < lx->end && lx->s[1] == '\n' ? 2 : 1);
			if (c == '\r' && q == lx->s + 1) {
				lx->error = "bare CR in the field";
				return false;
			}
			if (q >= lx->end || (*q != ' ' && *q != '\t')) {
				lx->error = "line break not followed by white space";
				return false;
			}
			lx->s = q;
		} else if (c == '(') {
			int depth = 0;
			do {
				c = (unsigned char)*lx->s;
				if (c == '\\' && lx->s + 1 < lx->end) {
					if (!pair_ok((unsigned char)lx->s[1])) {
						lx->error = "control character in a comment";
						return false;
					}
					lx->s++;
				} else if (c == '(')
					depth++;
				else if (c == ')')
					depth--;
				else if (is_ctl(c) && c != '\r' && c != '\n') {
					lx->error = "control character in a comment";
					return false;
				}
				lx->s++;
			} while (depth > 0 && lx->s < lx->end);
			if (depth > 0) {
				lx->error = "unterminated comment";
				return false;
			}
		} else {
			break;
		}
		*skipped = true;
	}
	return true;
}

static void next(struct lex *lx, struct tok *t)
{
	memset(t, 0, sizeof(*t));
	if (!skip_cfws(lx, &t->ws_before)) {
		t->kind = T_ERROR;
		return;
	}
	if (lx->s >= lx->end) {
		t->kind = T_END;
		return;
	}
	unsigned char c = (unsigned char)*lx->s;
	t->p = lx->s;
	if (is_atext(c)) {
		while (lx->s < lx->end && is_atext((unsigned char)*lx->s))
			lx->s++;
		t->kind = T_ATOM;
		t->n = (size_t)(lx->s - t->p);
	} else if (c == '"') {
		t->p = ++lx->s;
		while (lx->s < lx->end && *lx->s != '"') {
			unsigned char d = (unsigned char)*lx->s;
			if (d == '\\' && lx->s + 1 < lx->end) {
				if (!pair_ok((unsigned char)lx->s[1])) {
					lx->error = "control character in a quoted string";
					t->kind = T_ERROR;
					return;
				}
				lx->s++;
			} else if (is_ctl(d) && d != '\r' && d != '\n') {
				lx->error = "control character in a quoted string";
				t->kind = T_ERROR;
				return;
			}
			lx->s++;
		}
		if (lx->s >= lx->end) {
			lx->error = "unterminated quoted string";
			t->kind = T_ERROR;
			return;
		}
		t->n = (size_t)(lx->s - t->p);
		lx->s++;
		t->kind = T_QSTR;
	} else if (c == '[') {
		while (lx->s < lx->end && *lx->s != ']') {
			unsigned char d = (unsigned char)*lx->s;
			if (d == '\\' || (d == '[' && lx->s != t->p) || is_ctl(d) || d == '\r' ||
			    d == '\n') {
				lx->error = "bad character in a domain literal";
				t->kind = T_ERROR;
				return;
			}
			lx->s++;
		}
		if (lx->s >= lx->end) {
			lx->error = "unterminated domain literal";
			t->kind = T_ERROR;
			return;
		}
		lx->s++;
		t->n = (size_t)(lx->s - t->p);
		t->kind = T_DLIT;
	} else if (strchr("<>@,;:.", c) != NULL) {
		lx->s++;
		t->kind = T_SPECIAL;
		t->c = (char)c;
		t->n = 1;
	} else {
		lx->error = is_ctl(c) ? "control character in the field" : "unexpected character";
		t->kind = T_ERROR;
	}
}

static bool special(const struct tok *t, char c)
{
	return t->kind == T_SPECIAL && t->c == c;
}

/* Output buffer for one address. */
struct out {
	char *buf;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, const char *p, size_t n)
{
	if (o->len + n >= o->cap) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* A quoted string's content with quoted-pairs resolved and folding removed. */
static void put_unquoted(struct out *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		else if (p[i] == '\r' || p[i] == '\n')
			continue;
		put(o, p + i, 1);
	}
}

/* dot-atom: ATOM *("." ATOM), no CFWS inside; *t is its first token.  On
 * return *t is the token after it. */
static bool dot_atom(struct lex *lx, struct tok *t, struct out *o, const char **error_r)
{
	for (;;) {
		if (t->kind != T_ATOM) {
			*error_r = "obsolete or malformed dot-atom (empty part, or a dot at an end)";
			return false;
		}
		put(o, t->p, t->n);
		next(lx, t);
		if (!special(t, '.'))
			return true;
		if (t->ws_before) {
			*error_r = "white space or comment inside an address";
			return false;
		}
		put(o, ".", 1);
		next(lx, t);
		if (t->ws_before) {
			*error_r = "white space or comment inside an address";
			return false;
		}
	}
}

/* addr-spec from *t (its first token): local-part "@" domain.  On return *t
 * is the token after it. */
static bool addr_spec(struct lex *lx, struct tok *t, struct rg_mailbox *mb, const char **error_r)
{
	struct out o = { mb->addr, 0, sizeof(mb->addr), false };

	mb->addr[0] = '\0';
	if (special(t, '@')) {
		*error_r = "obsolete source route in the address";
		return false;
	}
	if (t->kind == T_QSTR) {
		mb->quoted_local = true;
		put_unquoted(&o, t->p, t->n);
		next(lx, t);
	} else if (!dot_atom(lx, t, &o, error_r)) {
		return false;
	}
	if (t->kind == T_ERROR) {
		*error_r = lx->error;
		return false;
	}
	if (!special(t, '@')) {
		*error_r = special(t, '.') || t->kind == T_ATOM || t->kind == T_QSTR ?
			   "obsolete local part (words, dots or quotes mixed)" : "address without '@'";
		return false;
	}
	if (t->ws_before) {
		*error_r = "white space or comment inside an address";
		return false;
	}
	put(&o, "@", 1);
	next(lx, t);
	if (t->ws_before) {
		*error_r = "white space or comment inside an address";
		return false;
	}
	if (t->kind == T_DLIT) {
		put(&o, t->p, t->n);
		next(lx, t);
	} else if (!dot_atom(lx, t, &o, error_r)) {
		return false;
	}
	if (t->kind == T_ERROR) {
		*error_r = lx->error;
		return false;
	}
	if (o.overflow) {
		*error_r = "address too long";
		return false;
	}
	return true;
}

/* One mailbox or group member.  *t: its first token; on return the token
 * after it.  Groups are parsed by the caller (a mailbox never holds ':'). */
static bool mailbox(struct lex *lx, struct tok *t, struct rg_mailbox *mb, bool *group_r,
		    const char **error_r)
{
	struct lex save = *lx;
	struct tok first = *t;
	unsigned words = 0;
	bool at_in_name = false;

	memset(mb, 0, sizeof(*mb));
	*group_r = false;
	/* the phrase before '<' or ':', if there is one */
	while (t->kind == T_ATOM || t->kind == T_QSTR || (special(t, '.') && words > 0)) {
		if (t->kind == T_QSTR && memchr(t->p, '@', t->n) != NULL)
			at_in_name = true;
		words++;
		next(lx, t);
	}
	if (t->kind == T_ERROR) {
		*error_r = lx->error;
		return false;
	}
	if (special(t, '<')) {
		mb->display_has_at = at_in_name;
		next(lx, t);
		if (!addr_spec(lx, t, mb, error_r))
			return false;
		if (!special(t, '>')) {
			*error_r = "angle address not closed by '>'";
			return false;
		}
		next(lx, t);
		return t->kind != T_ERROR || (*error_r = lx->error, false);
	}
	if (special(t, ':') && words > 0) {
		*group_r = true;
		next(lx, t);
		return t->kind != T_ERROR || (*error_r = lx->error, false);
	}
	/* an addr-spec: parse again from its first token */
	*lx = save;
	*t = first;
	return addr_spec(lx, t, mb, error_r);
}

int rg_mailbox_list_parse(const char *value, size_t len, struct rg_mailbox *out, size_t max,
			  const char **error_r)
{
	struct lex lx = { value, value + len, NULL };
	struct tok t;
	struct rg_mailbox mb;
	int n = 0;
	bool in_group = false;

	*error_r = NULL;
	next(&lx, &t);
	if (t.kind == T_END)
		return 0;
	for (;;) {
		bool group;

		if (t.kind == T_ERROR) {
			*error_r = lx.error;
			return -1;
		}
		if (in_group && special(&t, ';')) {
			/* empty group, or the end of one */
			in_group = false;
			next(&lx, &t);
		} else {
			if (special(&t, ',') || t.kind == T_END) {
				*error_r = "empty member in the address list";
				return -1;
			}
			if (!mailbox(&lx, &t, &mb, &group, error_r))
				return -1;
			if (group) {
				if (in_group) {
					*error_r = "group inside a group";
					return -1;
				}
				in_group = true;
				continue;	/* its members, or ';' */
			}
			if ((size_t)n < max)
				out[n] = mb;
			n++;
			if (in_group) {
				if (special(&t, ',')) {
					next(&lx, &t);
					continue;
				}
				if (!special(&t, ';')) {
					*error_r = "group not closed by ';'";
					return -1;
				}
				in_group = false;
				next(&lx, &t);
			}
		}
		if (t.kind == T_ERROR) {
			*error_r = lx.error;
			return -1;
		}
		if (t.kind == T_END)
			break;
		if (!special(&t, ',')) {
			*error_r = "unexpected text after an address";
			return -1;
		}
		next(&lx, &t);
	}
	if (in_group) {
		*error_r = "group not closed by ';'";
		return -1;
	}
	return n;
}

bool rg_envelope_sender(const char *arg, char *out, size_t n, bool *null_r)
{
	struct rg_mailbox mb;
	const char *error;
	size_t len = arg != NULL ? strlen(arg) : 0;

	*null_r = false;
	if (n == 0)
		return false;
	out[0] = '\0';
	if (arg == NULL)
		return false;
	if (strcmp(arg, "<>") == 0 || len == 0) {
		*null_r = true;
		return true;
	}
	/* "<addr>" or "addr": one addr-spec, nothing else */
	struct lex lx = { arg, arg + len, NULL };
	struct tok t;
	bool angle;

	next(&lx, &t);
	angle = special(&t, '<');
	if (angle)
		next(&lx, &t);
	if (!addr_spec(&lx, &t, &mb, &error))
		return false;
	if (angle) {
		if (!special(&t, '>'))
			return false;
		next(&lx, &t);
	}
	if (t.kind != T_END || strlen(mb.addr) >= n)
		return false;
	memcpy(out, mb.addr, strlen(mb.addr) + 1);
	return true;
}

const char *rg_addr_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	return at != NULL ? at + 1 : NULL;
}

static bool put_ascii_domain(char *out, size_t n, size_t *o, const char *d, size_t len,
			     const char **error_r);

/* domain (len bytes) lower-cased into out at o, an internationalized one as
 * its A-label (IDNA2008, libidn2); false if it is not a usable domain */
static bool put_domain(char *out, size_t n, size_t *o, const char *d, size_t len,
		       const char **error_r)
{
	char *alabel = NULL;

	if (len > 0 && d[len - 1] == '.')
		len--;	/* the root's dot */
	if (len == 0) {
		*error_r = "empty domain";
		return false;
	}
	bool ascii = true;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)d[i] >= 0x80)
			ascii = false;
	if (!ascii) {
		char u[RG_ADDR_MAX];
		if (len >= sizeof(u) || memchr(d, '\0', len) != NULL) {
			*error_r = "bad internationalized domain";
			return false;
		}
		memcpy(u, d, len);
		u[len] = '\0';
		if (idn2_to_ascii_8z(u, &alabel, IDN2_NONTRANSITIONAL) != IDN2_OK) {
			*error_r = "not a valid internationalized domain (IDNA2008)";
			return false;
		}
		d = alabel;
		len = strlen(alabel);
	}
	bool done = put_ascii_domain(out, n, o, d, len, error_r);
	idn2_free(alabel);
	return done;
}

static bool put_ascii_domain(char *out, size_t n, size_t *o, const char *d, size_t len,
			     const char **error_r)
{
	if (*o + len >= n) {
		*error_r = "too long";
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c <= ' ' || c == 0x7f || c == '@' || c == ',' || c == '*') {
			*error_r = "bad character in the domain";
			return false;
		}
		out[(*o)++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[*o] = '\0';
	return true;
}

bool rg_sender_grant_normalize(const char *grant, char *out, size_t n, const char **error_r)
{
	const char *at = strrchr(grant, '@');
	size_t o = 0;

	if (n < 2) {
		*error_r = "too long";
		return false;
	}
	if (strcmp(grant, "*") == 0) {
		memcpy(out, "*", 2);
		return true;
	}
	if (at == NULL) {
		*error_r = "not user@domain, @domain or *";
		return false;
	}
	for (const char *p = grant; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f) {
			*error_r = "control character in the local part";
			return false;
		}
	}
	if ((size_t)(at - grant) + 1 >= n) {
		*error_r = "too long";
		return false;
	}
	memcpy(out, grant, (size_t)(at - grant) + 1);
	o = (size_t)(at - grant) + 1;
	out[o] = '\0';
	return put_domain(out, n, &o, at + 1, strlen(at + 1), error_r);
}

size_t rg_sender_keys(const char *addr, const char *delimiters, bool with_any,
		      char keys[RG_SENDER_KEYS][RG_ADDR_MAX])
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	const char *error;
	char dom[RG_ADDR_MAX];
	size_t dl = 0, k = 0, local = 0;

	if (at == NULL || at == addr)
		return 0;
	local = (size_t)(at - addr);
	if (!put_domain(dom, sizeof(dom), &dl, at + 1, strlen(at + 1), &error) ||
	    local + 1 + dl >= RG_ADDR_MAX)
		return 0;
	memcpy(keys[k], addr, local);
	keys[k][local] = '@';
	memcpy(keys[k] + local + 1, dom, dl + 1);
	k++;
	size_t base = delimiters != NULL && delimiters[0] != '\0' ?
		      strcspn(addr, delimiters) : local;
	if (base > 0 && base < local) {
		memcpy(keys[k], addr, base);
		keys[k][base] = '@';
		memcpy(keys[k] + base + 1, dom, dl + 1);
		k++;
	}
	keys[k][0] = '@';
	memcpy(keys[k] + 1, dom, dl + 1);
	k++;
	if (with_any) {
		memcpy(keys[k], "*", 2);
		k++;
	}
	return k;
}

bool rg_tenant_domain_normalize(const char *d, char *out, size_t n, const char **error_r)
{
	size_t o = 0;

	if (strncmp(d, "*.", 2) == 0) {
		if (n < 3) {
			*error_r = "too long";
			return false;
		}
		memcpy(out, "*.", 2);
		o = 2;
		d += 2;
	}
	if (strchr(d, '*') != NULL || strchr(d, '@') != NULL) {
		*error_r = "not a domain (\"acme.example\" or \"*.acme.example\")";
		return false;
	}
	return put_domain(out, n, &o, d, strlen(d), error_r);
}

size_t rg_tenant_domain_keys(const char *domain, char keys[][RG_ADDR_MAX], size_t max)
{
	char dom[RG_ADDR_MAX];
	const char *error;
	size_t dl = 0, k = 0;

	if (domain == NULL || max == 0 ||
	    !put_domain(dom, sizeof(dom), &dl, domain, strlen(domain), &error) ||
	    dom[0] == '[')
		return 0;
	memcpy(keys[k++], dom, dl + 1);
	for (const char *p = strchr(dom, '.'); p != NULL && k < max; p = strchr(p + 1, '.')) {
		if (p[1] == '\0')
			break;
		keys[k][0] = '*';
		memcpy(keys[k] + 1, p, strlen(p) + 1);
		k++;
	}
	return k;
}

bool rg_tenant_domain_match(const char *entry, const char *domain)
{
	char keys[16][RG_ADDR_MAX];
	size_t n = rg_tenant_domain_keys(domain, keys, 16);

	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i], entry) == 0)
			return true;
	return false;
}
