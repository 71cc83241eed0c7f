/*
 * secretfile.h — reading a secret (a password, a token, an id) from a file
 * of its own: the way a secret is kept out of the configuration.
 */
#ifndef RG_SECRETFILE_H
#define RG_SECRETFILE_H

#include <stddef.h>
#include <sys/stat.h>

/* The file's one line, surrounding white space dropped, into out (n bytes).
 * Refused: a file that cannot be read, an empty one, one longer than n - 2
 * bytes, one with a second line or a control character.  st_r (optional):
 * the file's stat, to notice a rewrite.  0, or -1 with a message in err
 * (errlen bytes; it never holds the secret).  out is wiped on failure. */
int rg_secret_file_read(const char *path, char *out, size_t n, struct stat *st_r, char *err,
			size_t errlen);

#endif
