# milter/: libmilter glue (linked into the relayguard daemon only); the policy
# it calls is pure C in librelayguard (owner of both: milter work)
librelayguard_a_SOURCES += common/policy.c common/policy.h backends/policy_stores.c

relayguard_SOURCES += milter/rg_milter.h milter/milter_main.c \
	milter/milter_callbacks.c milter/milter_callbacks.h \
	milter/milter_ctx.c milter/milter_ctx.h \
	milter/milter_macros.c milter/milter_macros.h \
	milter/milter_peer.c milter/milter_peer.h \
	milter/milter_reply.c milter/milter_reply.h

check_PROGRAMS += t/unit/test_policy
TESTS += t/unit/test_policy
t_unit_test_policy_SOURCES = t/unit/test_policy.c t/unit/store_testlib.h t/tap.h
t_unit_test_policy_LDADD = librelayguard.a $(RG_LIBS)

# miltertest suite against the built daemon (t/milter/run-miltertest.sh prints TAP)
MILTER_LUA = t/milter/lib.lua t/milter/rules.lua t/milter/sessions.lua t/milter/logquote.lua \
	t/milter/hostile.lua t/milter/storeerr.lua t/milter/headers.lua t/milter/senders.lua t/milter/fromdomain.lua
TESTS += t/milter/run-miltertest.sh
EXTRA_DIST += t/milter/run-miltertest.sh $(MILTER_LUA) t/milter/milter_client.py
t/milter/run-miltertest.log: relayguard
EXTRA_DIST += doc/relayguard-milter.txt
