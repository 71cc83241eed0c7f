#!/usr/bin/env bash
# pg-store.sh — the PostgreSQL store against real servers (t/pg-lib.sh: a
# primary and a streaming standby in this test's folder, stopped by PID).
# relayguardctl creates the schema and the users on the primary as an admin
# role; two relayguard daemons read it as a read-only role with the password
# from a file: A with conninfo "primary,standby", S on the standby alone with
# max_standby_lag_ms.  Logins and milter checks on both; a user disabled on
# the primary is refused by S within the lag; replay paused on the standby
# makes S answer temporary failures (never the stale row); the primary
# stopped under load: A goes on from the standby, answers temporary failures
# while no server answers, and answers normally once the primary is back,
# with no refused identity accepted at any moment.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
. "$top_srcdir/t/pg-lib.sh"
rg_require dvclient python3
pg_have || skip_all "PostgreSQL server binaries not installed (apt-get install postgresql)"
rg_workdir pg-store
chmod 711 "$W"

PP=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000 ))
SP=$((PP + 1))
pg_primary "$W/primary" "$PP" ||
	bail_out "the primary did not start: $(tail -5 "$W/primary/server.log" "$W/primary/initdb.log" 2>/dev/null)"
pg_sql "$W/primary" "$PP" "CREATE ROLE rgadmin LOGIN PASSWORD 'admin-secret';
CREATE ROLE relayguard LOGIN PASSWORD 'rg-secret'; GRANT pg_read_all_stats TO relayguard;" >/dev/null
pg_sql "$W/primary" "$PP" "CREATE DATABASE mail OWNER rgadmin" >/dev/null
pg_standby "$W/standby" "$SP" "$W/primary" "$PP" ||
	bail_out "the standby did not start: $(tail -5 "$W/standby/basebackup.log" "$W/standby/server.log" 2>/dev/null)"
pass "a primary on 127.0.0.1:$PP and a streaming standby on :$SP"

printf 'rg-secret\n' >"$W/pg.pass"
chmod 600 "$W/pg.pass"
ADMIN="postgresql:host=127.0.0.1 port=$PP dbname=mail user=rgadmin"
export PGPASSWORD=admin-secret	# relayguardctl's admin connection (libpq reads it)
ctl() { "$CTL" -c "$W/a.conf" "$@" 2>&1; }
actl() { "$CTL" -c "$W/a.conf" -d "$ADMIN" "$@" 2>&1; }

conf() { # NAME CONNINFO EXTRA
	cat >"$W/$1.conf" <<EOF
pidfile = "$W/$1.pid";
control_socket = "$W/$1.control";
passwords: { argon2_memory_kib = 64; argon2_iterations = 1; };
$(if [ -n "${NOMILTER:-}" ]; then echo 'milter: { enabled = false; };'; else
  echo "milter: { socket = \"unix:$W/$1.milter\"; require_known_identity = true; };"; fi)
auth: { dovecot_socket = "$W/$1.auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "postgresql"; name = "pg-$1"; conninfo = "$2";
             password_file = "$W/pg.pass"; query_timeout_ms = ${QT:-1000}; pool_size = ${PS:-3}; $3 } );
EOF
}
conf a "host=127.0.0.1,127.0.0.1 port=$PP,$SP dbname=mail user=relayguard connect_timeout=2" ""
conf s "host=127.0.0.1 port=$SP dbname=mail user=relayguard" "max_standby_lag_ms = 1000;"
# C: custom queries (the default tables, asked one question at a time)
conf c "host=127.0.0.1 port=$PP dbname=mail user=relayguard" '
  password_query = "SELECT password, enabled FROM users WHERE name = :user";
  tenant_query = "SELECT 1 FROM tenants WHERE lower(name) = lower(:tenant)";
  tenant_authz_query = "SELECT 1 FROM tenant_authz WHERE lower(tenant) = lower(:tenant) AND identity = :user";
  tenant_domain_query = "SELECT 1 FROM tenant_domains WHERE lower(tenant) = lower(:tenant) AND domain = :domain";
  tenant_domains_query = "SELECT 1 FROM tenant_domains WHERE lower(tenant) = lower(:tenant) LIMIT 1";'


