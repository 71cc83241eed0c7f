/* backends/store_static.c — not written yet */
