# backends/: password schemes and credential stores
librelayguard_a_SOURCES += backends/pwscheme.c backends/pwscheme.h \
	backends/store.c backends/store.h backends/store_open.c backends/login.c backends/login.h \
	backends/store_static.c backends/sql_queries.c backends/sql_queries.h \
	backends/store_passwd_file.c backends/store_sqlite.c backends/store_vault.c backends/store_pgsql.c

# password schemes: check/verify functions per encoding, unit test with known-answer vectors
librelayguard_a_SOURCES += backends/pwscheme_formats.c backends/pwscheme_formats.h
check_PROGRAMS += t/unit/test_pwscheme
t_unit_test_pwscheme_SOURCES = t/unit/test_pwscheme.c t/tap.h
t_unit_test_pwscheme_LDADD = librelayguard.a $(RG_LIBS)
TESTS += t/unit/test_pwscheme
EXTRA_DIST += t/vectors/hashes.txt t/vectors/make-vectors.sh

# credential stores: unit tests (real files and SQLite databases under t/tmp)
check_PROGRAMS += t/unit/test_store_files t/unit/test_store_sqlite t/unit/test_store_chain
TESTS += t/unit/test_store_files t/unit/test_store_sqlite t/unit/test_store_chain
t_unit_test_store_files_SOURCES = t/unit/test_store_files.c t/unit/store_testlib.h t/tap.h
t_unit_test_store_files_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_store_sqlite_SOURCES = t/unit/test_store_sqlite.c t/unit/store_testlib.h t/tap.h
t_unit_test_store_sqlite_LDADD = librelayguard.a $(RG_LIBS)
t_unit_test_store_chain_SOURCES = t/unit/test_store_chain.c t/unit/store_testlib.h t/tap.h
t_unit_test_store_chain_LDADD = librelayguard.a $(RG_LIBS)

# the passwd-file store in the real daemon: an incomplete file is a tempfail, a renamed one is read
TESTS += t/passwd-file-store.sh
EXTRA_DIST += t/passwd-file-store.sh

# the SQLite store's default schema (relayguardctl db init and the unit tests)
librelayguard_a_SOURCES += backends/sqlite_schema.c backends/sqlite_schema.h

# the vault store in the real daemon, against a stand-in for Vault's KV v2 and AppRole API over TLS
TESTS += t/vault-store.sh
EXTRA_DIST += t/vault-store.sh t/vault/vault_standin.py

# the SQL stores' query table: named parameters rewritten for PostgreSQL
check_PROGRAMS += t/unit/test_sql_queries
TESTS += t/unit/test_sql_queries
t_unit_test_sql_queries_SOURCES = t/unit/test_sql_queries.c t/tap.h
t_unit_test_sql_queries_LDADD = librelayguard.a $(RG_LIBS)

# the PostgreSQL store against a real primary and standby (t/pg-lib.sh)
TESTS += t/pg-store.sh
EXTRA_DIST += t/pg-store.sh
