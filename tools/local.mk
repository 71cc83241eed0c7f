# tools/: relayguardctl (admin tool: SQLite store management, hash, auth test)
sbin_PROGRAMS += relayguardctl
relayguardctl_SOURCES = tools/relayguardctl.c tools/ctl.h tools/ctl_auth.c tools/ctl_db.c \
	tools/ctl_control.c tools/ctl_control.h tools/ctl_postfix.c
relayguardctl_LDADD = librelayguard.a $(RG_LIBS)

# round trips through relayguardctl and the real stores (TAP shell script)
TESTS += t/ctl-roundtrip.sh
EXTRA_DIST += t/ctl-roundtrip.sh

dist_man_MANS += tools/relayguardctl.8
