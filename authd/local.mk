# authd/: SASL service (Dovecot auth protocol, saslauthd protocol), its tests,
# fuzz targets (fuzz/) and the auth benchmark's build lines.
AUTHD_PARSER_SOURCES = authd/sasl_mech.c authd/sasl_mech.h \
	authd/proto_dovecot.c authd/proto_dovecot.h \
	authd/proto_saslauthd.c authd/proto_saslauthd.h
librelayguard_a_SOURCES += authd/authd.c authd/authd.h \
	authd/auth_check.c authd/auth_check.h \
	authd/authcache.c authd/authcache.h \
	authd/hashpool.c authd/hashpool.h \
	authd/penalty.c authd/penalty.h \
	authd/lrutable.c authd/lrutable.h \
	$(AUTHD_PARSER_SOURCES)

# ---- unit tests (TAP) ----
AUTHD_UNIT_TESTS = t/unit/test_authd_dovecot t/unit/test_authd_saslauthd \
	t/unit/test_authcache t/unit/test_hashpool t/unit/test_penalty
check_PROGRAMS += $(AUTHD_UNIT_TESTS)
TESTS += $(AUTHD_UNIT_TESTS)
t_unit_test_authd_dovecot_SOURCES = t/unit/test_authd_dovecot.c t/tap.h
t_unit_test_authd_dovecot_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_authd_saslauthd_SOURCES = t/unit/test_authd_saslauthd.c t/tap.h
t_unit_test_authd_saslauthd_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_authcache_SOURCES = t/unit/test_authcache.c t/tap.h
t_unit_test_authcache_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_hashpool_SOURCES = t/unit/test_hashpool.c t/tap.h
t_unit_test_hashpool_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_penalty_SOURCES = t/unit/test_penalty.c t/tap.h
t_unit_test_penalty_LDADD = librelayguard.a $(RG_LIBS)

# ---- fuzz targets ----
# Always built as corpus-replay programs (fuzz/replay_main.c supplies main);
# with clang also as libFuzzer binaries.  t/authd/fuzz-corpus.sh runs each over
# fuzz/corpus/<name>/ once under make check.
check_PROGRAMS += fuzz/replay_dovecot fuzz/replay_saslauthd fuzz/replay_mailbox
fuzz_replay_dovecot_SOURCES = fuzz/fuzz_dovecot.c fuzz/replay_main.c
fuzz_replay_dovecot_LDADD = librelayguard.a $(RG_LIBS)
fuzz_replay_saslauthd_SOURCES = fuzz/fuzz_saslauthd.c fuzz/replay_main.c
fuzz_replay_saslauthd_LDADD = librelayguard.a $(RG_LIBS)
fuzz_replay_mailbox_SOURCES = fuzz/fuzz_mailbox.c fuzz/replay_main.c
fuzz_replay_mailbox_LDADD = librelayguard.a $(RG_LIBS)
FUZZER_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-I$(top_builddir) -I$(top_srcdir)/common -I$(top_srcdir)/authd $(SODIUM_CFLAGS)
FUZZER_PARSER_C = $(top_srcdir)/authd/sasl_mech.c $(top_srcdir)/authd/proto_dovecot.c \
	$(top_srcdir)/authd/proto_saslauthd.c
if HAVE_CLANG
FUZZER_BINS = fuzz/fuzz_dovecot fuzz/fuzz_saslauthd fuzz/fuzz_mailbox
check_SCRIPTS += $(FUZZER_BINS)
CLEANFILES += $(FUZZER_BINS)
fuzz/fuzz_dovecot: $(top_srcdir)/fuzz/fuzz_dovecot.c $(FUZZER_PARSER_C) autoconfig.h
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(CLANG) $(FUZZER_CFLAGS) -o $@ $(top_srcdir)/fuzz/fuzz_dovecot.c \
		$(FUZZER_PARSER_C) $(SODIUM_LIBS)
fuzz/fuzz_mailbox: $(top_srcdir)/fuzz/fuzz_mailbox.c $(top_srcdir)/common/mailbox.c autoconfig.h
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(CLANG) $(FUZZER_CFLAGS) -o $@ $(top_srcdir)/fuzz/fuzz_mailbox.c \
		$(top_srcdir)/common/mailbox.c $(IDN2_LIBS)
fuzz/fuzz_saslauthd: $(top_srcdir)/fuzz/fuzz_saslauthd.c $(FUZZER_PARSER_C) autoconfig.h
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(CLANG) $(FUZZER_CFLAGS) -o $@ $(top_srcdir)/fuzz/fuzz_saslauthd.c \
		$(FUZZER_PARSER_C) $(SODIUM_LIBS)
endif
EXTRA_DIST += fuzz/corpus fuzz/README

# ---- service-level tests (real daemon, real testsaslauthd) ----
check_PROGRAMS += t/authd/dvclient
t_authd_dvclient_SOURCES = t/authd/dvclient.c
t_authd_dvclient_LDADD = $(SODIUM_LIBS) $(PTHREAD_LIBS)
AUTHD_SCRIPT_TESTS = t/authd/fuzz-corpus.sh t/authd/service.sh t/authd/log-quoting.sh \
	t/authd/lockout.sh t/authd/decision.sh t/authd/oom.sh
TESTS += $(AUTHD_SCRIPT_TESTS)
EXTRA_DIST += $(AUTHD_SCRIPT_TESTS)
# timeouts and reloads on open connections (client: t/authd/slowclient.py)
AUTHD_CONN_TESTS = t/authd/timeouts.sh t/authd/reload-mechs.sh
TESTS += $(AUTHD_CONN_TESTS)
EXTRA_DIST += $(AUTHD_CONN_TESTS) t/authd/slowclient.py
CLEANFILES += fuzz/fuzz_dovecot.log fuzz/fuzz_saslauthd.log fuzz/replay_dovecot.log fuzz/replay_saslauthd.log fuzz/fuzz_mailbox.log fuzz/replay_mailbox.log
