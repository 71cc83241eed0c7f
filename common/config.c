/* core/config.c — not written yet */
