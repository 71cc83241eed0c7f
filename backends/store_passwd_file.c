/* backends/store_passwd_file.c — not written yet */
