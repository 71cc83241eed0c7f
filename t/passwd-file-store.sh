#!/bin/sh
# passwd-file-store.sh — the passwd-file store in front of a SQLite store, in
# the real relayguard daemon, driven by t/authd/dvclient (Dovecot protocol)
# and Cyrus's testsaslauthd (saslauthd protocol).  TAP.
#
# The passwd-file shadows daniel (another password in the SQLite store).  A
# passwd-file caught while being rewritten in place (cut mid-line, or still
# 0 bytes) must be a temporary failure (connection closed), never a fall
# through to the SQLite daniel; a file replaced by rename is picked up at the
# next login without a reload.  Keys the store would ignore (wrong case,
# wrong field) are warned about by `relayguard -n` and in the daemon's log.
# The daemon is stopped by its PID on exit.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require dvclient
rg_workdir passwd-file-store

has() { # FILE FIXED-STRING NAME
	if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3" "no '$2' in $1:" "$(tail -5 "$1")"; fi; }

U=$W/users
cat >"$W/rg.conf" <<CONF
pidfile = "$W/rg.pid";
control_socket = "$W/control";
milter: { enabled = false; };
passwords: { argon2_memory_kib = 64; argon2_iterations = 1; };
auth: {
  dovecot_socket = "$W/auth";
  saslauthd_socket = "$W/mux";
  failure_delay_ms = 0;
};
stores = (
  { type = "passwd-file"; path = "$U"; },
  { type = "sqlite"; path = "$W/users.db"; }
);
CONF
hash() { printf '%s\n' "$1" | ctl hash; }
# the admin's way to change the file: write a temporary file, then rename it
replace() { cat >"$U.tmp" && mv "$U.tmp" "$U"; }

ctl db init >/dev/null
H_CAROL=$(hash carol-pw)
H_DANIEL=$(hash daniel-file-pw)
H_BOB=$(hash bob-pw)
replace <<EOF
carol:$H_CAROL
daniel:$H_DANIEL
bob:$H_BOB::::::NoLogin
fay:$H_BOB:1000:1000::/home/fay:/usr/sbin/nologin
EOF
# the SQLite store (opened second) knows daniel too, with another password
printf 'daniel-sqlite-pw\n' | ctl user add daniel >/dev/null
printf 'erin-pw\n' | ctl user add erin >/dev/null

# ---- relayguard -n: keys the store ignores are named, with file:line and the value ----
"$RG" -n -c "$W/rg.conf" >"$W/check.out" 2>&1
is "$?" 0 "relayguard -n: warnings only, exit 0"
has "$W/check.out" "$U:3: warning: user \"bob\": \"NoLogin\" is ignored: keys are case-sensitive" \
	"relayguard -n warns: NoLogin in another case (file:line, quoted)"
has "$W/check.out" "$U:4: warning: user \"fay\": \"/usr/sbin/nologin\" in the shell field does not disable" \
	"relayguard -n warns: a nologin shell"

rg_start "$W/rg.conf" "$W/rg.log" "$W/auth" "$W/mux"
ok $? "daemon started (pid $RG_PID)" || bail_out "relayguard did not start"
has "$W/rg.log" "$U:3: warning: user \"bob\": \"NoLogin\"" "the daemon logs the warning at load"

dv() { "$DV" "$W/auth" "$@" 2>&1; }
tsa() { "$TSA" -f "$W/mux" -s smtp "$@" 2>"$W/tsa.err" | tr '\n' ' ' | sed 's/ *$//'; }

is "$(dv plain daniel daniel-file-pw)" "OK 1 user=daniel" "passwd-file decides daniel"
is "$(dv plain daniel daniel-sqlite-pw)" "FAIL 1 reason=Authentication failed" \
	"the SQLite password of the shadowed daniel is refused"
is "$(dv plain erin erin-pw)" "OK 1 user=erin" "a user only in SQLite: OK"
is "$(dv plain bob bob-pw)" "OK 1 user=bob" "NoLogin (wrong case) is not applied, only warned about"

# ---- rewritten in place (O_TRUNC), caught cut inside carol's line: daniel not written yet ----
printf 'carol:%s' "$(printf '%s' "$H_CAROL" | head -c 30)" >"$U"
is "$(dv plain daniel daniel-sqlite-pw)" "CLOSED" \
	"file cut mid-line: daniel's SQLite password does not fall through (closed: tempfail)"
is "$(dv plain daniel daniel-file-pw)" "CLOSED" "file cut mid-line: daniel's file password: closed"
is "$(dv plain erin erin-pw)" "CLOSED" "file cut mid-line: users behind it: closed, never a guess"
if [ -x "$TSA" ]; then
	is "$(tsa -u daniel -p daniel-sqlite-pw) $(cat "$W/tsa.err")" "0: size read failed" \
		"file cut mid-line: saslauthd closes without a reply (testsaslauthd: size read failed)"
else skip "testsaslauthd not installed (apt-get install sasl2-bin)"; fi
has "$W/rg.log" "$U:1: the last line has no newline" "the log says the file is incomplete"
want=2; [ -x "$TSA" ] && want=3
is "$(grep daniel "$W/rg.log" | grep -c tempfail)" $want "the daemon logs a tempfail for each of daniel's logins"

# ---- the first state of an in-place rewrite: 0 bytes ----
: >"$U"
is "$(dv plain daniel daniel-sqlite-pw)" "CLOSED" \
	"0-byte file: daniel's SQLite password does not fall through (closed)"
has "$W/rg.log" "$U: the file is empty (0 bytes" "the log says the file is empty"

# ---- replaced by rename: picked up at the next login, no reload ----
H_DANIEL2=$(hash daniel-new-pw)
replace <<EOF
# users
daniel:$H_DANIEL2
EOF
is "$(dv plain daniel daniel-new-pw)" "OK 1 user=daniel" "file replaced by rename: the new password works at once"
is "$(dv plain daniel daniel-file-pw)" "FAIL 1 reason=Authentication failed" "... the old one does not"
is "$(dv plain daniel daniel-sqlite-pw)" "FAIL 1 reason=Authentication failed" \
	"... and daniel is still shadowed (SQLite password refused)"
if [ -x "$TSA" ]; then
	is "$(tsa -u daniel -p daniel-new-pw)" '0: OK "Success."' "testsaslauthd: the new password works"
else skip "testsaslauthd not installed (apt-get install sasl2-bin)"; fi
is "$(dv plain erin erin-pw)" "OK 1 user=erin" "users behind the file work again"
has "$W/rg.log" "store passwd-file:$U: file readable again" "the store read the new file by itself"

# ---- a file with no users on purpose: a comment line ----
echo "# no users" | replace
is "$(dv plain daniel daniel-sqlite-pw)" "OK 1 user=daniel" \
	"a passwd-file with only a comment has no users: SQLite decides daniel"

pid=$RG_PID
rg_stop && gone "$pid"
ok $? "SIGTERM stops the daemon"
grep -q -e 'daniel-file-pw' -e 'daniel-sqlite-pw' -e 'daniel-new-pw' -e 'erin-pw' "$W/rg.log" \
	&& fail "a password appears in the log" || pass "no password in the log"
done_testing
