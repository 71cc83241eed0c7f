#!/bin/sh
# ctl-roundtrip.sh — relayguardctl round trips against a real SQLite file and
# the real store chain (config loader, static + passwd-file + sqlite stores).
# TAP.  Everything lives in a private folder under the build tree; the
# background sqlite3 that holds a lock is stopped by its PID, also on failure.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require sqlite3

dir=$(tap_tmpdir ctl-roundtrip) || bail_out "cannot make a folder under $top_builddir/t/tmp"
lockpid=""
unlock() {
	if [ -n "$lockpid" ]; then kill "$lockpid" 2>/dev/null; wait "$lockpid" 2>/dev/null; fi
	exec 3>&- 2>/dev/null
}
tap_at_exit unlock

out="$dir/out"
# run EXPECTED_EXIT DESCRIPTION [stdin-text|-] CTL-ARGS...   (stdout+stderr in $out)
run() {
	want=$1; what=$2; input=$3; shift 3
	if [ "$input" = "-" ]; then
		"$CTL" -c "$dir/rg.conf" "$@" </dev/null >"$out" 2>&1
	else
		printf '%s\n' "$input" | "$CTL" -c "$dir/rg.conf" "$@" >"$out" 2>&1
	fi
	got=$?
	if [ "$got" = "$want" ]; then pass "$what (exit $got)"; else
		fail "$what (exit $got, want $want)"; sed 's/^/#   /' "$out"; fi
}
# expect TEXT DESCRIPTION — the last run's output contains TEXT
expect() {
	if grep -qF -- "$1" "$out"; then pass "$2"; else
		fail "$2 (no \"$1\")"; sed 's/^/#   /' "$out"; fi
}
refute() {
	if grep -qF -- "$1" "$out"; then fail "$2 (found \"$1\")"; sed 's/^/#   /' "$out"; else
		pass "$2"; fi
}

db="$dir/auth.db"
users="$dir/users"
cat >"$dir/rg.conf" <<EOF
# cheap Argon2id: the round trips are about the tool, not the cost
passwords: { argon2_memory_kib = 64; argon2_iterations = 1; };
stores = (
  { type = "passwd-file"; path = "$users"; },
  { type = "sqlite"; path = "$db"; busy_timeout_ms = 300; }
);
EOF
echo "# no users yet" >"$users"

# --- usage and config errors ---
run 64 "no command is a usage error" - 
run 64 "unknown command is a usage error" - frobnicate
expect "unknown command" "usage error says what is wrong"
run 64 "unknown user subcommand" - user frob
run 64 "user add without a name" - user add
run 66 "user add before db init: no database" "pw" user add daniel
expect "db init" "missing database: message says to run db init"

# --- db init, user add, auth ---
run 0 "db init creates the schema" - db init
for t in users act_as tenants tenant_authz; do
	if sqlite3 "$db" ".schema $t" | grep -q "CREATE TABLE"; then pass "schema has table $t"; else
		fail "schema has table $t"; fi
done
run 0 "db init again is harmless" - db init
run 0 "user add daniel (password on stdin)" "correct horse" user add daniel
stored=$(sqlite3 "$db" "SELECT password FROM users WHERE name = 'daniel'")
case "$stored" in
	'$argon2id$'*) pass "stored password is an Argon2id hash";;
	*) fail "stored password is an Argon2id hash (got '$stored')";;
esac
if sqlite3 "$db" "SELECT count(*) FROM users WHERE password LIKE '%correct horse%'" | grep -qx 0; then
	pass "plaintext password is not in the database"; else fail "plaintext password is not in the database"; fi
run 65 "user add daniel again is refused" "x" user add daniel
run 0 "auth daniel with the right password" "correct horse" auth daniel
expect "passdb: daniel auth succeeded (store sqlite:$db)" "auth names the store that answered"
run 1 "auth daniel with a wrong password" "correct horsE" auth daniel
expect "bad password" "auth says why it failed"
run 1 "auth of an unknown user" "whatever" auth nobody
expect "unknown user" "auth says the user is unknown"
run 1 "auth with an empty password line" "" auth daniel

