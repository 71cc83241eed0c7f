# common/: config, log, stats, policy, hash pool, daemon main  (owner: config/daemon work)
librelayguard_a_SOURCES += common/log.c common/log.h common/stats.c common/stats.h \
	common/config.c common/config.h common/config_keys.c common/config_keys.h

sbin_PROGRAMS += relayguard
relayguard_SOURCES = common/main.c
relayguard_LDADD = librelayguard.a $(MILTER_LIBS) $(RG_LIBS)
librelayguard_a_SOURCES += common/config_check.c common/config_internal.h
