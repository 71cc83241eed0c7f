/* backends/store.c — not written yet */