# --- passwords never from argv ---
run 64 "password on the command line is refused" - user add eve hunter2
expect "stdin" "refusal says passwords come from stdin"
if sqlite3 "$db" "SELECT count(*) FROM users WHERE name = 'eve'" | grep -qx 0; then
	pass "no user was created from argv"; else fail "no user was created from argv"; fi
run 64 "auth with a password argument is refused (3 args)" - auth daniel sales extra
run 65 "user add with an empty password is refused" "" user add eve
run 66 "user add with nothing on stdin is refused" - user add eve

# --- passwd, disable, enable, del ---
run 0 "user passwd daniel" "battery staple" user passwd daniel
run 1 "old password fails after passwd" "correct horse" auth daniel
run 0 "new password works after passwd" "battery staple" auth daniel
run 67 "user passwd of an unknown user" "x" user passwd nobody
run 0 "user disable daniel" - user disable daniel
run 1 "disabled user: right password refused" "battery staple" auth daniel
expect "user disabled" "auth says the user is disabled"
run 0 "user list" - user list
expect "daniel	disabled" "user list shows daniel disabled"
run 0 "user enable daniel" - user enable daniel
run 0 "enabled again: auth ok" "battery staple" auth daniel
run 67 "user disable of an unknown user" - user disable nobody

# --- act-as ---
run 0 "act-as grant daniel sales" - act-as grant daniel sales
run 0 "act-as grant again is harmless" - act-as grant daniel sales
run 0 "auth daniel as sales" "battery staple" auth daniel sales
expect "daniel may act as sales" "auth reports the act-as grant"
run 1 "auth daniel as billing (no grant)" "battery staple" auth daniel billing
run 0 "user list shows grants" - user list
expect "act-as=sales" "user list lists act-as grants"
run 67 "act-as grant for an unknown user" - act-as grant nobody sales
run 0 "act-as revoke daniel sales" - act-as revoke daniel sales
run 1 "after revoke, daniel may not act as sales" "battery staple" auth daniel sales
run 65 "act-as revoke of a missing grant" - act-as revoke daniel sales

# --- tenants ---
run 0 "tenant add acme" - tenant add acme
run 65 "tenant add ACME again (names are case-insensitive)" - tenant add ACME
run 0 "tenant list" - tenant list
expect "nobody: closed" "a new tenant is closed"
run 65 "tenant grant on an unknown tenant" - tenant grant nosuch daniel
run 0 "tenant grant acme daniel" - tenant grant acme daniel
run 0 "tenant list after grant" - tenant list
expect "acme	daniel" "tenant list shows the grant"
run 0 "tenant revoke acme daniel" - tenant revoke acme daniel
run 65 "tenant revoke again: nothing to revoke" - tenant revoke acme daniel
run 0 "tenant grant again, then del the tenant" - tenant grant acme daniel
run 0 "tenant del acme" - tenant del acme
if sqlite3 "$db" "SELECT count(*) FROM tenant_authz" | grep -qx 0; then
	pass "tenant del removed its grants"; else fail "tenant del removed its grants"; fi
run 65 "tenant del of an unknown tenant" - tenant del acme

# --- hash, and the passwd-file store in front of SQLite ---
run 0 "hash reads stdin" "file password" hash
hash=$(cat "$out")
case "$hash" in '$argon2id$'*) pass "hash prints an Argon2id hash";;
	*) fail "hash prints an Argon2id hash (got '$hash')";; esac
