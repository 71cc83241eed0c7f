/* test_authd_dovecot.c — Dovecot auth protocol engine, mechanisms, escaping, limits. */
#include <autoconfig.h>
#include "../tap.h"
#include "proto_dovecot.h"
#include "config.h"

#include <sodium.h>

#define BOTH_MECHS (RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN))

static struct rg_dv_session S;
static struct rg_dv_event EV;

static enum rg_dv_action feed(const char *line)
{
	static char buf[70000];
	size_t len = strlen(line);
	memcpy(buf, line, len + 1);
	return rg_dv_input(&S, buf, len, &EV);
}

static enum rg_dv_action feedn(const char *line, size_t len)
{
	static char buf[70000];
	memcpy(buf, line, len);
	return rg_dv_input(&S, buf, len, &EV);
}

static void start(unsigned mechs)
{
	rg_dv_session_init(&S, mechs, 8192);
	memset(&EV, 0, sizeof(EV));
	feed("VERSION\t1\t2");
	feed("CPID\t1234");
}

static const char *b64(const void *data, size_t len)
{
	static char out[4096];
	sodium_bin2base64(out, sizeof(out), data, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

/* tmpl ends in "%s", replaced by arg */
static const char *line(const char *tmpl, const char *arg)
{
	static char out[8192];
	size_t pl = strlen(tmpl) - 2;
	memcpy(out, tmpl, pl);
	snprintf(out + pl, sizeof(out) - pl, "%s", arg);
	return out;
}

#define PLAIN(z, c, p) b64(z "\0" c "\0" p, sizeof(z) + sizeof(c) + sizeof(p) - 3 + 2)

static void test_handshake(void)
{
	char buf[512];
	unsigned char cookie[16] = {0xde, 0xad, 0xbe, 0xef};
	size_t n = rg_dv_handshake(buf, sizeof(buf), RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN), 77, 5, cookie);
	ok(n > 0, "handshake fits");
	ok(strncmp(buf, "VERSION\t1\t2\n", 12) == 0, "handshake starts with VERSION 1");
	ok(strstr(buf, "MECH\tPLAIN\tplaintext\n") != NULL, "PLAIN offered with plaintext flag");
	ok(strstr(buf, "MECH\tLOGIN\tplaintext\n") != NULL, "LOGIN offered with plaintext flag");
	ok(strstr(buf, "SPID\t77\nCUID\t5\nCOOKIE\tdeadbeef000000000000000000000000\n") != NULL,
	   "SPID, CUID, 32-hex COOKIE");
	ok(n >= 5 && strcmp(buf + n - 5, "DONE\n") == 0, "ends with DONE");
	n = rg_dv_handshake(buf, sizeof(buf), RG_MECH_BIT(RG_MECH_PLAIN), 1, 1, cookie);
	ok(strstr(buf, "LOGIN") == NULL, "disabled LOGIN is not offered");
	ok(rg_dv_handshake(buf, 20, RG_MECH_BIT(RG_MECH_PLAIN), 1, 1, cookie) == 0, "small buffer: 0");
}

static void test_order(void)
{
	rg_dv_session_init(&S, BOTH_MECHS, 8192);
	is_int(feed("CPID\t1"), RG_DV_CLOSE, "CPID before VERSION closes");
	rg_dv_session_init(&S, BOTH_MECHS, 8192);
	is_int(feed("VERSION\t2\t0"), RG_DV_CLOSE, "major version 2 closes");
	rg_dv_session_init(&S, BOTH_MECHS, 8192);
	is_int(feed("VERSION\t1\tx"), RG_DV_CLOSE, "non-numeric minor closes");
	rg_dv_session_init(&S, BOTH_MECHS, 8192);
	is_int(feed("VERSION\t1\t0"), RG_DV_NOTHING, "VERSION 1 0 accepted");
	is_int(feed(line("AUTH\t1\tPLAIN\tservice=smtp\tresp=%s", PLAIN("", "a", "b"))), RG_DV_CLOSE,
	       "AUTH before CPID closes");
	rg_dv_session_init(&S, BOTH_MECHS, 8192);
	feed("VERSION\t1\t0");
	is_int(feed("CPID\tabc"), RG_DV_CLOSE, "non-numeric CPID closes");
	start(BOTH_MECHS);
	is_int(feed("CPID\t1"), RG_DV_CLOSE, "repeated CPID closes");
	start(BOTH_MECHS);
	is_int(feed("VERSION\t1\t2"), RG_DV_CLOSE, "repeated VERSION closes");
	start(BOTH_MECHS);
	is_int(feed("HELLO"), RG_DV_CLOSE, "unknown command closes");
	start(BOTH_MECHS);
	is_int(feed(""), RG_DV_CLOSE, "empty line closes");
}

static void test_plain(void)
{
	start(BOTH_MECHS);
	is_int(feed(line("AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.1"
			 "\tsecured\tresp=%s", PLAIN("", "daniel", "secret"))), RG_DV_AUTH,
	       "PLAIN with initial response → auth");
	is_int(EV.id, 1, "id 1");
	is_str(EV.req.authc, "daniel", "authc");
	is_str(EV.req.authz, "", "empty authz");
	is_int(EV.req.password_len, 6, "password length");
	ok(memcmp(EV.req.password, "secret", 6) == 0, "password bytes");
	is_str(EV.req.remote_addr, "192.0.2.1", "rip");
	is_str(EV.req.service, "smtp", "service");
	ok(EV.req.secured && EV.req.tls_known, "secured flag seen");
	is_int(EV.req.mech, RG_MECH_PLAIN, "mech PLAIN");
	rg_dv_event_wipe(&EV);
	ok(EV.password[0] == 0 && EV.authc[0] == 0, "event wiped");

	is_int(feed(line("AUTH\t2\tPLAIN\tservice=smtp\trip=192.0.2.1\tresp=%s",
			 PLAIN("daniel", "mallory", "pw"))), RG_DV_AUTH, "PLAIN with authzid");
	is_str(EV.req.authz, "daniel", "authz parsed");
	is_str(EV.req.authc, "mallory", "authc parsed");
	ok(!EV.req.secured, "not secured without the flag");

	is_int(feed("AUTH\t3\tPLAIN\tservice=smtp"), RG_DV_REPLY, "PLAIN without resp → CONT");
	is_str(EV.reply, "CONT\t3\t\n", "empty challenge");
	is_int(feed(line("CONT\t3\t%s", PLAIN("", "daniel", "x"))), RG_DV_AUTH, "CONT completes PLAIN");
	is_int(EV.id, 3, "CONT id");
	is_int(feed(line("CONT\t3\t%s", PLAIN("", "daniel", "x"))), RG_DV_REPLY,
	       "CONT for a finished id → FAIL");
	ok(strncmp(EV.reply, "FAIL\t3\t", 7) == 0, "FAIL names the id");

	is_int(feed(line("AUTH\t4\tplain\tservice=smtp\tresp=%s", PLAIN("", "daniel", "x"))),
	       RG_DV_AUTH, "mechanism name case-insensitive");
	/* malformed PLAIN payloads: FAIL, never AUTH */
	is_int(feed(line("AUTH\t5\tPLAIN\tservice=smtp\tresp=%s", b64("daniel", 6))), RG_DV_REPLY,
	       "PLAIN without NULs fails");
	ok(strncmp(EV.reply, "FAIL\t5\treason=", 14) == 0, "FAIL with reason");
	is_int(feed(line("AUTH\t6\tPLAIN\tservice=smtp\tresp=%s", b64("\0daniel", 7))), RG_DV_REPLY,
	       "PLAIN with one NUL fails");
	is_int(feed(line("AUTH\t7\tPLAIN\tservice=smtp\tresp=%s", b64("\0\0pw", 4))), RG_DV_REPLY,
	       "PLAIN with empty authcid fails");
	is_int(feed(line("AUTH\t8\tPLAIN\tservice=smtp\tresp=%s", b64("\0a\0p\0w", 6))), RG_DV_REPLY,
	       "PLAIN with a NUL in the password fails");
	is_int(feed(line("AUTH\t9\tPLAIN\tservice=smtp\tresp=%s", b64("\0a\tb\0pw", 7))), RG_DV_REPLY,
	       "TAB in authcid refused");
	is_int(feed(line("AUTH\t10\tPLAIN\tservice=smtp\tresp=%s", b64("x\ny\0a\0pw", 8))),
	       RG_DV_REPLY, "LF in authzid refused");
	is_int(feed("AUTH\t11\tPLAIN\tservice=smtp\tresp="), RG_DV_REPLY, "empty resp for PLAIN fails");
	is_int(feed("AUTH\t12\tPLAIN\tservice=smtp\tresp=AAA"), RG_DV_REPLY, "bad base64 length fails");
	is_int(feed("AUTH\t13\tPLAIN\tservice=smtp\tresp=A*==") , RG_DV_REPLY, "bad base64 char fails");
	is_int(feed(line("AUTH\t14\tPLAIN\tresp=%s", PLAIN("", "a", "b"))), RG_DV_REPLY,
	       "AUTH without service fails");
	is_int(feed(line("AUTH\t15\tPLAIN\tservice=smtp\tservice=imap\tresp=%s", PLAIN("", "a", "b"))),
	       RG_DV_REPLY, "repeated service fails");
	is_int(feed(line("AUTH\t16\tPLAIN\tservice=smtp\trip=1.2.3.4;x\tresp=%s", PLAIN("", "a", "b"))),
	       RG_DV_REPLY, "garbage rip fails");
	is_int(feed("AUTH\t17\tPLAIN\tservice=smtp\tresp=AAAA\tresp=AAAA"), RG_DV_REPLY,
	       "repeated resp fails");

	/* lengths */
	char big[1100];
	char msg[1400];
	memset(big, 'a', sizeof(big));
	msg[0] = 0;
	memcpy(msg + 1, big, 256);
	msg[257] = 0;
	memcpy(msg + 258, "pw", 2);
	is_int(feed(line("AUTH\t20\tPLAIN\tservice=smtp\tresp=%s", b64(msg, 260))), RG_DV_REPLY,
	       "256-byte authcid refused");
	msg[1] = 0;
	memcpy(msg, "\0u\0", 3);
	memcpy(msg + 3, big, 1025);
	is_int(feed(line("AUTH\t21\tPLAIN\tservice=smtp\tresp=%s", b64(msg, 3 + 1025))), RG_DV_REPLY,
	       "1025-byte password refused");
	is_int(feed(line("AUTH\t22\tPLAIN\tservice=smtp\tresp=%s", b64(msg, 3 + 1024))), RG_DV_AUTH,
	       "1024-byte password accepted");
	is_int(EV.req.password_len, 1024, "1024 bytes");
	memcpy(msg + 1, big, 255);
	msg[256] = 0;
	memcpy(msg + 257, "pw", 2);
	is_int(feed(line("AUTH\t23\tPLAIN\tservice=smtp\tresp=%s", b64(msg, 259))), RG_DV_AUTH,
	       "255-byte authcid accepted");
}

static void test_login(void)
{
	start(BOTH_MECHS);
	is_int(feed("AUTH\t1\tLOGIN\tservice=smtp\tsecured"), RG_DV_REPLY, "LOGIN → first CONT");
	is_str(EV.reply, "CONT\t1\tVXNlcm5hbWU6\n", "Username: prompt");
	is_int(feed(line("CONT\t1\t%s", b64("daniel", 6))), RG_DV_REPLY, "username → second CONT");
	is_str(EV.reply, "CONT\t1\tUGFzc3dvcmQ6\n", "Password: prompt");
	is_int(feed(line("CONT\t1\t%s", b64("s3cret", 6))), RG_DV_AUTH, "password → auth");
	is_str(EV.req.authc, "daniel", "LOGIN authc");
	is_str(EV.req.authz, "", "LOGIN has no authz");
	ok(EV.req.password_len == 6 && memcmp(EV.req.password, "s3cret", 6) == 0, "LOGIN password");
	is_int(EV.req.mech, RG_MECH_LOGIN, "mech LOGIN");
	ok(EV.req.secured, "secured carried through CONT");

	is_int(feed(line("AUTH\t2\tLOGIN\tservice=smtp\tresp=%s", b64("daniel", 6))), RG_DV_REPLY,
	       "LOGIN initial response is the username");
	is_str(EV.reply, "CONT\t2\tUGFzc3dvcmQ6\n", "straight to Password:");
	is_int(feed("CONT\t2\t"), RG_DV_AUTH, "empty password still reaches the check");
	is_int(EV.req.password_len, 0, "empty password");
	is_int(feed("AUTH\t3\tLOGIN\tservice=smtp"), RG_DV_REPLY, "LOGIN 3");
	is_int(feed("CONT\t3\t"), RG_DV_REPLY, "empty username fails");
	ok(strncmp(EV.reply, "FAIL\t3\t", 7) == 0, "FAIL 3");
	is_int(feed("CONT\t3\tZGFuaWVs"), RG_DV_REPLY, "request is gone after the failure");
	ok(strncmp(EV.reply, "FAIL\t3\t", 7) == 0, "unknown id FAILs");
	start(RG_MECH_BIT(RG_MECH_PLAIN));
	is_int(feed("AUTH\t1\tLOGIN\tservice=smtp"), RG_DV_REPLY, "disabled mechanism");
	is_str(EV.reply, "FAIL\t1\treason=Unsupported authentication mechanism\n",
	       "unsupported mechanism FAIL");
	is_int(feed("AUTH\t2\tCRAM-MD5\tservice=smtp"), RG_DV_REPLY, "unknown mechanism FAILs");
}

static void test_ids_and_limits(void)
{
	start(BOTH_MECHS);
	is_int(feed("AUTH\tx\tPLAIN\tservice=smtp"), RG_DV_CLOSE, "non-numeric id closes");
	start(BOTH_MECHS);
	is_int(feed("AUTH\t-1\tPLAIN\tservice=smtp"), RG_DV_CLOSE, "negative id closes");
	start(BOTH_MECHS);
	is_int(feed("AUTH\t99999999999\tPLAIN\tservice=smtp"), RG_DV_CLOSE, "id > 2^32 closes");
	start(BOTH_MECHS);
	is_int(feed("AUTH\t1"), RG_DV_CLOSE, "AUTH without mechanism closes");
	start(BOTH_MECHS);
	feed("AUTH\t5\tPLAIN\tservice=smtp");
	is_int(feed("AUTH\t5\tPLAIN\tservice=smtp"), RG_DV_CLOSE, "reusing a pending id closes");
	start(BOTH_MECHS);
	is_int(feed("CONT\tx\tAAAA"), RG_DV_CLOSE, "CONT with bad id closes");
	start(BOTH_MECHS);
	is_int(feed("CONT\t1\tAAAA\textra"), RG_DV_CLOSE, "CONT with extra field closes");
	/* many abandoned requests: bounded, oldest dropped */
	start(BOTH_MECHS);
	char l[64];
	for (int i = 1; i <= 40; i++) {
		snprintf(l, sizeof(l), "AUTH\t%d\tPLAIN\tservice=smtp", i);
		feed(l);
	}
	is_int(S.n_pending, RG_DV_MAX_PENDING, "pending requests bounded");
	is_int(feed(line("CONT\t40\t%s", PLAIN("", "u", "p"))), RG_DV_AUTH, "newest still pending");
	is_int(feed(line("CONT\t1\t%s", PLAIN("", "u", "p"))), RG_DV_REPLY, "oldest was dropped");
	/* pipelining: several complete requests in a row */
	start(BOTH_MECHS);
	int authed = 0;
	for (int i = 100; i < 110; i++) {
		snprintf(l, sizeof(l), "AUTH\t%d\tPLAIN\tservice=smtp\tresp=", i);
		char full[5000];
		snprintf(full, sizeof(full), "%s%s", l, PLAIN("", "user", "pw"));
		authed += feed(full) == RG_DV_AUTH && EV.id == (unsigned)i;
	}
	is_int(authed, 10, "ten pipelined requests each answered with their id");

	/* line limits */
	rg_dv_session_init(&S, 3, 300);
	feed("VERSION\t1\t2");
	feed("CPID\t1");
	char longl[400];
	memset(longl, 'A', sizeof(longl));
	memcpy(longl, "AUTH\t1\tPLAIN\tservice=smtp\tresp=", 31);
	is_int(feedn(longl, 301), RG_DV_CLOSE, "line over max_request_length closes");
	start(BOTH_MECHS);
	is_int(feedn("AUTH\t1\tPL\0AIN", 13), RG_DV_CLOSE, "NUL in a line closes");
	start(BOTH_MECHS);
	char many[400] = "AUTH\t1\tPLAIN";
	for (int i = 0; i < 70; i++)
		strcat(many, "\tx");
	is_int(feed(many), RG_DV_CLOSE, "too many fields closes");
}

static void test_escaping(void)
{
	char s[64];
	strcpy(s, "a\001tb\001nc\001rd\0011e");
	is_int(rg_dv_tabunescape(s, strlen(s)), 9, "unescaped length");
	ok(memcmp(s, "a\tb\nc\rd\001e", 10) == 0, "\\001 t n r 1 unescaped");
	strcpy(s, "a\\tb");
	rg_dv_tabunescape(s, strlen(s));
	is_str(s, "a\\tb", "backslash is literal (as in Dovecot)");
	strcpy(s, "bad\001x");
	is_int(rg_dv_tabunescape(s, strlen(s)), -1, "unknown escape refused");
	strcpy(s, "trail\001");
	is_int(rg_dv_tabunescape(s, strlen(s)), -1, "dangling escape refused");
	char e[64];
	is_int(rg_dv_tabescape(e, sizeof(e), "x\ty\nz\001"), 9, "escaped length");
	ok(memcmp(e, "x\001ty\001nz\0011", 10) == 0, "escape round trip");
	is_int(rg_dv_tabescape(e, 4, "abcdef"), -1, "escape overflow detected");

	start(BOTH_MECHS);
	is_int(feed(line("AUTH\t1\tPLAIN\tservice=sm\001ttp\tresp=%s", PLAIN("", "u", "p"))),
	       RG_DV_REPLY, "escaped TAB in service refused (control byte)");
	is_int(feed(line("AUTH\t2\tPLAIN\tservice=smtp\tfoo=a\001tb\tresp=%s", PLAIN("", "u", "p"))),
	       RG_DV_AUTH, "escaped TAB in an unknown parameter is fine");
	start(BOTH_MECHS);
	is_int(feed("AUTH\t1\tPLAIN\tservice=smtp\tfoo=\001z"), RG_DV_CLOSE, "bad escape closes");
}

static void test_results(void)
{
	char buf[600];
	struct rg_auth_result r = { .status = RG_AUTH_OK };
	strcpy(r.identity, "daniel");
	size_t n = rg_dv_format_result(buf, sizeof(buf), 7, &r);
	ok(n > 0 && strcmp(buf, "OK\t7\tuser=daniel\n") == 0, "OK with user=");
	r.status = RG_AUTH_FAIL;
	r.client_reason = "Authentication failed";
	n = rg_dv_format_result(buf, sizeof(buf), 8, &r);
	ok(n > 0 && strcmp(buf, "FAIL\t8\treason=Authentication failed\n") == 0, "FAIL with reason=");
	r.status = RG_AUTH_TEMPFAIL;
	is_int(rg_dv_format_result(buf, sizeof(buf), 9, &r), 0, "TEMPFAIL → no reply (close)");
}

/* the mechanisms enabled now are set before each line (a reload changes them) */
static void test_mechs_changed(void)
{
	start(RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN));
	is_int(feed("AUTH\t1\tLOGIN\tservice=smtp"), RG_DV_REPLY, "LOGIN started while enabled");
	is_str(EV.reply, "CONT\t1\tVXNlcm5hbWU6\n", "Username: prompt");
	rg_dv_session_set_mechs(&S, RG_MECH_BIT(RG_MECH_PLAIN));	/* a reload removed LOGIN */
	is_int(feed("AUTH\t2\tLOGIN\tservice=smtp"), RG_DV_REPLY, "new LOGIN after removal");
	is_str(EV.reply, "FAIL\t2\treason=Unsupported authentication mechanism\n",
	       "new LOGIN request: FAIL");
	ok(EV.error != NULL && strstr(EV.error, "LOGIN is not enabled") != NULL,
	   "the reason says LOGIN is not enabled");
	is_int(feed("CONT\t1\tZGFuaWVs"), RG_DV_REPLY, "pending LOGIN continued after removal");
	is_str(EV.reply, "FAIL\t1\treason=Unsupported authentication mechanism\n",
	       "pending LOGIN: FAIL");
	is_int(S.n_pending, 0, "the refused pending request is dropped");
	is_int(feed(line("AUTH\t3\tPLAIN\tservice=smtp\tresp=%s", PLAIN("", "u", "p"))),
	       RG_DV_AUTH, "PLAIN still runs");
	rg_dv_session_set_mechs(&S, RG_MECH_BIT(RG_MECH_PLAIN) | RG_MECH_BIT(RG_MECH_LOGIN));	/* added back */
	is_int(feed("AUTH\t4\tLOGIN\tservice=smtp"), RG_DV_REPLY, "LOGIN enabled again");
	is_str(EV.reply, "CONT\t4\tVXNlcm5hbWU6\n", "LOGIN runs again");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_handshake();
	test_order();
	test_plain();
	test_login();
	test_ids_and_limits();
	test_escaping();
	test_results();
	test_mechs_changed();
	return done_testing();
}
