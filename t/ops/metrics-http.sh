#!/bin/sh
# metrics-http.sh — metrics_listen: Prometheus scrapes GET /metrics over HTTP on
# loopback TCP or a unix socket; other paths, methods, oversized and slow
# requests get their HTTP errors and do not stop the listener; -n refuses an
# address beyond loopback.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

rg_require dvclient python3 curl
rg_workdir metrics-http
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hash=$(rg_hash 'alice-secret-1') || bail_out "relayguardctl hash failed"
cat >"$RG_CONF" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
metrics_listen = "127.0.0.1:$port";
milter: { socket = "unix:$W/milter.sock"; };
auth: { dovecot_socket = "$W/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = ( { name = "alice"; password = "$hash"; } ); } );
CONF
rg_start_or_bail "$RG_CONF" "$RG_LOG" "$W/auth" "$W/control"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
ok $? "the metrics listener answers on 127.0.0.1:$port"

"$DV" "$W/auth" plain alice alice-secret-1 >/dev/null
"$DV" "$W/auth" plain alice wrong >/dev/null
body=$(curl -s -D "$W/headers" "http://127.0.0.1:$port/metrics")
like "$(head -n 1 "$W/headers")" '^HTTP/1\.[01] 200' "GET /metrics: 200"
like "$(cat "$W/headers")" 'Content-Type: text/plain; version=0\.0\.4' "in the Prometheus text format"
like "$body" 'relayguard_logins_total\{result="ok",reason="ok"\} 1' "it counts the login"
like "$body" 'relayguard_logins_total\{result="fail",reason="bad_password"\} 1' "and the failure"
like "$body" 'relayguard_uptime_seconds [0-9]' "uptime is there without a STATS command first"
if command -v promtool >/dev/null; then
	out=$(echo "$body" | promtool check metrics 2>&1)
	ok $? "promtool check metrics accepts the scrape" || diag "$out"
else
	skip "promtool not installed (apt-get install prometheus)"
fi
is "$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$port/metrics")" 200 "HEAD /metrics: 200"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics?x=1")" 200 \
	"a query string is ignored"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" 404 "another path: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "http://127.0.0.1:$port/metrics")" 405 \
	"POST: 405"
big=$(python3 -c 'print("x" * 6000)')
is "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$port/metrics")" 400 \
	"headers beyond 4 KB: 400"
# a client that sends half a request and waits: answered 400 after the timeout
t0=$(date +%s)
ans=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\n")
s.settimeout(20)
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except Exception as e:
    print("error", e)
print(data.split(b"\r\n")[0].decode())
PY
)
t1=$(date +%s)
is "$ans" "HTTP/1.0 400 Bad Request" "a request that never ends: 400, connection closed"
[ $((t1 - t0)) -le 15 ]
ok $? "within the request timeout ($((t1 - t0)) s)"
# a client that trickles its request a byte a second: cut at the request deadline too
t0=$(date +%s)
ans=$(python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)
try:
    for c in b"GET /metrics HTTP/1.1\r\nHost: x" * 3:
        s.sendall(bytes([c]))
        time.sleep(1)
except OSError:
    pass
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except Exception:
    pass
print(data.split(b"\r\n")[0].decode())
PY
)
t1=$(date +%s)
is "$ans" "HTTP/1.0 400 Bad Request" "a request trickled a byte a second: 400"
[ $((t1 - t0)) -le 15 ]
ok $? "cut within the request deadline, not per byte ($((t1 - t0)) s)"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" 200 \
	"the listener still serves afterwards"
rg_stop
ok $? "SIGTERM stops the daemon"
! curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
ok $? "and the port is closed"

# ---- a unix socket, mode 0600 ----
sed "s|^metrics_listen = .*|metrics_listen = \"unix:$W/metrics.sock\";|" "$RG_CONF" >"$W/unix.conf"
rg_start_or_bail "$W/unix.conf" "$W/unix.log" "$W/auth" "$W/metrics.sock"
is "$(stat -c %a "$W/metrics.sock")" 600 "the metrics unix socket: mode 0600"
like "$(curl -s --unix-socket "$W/metrics.sock" http://localhost/metrics)" 'relayguard_logins_total' \
	"GET /metrics over the unix socket"
rg_stop
[ ! -e "$W/metrics.sock" ]
ok $? "the unix socket is removed at stop"

# ---- -n: loopback only ----
for bad in "0.0.0.0:9466" "192.0.2.1:9466" "[::]:9466" "example.org:9466" "127.0.0.1:0" "127.0.0.1:x"; do
	sed "s|^metrics_listen = .*|metrics_listen = \"$bad\";|" "$RG_CONF" >"$W/bad.conf"
	out=$("$RG" -n -c "$W/bad.conf" 2>&1)
	st=$?
	[ $st = 1 ] && echo "$out" | grep -q 'metrics_listen'
	ok $? "relayguard -n refuses metrics_listen = \"$bad\" ($(echo "$out" | grep metrics_listen | head -n 1))"
done
for good in "127.0.0.1:9466" "127.1.2.3:80" "[::1]:9466" "localhost:9466" "/run/x/metrics" ""; do
	sed "s|^metrics_listen = .*|metrics_listen = \"$good\";|" "$RG_CONF" >"$W/good.conf"
	"$RG" -n -c "$W/good.conf" >/dev/null 2>&1
	ok $? "relayguard -n accepts metrics_listen = \"$good\""
done
done_testing
