/* log.c — syslog, plus stderr when asked. */
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

void rg_log_open(const char *ident, const char *facility, bool to_stderr)
{
	int fac = facility ? rg_log_facility(facility) : LOG_MAIL;
	if (fac < 0)
		fac = LOG_MAIL;
	log_ident = ident ? ident : "relayguard";
	openlog(log_ident, LOG_PID | LOG_NDELAY, fac);
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

void rg_log(int priority, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(priority, "%s", line);
	if (__atomic_load_n(&log_stderr, __ATOMIC_RELAXED)) {
		static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
		pthread_mutex_lock(&lock);
		fprintf(stderr, "%s: %s\n", log_ident, line);
		fflush(stderr);
		pthread_mutex_unlock(&lock);
	}
}

int rg_error_r(char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(error_r, fmt, ap) < 0)
		*error_r = NULL;
	va_end(ap);
	return -1;
}

const char *rg_log_safe(char *buf, size_t n, const char *s)
{
	size_t o = 0;

	if (n == 0)
		return "";
	if (s == NULL)
		s = "";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (o + 5 >= n) {
			if (n >= 4) {
				o = o < n - 4 ? o : n - 4;
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '\\') {
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}
