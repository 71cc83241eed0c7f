/* proto_dovecot.c — Dovecot auth protocol v1, server side, as a pure state machine. */
#include <autoconfig.h>
#include "proto_dovecot.h"
#include "str.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Client reasons are generic on purpose: Postfix copies them into the SMTP reply. */
#define REASON_INVALID "Invalid authentication input"
#define REASON_MECH "Unsupported authentication mechanism"

void rg_dv_session_init(struct rg_dv_session *s, unsigned mechs, size_t max_line)
{
	memset(s, 0, sizeof(*s));
	s->mechs = mechs;
	s->max_line = max_line;
}

void rg_dv_session_set_mechs(struct rg_dv_session *s, unsigned mechs)
{
	s->mechs = mechs;
}

/* Why a request for mech (enum rg_mech) cannot run now, or NULL. */
static const char *mech_refused(const struct rg_dv_session *s, enum rg_mech mech)
{
	switch (mech) {
	case RG_MECH_PLAIN:
		return (s->mechs & RG_MECH_BIT(RG_MECH_PLAIN)) ? NULL
			: "mechanism PLAIN is not enabled (auth.mechanisms)";
	case RG_MECH_LOGIN:
		return (s->mechs & RG_MECH_BIT(RG_MECH_LOGIN)) ? NULL
			: "mechanism LOGIN is not enabled (auth.mechanisms)";
	default:
		return "unknown mechanism";
	}
}

void rg_dv_session_wipe(struct rg_dv_session *s)
{
	sodium_memzero(s->pending, sizeof(s->pending));
	s->n_pending = 0;
}

void rg_dv_event_wipe(struct rg_dv_event *ev)
{
	sodium_memzero(ev->password, sizeof(ev->password));
	sodium_memzero(ev->authc, sizeof(ev->authc));
	sodium_memzero(ev->authz, sizeof(ev->authz));
	ev->req.password = NULL;
	ev->req.password_len = 0;
}

long rg_dv_tabunescape(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\001') {
			s[o++] = s[i];
			continue;
		}
		if (++i == len)
			return -1;
		switch (s[i]) {
		case '1': s[o++] = '\001'; break;
		case 't': s[o++] = '\t'; break;
		case 'r': s[o++] = '\r'; break;
		case 'n': s[o++] = '\n'; break;
		default: return -1;
		}
	}
	s[o] = '\0';
	return (long)o;
}

long rg_dv_tabescape(char *dst, size_t n, const char *src)
{
	size_t o = 0;

	for (; *src != '\0'; src++) {
		char esc = 0;
		switch (*src) {
		case '\001': esc = '1'; break;
		case '\t': esc = 't'; break;
		case '\r': esc = 'r'; break;
		case '\n': esc = 'n'; break;
		}
		if (o + (esc ? 2 : 1) >= n)
			return -1;
		if (esc) {
			dst[o++] = '\001';
			dst[o++] = esc;
		} else {
			dst[o++] = *src;
		}
	}
	if (o >= n)
		return -1;
	dst[o] = '\0';
	return (long)o;
}

/* Decimal 1..4294967295, digits only. */
static bool parse_uint(const char *s, unsigned *out)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (i == 0 || v > 0xffffffffULL)
		return false;
	*out = (unsigned)v;
	return true;
}

/* kind: "CONT" (arg = base64 challenge) or "FAIL" (arg = client reason) */
static enum rg_dv_action reply(struct rg_dv_event *ev, const char *kind, unsigned id, const char *arg)
{
	int n = snprintf(ev->reply, sizeof(ev->reply), "%s\t%u\t%s%s\n", kind, id,
			 kind[0] == 'F' ? "reason=" : "", arg);
	if (n < 0 || (size_t)n >= sizeof(ev->reply)) {
		ev->error = "reply too long";
		return RG_DV_CLOSE;
	}
	ev->reply_len = (size_t)n;
	return RG_DV_REPLY;
}

static enum rg_dv_action fail(struct rg_dv_event *ev, unsigned id, const char *why,
			      const char *client_reason)
{
	ev->error = why;
	return reply(ev, "FAIL", id, client_reason);
}

static enum rg_dv_action close_conn(struct rg_dv_event *ev, const char *why)
{
	ev->error = why;
	return RG_DV_CLOSE;
}

static struct rg_dv_pending *find_pending(struct rg_dv_session *s, unsigned id)
{
	for (size_t i = 0; i < s->n_pending; i++)
		if (s->pending[i].id == id)
			return &s->pending[i];
	return NULL;
}