echo "daniel:$hash" >"$users"
run 0 "passwd-file (first store) now decides daniel" "file password" auth daniel
expect "passwd-file:$users" "auth names the passwd-file store"
run 1 "the SQLite password no longer counts for daniel" "battery staple" auth daniel
: >"$users"
run 78 "a 0-byte passwd-file (a rewrite caught half-way) does not open" "battery staple" auth daniel
expect "empty (0 bytes" "it says the file is empty"
refute "succeeded" "no success from the SQLite store behind it"
echo "daniel:$hash" | head -c 20 >"$users"
run 78 "a passwd-file whose last line has no newline does not open" "battery staple" auth daniel
expect "last line has no newline" "it says the file is incomplete"
refute "succeeded" "no success from the SQLite store behind it"
echo "# no users" >"$users.new" && mv "$users.new" "$users"
run 0 "passwd-file with no users (a comment line): SQLite decides again" "battery staple" auth daniel

# --- user del ---
run 0 "act-as grant before del" - act-as grant daniel sales
run 0 "user del daniel" - user del daniel
run 1 "deleted user is unknown" "battery staple" auth daniel
if sqlite3 "$db" "SELECT count(*) FROM act_as WHERE identity = 'daniel'" | grep -qx 0; then
	pass "user del removed the act-as grants"; else fail "user del removed the act-as grants"; fi
run 67 "user del again: no such user" - user del daniel

# --- user del removes act-as grants in both directions and tenant grants, so a
# user added later under the same name cannot be impersonated by an old grant ---
run 0 "user add erin" "erin pw" user add erin
run 0 "user add mallory" "mallory pw" user add mallory
run 0 "act-as grant mallory erin" - act-as grant mallory erin
run 0 "act-as grant mallory sales (not about erin)" - act-as grant mallory sales
run 0 "act-as grant erin billing" - act-as grant erin billing
run 0 "tenant add globex" - tenant add globex
run 0 "tenant grant globex erin" - tenant grant globex erin
run 0 "tenant grant globex mallory" - tenant grant globex mallory
run 0 "before del: mallory may act as erin" "mallory pw" auth mallory erin
run 0 "user del erin" - user del erin
expect "deleted user erin; removed 2 act-as grants (1 by erin, 1 to erin), 1 tenant grant" \
	"user del says what it removed"
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM users WHERE name = 'erin') || ' ' ||
	(SELECT count(*) FROM act_as WHERE identity = 'erin' OR as_identity = 'erin') || ' ' ||
	(SELECT count(*) FROM tenant_authz WHERE identity = 'erin')")
if [ "$rows" = "0 0 0" ]; then pass "no users, act_as or tenant_authz row names erin"; else
	fail "no users, act_as or tenant_authz row names erin (users act_as tenant_authz: $rows)"; fi
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM act_as WHERE identity = 'mallory' AND as_identity = 'sales') || ' ' ||
	(SELECT count(*) FROM tenant_authz WHERE identity = 'mallory')")
if [ "$rows" = "1 1" ]; then pass "other identities' grants are kept"; else
	fail "other identities' grants are kept (mallory act_as tenant_authz: $rows)"; fi
run 0 "user add erin again (a new person)" "new erin pw" user add erin
run 1 "mallory may not act as the new erin" "mallory pw" auth mallory erin
expect "mallory may not act as erin" "auth says the grant is gone"
run 0 "user del erin (no grants left)" - user del erin
expect "deleted user erin; removed 0 act-as grants (0 by erin, 0 to erin), 0 tenant grants" \
	"user del with nothing else to remove says so"
# grants left behind by an older relayguardctl: user del of the name removes them
sqlite3 "$db" "INSERT INTO act_as VALUES('mallory', 'ghost'); INSERT INTO tenant_authz VALUES('globex', 'ghost')"
run 0 "user del of a name with only leftover grants" - user del ghost
expect "no user ghost in $db; removed grants naming it: 1 act-as grant (0 by ghost, 1 to ghost), 1 tenant grant" \
	"it says there was no user and what it removed"
if sqlite3 "$db" "SELECT count(*) FROM act_as WHERE as_identity = 'ghost'" | grep -qx 0; then
	pass "leftover grant to ghost removed"; else fail "leftover grant to ghost removed"; fi