# ---- relayguard -n: what the conninfo and the queries may hold ----
conf bad1 "host=127.0.0.1 port=$PP dbname=mail user=relayguard password=rg-secret" ""
out=$("$RG" -n -c "$W/bad1.conf" 2>&1)
is "$?" 1 "-n refuses a conninfo with password=" && like "$out" 'conninfo must not hold the password: put it in password_file' "... and says to use password_file"
conf bad2 "postgresql://relayguard:rg-secret@127.0.0.1:$PP/mail" ""
out=$("$RG" -n -c "$W/bad2.conf" 2>&1)
like "$out" 'conninfo must not hold the password' "-n refuses a password in a postgresql:// URI too"
conf bad3 "host=127.0.0.1 port=$PP dbname=mail user=relayguard" 'password_query = "SELECT password FROM users WHERE name = :user OR name = :nope";'
out=$("$RG" -n -c "$W/bad3.conf" 2>&1)
like "$out" 'password_query uses parameter :nope; it may use only :user' "-n refuses a custom query with a parameter it does not take"
conf bad4 "host=127.0.0.1 port=$PP dbname=mail user=relayguard" 'password_query = "SELECT password FROM users WHERE name = \$1 OR name = :user";'
out=$("$RG" -n -c "$W/bad4.conf" 2>&1)
like "$out" 'use the named parameters \(:user\), not \$1' "-n refuses a hand-written \$1"

# ---- relayguardctl: the schema and the users, written on the primary ----
out=$(actl db init)
ok $? "db init on PostgreSQL as the admin role" || diag "$out"
_pg_as "$PG_BIN/psql" -X -q -h "$W/primary" -p "$PP" -U postgres -d mail -v ON_ERROR_STOP=1 \
	-c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO relayguard" >/dev/null
out=$(printf 'alice-pw\n' | actl user add alice) && out=$(printf 'bob-pw\n' | actl user add bob) &&
	out=$(printf 'carol-pw\n' | actl user add carol) && out=$(actl tenant add Acme) &&
	out=$(actl tenant grant acme alice) && out=$(actl sender grant alice alice@example.test) &&
	out=$(actl act-as grant alice carol)
ok $? "user add, tenant add/grant, sender grant, act-as grant on PostgreSQL" || diag "$out"
is "$(actl tenant add ACME; echo "rc=$?")" "$(printf 'relayguardctl: tenant ACME exists in host=127.0.0.1 port=%s dbname=mail user=rgadmin; nothing changed\nrc=65' "$PP")" \
	"tenant names compare case-insensitively (ACME = Acme)"
is "$(actl user list)" "$(printf 'alice\tenabled\tact-as=carol\nbob\tenabled\ncarol\tenabled')" "user list reads them back"
is "$(actl tenant list)" "$(printf 'Acme\talice')" "tenant list"
# a lock held by another session: relayguardctl gives up after 5 s, changing nothing
_pg_as "$PG_BIN/psql" -X -q -h "$W/primary" -p "$PP" -U postgres -d mail \
	-c "BEGIN; LOCK TABLE users IN EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT" >/dev/null 2>&1 &
LOCKER=$!
track $LOCKER
sleep 0.5
out=$(actl user disable carol)
is "$?" 75 "user disable while another session locks the table: exit 75 (try again)" && like "$out" 'lock timeout.*nothing changed, try again' "... and says nothing changed"
kill "$LOCKER" 2>/dev/null; wait "$LOCKER" 2>/dev/null
pg_sql "$W/primary" "$PP" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(8)%' AND pid <> pg_backend_pid()" >/dev/null
is "$(actl user list | grep '^carol')" "$(printf 'carol\tenabled')" "carol is still enabled"
out=$(printf 'x\n' | ctl user add mallory)
is "$?" 77 "the daemon's read-only role cannot write (exit 77)" && like "$out" 'permission denied' "... and says why"
out=$(ctl user list)
like "$out" 'alice' "relayguardctl reads through the store's own conninfo and password_file"

