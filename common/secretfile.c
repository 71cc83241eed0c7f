/*
 * secretfile.c — a secret read from its own file (see secretfile.h).
 */
#include <autoconfig.h>
#include "secretfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

int rg_secret_file_read(const char *path, char *out, size_t n, struct stat *st_r, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0, r;

	out[0] = '\0';
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (st_r != NULL && fstat(fd, st_r) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while ((size_t)got < n - 1 && (r = read(fd, out + got, n - 1 - (size_t)got)) > 0)
		got += r;
	close(fd);
	out[got] = '\0';
	if ((size_t)got == n - 1) {
		sodium_memzero(out, n);
		snprintf(err, errlen, "%s: longer than %zu bytes", path, n - 2);
		return -1;
	}
	size_t a = 0, b = (size_t)got;
	while (a < b && strchr(" \t\r\n", out[a]) != NULL)
		a++;
	while (b > a && strchr(" \t\r\n", out[b - 1]) != NULL)
		b--;
	memmove(out, out + a, b - a);
	sodium_memzero(out + (b - a), (size_t)got - (b - a));
	out[b - a] = '\0';
	for (size_t i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x21 || (unsigned char)out[i] == 0x7f) {
			sodium_memzero(out, n);
			snprintf(err, errlen, "%s: more than one line, or a control character", path);
			return -1;
		}
	if (out[0] == '\0') {
		snprintf(err, errlen, "%s is empty", path);
		return -1;
	}
	return 0;
}