run 67 "user del ghost again: nothing left" - user del ghost
# the store reads this database through custom queries: user del says what it did not touch
cat >"$dir/custom.conf" <<EOF
stores = ( { type = "sqlite"; path = "$db";
  password_query = "SELECT password, enabled FROM users WHERE name = :user";
  act_as_query = "SELECT 1 FROM act_as WHERE identity = :user AND as_identity = :as"; } );
EOF
printf 'x\n' | "$CTL" -c "$dir/custom.conf" user add frank >/dev/null 2>&1
"$CTL" -c "$dir/custom.conf" user del frank </dev/null >"$out" 2>&1; got=$?
if [ "$got" = 0 ]; then pass "user del with custom queries (exit 0)"; else
	fail "user del with custom queries (exit $got)"; sed 's/^/#   /' "$out"; fi
expect "password_query, act_as_query read" "custom queries: user del names the queries whose tables it did not change"

# --- a locked database: 75 (EX_TEMPFAIL), nothing changed ---
run 0 "user add bob" "bob pw" user add bob
mkfifo "$dir/lockfifo"
sqlite3 "$db" <"$dir/lockfifo" >"$dir/lock.out" 2>&1 &
lockpid=$!
exec 3>"$dir/lockfifo"
printf ".timeout 5000\nBEGIN EXCLUSIVE;\n" >&3
i=0
while sqlite3 "$db" "SELECT count(*) FROM users" >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
if [ $i -lt 100 ]; then pass "a background sqlite3 (pid $lockpid) holds an exclusive lock"; else
	fail "a background sqlite3 holds an exclusive lock"; sed 's/^/#   /' "$dir/lock.out"
	ps -o pid,stat,args -p "$lockpid" | sed 's/^/#   /'; fi
run 75 "auth while locked → temporary failure" "bob pw" auth bob
expect "locked" "auth says the database is locked"
refute "succeeded" "auth did not succeed while locked"
run 75 "user add while locked" "x" user add carol
expect "try again" "locked write says to try again"
run 75 "user disable while locked" - user disable bob
run 75 "user list while locked" - user list
echo "COMMIT;" >&3
exec 3>&-
wait "$lockpid" 2>/dev/null
lockpid=""
run 0 "lock released: auth bob works" "bob pw" auth bob
run 0 "user list after the lock" - user list
expect "bob	enabled" "the locked disable changed nothing"
refute "carol" "the locked add changed nothing"

# --- a corrupt database ---
cp "$db" "$dir/good.db"
printf 'this is not an sqlite database, just garbage bytes.......................................' \
	| dd of="$db" bs=1 seek=0 conv=notrunc 2>/dev/null
run 65 "user add on a corrupt database" "x" user add carol
expect "corrupt" "message says the database is corrupt"
run 78 "auth with a corrupt database: the store does not open" "bob pw" auth bob
refute "succeeded" "no success from a corrupt database"
cp "$dir/good.db" "$db"

# --- config errors ---
echo 'stores = ( { type = "nosuch"; } );' >"$dir/bad.conf"
"$CTL" -c "$dir/bad.conf" auth bob </dev/null >"$out" 2>&1; got=$?
if [ "$got" = 78 ]; then pass "bad config → 78"; else fail "bad config → 78 (got $got)"; fi
"$CTL" -c "$dir/nonexistent.conf" user list </dev/null >"$out" 2>&1; got=$?
if [ "$got" = 78 ]; then pass "missing -c config → 78"; else fail "missing -c config → 78 (got $got)"; fi
"$CTL" -c "$dir/nonexistent.conf" -d "$db" user list </dev/null >"$out" 2>&1; got=$?
if [ "$got" = 78 ]; then pass "an explicit -c that is missing is an error even with -d"; else
	fail "explicit missing -c with -d → 78 (got $got)"; fi

done_testing
