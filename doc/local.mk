# doc/: man pages.  relayguard.conf.5 is generated from relayguard.conf.5.in and
# the daemon's key table (relayguard -K) by gen-conf-man.sh, and kept in the
# source tree and the tarball; `make update-man` regenerates it, and
# t/ops/man.sh fails when it no longer matches the built daemon.
dist_man_MANS += doc/relayguard.8 doc/relayguard.conf.5
EXTRA_DIST += doc/relayguard.conf.5.in doc/gen-conf-man.sh doc/relayguard-auth.txt \
	doc/sendmail.txt

TESTS += t/ops/man.sh
EXTRA_DIST += t/ops/man.sh

update-man: relayguard$(EXEEXT)
	$(SHELL) $(srcdir)/doc/gen-conf-man.sh $(srcdir)/doc/relayguard.conf.5.in \
		./relayguard$(EXEEXT) >$(srcdir)/doc/relayguard.conf.5.tmp
	mv -f $(srcdir)/doc/relayguard.conf.5.tmp $(srcdir)/doc/relayguard.conf.5
.PHONY: update-man
