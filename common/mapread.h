/* mapread.h — reading a shared file mapping that the file's owner may cut.
 *
 * A page of a MAP_SHARED file mapping shows the file's current bytes without
 * a system call per read, but a page wholly past the end of the file (the
 * file truncated after it was mapped, as `cp new old` or a shell's `>` does)
 * raises SIGBUS when touched.  rg_mapread copies bytes out of such a mapping
 * and answers -1 instead of dying when they are gone.  A SIGBUS anywhere
 * else keeps its default action (the process dumps core). */
#ifndef RG_MAPREAD_H
#define RG_MAPREAD_H

#include <stddef.h>

/* Install the SIGBUS handler (once per process; later calls do nothing).
 * 0, or an errno value. */
int rg_mapread_init(void);

/* Copy n bytes from map + off into out: 0, or -1 when touching them raised
 * SIGBUS (out then holds nothing usable).  rg_mapread_init must have
 * succeeded. */
int rg_mapread(const volatile unsigned char *map, size_t off, unsigned char *out, size_t n);

#endif
