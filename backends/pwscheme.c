/* backends/pwscheme.c — not written yet */
