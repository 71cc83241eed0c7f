/*
 * test_mailbox.c — common/mailbox.c: the address of From:/Sender: fields and
 * of the envelope sender, and the forms refused because two readers could
 * see two different addresses in them.
 */
#include <autoconfig.h>
#include <stdio.h>
#include <string.h>

#include "mailbox.h"
#include "t/tap.h"

struct want {
	const char *value;
	int n;			/* mailboxes, or -1: refused */
	const char *addr0;	/* first address */
	const char *addr1;	/* second, when n >= 2 */
	bool display_has_at;	/* of the first */
};

static const struct want cases[] = {
	{ "a@example.com", 1, "a@example.com", NULL, false },
	{ " Alice <alice@example.com> ", 1, "alice@example.com", NULL, false },
	{ "\"Alice Q\" <alice@example.com>", 1, "alice@example.com", NULL, false },
	{ "J. Smith <j@example.com>", 1, "j@example.com", NULL, false },
	{ "<me@mine.example>", 1, "me@mine.example", NULL, false },
	{ "\"ceo@victim.example\" <me@mine.example>", 1, "me@mine.example", NULL, true },
	{ "=?utf-8?q?ceo=40victim.example?= <me@mine.example>", 1, "me@mine.example", NULL, false },
	{ "me@mine.example (ceo@victim.example)", 1, "me@mine.example", NULL, false },
	{ "(comment (nested)) me@mine.example", 1, "me@mine.example", NULL, false },
	{ "Alice\r\n <alice@example.com>", 1, "alice@example.com", NULL, false },
	{ "Alice\n\t<alice@example.com>", 1, "alice@example.com", NULL, false },
	{ "\"a b\"@example.com", 1, "a b@example.com", NULL, false },
	{ "\"a\\\"b\"@example.com", 1, "a\"b@example.com", NULL, false },
	{ "\"ceo@victim.example\"@mine.example", 1, "ceo@victim.example@mine.example", NULL, false },
	{ "user@[192.0.2.1]", 1, "user@[192.0.2.1]", NULL, false },
	{ "Us\xc3\xa9r <us\xc3\xa9r@exampl\xc3\xa9.example>", 1,
	  "us\xc3\xa9r@exampl\xc3\xa9.example", NULL, false },
	{ "a@x.example, b@y.example", 2, "a@x.example", "b@y.example", false },
	{ "Team: a@x.example, B <b@y.example>;", 2, "a@x.example", "b@y.example", false },
	{ "undisclosed-recipients:;", 0, NULL, NULL, false },
	{ "", 0, NULL, NULL, false },
	{ "  (only a comment) ", 0, NULL, NULL, false },
	{ "Team: ;, c@z.example", 1, "c@z.example", NULL, false },
	/* refused */
	{ "<@relay.example:ceo@victim.example>", -1, NULL, NULL, false },
	{ "Boss <@relay.example,@r2.example:ceo@victim.example>", -1, NULL, NULL, false },
	{ "john smith@example.com", -1, NULL, NULL, false },
	{ "john . smith@example.com", -1, NULL, NULL, false },
	{ "john.\"smith\"@example.com", -1, NULL, NULL, false },
	{ "a..b@example.com", -1, NULL, NULL, false },
	{ ".a@example.com", -1, NULL, NULL, false },
	{ "a.@example.com", -1, NULL, NULL, false },
	{ "a@example..com", -1, NULL, NULL, false },
	{ "a@ example.com", -1, NULL, NULL, false },
	{ "a @example.com", -1, NULL, NULL, false },
	{ "a@example.com.", -1, NULL, NULL, false },
	{ "a@x.example,,b@y.example", -1, NULL, NULL, false },
	{ ",a@x.example", -1, NULL, NULL, false },
	{ "a@x.example,", -1, NULL, NULL, false },
	{ "Alice", -1, NULL, NULL, false },
	{ "alice.example.com", -1, NULL, NULL, false },
	{ "Alice <alice@example.com", -1, NULL, NULL, false },
	{ "Alice <alice@example.com> bob@example.com", -1, NULL, NULL, false },
	{ "\"unterminated <a@x.example>", -1, NULL, NULL, false },
	{ "(unterminated a@x.example", -1, NULL, NULL, false },
	{ "a@[192.0.2.1", -1, NULL, NULL, false },
	{ "a@x.example\r\nBcc: b@y.example", -1, NULL, NULL, false },
	{ "a@x.example\rb", -1, NULL, NULL, false },
	{ "Team: a@x.example", -1, NULL, NULL, false },
	{ "T1: T2: a@x.example;;", -1, NULL, NULL, false },
	{ "a\x01@x.example", -1, NULL, NULL, false },
};

