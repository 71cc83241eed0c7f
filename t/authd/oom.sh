#!/bin/sh
# oom.sh — out of memory while hashing is a temporary failure, never "wrong
# password": the built relayguard daemon, its address space limited with
# prlimit(1) while it runs, a 128 MiB Argon2id user (made by relayguardctl
# hash), driven by t/authd/dvclient (Dovecot protocol) and Cyrus's
# testsaslauthd (saslauthd protocol).  Under the limit the right password gets
# a closed connection (Postfix: 454) and leaves no negative cache entry and no
# failure penalty: once the limit is lifted the same password logs in at once.
# Stored hashes over the passwords.max_* limits are never run.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require dvclient sqlite3 prlimit
rg_workdir authd-oom
Q='"\?'	# log values may be quoted: authc=big or authc="big"

cat > "$W/rg.conf" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$W/auth";
  saslauthd_socket = "$W/mux";
  require_tls = false;
  failure_delay_ms = 200;
  max_failure_delay_ms = 1000;
  hash_threads = 1;
};
stores = ( { type = "sqlite"; path = "$W/users.db"; } );
CONF
# relayguard makes the big hash itself: Argon2id, 128 MiB, one pass
sed 's/^milter:/passwords: { argon2_memory_kib = 131072; argon2_iterations = 1; };\nmilter:/' \
	"$W/rg.conf" > "$W/gen.conf"
ctl db init >/dev/null
printf 'small-pw' | ctl user add small >/dev/null
BIG=$(printf 'big-pw' | "$CTL" -c "$W/gen.conf" hash)
matches "$BIG" '$argon2id$v=19$m=131072,t=1,p=1$*' "relayguardctl hash made a 128 MiB Argon2id hash"
S16='MTMyZjZmZjRmMDM1Y2U3Zg'; H32='Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o'
sqlite3 "$W/users.db" "INSERT INTO users(name, password, enabled) VALUES ('big', '$BIG', 1),
	('huge', '\$argon2id\$v=19\$m=524288,t=1,p=1\$$S16\$$H32', 1),
	('slow', '\$argon2id\$v=19\$m=8,t=1000,p=1\$$S16\$$H32', 1);"

rg_start "$W/rg.conf" "$W/rg.log" "$W/auth" "$W/mux"
ok $? "daemon started" || bail_out "relayguard did not start"
dv() { "$DV" "$W/auth" plain "$@" 2>&1; }
tsa() { "$TSA" -f "$W/mux" -s smtp "$@" 2>"$W/tsa.err" | tr '\n' ' ' | sed 's/ *$//'; }
FAILED="FAIL 1 reason=Authentication failed"

# warm up what the daemon sets up once (connection thread, store, a small hash)
is "$(dv small small-pw)" "OK 1 user=small" "small user logs in"
dv small small-pw >/dev/null

# ---- the address space a little above what the daemon uses now: 128 MiB cannot be had ----
kib=$(awk '/^VmSize:/ {print $2}' /proc/$RG_PID/status)
lim=$(( (kib + 32768) * 1024 ))
if prlimit --pid "$RG_PID" --as="$lim:" 2>"$W/prlimit.err"; then
	pass "daemon limited to VmSize + 32 MiB ($((lim / 1048576)) MiB)"
else
	bail_out "prlimit --pid failed: $(cat "$W/prlimit.err")"
fi
is "$(dv big big-pw)" "CLOSED" "right password, hash cannot get its memory: closed without FAIL (Postfix: 454)"
is "$(logcount "authc=${Q}big${Q} .*result=${Q}tempfail${Q} reason=\"password check could not run: argon2 could not run")" 1 \
	"  logged as tempfail: out of memory"
is "$(dv big big-pw)" "CLOSED" "  again: closed again (nothing was cached)"
if [ -x "$TSA" ]; then
	is "$(tsa -u big -p big-pw) $(cat "$W/tsa.err")" "0: size read failed" \
		"saslauthd protocol: closed without NO (testsaslauthd: 'size read failed', libsasl: SASL_FAIL)"
else
	skip "testsaslauthd not installed"
fi
is "$(logcount "authc=${Q}big${Q} .*result=${Q}tempfail${Q}.*delay_ms=${Q}0${Q}")" 3 "  no failure delay on any of them"
is "$(dv small small-pw)" "OK 1 user=small" "a cached login still works under the limit"

# ---- memory back: the right password works at once, no penalty was counted ----
prlimit --pid "$RG_PID" --as=unlimited: && pass "limit lifted" || fail "limit lifted"
is "$(dv big big-pw)" "OK 1 user=big" "memory back: the right password logs in at once"
is "$(logcount "authc=${Q}big${Q} .*result=${Q}ok${Q} .*cached=${Q}no${Q}")" 1 "  hashed (no negative cache entry answered it)"
is "$(dv big wrong-1)" "$FAILED" "a wrong password for big: FAIL"
is "$(logcount "authc=${Q}big${Q} .*result=${Q}fail${Q}.*delay_ms=${Q}200${Q}")" 1 \
	"  with the first failure's delay (200 ms): the tempfails counted no failure"

# ---- stored hashes over the limits are never run ----
is "$(dv huge x)" "CLOSED" "512 MiB Argon2 entry (max_argon2_memory_kib 256 MiB): tempfail, not run"
is "$(logcount "authc=${Q}huge${Q} .*result=${Q}tempfail${Q} reason=\"stored hash unusable: stored hash exceeds limits")" 1 \
	"  logged: stored hash exceeds limits"
is "$(dv slow x)" "CLOSED" "Argon2 t=1000 entry (max_argon2_iterations 10): tempfail, not run"
is "$(logcount "authc=${Q}slow${Q} .*result=${Q}tempfail${Q} reason=\"stored hash unusable: stored hash exceeds limits")" 1 \
	"  logged: stored hash exceeds limits"
printf 'x\n' | ctl auth huge >/dev/null 2>&1
is "$?" 75 "relayguardctl auth on the over-limit entry: temporary failure (75)"
"$RG" -n -c "$W/rg.conf" >"$W/n.out" 2>&1
is "$?" 1 "relayguard -n refuses the store"
is "$(grep -c 'stored hash exceeds limits' "$W/n.out")" 2 "  naming both over-limit entries"

grep -q -e 'big-pw' -e 'small-pw' "$W/rg.log" && fail "a password appears in the log" \
	|| pass "no password in the log"
pid=$RG_PID
rg_stop && gone "$pid"
ok $? "SIGTERM stops the daemon"
done_testing