static void drop_pending(struct rg_dv_session *s, struct rg_dv_pending *p)
{
	size_t i = (size_t)(p - s->pending);
	sodium_memzero(p, sizeof(*p));
	if (i + 1 < s->n_pending)
		memmove(p, p + 1, (s->n_pending - i - 1) * sizeof(*p));
	s->n_pending--;
	sodium_memzero(&s->pending[s->n_pending], sizeof(*p));
}

static struct rg_dv_pending *add_pending(struct rg_dv_session *s)
{
	if (s->n_pending == RG_DV_MAX_PENDING) {
		/* A client that abandoned requests (Postfix on "AUTH ... *"):
		 * forget the oldest instead of growing. */
		struct rg_dv_pending *oldest = &s->pending[0];
		for (size_t i = 1; i < s->n_pending; i++)
			if (s->pending[i].seq < oldest->seq)
				oldest = &s->pending[i];
		drop_pending(s, oldest);
	}
	struct rg_dv_pending *p = &s->pending[s->n_pending++];
	memset(p, 0, sizeof(*p));
	p->seq = ++s->seq;
	return p;
}

/* Base64 (RFC 4648, padded) → out; empty input is an empty response. */
static int b64_decode(const char *in, unsigned char *out, size_t outmax, size_t *len_r)
{
	size_t inlen = strlen(in);
	if (inlen == 0) {
		*len_r = 0;
		return 0;
	}
	if (inlen % 4 != 0 || inlen / 4 * 3 > outmax + 2)
		return -1;
	return sodium_base642bin(out, outmax, in, inlen, NULL, len_r, NULL,
				 sodium_base64_VARIANT_ORIGINAL);
}

/* Fill ev->req from a finished request. */
static enum rg_dv_action ready(struct rg_dv_event *ev, unsigned id, enum rg_mech mech,
			       bool secured, const char *service, const char *rip)
{
	ev->id = id;
	(void)rg_strbcpy(ev->service, sizeof(ev->service), service);
	(void)rg_strbcpy(ev->rip, sizeof(ev->rip), rip);
	ev->req.protocol = "dovecot";
	ev->req.mech = mech;
	ev->req.authz = ev->authz;
	ev->req.authc = ev->authc;
	ev->req.password = ev->password;
	ev->req.service = ev->service;
	ev->req.remote_addr = ev->rip;
	ev->req.tls_known = true;
	ev->req.secured = secured;
	return RG_DV_AUTH;
}

/* Decoded data for step `p->step` of a request: advance it. */
static enum rg_dv_action step(struct rg_dv_session *s, struct rg_dv_pending *p,
			      const unsigned char *data, size_t len, struct rg_dv_event *ev)
{
	const char *err;
	unsigned id = p->id;
	char prompt[32];

	if (p->mech == RG_MECH_PLAIN) {
		size_t plen;
		if (rg_sasl_plain_parse(data, len, ev->authz, ev->authc, ev->password, &plen,
					&err) < 0) {
			drop_pending(s, p);
			return fail(ev, id, err, REASON_INVALID);
		}
		ev->req.password_len = plen;
		enum rg_dv_action a = ready(ev, id, RG_MECH_PLAIN, p->secured, p->service, p->rip);
		drop_pending(s, p);
		return a;
	}
	/* LOGIN */
	if (p->step == 0) {
		size_t ulen;
		if (rg_sasl_login_field(data, len, 'u', p->login_user, &ulen, &err) < 0) {
			drop_pending(s, p);
			return fail(ev, id, err, REASON_INVALID);
		}
		p->step = 1;
		sodium_bin2base64(prompt, sizeof(prompt), (const unsigned char *)RG_LOGIN_PROMPT_PASS,
				  strlen(RG_LOGIN_PROMPT_PASS), sodium_base64_VARIANT_ORIGINAL);
		return reply(ev, "CONT", id, prompt);
	}
	size_t plen;
	if (rg_sasl_login_field(data, len, 'p', ev->password, &plen, &err) < 0) {
		drop_pending(s, p);
		return fail(ev, id, err, REASON_INVALID);
	}
	ev->req.password_len = plen;
	ev->authz[0] = '\0';
	memcpy(ev->authc, p->login_user, sizeof(ev->authc));
	enum rg_dv_action a = ready(ev, id, RG_MECH_LOGIN, p->secured, p->service, p->rip);
	drop_pending(s, p);
	return a;
}

