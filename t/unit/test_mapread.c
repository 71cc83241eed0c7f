/* test_mapread.c — rg_mapread: bytes of a shared mapping read as they are in
 * the file now; a file cut under the mapping answers -1 instead of SIGBUS;
 * any other SIGBUS still kills the process. */
#include <autoconfig.h>
#include "../tap.h"
#include "mapread.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char dir[] = "t/tmp/test_mapread.XXXXXX", path[64];
	unsigned char out[8];

	mkdir("t", 0755);
	mkdir("t/tmp", 0755);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && pwrite(fd, "0123456789abcdef", 16, 0) == 16, "a 16-byte file");
	const unsigned char *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ok(map != MAP_FAILED, "mapped");
	is_int(rg_mapread_init(), 0, "handler installed");
	is_int(rg_mapread_init(), 0, "a second init is harmless");

	is_int(rg_mapread(map, 4, out, 4), 0, "read inside the file");
	ok(memcmp(out, "4567", 4) == 0, "the file's bytes");
	ok(pwrite(fd, "XY", 2, 4) == 2, "the file written through another descriptor");
	rg_mapread(map, 4, out, 4);
	ok(memcmp(out, "XY67", 4) == 0, "the mapping shows the write at once");
	is_int(rg_mapread(map, 20, out, 4), 0, "past the end, inside the page");
	ok(memcmp(out, "\0\0\0\0", 4) == 0, "reads zeros");

	ok(ftruncate(fd, 0) == 0, "the file cut to nothing (as cp or > does)");
	is_int(rg_mapread(map, 4, out, 4), -1, "cut: -1, not SIGBUS");
	is_int(rg_mapread(map, 0, out, 1), -1, "cut: again -1 (SIGBUS still caught after a jump)");
	ok(pwrite(fd, "abcdefgh", 8, 0) == 8, "written again");
	is_int(rg_mapread(map, 2, out, 3), 0, "readable again");
	ok(memcmp(out, "cde", 3) == 0, "the new bytes");

	/* a SIGBUS outside rg_mapread keeps its default action */
	ok(ftruncate(fd, 0) == 0, "cut again");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		volatile unsigned char c = map[0];	/* not through rg_mapread */
		(void)c;
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
	   "a fault elsewhere still ends the process with SIGBUS (status 0x%x)", st);

	munmap((void *)map, 4096);
	close(fd);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
