#!/bin/sh
# fuzz-corpus.sh — run each fuzz target once over its seed corpus (TAP).
# With clang the libFuzzer builds (ASan+UBSan) are used; otherwise the
# replay builds (fuzz/replay_*, plain main over the same target function).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/tap.sh"
b=$top_builddir
s=$top_srcdir
plan 6
for t in dovecot saslauthd mailbox; do
	corpus="$s/fuzz/corpus/$t"
	if [ -x "$b/fuzz/fuzz_$t" ]; then
		# libFuzzer: files as arguments = run each once
		"$b/fuzz/fuzz_$t" -runs=1 "$corpus"/* >"$b/fuzz/fuzz_$t.log" 2>&1
		ok $? "libFuzzer fuzz_$t ran its $(ls "$corpus" | wc -l) seeds" ||
			diag "$(tail -n 30 "$b/fuzz/fuzz_$t.log")"
	else
		skip "fuzz_$t: no clang, libFuzzer build not made"
	fi
	"$b/fuzz/replay_$t" "$corpus" 2>"$b/fuzz/replay_$t.log"
	ok $? "replay_$t: $(cat "$b/fuzz/replay_$t.log")" || diag "$(cat "$b/fuzz/replay_$t.log")"
done
done_testing
