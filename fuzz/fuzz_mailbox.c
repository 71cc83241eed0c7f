/*
 * fuzz_mailbox.c — libFuzzer target for the From:/Sender: and envelope
 * address parser (common/mailbox.c) and the sender grant keys.  Properties:
 * the parse is deterministic; every stored address has an '@', fits, holds
 * no CR, LF or NUL; an address with an unquoted local part parses back to
 * itself; the grant keys of an address fit and hold a lower-case domain.
 */
#include <autoconfig.h>
#include "mailbox.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_keys(const char *addr)
{
	char keys[RG_SENDER_KEYS][RG_ADDR_MAX];
	size_t n = rg_sender_keys(addr, "+-", true, keys);

	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(keys[i], RG_ADDR_MAX);
		const char *d = strrchr(keys[i], '@');
		if (len >= RG_ADDR_MAX)
			abort();
		for (; d != NULL && *d; d++)
			if (*d >= 'A' && *d <= 'Z')
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_mailbox a[4], b[4];
	const char *err1, *err2;

	if (size > 8192)
		return 0;
	int n1 = rg_mailbox_list_parse((const char *)data, size, a, 4, &err1);
	int n2 = rg_mailbox_list_parse((const char *)data, size, b, 4, &err2);
	if (n1 != n2 || n1 < -1 || (n1 == -1 && err1 == NULL))
		abort();
	for (int i = 0; i < n1 && i < 4; i++) {
		size_t len = strnlen(a[i].addr, RG_ADDR_MAX);
		if (len >= RG_ADDR_MAX || strchr(a[i].addr, '@') == NULL ||
		    strpbrk(a[i].addr, "\r\n") != NULL || strcmp(a[i].addr, b[i].addr) != 0)
			abort();
		if (!a[i].quoted_local) {
			struct rg_mailbox c;
			const char *e;
			if (rg_mailbox_list_parse(a[i].addr, len, &c, 1, &e) != 1 ||
			    strcmp(c.addr, a[i].addr) != 0)
				abort();
		}
		check_keys(a[i].addr);
	}
	/* the same bytes as a MAIL FROM argument (NUL-terminated copy) */
	char *arg = malloc(size + 1);
	if (arg != NULL) {
		char out[RG_ADDR_MAX];
		bool null;
		memcpy(arg, data, size);
		arg[size] = '\0';
		if (rg_envelope_sender(arg, out, sizeof(out), &null) && !null) {
			if (strchr(out, '@') == NULL || strlen(out) >= sizeof(out))
				abort();
			check_keys(out);
		}
		free(arg);
	}
	return 0;
}
