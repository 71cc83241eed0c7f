#!/usr/bin/env bash
# demo-check.sh — the first-run demo (demo/run-demo.sh) in its non-interactive
# form: it runs the swaks commands the demo prints and checks each reply.
exec bash "${top_srcdir:-$(dirname "$0")/../..}/demo/run-demo.sh" --check