/* Largest decoded SASL message we accept: authz NUL authc NUL password. */
#define MAX_SASL_DATA (2 * RG_AUTH_MAX_NAME + 2 + RG_AUTH_MAX_PASSWORD)

static enum rg_dv_action cmd_auth(struct rg_dv_session *s, char **f, size_t nf,
				  struct rg_dv_event *ev)
{
	unsigned id;
	const char *service = NULL, *rip = "", *resp = NULL;
	bool secured = false;
	unsigned char data[MAX_SASL_DATA + 3];
	size_t dlen = 0;
	char prompt[32];

	if (!s->cpid_seen)
		return close_conn(ev, "AUTH before CPID");
	if (nf < 3 || !parse_uint(f[1], &id))
		return close_conn(ev, "AUTH without a valid id");
	if (find_pending(s, id) != NULL)
		return close_conn(ev, "AUTH reuses a pending id");
	enum rg_mech mech = rg_mech_parse(f[2]);
	const char *refused = mech_refused(s, mech);
	if (refused != NULL)
		return fail(ev, id, refused, REASON_MECH);

	for (size_t i = 3; i < nf; i++) {
		const char *a = f[i];
		if (strncmp(a, "service=", 8) == 0) {
			if (service != NULL || strlen(a + 8) == 0 || strlen(a + 8) > RG_DV_MAX_SERVICE)
				return fail(ev, id, "invalid service parameter", REASON_INVALID);
			service = a + 8;
		} else if (strncmp(a, "rip=", 4) == 0) {
			if (strlen(a + 4) > RG_DV_MAX_ADDR || strspn(a + 4,
			    "0123456789abcdefABCDEF:.") != strlen(a + 4))
				return fail(ev, id, "invalid rip parameter", REASON_INVALID);
			rip = a + 4;
		} else if (strcmp(a, "secured") == 0 || strncmp(a, "secured=", 8) == 0) {
			secured = true;
		} else if (strncmp(a, "resp=", 5) == 0) {
			if (resp != NULL)
				return fail(ev, id, "repeated resp parameter", REASON_INVALID);
			resp = a + 5;
		}
		/* lip, lport, rport, nologin, valid-client-cert, session, ... : not needed */
	}
	if (service == NULL)
		return fail(ev, id, "AUTH without service", REASON_INVALID);
	for (const char *c = service; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
			return fail(ev, id, "invalid service parameter", REASON_INVALID);
	if (resp != NULL && b64_decode(resp, data, sizeof(data) - 1, &dlen) < 0) {
		sodium_memzero(data, sizeof(data));
		return fail(ev, id, "invalid base64 in resp", REASON_INVALID);
	}
	if (dlen > MAX_SASL_DATA) {
		sodium_memzero(data, sizeof(data));
		return fail(ev, id, "initial response too long", REASON_INVALID);
	}

	struct rg_dv_pending *p = add_pending(s);
	p->id = id;
	p->mech = mech;
	p->secured = secured;
	(void)rg_strbcpy(p->service, sizeof(p->service), service);
	(void)rg_strbcpy(p->rip, sizeof(p->rip), rip);

	enum rg_dv_action act;
	if (mech == RG_MECH_PLAIN && resp != NULL) {
		act = step(s, p, data, dlen, ev);
	} else if (mech == RG_MECH_LOGIN && resp != NULL && dlen > 0) {
		act = step(s, p, data, dlen, ev);	/* initial response = username */
	} else {
		if (mech == RG_MECH_LOGIN)
			sodium_bin2base64(prompt, sizeof(prompt),
					  (const unsigned char *)RG_LOGIN_PROMPT_USER,
					  strlen(RG_LOGIN_PROMPT_USER), sodium_base64_VARIANT_ORIGINAL);
		else
			prompt[0] = '\0';
		act = reply(ev, "CONT", id, prompt);
	}
	sodium_memzero(data, sizeof(data));
	return act;
}

static enum rg_dv_action cmd_cont(struct rg_dv_session *s, char **f, size_t nf,
				  struct rg_dv_event *ev)
{
	unsigned id;
	unsigned char data[MAX_SASL_DATA + 3];
	size_t dlen;

