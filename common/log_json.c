/*
 * log_json.c — a key=value log line as one JSON object (log_format = "json"):
 * the same fields, read with the rules the lines are written by (log.c:
 * bare values, quoted values with \" \\ \xNN escapes and the \... cut mark).
 * Free text words ("auth:", "milter", "reject:") go to "msg", joined by
 * spaces; the bare "-" (no value) is null.  The output is plain ASCII:
 * control bytes and bytes above 0x7e are \u00XX escapes, one per byte, so a
 * name in any encoding survives, byte for byte, as it does in the kv line.
 * A line that does not split into fields is kept whole in "msg".
 */
#include <autoconfig.h>
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n + 2 > o->cap) {	/* room for the closing "}\0" */
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_byte_json(struct out *o, unsigned char c)
{
	char e[8];
	if (c == '"' || c == '\\') {
		e[0] = '\\';
		e[1] = (char)c;
		put(o, e, 2);
	} else if (c < 0x20 || c > 0x7e) {
		snprintf(e, sizeof(e), "\\u%04x", c);
		put(o, e, 6);
	} else {
		put(o, (const char *)&c, 1);
	}
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Fields of line into o; false when the line does not split into fields. */
static bool fields(const char *line, struct out *o, struct out *msg)
{
	const char *p = line;

	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		const char *k = p;
		while (key_char(*p))
			p++;
		if (p > k && *p == '=') {
			put(o, ",\"", 2);
			put(o, k, (size_t)(p - k));
			put(o, "\":", 2);
			p++;
			if (*p == '"') {
				put(o, "\"", 1);
				for (p++;; ) {
					if (*p == '\0')
						return false;	/* unterminated */
					if (*p == '"') {
						p++;
						break;
					}
					if (*p == '\\') {
						int h1, h2;
						if (p[1] == '"' || p[1] == '\\') {
							put_byte_json(o, (unsigned char)p[1]);
							p += 2;
						} else if (p[1] == 'x' && (h1 = hexval(p[2])) >= 0 &&
							   (h2 = hexval(p[3])) >= 0) {
							put_byte_json(o, (unsigned char)(h1 * 16 + h2));
							p += 4;
						} else if (strncmp(p + 1, "...", 3) == 0) {
							put(o, "...", 3);
							p += 4;
						} else {
							return false;
						}
						continue;
					}
					put_byte_json(o, (unsigned char)*p++);
				}
				put(o, "\"", 1);
			} else {
				const char *v = p;
				while (*p && *p != ' ' && *p != '"' && *p != '\\' && *p != '=')
					p++;
				if (*p != '\0' && *p != ' ')
					return false;
				if (p - v == 1 && *v == '-') {
					put(o, "null", 4);
				} else {
					put(o, "\"", 1);
					for (; v < p; v++)
						put_byte_json(o, (unsigned char)*v);
					put(o, "\"", 1);
				}
			}
			if (*p != '\0' && *p != ' ')
				return false;
			continue;
		}
		/* a free text word */
		p = k;
		if (msg->len > 0)
			put(msg, " ", 1);
		while (*p && *p != ' ') {
			if (*p == '=' || *p == '"')
				return false;
			put_byte_json(msg, (unsigned char)*p++);
		}
	}
	return true;
}

static const char *level_name(int priority)
{
	switch (priority & LOG_PRIMASK) {
	case LOG_EMERG: return "emerg";
	case LOG_ALERT: return "alert";
	case LOG_CRIT: return "crit";
	case LOG_ERR: return "err";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

size_t rg_log_json(int priority, const char *line, char *buf, size_t size)
{
	char fbuf[6 * RG_LOG_LINE_MAX + 64], mbuf[4096];
	struct out o = { buf, size, 0, false };
	struct out f = { fbuf, sizeof(fbuf), 0, false };
	struct out m = { mbuf, sizeof(mbuf), 0, false };

	if (size < 64) {
		if (size > 0)
			buf[0] = '\0';
		return 0;
	}
	put(&o, "{\"level\":\"", 10);
	put(&o, level_name(priority), strlen(level_name(priority)));
	put(&o, "\",\"msg\":\"", 9);
	if (fields(line, &f, &m) && !f.full && !m.full) {
		put(&o, mbuf, m.len);
		put(&o, "\"", 1);
		put(&o, fbuf, f.len);
	} else {
		for (const char *p = line; *p; p++) {
			struct out probe = o;
			put_byte_json(&probe, (unsigned char)*p);
			if (probe.full)
				break;	/* cut whole escapes only */
			o = probe;
		}
		put(&o, "\"", 1);
	}
	if (o.full) {
		/* cannot happen with the daemon's line sizes; stay valid JSON anyway */
		o.full = false;
		o.len = 0;
		put(&o, "{\"level\":\"err\",\"msg\":\"log line too long for JSON\"", 48);
	}
	o.buf[o.len++] = '}';
	o.buf[o.len] = '\0';
	return o.len;
}
