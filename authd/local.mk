# authd/: SASL service (Dovecot auth protocol, saslauthd protocol)
librelayguard_a_SOURCES += authd/authd.c authd/authd.h
