/* test_log.c — rg_log_quote / rg_log_safe: bare or quoted values, escapes, no raw '=',
 * cuts marked and never inside an escape, small buffers. */
#include <autoconfig.h>
#include "../tap.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[512];

static const char *q(const char *s)
{
	return rg_log_quote(buf, sizeof(buf), s);
}

/* The syslog client as the syslog daemon sees it: one datagram per line,
 * framed "<PRI>Mmm dd hh:mm:ss ident[pid]: text"; a key=value line cut at
 * RG_LOG_LINE_MAX - 1 bytes, a datagram at RG_SYSLOG_LINE_MAX. */
static void test_syslog_frames(void)
{
	char dir[] = "t/tmp/test_log.XXXXXX", path[64], want[96];
	static char got[65536], big[20000];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };

	mkdir("t", 0755);
	mkdir("t/tmp", 0755);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ok(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "syslog: a socket to read");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rg_log_open("rg-test", "local3", path, false);

	rg_log(LOG_NOTICE, "milter: queue_id=%s result=%s", "Q1", "accept");
	ssize_t n = recv(fd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "<%d>", LOG_LOCAL3 | LOG_NOTICE);
	ok(strncmp(got, want, strlen(want)) == 0, "syslog: priority %s (%s)", want, got);
	snprintf(want, sizeof(want), " rg-test[%ld]: milter: queue_id=Q1 result=accept", (long)getpid());
	ok(n > 20 && strstr(got, want) != NULL && strlen(strstr(got, want)) == strlen(want),
	   "syslog: ident[pid]: and the text, nothing after it");
	const char *ts = got + 5;	/* after "<157>": "Mmm dd hh:mm:ss " */
	ok(n > 21 && ts[3] == ' ' && ts[6] == ' ' && ts[9] == ':' && ts[12] == ':' && ts[15] == ' ',
	   "syslog: the time stamp as syslog(3) writes it (%.21s)", got);

	memset(big, 'x', sizeof(big) - 1);
	rg_log(LOG_INFO, "long: %s", big);
	n = recv(fd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	char *text = strstr(got, "]: long: ");
	ok(text != NULL && strlen(text + 3) == RG_LOG_LINE_MAX - 1,
	   "syslog: a long line is cut at %d bytes (%zu)", RG_LOG_LINE_MAX - 1,
	   text != NULL ? strlen(text + 3) : 0);

	rg_syslog_send(LOG_INFO, big);	/* longer than a datagram may be */
	n = recv(fd, got, sizeof(got) - 1, 0);
	is_int((int)n, RG_SYSLOG_LINE_MAX, "syslog: a datagram is cut at RG_SYSLOG_LINE_MAX bytes");
	ok(n > 0 && strstr(got, "]: xxxx") != NULL, "syslog: the cut datagram still starts with its header");

	rg_log_set_json(true);
	rg_log(LOG_WARNING, "auth: user=%s result=fail", "bob");
	n = recv(fd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	ok(strstr(got, "]: {\"level\":\"warning\",\"msg\":\"auth:\",\"user\":\"bob\","
			"\"result\":\"fail\"}") != NULL, "syslog: log_format json sends the JSON form (%s)", got);
	rg_log_set_json(false);
	rg_log_stderr_only();
	close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	char small[16];

	is_str(q("daniel"), "daniel", "plain name: bare");
	is_str(q("daniel@example.org"), "daniel@example.org", "address: bare");
	is_str(q("192.0.2.10"), "192.0.2.10", "IPv4: bare");
	is_str(q("2001:db8::1"), "2001:db8::1", "IPv6: bare");
	is_str(q(NULL), "-", "NULL: the bare - (no value)");
	is_str(q("-"), "\"-\"", "a value that is literally - is quoted");
	is_str(q(""), "\"\"", "empty: \"\"");
	is_str(q("x rip=203.0.113.66 result=ok"), "\"x rip\\x3d203.0.113.66 result\\x3dok\"",
	       "spaces quoted, '=' escaped: no second rip= in the line");
	is_str(q("a\"b"), "\"a\\\"b\"", "quote escaped");
	is_str(q("a\\b"), "\"a\\\\b\"", "backslash escaped");
	is_str(q("alice\001evil"), "\"alice\\x01evil\"", "control byte as \\xNN");
	is_str(q("caf\xc3\xa9"), "\"caf\\xc3\\xa9\"", "8-bit bytes as \\xNN");
	is_str(q("a\nb\rc\td\x7f"), "\"a\\x0ab\\x0dc\\x09d\\x7f\"", "CR, LF, TAB, DEL");
	is_str(q("x'y"), "\"x'y\"", "other punctuation: quoted as is");

	/* cuts: n = 16 leaves 13 bytes between the quotes, 4 of them for \... */
	is_str(rg_log_quote(small, sizeof(small), "abcdefghijklm"), "abcdefghijklm", "13 bytes: bare");
	is_str(rg_log_quote(small, sizeof(small), "abcdefghijklmnop"), "\"abcdefghi\\...\"",
	       "too long for bare: quoted and cut, marked \\...");
	is_str(rg_log_quote(small, sizeof(small), "a b c d e f g"), "\"a b c d e f g\"",
	       "13 bytes quoted: fits exactly, no mark");
	is_str(rg_log_quote(small, sizeof(small), "a b c d e f gh"), "\"a b c d e\\...\"",
	       "14 bytes quoted: cut");
	is_str(rg_log_quote(small, sizeof(small), "a\001\001\001"), "\"a\\x01\\x01\\x01\"",
	       "escapes fit exactly: no cut");
	is_str(rg_log_quote(small, sizeof(small), "ab\001\001\001\001"), "\"ab\\x01\\...\"",
	       "an escape is never split by a cut");
	is_str(rg_log_quote(small, 8, "\"\"\"\"\"\"\""), "\"\\...\"", "smallest buffer: only the mark");
	small[0] = 'x';
	is_str(rg_log_quote(small, 7, "a"), "", "buffer under RG_LOG_QUOTE_MIN: empty, no overflow");

	char big[400];
	memset(big, '=', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *r = rg_log_quote(buf, 300, big);
	ok(strlen(r) < 300 && strchr(r, '=') == NULL && strcmp(r + strlen(r) - 5, "\\...\"") == 0,
	   "long value of '=': fits 300, no raw '=', ends in \\...\"");

	is_str(rg_log_safe(small, sizeof(small), "no such \"x\""), "no such \\\"x\\\"",
	       "rg_log_safe: same escapes, no quotes");
	is_str(rg_log_safe(small, sizeof(small), "v=19 and more text"), "v\\x3d19 and\\...",
	       "rg_log_safe: '=' escaped, cut marked");
	is_str(rg_log_safe(small, sizeof(small), NULL), "", "rg_log_safe: NULL is empty");

	/* ---- log_format = json: the same fields, one JSON object ---- */
	char j[4096], line[1024], u[300], a[300];
	snprintf(line, sizeof(line), "auth: protocol=dovecot user=%s authc=%s rip=- result=fail "
		 "reason=\"wrong password\" cached=no",
		 rg_log_quote(u, sizeof(u), "name with spaces=\"x\"\\"), rg_log_quote(a, sizeof(a), "\xe9t\x01"));
	rg_log_json(LOG_NOTICE, line, j, sizeof(j));
	is_str(j, "{\"level\":\"notice\",\"msg\":\"auth:\",\"protocol\":\"dovecot\","
	       "\"user\":\"name with spaces=\\\"x\\\"\\\\\",\"authc\":\"\\u00e9t\\u0001\","
	       "\"rip\":null,\"result\":\"fail\",\"reason\":\"wrong password\",\"cached\":\"no\"}",
	       "json: fields decoded from kv quoting, re-escaped for JSON; '-' is null; bytes as \\u00XX");
	rg_log_json(LOG_INFO, "Q1: milter accept: client=\"1.2.3.4\" tenant=acme", j, sizeof(j));
	is_str(j, "{\"level\":\"info\",\"msg\":\"Q1: milter accept:\",\"client\":\"1.2.3.4\","
	       "\"tenant\":\"acme\"}", "json: free text words joined in msg");
	rg_log_json(LOG_ERR, "not \"kv\" at all = odd", j, sizeof(j));
	is_str(j, "{\"level\":\"err\",\"msg\":\"not \\\"kv\\\" at all = odd\"}",
	       "json: a line that does not split into fields stays whole in msg");
	rg_log_json(LOG_INFO, "x: v=\"cut\\...\"", j, sizeof(j));
	is_str(j, "{\"level\":\"info\",\"msg\":\"x:\",\"v\":\"cut...\"}", "json: the cut mark reads as ...");
	char tiny[80];
	rg_log_json(LOG_INFO, "x: v=\"0123456789012345678901234567890123456789012345678901234567890123456789\"",
		    tiny, sizeof(tiny));
	ok(tiny[0] == '{' && tiny[strlen(tiny) - 1] == '}', "json: too long for the buffer still valid (%s)", tiny);
	test_syslog_frames();
	return done_testing();
}
