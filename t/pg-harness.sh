#!/bin/sh
# pg-harness.sh — the private PostgreSQL servers of t/pg-lib.sh: a primary and
# a streaming standby start in the test's folder, a row written on the primary
# reaches the standby, the standby's replay lag can be read, and both stop by
# their PIDs with no process left.  (The PostgreSQL store's tests build on it.)
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
. "$top_srcdir/t/pg-lib.sh"
rg_require
pg_have || skip_all "PostgreSQL server binaries not installed (apt-get install postgresql)"
rg_workdir pg-harness
chmod 711 "$W"

P1=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000 ))
P2=$((P1 + 1))
pg_primary "$W/primary" "$P1"
ok $? "primary: initdb and pg_ctl start as postgres, 127.0.0.1:$P1 and a socket in the test folder" ||
	bail_out "the primary did not start: $(tail -5 "$W/primary/server.log" "$W/primary/initdb.log" 2>/dev/null)"
pg_standby "$W/standby" "$P2" "$W/primary" "$P1"
ok $? "standby: pg_basebackup -R from the primary, started on :$P2" ||
	bail_out "the standby did not start: $(tail -5 "$W/standby/basebackup.log" "$W/standby/server.log" 2>/dev/null)"
is "$(pg_sql "$W/standby" "$P2" 'SELECT pg_is_in_recovery()')" t "the standby is in recovery (a standby)"
is "$(pg_sql "$W/primary" "$P1" 'SELECT count(*) FROM pg_stat_replication')" 1 "the primary streams to one standby"
pg_sql "$W/primary" "$P1" "CREATE TABLE probe(v text); INSERT INTO probe VALUES ('hello')" >/dev/null
seen() { [ "$(pg_sql "$W/standby" "$P2" 'SELECT v FROM probe' 2>/dev/null)" = hello ]; }
wait_until 10 seen
ok $? "a row written on the primary is read on the standby"
lag=$(pg_sql "$W/standby" "$P2" "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), -1)")
like "$lag" '^-?[0-9.]+$' "the standby's replay lag can be read ($lag s)"
p1=$(pg_pid "$W/primary") p2=$(pg_pid "$W/standby")
pg_stop "$W/standby" && pg_stop "$W/primary"
ok $? "both stopped by their PIDs ($p2, $p1)"
left=$(pgrep -f "$W/" || true)
is "$left" "" "no process of the test's folder left"
done_testing