out=$("$RG" -n -c "$W/a.conf" 2>&1)
ok $? "relayguard -n accepts the postgresql store (queries prepared and checked)" || diag "$out"
conf bad7 "host=127.0.0.1 port=$PP dbname=mail user=relayguard" 'password_query = "SELECT password FROM no_such_table WHERE name = :user";'
out=$("$RG" -n -c "$W/bad7.conf" 2>&1)
is "$?" 1 "-n refuses a custom query that does not compile" && like "$out" 'password_query "SELECT password FROM no_such_table WHERE name = \$1" does not compile: ERROR:  relation "no_such_table" does not exist' "... with the server's reason"
sed "s|$W/pg.pass|$W/missing.pass|" "$W/a.conf" >"$W/bad6.conf"
out=$("$RG" -n -c "$W/bad6.conf" 2>&1)
is "$?" 1 "-n refuses a password_file that cannot be read" && like "$out" "cannot open $W/missing.pass" "... and names it"
conf bad5 "host=127.0.0.1 port=$PP dbname=mail user=relayguard" 'password_query = "SELECT password, enabled, name FROM users WHERE name = :user";'
out=$("$RG" -n -c "$W/bad5.conf" 2>&1)
like "$out" 'password_query must return password \[, enabled\] \(1 to 2 columns, not 3\)' "-n checks the columns a custom query returns"

dv() { "$DV" "$W/$1.auth" plain "$2" "$3" 2>&1; }
msg() { # INSTANCE USER TENANT: the milter's replies on one line
	python3 "$top_srcdir/t/milter/milter_client.py" "$W/$1.milter" negotiate \
		"macro:C:j=mx.relayguard.test,{daemon_name}=submission" connect:client.example:192.0.2.7 \
		"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
		helo:client.example "macro:M:i=Q1,{auth_type}=PLAIN,{auth_authen}=$2" \
		"mail:$2@example.test" "header:X-Tenant:$3" eoh quit 2>&1 | tr '\n' '|'
}
mailfrom() { # INSTANCE USER: up to MAIL FROM only
	python3 "$top_srcdir/t/milter/milter_client.py" "$W/$1.milter" negotiate \
		"macro:C:j=mx.relayguard.test,{daemon_name}=submission" connect:client.example:192.0.2.7 \
		"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
		helo:client.example "macro:M:i=Q2,{auth_type}=PLAIN,{auth_authen}=$2" \
		"mail:$2@example.test" quit 2>&1 | tr '\n' '|'
}

# ---- a query that does not answer in time: cancelled, a temporary failure ----
QT=300 PS=1 conf t "host=127.0.0.1 port=$PP dbname=mail user=relayguard" '
  password_query = "SELECT password, enabled FROM users, pg_sleep(3) WHERE name = :user";
  state_query = "SELECT enabled FROM users WHERE name = :user";'
rg_start_or_bail "$W/t.conf" "$W/t.log" "$W/t.auth" "$W/t.milter"
t0=$(date +%s%N)
is "$("$DV" "$W/t.auth" plain alice alice-pw 2>&1)" "CLOSED" "a password query slower than query_timeout_ms: a temporary failure"
el=$(( ($(date +%s%N) - t0) / 1000000 ))
test "$el" -lt 2500
ok $? "... given in ${el} ms, not after the 3 s the query would take"
like "$(cat "$W/t.log")" 'no answer within 300 ms \(query_timeout_ms\)' "... and the log names query_timeout_ms"
is "$("$DV" "$W/t.auth" plain alice alice-pw 2>&1)" "CLOSED" "the next one too (a new connection, the same slow query)"
sleep 0.5
is "$(pg_sql "$W/primary" "$PP" "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()")" 0 \
	"... and the server ended the slow queries too (statement_timeout = query_timeout_ms), not after 3 s"
like "$(mailfrom t alice)" 'mail continue' "the milter's state query on the same pool still answers"
out=$("$DV" "$W/t.auth" concurrent 4 alice alice-pw 2>&1)
is "$out" "ok=0 fail=0 closed=4" "4 logins at once on a pool of 1, each query slower than the timeout: 4 temporary failures"
like "$(cat "$W/t.log")" 'all 1 connections busy for 300 ms' "... those waiting for the one connection give up after query_timeout_ms and say so"
kill -TERM "$RG_PID"	# stops in the background; reaped at exit

