#!/usr/bin/env bash
# redis-shared.sh — two relayguard instances share one real redis-server
# (started here on a unix socket in a private folder, stopped by its PID):
# failed logins spread over both add up to one lockout, guard counts add up
# (the 4th message of 3/1h, sent to the other instance, is held), and Redis
# holds no login in its key names.  Redis stopped: instance A (on_error =
# tempfail) answers temporary failures; instance B (on_error = local) goes on
# with its own counters and says so in its log.  Redis back: shared again.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require dvclient python3
REDIS=$(command -v redis-server || true)
REDIS_CLI=$(command -v redis-cli || true)
[ -n "$REDIS" ] && [ -n "$REDIS_CLI" ] || skip_all "redis-server not installed (apt-get install redis-server)"
rg_workdir redis-shared

has() { # FILE FIXED-STRING NAME
	if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3" "no '$2' in $1:" "$(tail -5 "$1")"; fi; }

redis_start() {
	"$REDIS" --port 0 --unixsocket "$W/redis.sock" --unixsocketperm 700 --save "" \
		--appendonly no --dir "$W" --daemonize no >>"$W/redis.log" 2>&1 &
	REDIS_PID=$!
	track $REDIS_PID
	wait_until 10 test -S "$W/redis.sock"
}
redis_stop() { kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; rm -f "$W/redis.sock"; }
rcli() { "$REDIS_CLI" -s "$W/redis.sock" "$@"; }

redis_start
ok $? "redis-server on $W/redis.sock (pid $REDIS_PID)" || bail_out "redis-server did not start: $(tail -3 "$W/redis.log")"
head -c 48 /dev/urandom | base64 >"$W/fleet.key"

H_ALICE=$(rg_hash alice-pw) && H_BOB=$(rg_hash bob-pw) || bail_out "relayguardctl hash failed"
conf() { # NAME ON_ERROR
	cat >"$W/$1.conf" <<EOF
pidfile = "$W/$1.pid";
control_socket = "$W/$1.control";
passwords: { argon2_memory_kib = 64; argon2_iterations = 1; };
milter: { socket = "unix:$W/$1.milter"; require_known_identity = true; };
auth: { dovecot_socket = "$W/$1.auth"; saslauthd_socket = ""; failure_delay_ms = 0;
        lockout_failures = 3; lockout_seconds = 60; };
stores = ( { type = "static"; users = (
  { name = "alice"; password = "$H_ALICE"; },
  { name = "bob"; password = "$H_BOB"; } ); } );
guard: { enabled = true; messages = [ "3/1h" ]; };
shared_state: { type = "redis"; servers = [ "unix:$W/redis.sock" ]; secret_file = "$W/fleet.key";
                key_prefix = "rgtest:"; timeout_ms = 500; on_error = "$2"; };
EOF
}
conf a tempfail
conf b local
out=$("$RG" -n -c "$W/a.conf" 2>&1)
ok $? "relayguard -n accepts shared_state" || diag "$out"
rg_start_or_bail "$W/a.conf" "$W/a.log" "$W/a.auth" "$W/a.milter"
A_PID=$RG_PID
rg_start_or_bail "$W/b.conf" "$W/b.log" "$W/b.auth" "$W/b.milter"
B_PID=$RG_PID
dv() { "$DV" "$W/$1.auth" plain "$2" "$3" 2>&1; }
msg() { # INSTANCE ID: one message from alice; prints the milter's replies on one line
	python3 "$top_srcdir/t/milter/milter_client.py" "$W/$1.milter" negotiate \
		"macro:C:j=mx.relayguard.test,{daemon_name}=submission" connect:client.example:192.0.2.7 \
		"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
		helo:client.example "macro:M:i=$2,{auth_type}=PLAIN,{auth_authen}=alice" \
		mail:alice@example.test header:From:alice@example.test eoh eom quit 2>&1 | tr '\n' '|'
}

# ---- failed logins on both instances add up to one lockout ----
is "$(dv a bob wrong-1)" "FAIL 1 reason=Authentication failed" "bob: a wrong password on A"
is "$(dv a bob wrong-2)" "FAIL 1 reason=Authentication failed" "bob: another on A"
is "$(dv b bob wrong-3)" "FAIL 1 reason=Authentication failed" "bob: a third on B (3 in all: lockout_failures)"
is "$(dv a bob bob-pw)" "FAIL 1 reason=Authentication failed" "bob's right password on A: locked out"
like "$(cat "$W/a.log")" 'user=bob .*reason="user temporarily locked out"' "... A says locked out"
is "$(dv b bob bob-pw)" "FAIL 1 reason=Authentication failed" "and on B"

# ---- guard counts add up: 3 messages an hour, 2 on A and 2 on B ----
like "$(msg a M1)" 'eoh accept' "alice's 1st message (A): accepted"
like "$(msg b M2)" 'eoh accept' "2nd (B): accepted"
like "$(msg a M3)" 'eoh accept' "3rd (A): accepted"
like "$(msg b M4)" 'quarantine relayguard guard: messages 4 > 3 in 3600s' \
	"4th (B): held, counted over both instances"
like "$(rg_hash x >/dev/null; "$CTL" -c "$W/a.conf" guard show alice)" '^messages 4 limit 3 window 3600s$' \
	"guard show alice on A counts B's messages too"

# ---- round trips: EVALs counted by Redis itself ----
evals() { rcli info commandstats | sed -n 's/^cmdstat_eval:calls=\([0-9]*\).*/\1/p'; }
e0=$(evals); dv a alice alice-pw >/dev/null; dv a alice alice-pw >/dev/null; e1=$(evals)
is "$(( (e1 - e0) / 2 ))" 1 "a login costs 1 Redis round trip (the lock, the failure count and the guard's suspension in one batch)"
e0=$(evals); msg a M9 >/dev/null; e1=$(evals)
is "$((e1 - e0))" 1 "a guarded message costs 1 Redis round trip (no recipient or tenant limit: suspension and counts at MAIL FROM)"
"$CTL" -c "$W/a.conf" guard release alice >/dev/null

# ---- Redis holds MACs, not names ----
keys=$(rcli --scan --pattern 'rgtest:*')
ok $([ -n "$keys" ]; echo $?) "Redis holds relayguard's keys ($(echo "$keys" | wc -l))"
unlike "$keys" 'alice|bob|192\.0\.2' "no login or address in a key name"
unlike "$(for k in $keys; do rcli --raw dump "$k"; done 2>/dev/null | tr -d '\0')" 'alice|bob' \
	"... nor in a value"

# ---- Redis down ----
redis_stop
is "$(dv a alice alice-pw)" "CLOSED" "Redis down, A (on_error = tempfail): alice's login is a temporary failure"
like "$(msg a M5)" 'mail replycode 451 4\.3\.0' "... and her MAIL FROM gets 451"
has "$W/a.log" 'shared_state: Redis does not answer' "A logs that Redis does not answer"
is "$(dv b alice alice-pw)" "OK 1 user=alice" "Redis down, B (on_error = local): alice logs in"
like "$(msg b M6)" 'eoh accept' "... and her message is counted locally"
has "$W/b.log" "using this relay's own counters (on_error = local)" "B says it uses its own counters"
is "$(grep -c 'shared_state: Redis does not answer' "$W/b.log")" 1 "... once, not per request"

# ---- Redis back ----
redis_start
ok $? "redis-server started again"
is "$(dv a alice alice-pw)" "OK 1 user=alice" "Redis back: A answers again"
like "$(msg b M7)" 'eoh accept' "B's next message"
has "$W/b.log" 'shared_state: Redis answers again: counters are shared again' "B says counters are shared again"
rcli set probe 1 >/dev/null
like "$(msg a M8)" 'eoh accept' "a fresh Redis (nothing saved): alice starts from 0 again"

rg_stop "$A_PID" && rg_stop "$B_PID"
ok $? "both instances stopped"
redis_stop
grep -q -e 'alice-pw' -e 'bob-pw' -e 'wrong-' "$W/a.log" "$W/b.log" && fail "a password in a log" ||
	pass "no password in either log"
done_testing
