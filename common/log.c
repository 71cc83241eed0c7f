/* log.c — log lines to syslog (log_syslog.c), plus stderr when asked. */
#include <autoconfig.h>
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool log_syslog;
static bool log_stderr = true;
static const char *log_ident = "relayguard";
static bool log_json;

void rg_log_set_json(bool on)
{
	__atomic_store_n(&log_json, on, __ATOMIC_RELAXED);
}

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"auth", LOG_AUTH},
	{"authpriv", LOG_AUTHPRIV}, {"user", LOG_USER}, {"local0", LOG_LOCAL0},
	{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
	{"local7", LOG_LOCAL7},
};

int rg_log_facility(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

void rg_log_open(const char *ident, const char *facility, const char *socket, bool to_stderr)
{
	int fac = facility ? rg_log_facility(facility) : LOG_MAIL;
	if (fac < 0)
		fac = LOG_MAIL;
	log_ident = ident ? ident : "relayguard";
	(void)rg_syslog_open(socket, log_ident, fac);	/* not there yet: retried per line */
	log_syslog = true;
	log_stderr = to_stderr;
}

void rg_log_stderr_only(void)
{
	log_syslog = false;
	log_stderr = true;
}

void rg_log_set_stderr(bool on)
{
	__atomic_store_n(&log_stderr, on, __ATOMIC_RELAXED);	/* other threads log concurrently */
}

static void emit(int priority, const char *out)
{
	if (log_syslog)
		rg_syslog_send(priority, out);
	if (__atomic_load_n(&log_stderr, __ATOMIC_RELAXED)) {
		static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
		pthread_mutex_lock(&lock);
		fprintf(stderr, "%s: %s\n", log_ident, out);
		fflush(stderr);
		pthread_mutex_unlock(&lock);
	}
}

/* The JSON form needs ~15 KiB of buffers; they live in this frame only, so
 * that a key=value line keeps the logging thread's stack shallow (a thread
 * touching fresh stack pages pays a page fault for each). */
static __attribute__((noinline)) void emit_json(int priority, const char *line)
{
	char json[6 * RG_LOG_LINE_MAX + 128];	/* every byte may become \u00XX */

	rg_log_json(priority, line, json, sizeof(json));
	emit(priority, json);
}

void rg_log(int priority, const char *fmt, ...)
{
	char line[RG_LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (__atomic_load_n(&log_json, __ATOMIC_RELAXED))
		emit_json(priority, line);
	else
		emit(priority, line);
}


/* A byte that may stand in a bare (unquoted) value. */
static bool bare_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '@' || c == '+' || c == '-' || c == ':' || c == '/';
}

/* c as it appears inside quotes (at most 4 bytes); returns the length. */
static size_t escape_byte(unsigned char c, char out[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c < 0x20 || c >= 0x7f || c == '=') {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 15];
		return 4;
	}
	out[0] = (char)c;
	return 1;
}

#define CUT_MARK "\\..."	/* ends a value cut to fit: never produced by escape_byte */

/* The escaped form of s into buf, at most cap bytes (cap >= 4), no NUL added.
 * A value that does not fit ends in CUT_MARK; escapes are never split. */
static size_t escape_into(char *buf, size_t cap, const char *s)
{
	char e[4];
	size_t total = 0, o = 0, len;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		total += escape_byte(*p, e);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		len = escape_byte(*p, e);
		if (total > cap && o + len > cap - (sizeof(CUT_MARK) - 1))
			break;
		memcpy(buf + o, e, len);
		o += len;
	}
	if (total > cap) {
		memcpy(buf + o, CUT_MARK, sizeof(CUT_MARK) - 1);
		o += sizeof(CUT_MARK) - 1;
	}
	return o;
}

const char *rg_log_quote(char *buf, size_t n, const char *s)
{
	size_t len, o;

	if (n < RG_LOG_QUOTE_MIN) {
		if (n > 0)
			buf[0] = '\0';
		return buf;
	}
	if (s == NULL) {
		memcpy(buf, "-", 2);
		return buf;
	}
	len = strlen(s);
	if (len > 0 && len < n && strcmp(s, "-") != 0) {
		size_t i = 0;
		while (i < len && bare_byte((unsigned char)s[i]))
			i++;
		if (i == len) {
			memcpy(buf, s, len + 1);
			return buf;
		}
	}
	buf[0] = '"';
	o = 1 + escape_into(buf + 1, n - 3, s);
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *rg_log_safe(char *buf, size_t n, const char *s)
{
	if (n < RG_LOG_QUOTE_MIN) {
		if (n > 0)
			buf[0] = '\0';
		return buf;
	}
	buf[escape_into(buf, n - 1, s ? s : "")] = '\0';
	return buf;
}