rg_start_or_bail "$W/a.conf" "$W/a.log" "$W/a.auth" "$W/a.milter"
A_PID=$RG_PID
rg_start_or_bail "$W/s.conf" "$W/s.log" "$W/s.auth" "$W/s.milter"
S_PID=$RG_PID
rg_start_or_bail "$W/c.conf" "$W/c.log" "$W/c.auth" "$W/c.milter"
C_PID=$RG_PID

# ---- TLS to the server: libpq's options in the conninfo ----
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$W/pgkey.pem" -out "$W/pgcert.pem" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
	-keyout "$W/otherkey.pem" -out "$W/otherca.pem" >/dev/null 2>&1
install -o postgres -m 600 "$W/pgkey.pem" "$W/primary/data/server.key"
install -o postgres -m 644 "$W/pgcert.pem" "$W/primary/data/server.crt"
pg_sql "$W/primary" "$PP" "ALTER SYSTEM SET ssl = on" >/dev/null
pg_sql "$W/primary" "$PP" "SELECT pg_reload_conf()" >/dev/null
NOMILTER=1 conf tls "host=127.0.0.1 port=$PP dbname=mail user=relayguard sslmode=verify-full sslrootcert=$W/pgcert.pem" ""
NOMILTER=1 conf badca "host=127.0.0.1 port=$PP dbname=mail user=relayguard sslmode=verify-full sslrootcert=$W/otherca.pem" ""
rg_start_or_bail "$W/tls.conf" "$W/tls.log" "$W/tls.auth"
T_PID=$RG_PID
is "$(dv tls alice alice-pw)" "OK 1 user=alice" "sslmode=verify-full with the server's CA: alice logs in"
is "$(pg_sql "$W/primary" "$PP" "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE usename = 'relayguard' AND ssl AND application_name = 'relayguard'")" 1 \
	"... over a TLS connection (pg_stat_ssl)"
rg_stop "$T_PID"
rg_start_or_bail "$W/badca.conf" "$W/badca.log" "$W/badca.auth"
B_PID=$RG_PID
is "$(dv badca alice alice-pw)" "CLOSED" "a server certificate that another CA signed: a temporary failure, not a login"
like "$(cat "$W/badca.log")" 'certificate verify failed' "... and the log says why"
rg_stop "$B_PID"

# ---- a standby whose WAL receiver the role may not read: no known lag ----
pg_sql "$W/primary" "$PP" "CREATE ROLE rgnostats LOGIN PASSWORD 'rg-secret'" >/dev/null
_pg_as "$PG_BIN/psql" -X -q -h "$W/primary" -p "$PP" -U postgres -d mail -v ON_ERROR_STOP=1 \
	-c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO rgnostats" >/dev/null
NOMILTER=1 conf nostats "host=127.0.0.1 port=$SP dbname=mail user=rgnostats" "max_standby_lag_ms = 1000;"
rg_start_or_bail "$W/nostats.conf" "$W/nostats.log" "$W/nostats.auth"
N_PID=$RG_PID
is "$(dv nostats alice alice-pw)" "CLOSED" "max_standby_lag_ms, a role without pg_read_all_stats: the lag cannot be told, a temporary failure"
like "$(cat "$W/nostats.log")" 'standby lag unknown .*may not read pg_stat_wal_receiver' "... and the log says why"
rg_stop "$N_PID"
for i in a s c; do
	is "$(dv $i alice alice-pw)" "OK 1 user=alice" "$i: alice logs in"
	is "$(dv $i alice wrong)" "FAIL 1 reason=Authentication failed" "$i: a wrong password fails"
	is "$(dv $i nobody x)" "FAIL 1 reason=Authentication failed" "$i: an unknown user fails"
	like "$(msg $i alice acme)" 'eoh accept' "$i: alice's mail for tenant acme is accepted"
	like "$(msg $i carol acme)" 'eoh replycode 550 5.7.1 Sender is not authorized for tenant acme' "$i: carol's is refused (not granted acme)"
