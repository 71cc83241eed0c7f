# bench/: `make bench` builds and runs the benchmarks (never part of all/check).
#
# Every benchmark ends with one line for scripts, its ratios against the
# reference it ran beside (a null milter, a null Dovecot-protocol server,
# Dovecot, the wrong-password cost, the small data set):
#   RATIO bench=NAME key=value ...     (values are plain numbers)
#
# Each benchmark adds its run target to BENCH_TARGETS with `BENCH_TARGETS +=`
# in THIS file, below the scheme benchmark's lines (this file sets it with '='
# and is included after every other folder's local.mk, so a `+=` elsewhere
# would come first and automake refuses that).  Programs go in EXTRA_PROGRAMS
# (built only when a target asks for them).  The `bench:` rule is defined once,
# at the end of this file; it runs the targets one after another, never in
# parallel, so that they do not disturb each other's timings.
EXTRA_PROGRAMS = bench/bench_schemes
BENCH_TARGETS = bench-schemes
CLEANFILES += $(EXTRA_PROGRAMS)

# password schemes: verify time per scheme, dummy verify vs wrong password
bench_bench_schemes_SOURCES = bench/bench_schemes.c
bench_bench_schemes_LDADD = librelayguard.a $(RG_LIBS)
bench-schemes: bench/bench_schemes$(EXEEXT)
	./bench/bench_schemes$(EXEEXT) $(BENCH_SCHEMES_FLAGS)

# ---- other benchmarks append here: BENCH_TARGETS += bench-NAME ----

# the guard's local counters: memory per identity, cost per event (1M identities)
EXTRA_PROGRAMS += bench/bench_counters
BENCH_TARGETS += bench-counters
bench_bench_counters_SOURCES = bench/bench_counters.c
bench_bench_counters_LDADD = librelayguard.a $(RG_LIBS)
bench-counters: bench/bench_counters$(EXEEXT)
	./bench/bench_counters$(EXEEXT) $(BENCH_COUNTERS_IDENTITIES)

# milter: relayguard vs a null libmilter filter under the same milter-protocol load
EXTRA_PROGRAMS += bench/milter_load bench/null_milter
BENCH_TARGETS += bench-milter
EXTRA_DIST += bench/bench_milter.sh
bench_milter_load_SOURCES = bench/milter_load.c
bench_milter_load_LDADD = $(PTHREAD_LIBS)
bench_null_milter_SOURCES = bench/null_milter.c
bench_null_milter_LDADD = $(MILTER_LIBS) $(PTHREAD_LIBS)
bench-milter: bench/milter_load$(EXEEXT) bench/null_milter$(EXEEXT) relayguard$(EXEEXT) \
		relayguardctl$(EXEEXT) bench/null_syslog$(EXEEXT)
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/bench_milter.sh

# private Postfix throughput (smtp-source → discard): no milter, null milter, relayguard
BENCH_TARGETS += bench-postfix
EXTRA_DIST += bench/postfix-throughput.sh
bench-postfix: bench/null_milter$(EXEEXT) relayguard$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  bash $(top_srcdir)/bench/postfix-throughput.sh $(BENCH_POSTFIX_FLAGS)

# a fleet: the PostgreSQL store beside SQLite, and Redis counters (round trips counted on the servers)
BENCH_TARGETS += bench-fleet
EXTRA_DIST += bench/bench_fleet.sh
bench-fleet: bench/bench_auth$(EXEEXT) bench/milter_load$(EXEEXT) bench/null_syslog$(EXEEXT) \
		relayguard$(EXEEXT) relayguardctl$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  bash $(top_srcdir)/bench/bench_fleet.sh
# SASL service: relayguard vs Dovecot's auth service, Dovecot auth protocol load (authd owner)
EXTRA_PROGRAMS += bench/bench_auth
BENCH_TARGETS += bench-auth
EXTRA_DIST += bench/bench_auth.sh
bench_bench_auth_SOURCES = bench/bench_auth.c
bench_bench_auth_LDADD = $(SODIUM_LIBS) $(PTHREAD_LIBS)
EXTRA_PROGRAMS += bench/null_dovecot bench/null_syslog
bench_null_dovecot_SOURCES = bench/null_dovecot.c
bench_null_dovecot_LDADD = $(PTHREAD_LIBS)
bench_null_syslog_SOURCES = bench/null_syslog.c
bench-auth: bench/bench_auth$(EXEEXT) bench/bench_schemes$(EXEEXT) bench/null_dovecot$(EXEEXT) \
		bench/null_syslog$(EXEEXT) \
		relayguard$(EXEEXT) relayguardctl$(EXEEXT)
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/bench_auth.sh

# SASL service: how long a refusal takes per kind of account (unknown, wrong
# password, disabled, cheap stored hash), first and repeated tries
EXTRA_PROGRAMS += bench/auth_timing
BENCH_TARGETS += bench-auth-timing
EXTRA_DIST += bench/bench_auth_timing.sh
bench_auth_timing_SOURCES = bench/auth_timing.c
bench_auth_timing_LDADD = $(SODIUM_LIBS)
bench-auth-timing: bench/auth_timing$(EXEEXT) relayguard$(EXEEXT) relayguardctl$(EXEEXT)
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/bench_auth_timing.sh

# scale: the same milter and cached-login loads with 100 users / 10 tenants and
# with 1,000,000 users / 100,000 tenants; loading 100,000 tenants
BENCH_TARGETS += bench-scale
EXTRA_DIST += bench/bench_scale.sh
bench-scale: bench/milter_load$(EXEEXT) bench/null_milter$(EXEEXT) bench/bench_auth$(EXEEXT) \
		relayguard$(EXEEXT) relayguardctl$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  bash $(top_srcdir)/bench/bench_scale.sh

# ---- keep last ----
bench:
	@set -e; for t in $(BENCH_TARGETS); do \
		echo "==== make $$t"; $(MAKE) $(AM_MAKEFLAGS) $$t; done
.PHONY: bench $(BENCH_TARGETS)
