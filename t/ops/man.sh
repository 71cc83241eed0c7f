#!/bin/sh
# man.sh — the man pages: relayguard.conf(5) is what doc/gen-conf-man.sh
# makes from the key table of the built daemon (so no key can be missing or
# stale), every page renders without groff warnings, relayguard(8) names
# every option of `relayguard -h` and relayguardctl(8) (tools/) every
# command of `relayguardctl -h` and its exit codes.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

rg_require
command -v groff >/dev/null || skip_all "groff not installed (apt-get install groff-base)"
dir=$(tap_tmpdir man) || skip_all "cannot create a folder under $top_builddir/t/tmp"
doc=$top_srcdir/doc

sh "$doc/gen-conf-man.sh" "$doc/relayguard.conf.5.in" "$RG" >"$dir/relayguard.conf.5" 2>"$dir/gen.err"
ok $? "doc/gen-conf-man.sh runs" || diag "$(cat "$dir/gen.err")"
diff -u "$doc/relayguard.conf.5" "$dir/relayguard.conf.5" >"$dir/diff"
ok $? "doc/relayguard.conf.5 matches the key table (else: make update-man)" || diag "$(head -n 30 "$dir/diff")"

# every key of the table is an entry of the page
missing=""
for key in $("$RG" -K | cut -f1); do
	grep -qxF -e ".B $(printf '%s' "$key" | sed 's/-/\\-/g')" -e ".SS $(printf '%s' "$key" | sed 's/-/\\-/g')" \
		"$doc/relayguard.conf.5" || missing="$missing $key"
done
test -z "$missing"
ok $? "relayguard.conf(5) has an entry for each of the $("$RG" -K | wc -l) keys" || diag "missing:$missing"

# relayguardctl(8) lives with the tool, in tools/
for page in doc/relayguard.8 doc/relayguard.conf.5 tools/relayguardctl.8; do
	groff -man -Tutf8 -ww -z "$top_srcdir/$page" >"$dir/groff.out" 2>&1
	test $? = 0 && test ! -s "$dir/groff.out"
	ok $? "$page renders without groff warnings" || diag "$(head -n 10 "$dir/groff.out")"
done

text() { groff -man -Tascii -P-cbu "$top_srcdir/$1" 2>/dev/null; }
missing=""
for opt in $("$RG" -h | sed -n 's/^  \(-[A-Za-z]\).*/\1/p'); do
	text doc/relayguard.8 | grep -q -- "^ *$opt" || missing="$missing $opt"
done
test -z "$missing"
ok $? "relayguard(8) documents every option of relayguard -h" || diag "missing:$missing"

missing=""
"$CTL" -h | sed -n 's/^  \([a-z][a-z-]*\)\( [a-z]*\)\{0,1\} .*/\1\2/p' >"$dir/commands"
while IFS= read -r cmd; do
	set -- $cmd
	case ${2:-} in [a-z]*) c="$1 $2" ;; *) c=$1 ;; esac
	# "user add NAME", or grouped as "user add|passwd NAME"
	if [ -n "${2:-}" ]; then re="^ *$1 \([a-z-]*|\)*$2\(|\| \|$\)"; else re="^ *$1\( \|$\)"; fi
	text tools/relayguardctl.8 | grep -q "$re" || missing="$missing '$c'"
done <"$dir/commands"
test -s "$dir/commands" && test -z "$missing"
ok $? "relayguardctl(8) documents every command of relayguardctl -h ($(wc -l <"$dir/commands"))" || diag "missing:$missing"
missing=""
exits=$(text tools/relayguardctl.8 | sed -n '/^EXIT STATUS/,/^SEE ALSO/p' | tr '\n' ' ' | tr -s ' ')
for code in 0 1 64 75 78; do
	echo "$exits" | grep -q "[ ;]$code [a-z(]" || missing="$missing $code"
done
test -z "$missing"
ok $? "relayguardctl(8) explains exit codes 0, 1, 64, 75, 78" || diag "missing:$missing"
done_testing
