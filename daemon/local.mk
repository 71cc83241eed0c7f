# daemon/: the relayguard program: main (options, -n, -K), daemonizing and signals,
# the control socket. Nothing below daemon/ includes its headers.
sbin_PROGRAMS += relayguard
relayguard_SOURCES = daemon/main.c
relayguard_LDADD = librelayguard.a $(MILTER_LIBS) $(RG_LIBS)
librelayguard_a_SOURCES += daemon/daemon.c daemon/daemon.h daemon/control.c daemon/control.h \
	daemon/metrics_http.c daemon/metrics_http.h
