# common/: the base library: config, log, stats, logins, socket permissions, milter policy
librelayguard_a_SOURCES += common/log.c common/log.h common/log_syslog.c common/stats.c common/stats.h \
	common/config.c common/config.h common/config_keys.c common/config_keys.h \
	common/logins.c common/logins.h common/unixsock.c common/unixsock.h common/msgs.h common/lookup.h common/error.c common/error.h common/nameindex.c common/nameindex.h common/log_json.c \
	common/control_proto.c common/control_proto.h common/accounts.c common/accounts.h common/str.h common/secretfile.c common/secretfile.h common/clock.h common/threads.h common/mapread.c common/mapread.h \
	common/mailbox.c common/mailbox.h common/policy_senders.c \
	common/authres.c common/authres.h

librelayguard_a_SOURCES += common/config_check.c common/config_internal.h \
	common/sockperm.c common/sockperm.h

# tests of the config loader and of `relayguard -n`
check_PROGRAMS += t/unit/test_config
t_unit_test_config_SOURCES = t/unit/test_config.c t/tap.h
t_unit_test_config_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_config t/config-check.sh t/daemon.sh

# the record of logins behind MTA processes (common/logins.c)
check_PROGRAMS += t/unit/test_logins
t_unit_test_logins_SOURCES = t/unit/test_logins.c t/tap.h
t_unit_test_logins_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_logins

# Authentication-Results (common/authres.c)
check_PROGRAMS += t/unit/test_authres
t_unit_test_authres_SOURCES = t/unit/test_authres.c t/tap.h
t_unit_test_authres_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_authres

# RFC 5322 address-lists and envelope senders (common/mailbox.c)
check_PROGRAMS += t/unit/test_mailbox
t_unit_test_mailbox_SOURCES = t/unit/test_mailbox.c t/tap.h
t_unit_test_mailbox_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_mailbox

# reading a shared mapping of a file that may be cut (common/mapread.c)
check_PROGRAMS += t/unit/test_mapread
t_unit_test_mapread_SOURCES = t/unit/test_mapread.c t/tap.h
t_unit_test_mapread_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_mapread

# log lines: quoting of client/store values (t/logkv.py parses them in the service tests)
check_PROGRAMS += t/unit/test_log
t_unit_test_log_SOURCES = t/unit/test_log.c t/tap.h
t_unit_test_log_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_log
EXTRA_DIST += t/logkv.py
EXTRA_DIST += t/config-check.sh t/daemon.sh t/conf/good.conf t/conf/empty.conf t/conf/unknown-key.conf \
	t/conf/wrong-type.conf t/conf/out-of-range.conf t/conf/bad-enum.conf \
	t/conf/missing-path.conf t/conf/dup-tenant.conf t/conf/syntax.conf t/conf/bad-hash.conf \
	t/conf/multi.conf t/conf/auth-inet.conf t/conf/auth-relative.conf t/conf/world-socket.conf \
	t/conf/milter-public.conf t/conf/milter-loopback.conf

# operations: control socket, reload under load, graceful stop (TAP shell
# scripts; they drive the built daemon with t/authd/dvclient and miltertest)
OPS_TESTS = t/ops/control.sh t/ops/reload-loop.sh t/ops/stop.sh t/ops/metrics-http.sh t/ops/log-json.sh t/ops/syslog.sh
TESTS += $(OPS_TESTS)
EXTRA_DIST += $(OPS_TESTS) t/ops/milter-loop.lua t/ops/snapshot.lua \
	t/ops/inflight.lua

# the control protocol (both ends), the unix-socket listener, user/group lookups
check_PROGRAMS += t/unit/test_control_proto t/unit/test_unixsock t/unit/test_accounts t/unit/test_nameindex t/unit/test_stats
t_unit_test_stats_SOURCES = t/unit/test_stats.c t/tap.h
t_unit_test_stats_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_nameindex_SOURCES = t/unit/test_nameindex.c t/tap.h
t_unit_test_nameindex_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_accounts_SOURCES = t/unit/test_accounts.c t/tap.h
t_unit_test_accounts_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_control_proto_SOURCES = t/unit/test_control_proto.c t/tap.h
t_unit_test_control_proto_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_unixsock_SOURCES = t/unit/test_unixsock.c t/tap.h
t_unit_test_unixsock_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_control_proto t/unit/test_unixsock t/unit/test_accounts t/unit/test_nameindex t/unit/test_stats