	if (!s->cpid_seen)
		return close_conn(ev, "CONT before CPID");
	if (nf < 2 || nf > 3 || !parse_uint(f[1], &id))
		return close_conn(ev, "CONT without a valid id");
	struct rg_dv_pending *p = find_pending(s, id);
	if (p == NULL)
		return fail(ev, id, "CONT for an unknown id", REASON_INVALID);
	const char *refused = mech_refused(s, p->mech);
	if (refused != NULL) {	/* disabled by a reload since the AUTH */
		drop_pending(s, p);
		return fail(ev, id, refused, REASON_MECH);
	}
	if (b64_decode(nf == 3 ? f[2] : "", data, sizeof(data) - 1, &dlen) < 0 ||
	    dlen > MAX_SASL_DATA) {
		sodium_memzero(data, sizeof(data));
		drop_pending(s, p);
		return fail(ev, id, "invalid base64 in CONT", REASON_INVALID);
	}
	enum rg_dv_action act = step(s, p, data, dlen, ev);
	sodium_memzero(data, sizeof(data));
	return act;
}

enum rg_dv_action rg_dv_input(struct rg_dv_session *s, char *line, size_t len,
			      struct rg_dv_event *ev)
{
	char *f[RG_DV_MAX_FIELDS];
	size_t nf = 0;

	ev->error = NULL;
	ev->reply_len = 0;
	if (len > s->max_line)
		return close_conn(ev, "line too long");
	if (memchr(line, '\0', len) != NULL)
		return close_conn(ev, "NUL byte in line");
	line[len] = '\0';

	/* split on TAB, then unescape each field */
	char *p = line;
	for (;;) {
		if (nf == RG_DV_MAX_FIELDS)
			return close_conn(ev, "too many fields");
		f[nf++] = p;
		char *tab = strchr(p, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	for (size_t i = 0; i < nf; i++)
		if (rg_dv_tabunescape(f[i], strlen(f[i])) < 0)
			return close_conn(ev, "invalid escape sequence");

	if (!s->version_seen) {
		unsigned minor;
		if (strcmp(f[0], "VERSION") != 0 || nf != 3)
			return close_conn(ev, "first line is not VERSION");
		if (strcmp(f[1], "1") != 0)
			return close_conn(ev, "unsupported protocol major version");
		if (strcmp(f[2], "0") != 0 && !parse_uint(f[2], &minor))
			return close_conn(ev, "invalid protocol minor version");
		s->version_seen = true;
		return RG_DV_NOTHING;
	}
	if (strcmp(f[0], "CPID") == 0) {
		unsigned pid;
		if (s->cpid_seen)
			return close_conn(ev, "repeated CPID");
		if (nf != 2 || !parse_uint(f[1], &pid))
			return close_conn(ev, "invalid CPID");
		s->cpid_seen = true;
		return RG_DV_NOTHING;
	}
	if (strcmp(f[0], "AUTH") == 0)
		return cmd_auth(s, f, nf, ev);
	if (strcmp(f[0], "CONT") == 0)
		return cmd_cont(s, f, nf, ev);
	if (strcmp(f[0], "VERSION") == 0)
		return close_conn(ev, "repeated VERSION");
	return close_conn(ev, "unknown command");
}

size_t rg_dv_handshake(char *buf, size_t n, unsigned mechs, unsigned long spid,
		       unsigned long cuid, const unsigned char cookie[16])
{
	char hex[33];
	sodium_bin2hex(hex, sizeof(hex), cookie, 16);
	int len = snprintf(buf, n, "VERSION\t1\t2\n%s%sSPID\t%lu\nCUID\t%lu\nCOOKIE\t%s\nDONE\n",
			   (mechs & RG_MECH_BIT(RG_MECH_PLAIN)) ? "MECH\tPLAIN\tplaintext\n" : "",
			   (mechs & RG_MECH_BIT(RG_MECH_LOGIN)) ? "MECH\tLOGIN\tplaintext\n" : "",
			   spid, cuid, hex);
	if (len < 0 || (size_t)len >= n)
		return 0;
	return (size_t)len;
}

size_t rg_dv_format_result(char *buf, size_t n, unsigned id, const struct rg_auth_result *r)
{
	char user[2 * RG_AUTH_MAX_NAME + 1];
	int len;

	switch (r->status) {
	case RG_AUTH_OK:
		if (rg_dv_tabescape(user, sizeof(user), r->identity) < 0)
			return 0;
		len = snprintf(buf, n, "OK\t%u\tuser=%s\n", id, user);
		break;
	case RG_AUTH_FAIL:
		len = snprintf(buf, n, "FAIL\t%u\treason=%s\n", id,
			       r->client_reason ? r->client_reason : "Authentication failed");
		break;
	default:
		return 0;	/* TEMPFAIL: no reply, the caller closes */
	}
	if (len < 0 || (size_t)len >= n)
		return 0;
	return (size_t)len;
}
