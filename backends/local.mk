# backends/: password schemes and credential stores
librelayguard_a_SOURCES += backends/pwscheme.c backends/pwscheme.h \
	backends/store.c backends/store.h backends/store_static.c \
	backends/store_passwd_file.c backends/store_sqlite.c
