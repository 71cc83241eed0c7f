# etc/: the sample configuration.  Installed as $(sysconfdir)/relayguard/relayguard.conf,
# but never over an existing file (then as relayguard.conf.sample beside it).
EXTRA_DIST += etc/relayguard.conf
relayguardconfdir = $(sysconfdir)/relayguard

install-data-local: install-relayguard-conf
uninstall-local: uninstall-relayguard-conf
.PHONY: install-relayguard-conf uninstall-relayguard-conf

install-relayguard-conf:
	$(MKDIR_P) '$(DESTDIR)$(relayguardconfdir)'
	@conf='$(DESTDIR)$(relayguardconfdir)/relayguard.conf'; \
	if test -f "$$conf"; then \
	  echo "keeping $$conf; new sample: $$conf.sample"; \
	  $(INSTALL_DATA) '$(srcdir)/etc/relayguard.conf' "$$conf.sample"; \
	else \
	  echo " $(INSTALL_DATA) etc/relayguard.conf $$conf"; \
	  $(INSTALL_DATA) '$(srcdir)/etc/relayguard.conf' "$$conf"; \
	fi

# Remove only what is still the unmodified sample.
uninstall-relayguard-conf:
	@conf='$(DESTDIR)$(relayguardconfdir)/relayguard.conf'; \
	for f in "$$conf" "$$conf.sample"; do \
	  if test -f "$$f" && cmp -s '$(srcdir)/etc/relayguard.conf' "$$f"; then \
	    echo " rm -f $$f"; rm -f "$$f"; \
	  fi; \
	done

# systemd unit, made from relayguard.service.in with the install paths
# (override the folder with: make install systemdunitdir=DIR)
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/relayguard.service
EXTRA_DIST += etc/relayguard.service.in etc/postfix/main.cf.snippet \
	etc/postfix/master.cf.snippet etc/sendmail/Sendmail.conf etc/sendmail/relayguard.mc
CLEANFILES += etc/relayguard.service
etc/relayguard.service: $(srcdir)/etc/relayguard.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/etc/relayguard.service.in >$@.tmp && mv -f $@.tmp $@
