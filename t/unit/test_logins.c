/* test_logins.c — the record of which login stands behind an MTA process:
 * the latest login of a process wins, an identity mismatch is no answer,
 * overflow pushes out the oldest, names that do not fit leave no stale answer. */
#include <autoconfig.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../tap.h"
#include "logins.h"

int main(void)
{
	char authc[RG_LOGINS_NAME];
	char longname[400];
	int sv[2];

	ok(!rg_logins_find(100, "erin", authc, sizeof(authc)), "empty: no login for pid 100");
	ok(!rg_logins_act_as_seen("erin"), "empty: nobody acted as erin");

	rg_logins_record(100, "mallory", "erin");
	ok(rg_logins_find(100, "erin", authc, sizeof(authc)) && strcmp(authc, "mallory") == 0,
	   "pid 100: erin's session is mallory's login");
	ok(!rg_logins_find(100, "mallory", authc, sizeof(authc)),
	   "pid 100: another identity is no answer");
	ok(!rg_logins_find(101, "erin", authc, sizeof(authc)), "pid 101: nothing");
	ok(rg_logins_act_as_seen("erin"), "someone acted as erin");
	ok(!rg_logins_act_as_seen("mallory"), "nobody acted as mallory");

	/* the next SMTP session of the same smtpd: erin herself */
	rg_logins_record(100, "erin", "erin");
	ok(rg_logins_find(100, "erin", authc, sizeof(authc)) && strcmp(authc, "erin") == 0,
	   "pid 100's later login replaces the earlier one");
	ok(rg_logins_act_as_seen("erin"), "the act-as record of erin stays");

	/* a login whose names do not fit replaces the process's earlier login
	 * with "unknown", never leaves the old answer in place */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	rg_logins_record(100, longname, "erin");
	ok(!rg_logins_find(100, "erin", authc, sizeof(authc)),
	   "an oversized authc: the process has no known login (not the earlier one)");
	ok(rg_logins_act_as_seen(longname) , "an identity too long to record counts as acted-as");
	ok(!rg_logins_find(0, "erin", authc, sizeof(authc)), "pid 0 (unknown peer) never answers");
	rg_logins_record(0, "mallory", "erin");
	ok(!rg_logins_find(0, "erin", authc, sizeof(authc)), "pid 0 is never recorded");

	/* overflow: the oldest entry goes, the newest stay, memory is bounded */
	rg_logins_clear();
	rg_logins_record(1, "mallory", "erin");
	for (int i = 0; i < RG_LOGINS_MAX; i++)
		rg_logins_record(1000 + i, "u", "u");
	ok(!rg_logins_find(1, "erin", authc, sizeof(authc)), "after %d newer logins the oldest is gone",
	   RG_LOGINS_MAX);
	ok(rg_logins_find(1000 + RG_LOGINS_MAX - 1, "u", authc, sizeof(authc)), "the newest is there");
	ok(rg_logins_find(1000, "u", authc, sizeof(authc)), "the first of the flood is there (size %d)",
	   RG_LOGINS_MAX);
	rg_logins_record(1000, "v", "v");	/* refreshed: no longer the oldest */
	rg_logins_record(5, "w", "w");
	ok(rg_logins_find(1000, "v", authc, sizeof(authc)), "a refreshed entry is not pushed out");
	ok(!rg_logins_find(1001, "u", authc, sizeof(authc)), "the oldest one was");

	/* peer credentials of a unix socket */
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	is_int((long)rg_peer_pid(sv[0]), (long)getpid(), "rg_peer_pid: our own pid");
	close(sv[0]);
	close(sv[1]);
	is_int((long)rg_peer_pid(-1), 0, "rg_peer_pid(-1) = 0");
	return done_testing();
}