/* v printable for a TAP line (control bytes as \xNN) */
static const char *show(const char *v)
{
	static char buf[1024];
	size_t o = 0;

	for (; *v != '\0' && o + 5 < sizeof(buf); v++) {
		unsigned char c = (unsigned char)*v;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

int main(void)
{
	struct rg_mailbox mb[4];
	const char *err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		int n = rg_mailbox_list_parse(w->value, strlen(w->value), mb, 4, &err);

		if (w->n < 0) {
			ok(n == -1 && err != NULL, "refused: [%s] (%s)", show(w->value), err ? err : "-");
			continue;
		}
		is_int(n, w->n, "[%s]: %d mailbox(es)%s%s", show(w->value), w->n, err ? ": " : "",
		       err ? err : "");
		if (n >= 1 && w->addr0 != NULL) {
			is_str(mb[0].addr, w->addr0, "  address %s", w->addr0);
			is_int(mb[0].display_has_at, w->display_has_at, "  display name %s an '@'",
			       w->display_has_at ? "holds" : "holds no");
		}
		if (n >= 2 && w->addr1 != NULL)
			is_str(mb[1].addr, w->addr1, "  second address %s", w->addr1);
	}

	/* a value with a NUL byte inside: the length counts, the NUL is refused */
	is_int(rg_mailbox_list_parse("a@x.example\0b@y", 15, mb, 4, &err), -1, "NUL byte refused");

	/* a quoted-pair escaping NUL, CR or LF (found by fuzz_mailbox: the NUL
	 * cut the address short of its '@') */
	is_int(rg_mailbox_list_parse("\"\\\0'>\"@a", 9, mb, 4, &err), -1,
	       "a quoted-pair escaping NUL refused");
	is_int(rg_mailbox_list_parse("\"a\\\nb\"@x.example", 16, mb, 4, &err), -1,
	       "a quoted-pair escaping LF refused");
	is_int(rg_mailbox_list_parse("(a\\\0b) c@x.example", 19, mb, 4, &err), -1,
	       "a quoted-pair escaping NUL in a comment refused");

	/* only max stored, all counted */
	is_int(rg_mailbox_list_parse("a@x.example, b@x.example, c@x.example", 37, mb, 1, &err), 3,
	       "three mailboxes counted though one is stored");

	/* an address too long for the buffer */
	char big[RG_ADDR_MAX + 40];
	memset(big, 'a', RG_ADDR_MAX);
	strcpy(big + RG_ADDR_MAX, "@x.example");
	is_int(rg_mailbox_list_parse(big, strlen(big), mb, 4, &err), -1, "an address too long: refused");

	/* envelope senders */
	char out[RG_ADDR_MAX];
	bool null;
	ok(rg_envelope_sender("<a@x.example>", out, sizeof(out), &null) && !null &&
	   strcmp(out, "a@x.example") == 0, "envelope <a@x.example>");
	ok(rg_envelope_sender("a@x.example", out, sizeof(out), &null) && !null &&
	   strcmp(out, "a@x.example") == 0, "envelope without brackets");
	ok(rg_envelope_sender("<\"a b\"@x.example>", out, sizeof(out), &null) &&
	   strcmp(out, "a b@x.example") == 0, "envelope with a quoted local part");
	ok(rg_envelope_sender("<>", out, sizeof(out), &null) && null, "envelope <>: the null sender");
	ok(!rg_envelope_sender("<@r.example:a@x.example>", out, sizeof(out), &null),
	   "envelope with a source route: refused");
	ok(!rg_envelope_sender("<postmaster>", out, sizeof(out), &null), "envelope without '@': refused");
	ok(!rg_envelope_sender("<a@x.example> junk", out, sizeof(out), &null), "envelope with trailing text: refused");
	ok(!rg_envelope_sender("<a@x.example", out, sizeof(out), &null), "envelope without '>': refused");
	is_str(rg_addr_domain("\"x@y\"@z.example"), "z.example", "domain: after the last '@'");

	/* grants and keys: IDNA A-labels, case, extensions */
	char g[RG_ADDR_MAX];
	const char *why;
	ok(rg_sender_grant_normalize("@B\xc3\xbc" "cher.Example", g, sizeof(g), &why) &&
	   strcmp(g, "@xn--bcher-kva.example") == 0, "a U-label grant is stored as its A-label: %s", g);
	ok(rg_sender_grant_normalize("Ann@XN--BCHER-KVA.example.", g, sizeof(g), &why) &&
	   strcmp(g, "Ann@xn--bcher-kva.example") == 0, "an A-label grant: domain lower-cased, "
	   "root dot dropped, local part kept: %s", g);
	ok(!rg_sender_grant_normalize("a@b\xc3", g, sizeof(g), &why), "a broken UTF-8 domain refused");
	ok(!rg_sender_grant_normalize("nodomain", g, sizeof(g), &why), "no '@': refused (%s)", why);
	char keys[RG_SENDER_KEYS][RG_ADDR_MAX];
	size_t nk = rg_sender_keys("ann+news@b\xc3\xbc" "cher.example", "+", true, keys);
	ok(nk == 4 && strcmp(keys[0], "ann+news@xn--bcher-kva.example") == 0 &&
	   strcmp(keys[1], "ann@xn--bcher-kva.example") == 0 &&
	   strcmp(keys[2], "@xn--bcher-kva.example") == 0 && strcmp(keys[3], "*") == 0,
	   "keys of a UTF-8 address: the A-label domain, without the extension, @domain, *");
	nk = rg_sender_keys("ann@x.example", "+", false, keys);
	ok(nk == 2, "no extension, no *: two keys");
	return done_testing();
}
