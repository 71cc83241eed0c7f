/* test_accounts.c — user and group lookups (common/accounts.c): found, not found, ids. */
#include <autoconfig.h>
#include "../tap.h"
#include "accounts.h"

#include <unistd.h>

int main(void)
{
	uid_t uid = 12345;
	gid_t gid = 12345;
	char name[64] = "";

	is_int(rg_user_ids("root", &uid, &gid), 1, "root is found");
	ok(uid == 0 && gid == 0, "root's uid and primary gid are 0");
	is_int(rg_user_ids("nobody", &uid, NULL), 1, "nobody is found (gid pointer may be NULL)");
	ok(uid != 0, "nobody's uid is not 0 (%ld)", (long)uid);
	uid = 777;
	is_int(rg_user_ids("no-such-user-rg", &uid, &gid), 0, "an unknown user: 0, not an error");
	is_int(uid, 777, "and the outputs are left alone");
	is_int(rg_user_ids("name with spaces=1", NULL, NULL), 0, "a name with spaces and '=': not found");
	is_int(rg_group_id("root", &gid), 1, "group root is found");
	is_int(gid, 0, "with gid 0");
	is_int(rg_group_id("no-such-group-rg", NULL), 0, "an unknown group: 0");
	is_int(rg_group_name(0, name, sizeof(name)), 1, "gid 0 has a name");
	is_str(name, "root", "and it is root");
	is_int(rg_group_name((gid_t)4000000000u, name, sizeof(name)), 0, "an unused gid: 0");
	char tiny[3];
	is_int(rg_group_name(0, tiny, sizeof(tiny)), 1, "a short output buffer still works");
	is_str(tiny, "ro", "truncated, NUL-terminated");
	return done_testing();
}