done
fromd() { # INSTANCE FROM-ADDRESS: alice's mail for acme with that From:
	python3 "$top_srcdir/t/milter/milter_client.py" "$W/$1.milter" negotiate \
		"macro:C:j=mx.relayguard.test,{daemon_name}=submission" connect:client.example:192.0.2.7 \
		"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
		helo:client.example "macro:M:i=Q3,{auth_type}=PLAIN,{auth_authen}=alice" \
		"mail:$2" "header:From:$2" "header:X-Tenant:acme" eoh quit 2>&1 | tr '\n' '|'
}
out=$(actl domain add acme '*.example.test')
ok $? "domain add acme *.example.test" || diag "$out"
for i in a c; do
	like "$(fromd $i alice@mx.example.test)" 'eoh accept' "$i: From: a subdomain of the tenant's *.example.test is accepted"
	like "$(fromd $i alice@other.test)" 'eoh replycode 550' "$i: From: a domain the tenant does not list is refused"
done
kill -TERM "$C_PID"	# stops in the background (libmilter's listener poll); reaped at exit
wait_until 10 sh -c "[ \"\$(\"$DV\" \"$W/s.auth\" plain bob bob-pw 2>&1)\" = 'OK 1 user=bob' ]"
ok $? "s: bob logs in (read on the standby)"

# ---- revocation reaches the relay reading the standby within the lag ----
t0=$(date +%s%N)
out=$(actl user disable bob)
ok $? "user disable bob on the primary" || diag "$out"
refused() { [ "$(dv s bob bob-pw)" = "FAIL 1 reason=Authentication failed" ]; }
wait_until 5 refused
ok $? "s refuses bob after the change replicates" && diag "bob refused on the standby reader $(( ($(date +%s%N) - t0) / 1000000 )) ms after user disable (max_standby_lag_ms 1000)"
like "$(mailfrom s bob)" 'mail replycode 550 5.7.1 Sender identity is not permitted' "s: bob's mail is refused at MAIL FROM too"

# ---- a standby whose replay stops: temporary failures, not stale rows ----
pg_sql "$W/standby" "$SP" "SELECT pg_wal_replay_pause()" >/dev/null
out=$(actl user disable carol)
sleep 1.5
is "$(dv s carol carol-pw)" "CLOSED" "replay paused past the lag: s answers carol with a temporary failure, not the stale row"
is "$(dv s alice alice-pw)" "CLOSED" "... and alice too (the whole standby is too old)"
like "$(cat "$W/s.log")" 'standby lags [0-9]+ ms \(max_standby_lag_ms 1000\)' "s logs the lag it refused"
is "$(dv a carol carol-pw)" "FAIL 1 reason=Authentication failed" "a (on the primary) refuses carol at once"
pg_sql "$W/standby" "$SP" "SELECT pg_wal_replay_resume()" >/dev/null
wait_until 5 sh -c "[ \"\$(\"$DV\" \"$W/s.auth\" plain carol carol-pw 2>&1)\" = 'FAIL 1 reason=Authentication failed' ]"
ok $? "replay resumed: s refuses carol (the new row), never accepted her"
is "$(dv s alice alice-pw)" "OK 1 user=alice" "... and answers alice again"

