/*
 * msgs.h — a growing text of "file:line: message" lines: how the config loader,
 * the store checks and `relayguard -n` report every problem they find (not only
 * the first), in the form editors and people read.
 */
#ifndef RG_MSGS_H
#define RG_MSGS_H

#include <stddef.h>

struct rg_msgs {
	char *buf;
	size_t len, cap;
	int count;
};
void rg_msgs_add(struct rg_msgs *m, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Take the text (NULL when empty; caller frees); m is reset. */
char *rg_msgs_take(struct rg_msgs *m);

#endif
