/* core/config_keys.c — not written yet */
