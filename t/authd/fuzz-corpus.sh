#!/bin/sh
# fuzz-corpus.sh — run each fuzz target once over its seed corpus (TAP).
# With clang the libFuzzer builds (ASan+UBSan) are used; otherwise the
# replay builds (fuzz/replay_*, plain main over the same target function).
b=${top_builddir:-.}
s=${top_srcdir:-.}
echo "1..4"
n=0
for t in dovecot saslauthd; do
	corpus="$s/fuzz/corpus/$t"
	n=$((n + 1))
	if [ -x "$b/fuzz/fuzz_$t" ]; then
		# libFuzzer: files as arguments = run each once
		if "$b/fuzz/fuzz_$t" -runs=1 "$corpus"/* >"$b/fuzz/fuzz_$t.log" 2>&1; then
			echo "ok $n - libFuzzer fuzz_$t ran its $(ls "$corpus" | wc -l) seeds"
		else
			echo "not ok $n - libFuzzer fuzz_$t failed on its seeds"
			sed 's/^/# /' "$b/fuzz/fuzz_$t.log" | tail -30
		fi
	else
		if [ "${CI:-}" = true ]; then
			echo "not ok $n - fuzz_$t: no clang, libFuzzer build not made (required under CI=true)"
		else
			echo "ok $n - # SKIP fuzz_$t: no clang, libFuzzer build not made"
		fi
	fi
	n=$((n + 1))
	if "$b/fuzz/replay_$t" "$corpus" 2>"$b/fuzz/replay_$t.log"; then
		echo "ok $n - replay_$t: $(cat "$b/fuzz/replay_$t.log")"
	else
		echo "not ok $n - replay_$t failed"
		sed 's/^/# /' "$b/fuzz/replay_$t.log"
	fi
done
