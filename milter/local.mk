# milter/: libmilter glue (linked into the relayguard daemon only)
relayguard_SOURCES += milter/milter.c milter/rg_milter.h
