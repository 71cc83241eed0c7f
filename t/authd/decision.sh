#!/bin/sh
# decision.sh — one login decision for the SASL service and relayguardctl auth,
# and refusals that cost the same: the built relayguard daemon (SQLite store
# made by relayguardctl), driven by t/authd/dvclient over the Dovecot auth
# protocol.  Asserts mechanisms, never timings: which attempts the negative
# cache answers (cached=yes in the decision log line), which stored hash a
# disabled user's attempt runs, the cost padding counter, and that
# `relayguardctl auth` exits as the daemon answers.  TAP.  Everything started
# here is stopped by PID on exit.
b=${top_builddir:-.}
b=$(cd "$b" && pwd)
RG=$b/relayguard
CTL=$b/relayguardctl
DV=$b/t/authd/dvclient
cant() { # under CI a missing prerequisite fails; elsewhere it skips
	if [ "${CI:-}" = true ]; then echo "1..1"; echo "not ok 1 - $1"; exit 1; fi
	echo "1..0 # SKIP $1"; exit 0; }
[ -x "$RG" ] && [ -x "$CTL" ] && [ -x "$DV" ] || cant "daemon or tools not built"
command -v sqlite3 >/dev/null || cant "sqlite3 not installed"
command -v openssl >/dev/null || cant "openssl not installed"

W=$b/t/tmp/authd-decision.$$
mkdir -p "$W"
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill "$PID" 2>/dev/null
		i=0; while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
		kill -9 "$PID" 2>/dev/null
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

n=0
pass() { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
is() { # got want name
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:  '$1'" "want: '$2'"; fi; }
logcount() { grep -c -- "$1" "$W/rg.log"; }
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
ctl() { "$CTL" -c "$W/rg.conf" "$@"; }
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

"$RG" -c "$W/rg.conf" -f >"$W/rg.log" 2>&1 &
PID=$!
i=0; while [ ! -S "$W/auth" ]; do
	sleep 0.1; i=$((i+1))
	if [ $i -gt 100 ] || ! kill -0 $PID 2>/dev/null; then
		cant "relayguard did not start: $(tail -3 "$W/rg.log" | tr '\n' ' ')"
	fi
done
pass "daemon started"
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
kill $PID; i=0; while kill -0 $PID 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
! kill -0 $PID 2>/dev/null && pass "SIGTERM stops the daemon" || fail "daemon did not stop"
PID=
echo "1..$n"