# ---- the primary stopped under load ----
# A loader asks A for alice (enabled) and bob (disabled) in turn, and logs
# each answer with its time: ok / fail / temp.
"$CTL" -c "$W/a.conf" user enable bob >/dev/null 2>&1	# read-only role: must not matter
loader() {
	while [ ! -e "$W/stop-load" ]; do
		for u in alice bob; do
			r=$(dv a $u $u-pw)
			case $r in "OK 1"*) k=ok;; "FAIL 1"*) k=fail;; *) k=temp;; esac
			echo "$(date +%s%N) $u $k"
		done
		m=$(mailfrom a bob)
		case $m in *"mail replycode 4"*) k=temp;; *"mail replycode 5"*) k=fail;; *) k=ok;; esac
		echo "$(date +%s%N) bob-mail $k"
	done >"$W/load.log"
}
loader &
LOADER=$!
track $LOADER
sleep 1
conns=$(pg_sql "$W/primary" "$PP" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'relayguard'")
test "$conns" -ge 1 && test "$conns" -le 9
ok $? "under load, relayguard holds at most pool_size connections per daemon ($conns on the primary for A, S and the others: pool_size 3 each)"
RG_LOG=$W/a.log rg_reload "" "$A_PID"
ok $? "A reloads under load (a new pool for the new snapshot; the old one closes with its last reference)"
sleep 0.5
pg_stop "$W/primary"
ok $? "primary stopped (fast shutdown, by PID)"
t_stop=$(date +%s%N)
sleep 2
t_standby=$(date +%s%N)
pg_stop "$W/standby"
ok $? "standby stopped: no server answers"
t_none=$(date +%s%N)
sleep 1.5
t_back=$(date +%s%N)
_pg_start "$W/primary"
ok $? "primary started again"
back() { awk -v t="$t_back" '$1 > t && $2 == "alice" && $3 == "ok"' "$W/load.log" | grep -q .; }
wait_until 20 back
ok $? "A answers alice normally again once the primary is back"
sleep 0.5
touch "$W/stop-load"
wait $LOADER 2>/dev/null
cnt() { awk -v a="$1" -v b="$2" -v u="$3" -v k="$4" '$1 >= a && $1 < b && $2 == u && $3 == k' "$W/load.log" | wc -l; }
END=99999999999999999999
is "$(cnt 0 $END bob ok)" 0 "under load, bob (disabled) was never accepted at login ($(cnt 0 $END bob fail) refusals, $(cnt 0 $END bob temp) temporary failures)"
is "$(cnt 0 $END bob-mail ok)" 0 "and his mail was never accepted ($(cnt 0 $END bob-mail fail) refused, $(cnt 0 $END bob-mail temp) temporary failures)"
n_ok_standby=$(cnt "$t_stop" "$t_standby" alice ok)
test "$n_ok_standby" -gt 0
ok $? "primary down, standby up: A answered alice from the standby ($n_ok_standby logins, $(cnt "$t_stop" "$t_standby" alice temp) temporary failures in those 2 s)"
n_temp=$(cnt $((t_none + 300000000)) $t_back alice temp)
n_wrong=$(cnt $((t_none + 300000000)) $t_back alice ok)
test "$n_temp" -gt 0 && test "$n_wrong" -eq 0
ok $? "no server answering: only temporary failures ($n_temp for alice, 0 logins answered from nowhere)"
first=$(awk -v t="$t_back" '$1 > t && $2 == "alice" && $3 == "ok" { print $1; exit }' "$W/load.log")
diag "recovery: first normal answer $(( (first - t_back) / 1000000 )) ms after pg_ctl start was called; load: $(wc -l <"$W/load.log") answers"
like "$(cat "$W/a.log")" 'no server answers' "A's log says no PostgreSQL server answers"
n_tf=$(( $(cnt 0 $END alice temp) + $(cnt 0 $END bob temp) + $(cnt 0 $END bob-mail temp) ))
n_ce=$("$CTL" -c "$W/a.conf" stats 2>/dev/null | awk '$1 == "store.pgsql.connect_error" { print $2 }')
test "${n_ce:-0}" -ge 1 && test "$n_ce" -lt "$n_tf"
ok $? "while no server answers, A tries to connect at most every 250 ms, not at each lookup ($n_ce failed connects for $n_tf temporary failures)"
out=$("$CTL" -c "$W/a.conf" stats --prometheus 2>&1)
like "$out" 'relayguard_postgresql_events_total\{event="query"\} [1-9]' "relayguard_postgresql_events_total counts A's queries" &&
	like "$out" 'relayguard_postgresql_events_total\{event="connect_error"\} [1-9]' "... and the connects that failed"
out=$(printf '%s\n' "$out" | promtool check metrics 2>&1)
ok $? "promtool check metrics accepts the exposition" || diag "$out"
kill -TERM "$A_PID" "$S_PID"	# both at once: each takes libmilter's listener poll to stop
rg_stop "$A_PID"
rg_stop "$S_PID"
pg_stop "$W/primary"
out=$("$RG" -n -c "$W/a.conf" 2>&1)
ok $? "relayguard -n with no server answering: the config is still checked (exit 0)" || diag "$out"
like "$out" 'store pg-a: no server answers.*lookups fail temporarily until one does' "... with a warning that says so"
NOMILTER=1 conf down "host=127.0.0.1 port=$PP dbname=mail user=relayguard" ""
rg_start "$W/down.conf" "$W/down.log" "$W/down.auth"
ok $? "a relay starts while the database does not answer"
is "$(dv down alice alice-pw)" "CLOSED" "... and answers its logins with temporary failures"
rg_stop "$RG_PID"
done_testing
