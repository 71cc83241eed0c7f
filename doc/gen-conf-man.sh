#!/bin/sh
# gen-conf-man.sh — build relayguard.conf(5) from its hand-written template
# and the daemon's key table (`relayguard -K`), so the page lists every key
# with its type, default and range and cannot drift from the loader.
#
#   doc/gen-conf-man.sh TEMPLATE RELAYGUARD >relayguard.conf.5
#
# The template's line "@KEYS@" is replaced by one .TP entry per key (a .SS
# heading per group).  `make update-man` writes doc/relayguard.conf.5 in the
# source tree; t/ops/man.sh regenerates it and fails when it differs.
set -eu
template=$1
relayguard=$2
keys=$("$relayguard" -K) || { echo "gen-conf-man.sh: $relayguard -K failed" >&2; exit 1; }
[ -n "$keys" ] || { echo "gen-conf-man.sh: empty key table" >&2; exit 1; }

printf '%s\n' "$keys" | awk -F '\t' -v template="$template" '
function esc(s) {			# text → roff: backslashes, leading dots
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
{ n++; path[n] = $1; type[n] = $2; def[n] = $3; range[n] = $4; desc[n] = $5 }
END {
	while ((getline line < template) > 0) {
		if (line != "@KEYS@") { print line; continue }
		for (i = 1; i <= n; i++) {
			if (type[i] == "group" || type[i] == "list of groups") {
				print ".SS " esc(path[i])
				print esc(desc[i]) (type[i] == "list of groups" ? \
					" (a list of groups: ( { ... }, { ... } ))." : ".")
				continue
			}
			print ".TP"
			print ".B " esc(path[i])
			t = "(" esc(type[i]) "; default " esc(def[i])
			if (range[i] != "-")
				t = t "; " (type[i] == "enum" ? "one of " : type[i] == "flags" ? "any of " : "range ") \
					esc(range[i])
			print "\\&" t ")"
			print ".br"
			print "\\&" esc(desc[i]) "."
		}
	}
}'
