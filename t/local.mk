# t — end-to-end tests through a private Postfix (t/e2e/*.sh, TAP scripts)
# The shell libraries are sourced by the tests, the bench and the demo.
E2E_LIBS = t/e2e/postfix-lib.sh t/e2e/e2e-lib.sh t/e2e/smtp_session.py t/e2e/smtp_sink.py
E2E_TESTS = t/e2e/postfix-harness.sh t/e2e/auth-postfix.sh t/e2e/milter-postfix.sh \
	t/e2e/senders-postfix.sh t/e2e/egress-postfix.sh t/e2e/dkim-postfix.sh \
	t/e2e/revoke-postfix.sh t/e2e/auth-idle-postfix.sh t/e2e/guard-postfix.sh \
	t/e2e/guard-policyd-postfix.sh t/e2e/pg-postfix.sh \
	t/e2e/demo-check.sh
TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_LIBS) $(E2E_TESTS) demo/run-demo.sh

# private Sendmail (Debian's packages unpacked by t/e2e/fetch-sendmail.sh)
SENDMAIL_E2E_TESTS = t/e2e/sendmail-relayguard.sh
TESTS += $(SENDMAIL_E2E_TESTS)
EXTRA_DIST += $(SENDMAIL_E2E_TESTS) t/e2e/sendmail-lib.sh t/e2e/fetch-sendmail.sh t/e2e/auth-cases.txt \
	t/e2e/sendmail/relayguard-test.mc.in

# private Postfix trees and relayguard configs live under t/tmp while a test runs
clean-local: clean-local-e2e
clean-local-e2e:
	-rm -rf t/tmp
.PHONY: clean-local-e2e

# one TAP dialect for the shell tests (t/tap.sh) and one relayguard
# start/wait/stop helper (t/rg-lib.sh), with their self-test
TESTS += t/tap-selftest.sh
EXTRA_DIST += t/tap.sh t/rg-lib.sh t/tap-selftest.sh

# private PostgreSQL servers (initdb/pg_ctl as postgres): a primary and a streaming standby
TESTS += t/pg-harness.sh
EXTRA_DIST += t/pg-harness.sh t/pg-lib.sh
