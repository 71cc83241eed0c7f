# t/pg-lib.sh — private PostgreSQL servers for the tests, started with
# initdb/pg_ctl as the user postgres in a folder of the test, listening on
# 127.0.0.1 and a unix socket in that folder, stopped by their postmaster's PID.
# Never the system's own cluster or configuration.  Sourced after t/rg-lib.sh.
#
#   pg_have                     true when initdb, pg_ctl and the user postgres are here
#                               (and we are root, to run them as postgres)
#   pg_primary DIR PORT         initdb a primary in DIR (wal_level replica), start it
#   pg_standby DIR PORT PRIMARY_DIR PRIMARY_PORT
#                               pg_basebackup over the primary's socket (-R: a streaming
#                               standby), start it
#   pg_sql DIR PORT SQL         psql -Atc SQL through DIR's socket, as postgres
#   pg_pid DIR                  the postmaster's PID (postmaster.pid)
#   pg_stop DIR                 fast shutdown by the postmaster's PID; waits until gone
# Every server started is stopped at exit (tap_at_exit).

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
_pg_dirs=

pg_have() {
	[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] &&
		id postgres >/dev/null 2>&1 && [ "$(id -u)" = 0 ]
}
_pg_as() { runuser -u postgres -- "$@"; }

# DIR must be reachable by postgres: its parents need o+x
_pg_prepare() {
	mkdir -p "$1" && chown postgres:postgres "$1" && chmod 700 "$1" || return 1
	_pg_d=$(dirname "$1")
	while [ "$_pg_d" != / ]; do chmod o+x "$_pg_d" 2>/dev/null; _pg_d=$(dirname "$_pg_d"); done
	_pg_dirs="$_pg_dirs $1"
}

_pg_conf() { # DIR PORT
	cat >>"$1/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $2
unix_socket_directories = '$1'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
logging_collector = off
CONF
}

_pg_start() { # DIR
	_pg_as "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 start >>"$1/pg_ctl.log" 2>&1
}

pg_primary() { # DIR PORT
	_pg_prepare "$1" || return 1
	_pg_as "$PG_BIN/initdb" -D "$1/data" -U postgres -E UTF8 --auth-local=trust \
		--auth-host=scram-sha-256 --no-instructions >"$1/initdb.log" 2>&1 || return 1
	_pg_conf "$1" "$2"
	_pg_start "$1"
}

pg_standby() { # DIR PORT PRIMARY_DIR PRIMARY_PORT
	_pg_prepare "$1" || return 1
	_pg_as "$PG_BIN/pg_basebackup" -h "$3" -p "$4" -U postgres -D "$1/data" -R -X stream -c fast \
		>"$1/basebackup.log" 2>&1 || return 1
	sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$1'|; s|^port = .*|port = $2|" \
		"$1/data/postgresql.conf"
	_pg_start "$1"
}

pg_sql() { # DIR PORT SQL
	_pg_as "$PG_BIN/psql" -X -q -h "$1" -p "$2" -U postgres -d postgres -At -v ON_ERROR_STOP=1 \
		-c "$3" 2>&1
}

pg_pid() { head -n 1 "$1/data/postmaster.pid" 2>/dev/null; }

pg_stop() { # DIR
	_pg_p=$(pg_pid "$1")
	[ -n "$_pg_p" ] || return 0
	kill -INT "$_pg_p" 2>/dev/null	# fast shutdown
	wait_until 20 gone "$_pg_p" || { kill -KILL "$_pg_p" 2>/dev/null; wait_until 5 gone "$_pg_p"; }
	gone "$_pg_p"
}

_pg_stop_all() { for _pg_x in $_pg_dirs; do pg_stop "$_pg_x"; done; }
tap_at_exit _pg_stop_all
