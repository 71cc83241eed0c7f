#!/bin/sh
# decision.sh — one login decision for the SASL service and relayguardctl auth,
# and refusals that cost the same: the built relayguard daemon (SQLite store
# made by relayguardctl), driven by t/authd/dvclient over the Dovecot auth
# protocol.  Asserts mechanisms, never timings: which attempts the negative
# cache answers (cached=yes in the decision log line), which stored hash a
# disabled user's attempt runs, the cost padding counter, and that
# `relayguardctl auth` exits as the daemon answers.  TAP.  Everything started
# here is stopped by PID on exit.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require dvclient sqlite3 openssl
rg_workdir authd-decision
Q='"\?'	# log values may be quoted: authc=big or authc="big"

cat > "$W/rg.conf" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$W/auth";
  saslauthd_socket = "";
  require_tls = false;
  failure_delay_ms = 0;
  hash_threads = 2;
};
stores = ( { type = "sqlite"; path = "$W/users.db"; } );
CONF
ctl db init >/dev/null
printf 'daniel-pw' | ctl user add daniel >/dev/null
printf 'dis-pw' | ctl user add dis >/dev/null
ctl user disable dis >/dev/null
# a cheap stored hash (sha512crypt, 5000 rounds), enabled
SHA=$(openssl passwd -6 -salt saltsaltsalt cheap-pw)
# unusable stored hashes (over passwords.max_argon2_iterations): enabled, disabled
OVER='$argon2id$v=19$m=8192,t=1000,p=1$MTMyZjZmZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o'
sqlite3 "$W/users.db" "INSERT INTO users(name, password, enabled) VALUES
	('cheap', '$SHA', 1), ('broken', '$OVER', 1), ('brokenoff', '$OVER', 0);"

rg_start "$W/rg.conf" "$W/rg.log" "$W/auth"
ok $? "daemon started" || bail_out "relayguard did not start"
dv() { "$DV" "$W/auth" plain "$@" 2>&1; }
FAILED="FAIL 1 reason=Authentication failed"
# decision log lines of authc $1 with result $2 and cached=$3
declines() { grep -c -- "authc=${Q}$1${Q} .*result=${Q}$2${Q} .*cached=${Q}$3${Q}" "$W/rg.log"; }
stat() { ctl stats | sed -n "s/^$1 //p"; }

# ---- the same password twice: the second try is the negative cache's, for all three ----
for c in "nobody some-pw unknown" "daniel wrong-pw wrong" "dis wrong-pw disabled-wrong" \
	 "dis dis-pw disabled-right"; do
	set -- $c
	is "$(dv "$1" "$2")" "$FAILED" "$3, first try: FAIL"
	is "$(dv "$1" "$2")" "$FAILED" "$3, same password again: FAIL"
done
is "$(declines nobody fail no) $(declines nobody fail yes)" "1 1" \
	"unknown user: first try hashed (cached=no), second from the negative cache (cached=yes)"
is "$(declines daniel fail no) $(declines daniel fail yes)" "1 1" \
	"wrong password: first try hashed, second from the negative cache"
is "$(declines dis fail no) $(declines dis fail yes)" "2 2" \
	"disabled user, wrong and right password: first try hashed, second from the negative cache"
is "$(logcount "authc=${Q}dis${Q} .*reason=\"user disabled\"")" 4 "disabled user: logged as user disabled"

# ---- re-enabled: the right password works at once (the negative entry was for 'disabled') ----
ctl user enable dis >/dev/null
is "$(dv dis dis-pw)" "OK 1 user=dis" "re-enabled: right password OK at once"
is "$(logcount "authc=${Q}dis${Q} .*result=${Q}ok${Q} .*cached=${Q}no${Q}")" 1 "  hashed, not a stale cache answer"
ctl user disable dis >/dev/null
is "$(dv dis dis-pw)" "$FAILED" "disabled again: refused at once despite the cached success"

# ---- a disabled user's attempt runs that user's stored hash ----
is "$(dv brokenoff x)" "$FAILED" "disabled user with an unusable stored hash: refused (FAIL, not tempfail)"
is "$(logcount 'user brokenoff: stored password hash is unusable (stored hash exceeds limits.*the user is disabled, so refused anyway')" 1 \
	"  its stored hash was the one tried (logged as unusable, refused anyway)"
is "$(dv broken x)" "CLOSED" "enabled user with an unusable stored hash: tempfail (closed)"
is "$(logcount "authc=${Q}broken${Q} .*result=${Q}tempfail${Q} reason=\"stored hash unusable: stored hash exceeds limits")" 1 \
	"  logged: stored hash unusable: stored hash exceeds limits"

# ---- a stored hash much cheaper than the dummy: the refusal waits out the difference ----
before=$(stat auth.cost_padded); before=${before:-0}
is "$(dv cheap wrong-1)" "$FAILED" "sha512crypt user, wrong password: FAIL"
after=$(stat auth.cost_padded); after=${after:-0}
is "$((after - before))" 1 "  its answer was padded to the dummy's cost (auth.cost_padded +1)"
is "$(dv cheap cheap-pw)" "OK 1 user=cheap" "sha512crypt user, right password: OK"

# ---- relayguardctl auth answers as the daemon does ----
code() { case "$1" in "OK 1 "*) echo 0;; "FAIL 1 "*) echo 1;; CLOSED) echo 75;; *) echo "?$1";; esac; }
for c in "nobody some-pw" "daniel wrong-pw" "daniel daniel-pw" "dis dis-pw" "dis wrong-pw" \
	 "cheap cheap-pw" "cheap nope" "broken x" "brokenoff x"; do
	set -- $c
	want=$(code "$(dv "$1" "$2")")
	printf '%s\n' "$2" | ctl auth "$1" >"$W/ctl.out" 2>&1
	is "$?" "$want" "relayguardctl auth $1 ($2) exits as the daemon answers ($want)"
done

grep -q -e 'daniel-pw' -e 'dis-pw' -e 'cheap-pw' -e 'wrong-pw' "$W/rg.log" \
	&& fail "a password appears in the log" || pass "no password in the log"
pid=$RG_PID
rg_stop && gone "$pid"
ok $? "SIGTERM stops the daemon"
done_testing
