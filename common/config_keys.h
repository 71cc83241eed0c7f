/* core/config_keys.h — not written yet */
