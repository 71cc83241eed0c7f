# state/: counters behind one interface (local memory today) and the
# stolen-account guard that keeps its counts there
librelayguard_a_SOURCES += state/counters.h state/counters_local.c state/guard.c state/guard.h \
	state/counters_shared.h state/counters_shared.c state/counters_redis.c

check_PROGRAMS += t/unit/test_counters t/unit/test_guard
TESTS += t/unit/test_counters t/unit/test_guard
t_unit_test_counters_SOURCES = t/unit/test_counters.c t/tap.h
t_unit_test_counters_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_guard_SOURCES = t/unit/test_guard.c t/tap.h
t_unit_test_guard_LDADD = librelayguard.a $(RG_LIBS)

# two daemons sharing one real redis-server (penalties, lockouts, guard counts)
TESTS += t/redis-shared.sh
EXTRA_DIST += t/redis-shared.sh
