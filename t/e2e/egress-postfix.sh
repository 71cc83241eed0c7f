#!/usr/bin/env bash
# egress-postfix.sh — each tenant's mail leaves through its egress pool.
# relayguard writes the verified tenant's egress_pool into
# tenants.egress_header (removing client copies); the table printed by
# `relayguardctl postfix-egress-map` becomes the private Postfix's
# milter_header_checks, and master.cf has one smtp transport per pool, bound
# to 127.0.0.2 (pool-1) and 127.0.0.3 (pool-2).  A sink (t/e2e/smtp_sink.py)
# records which source address each message came from: acme's from
# 127.0.0.2, globex's from 127.0.0.3, and a client's own copy of the header
# neither survives nor steers the message.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"

dir=$(e2e_tmpdir egress) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg sink=$dir/sink
mkdir -p "$rg" "$sink" && chmod 755 "$rg"
tap_at_exit pf_stop

h_daniel=$(rg_hash 'daniel-Secret-1') && h_erin=$(rg_hash 'erin-Secret-2') ||
	bail_out "relayguardctl hash failed"
cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: { socket = "unix:$rg/milter.sock"; require_tls_for_auth = true; };
auth: { dovecot_socket = "$rg/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = (
  { name = "daniel"; password = "$h_daniel"; },
  { name = "erin"; password = "$h_erin"; }
); } );
tenants: {
  header = "X-Tenant";
  remove_header = true;
  egress_header = "X-Relayguard-Egress-Pool";
  list = (
    { name = "acme"; egress_pool = "pool-1"; require_authz = [ "daniel" ];
      allowed_domains = [ "acme.example" ]; },
    { name = "globex"; egress_pool = "pool-2"; require_authz = [ "erin" ];
      allowed_domains = [ "globex.example" ]; }
  );
};
EOF
RG_CONF=$rg/relayguard.conf
RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard starts (SASL service, milter)" || { done_testing; exit 1; }

SINK_PORT=$(pf_pick_port) || bail_out "no free port for the sink"
python3 "$top_srcdir/t/e2e/smtp_sink.py" "$SINK_PORT" "$sink" >"$dir/sink.log" 2>&1 &
track $!
wait_until 10 test -e "$sink/ready"
ok $? "SMTP sink listens on 127.0.0.1:$SINK_PORT" || diag "$(cat "$dir/sink.log")"

out=$(ctl postfix-egress-map "[127.0.0.1]:$SINK_PORT" 2>&1)
status=$?
printf '%s\n' "$out" >"$dir/egress"
ok $status "relayguardctl postfix-egress-map" || diag "$out"
like "$out" '^/\^X-Relayguard-Egress-Pool:\[\[:space:\]\]\*pool-1\[\[:space:\]\]\*\$/ FILTER pool-1:\[127\.0\.0\.1\]:[0-9]+$' \
	"... a line per pool: the header's value chooses the transport"
is "$(grep -c FILTER "$dir/egress")" 2 "... two pools, two lines"

PF_SASL_PATH=$rg/auth PF_MILTER=unix:$rg/milter.sock pf_setup "$dir/pf" || bail_out "pf_setup"
cat >>"$PF_CONF/master.cf" <<EOF
pool-1    unix  -       -       n       -       -       smtp -o smtp_bind_address=127.0.0.2
pool-2    unix  -       -       n       -       -       smtp -o smtp_bind_address=127.0.0.3
EOF
pf_set "milter_header_checks=regexp:$dir/egress" smtp_tls_security_level=none && pf_start
ok $? "private Postfix: milter_header_checks from postfix-egress-map, pool-1/pool-2 transports" ||
	{ done_testing; exit 1; }

send() { # USER PW TENANT FROM MARKER [swaks args]
	local u=$1 pw=$2 t=$3 from=$4 m=$5
	shift 5
	swaks_run --tls -a PLAIN -au "$u" -ap "$pw" --from "$from" --to "rcpt-$m@remote.example" \
		--header "Subject: $m" --header "From: $from" --header "X-Tenant: $t" "$@"
}
arrived() { # MARKER — the message as the sink got it
	local f
	for f in "$sink"/*.eml; do
		[ -e "$f" ] && grep -q "^Subject: $1" "$f" && { cat "$f"; return 0; }
	done
	return 1
}
wait_arrived() { local i; for i in $(seq 1 150); do arrived "$1" >/dev/null && return 0; sleep 0.1; done; return 1; }

m1=acme-$$-$RANDOM
out=$(send daniel daniel-Secret-1 acme daniel@acme.example "$m1")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "daniel, tenant acme: queued"
m2=globex-$$-$RANDOM
out=$(send erin erin-Secret-2 globex erin@globex.example "$m2")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "erin, tenant globex: queued"
m3=spoof-$$-$RANDOM
out=$(send daniel daniel-Secret-1 acme daniel@acme.example "$m3" \
	--add-header "X-Relayguard-Egress-Pool: pool-2")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "daniel, tenant acme, with his own X-Relayguard-Egress-Pool: pool-2: queued"

wait_arrived "$m1" && wait_arrived "$m2" && wait_arrived "$m3"
ok $? "all three reached the sink" || diag "$(pf_log | tail -n 5)"
msg=$(arrived "$m1")
like "$msg" '^X-Sink-Peer: 127\.0\.0\.2' "acme's message left from pool-1's address 127.0.0.2"
like "$msg" '^X-Relayguard-Egress-Pool: pool-1' "... carrying the pool relayguard wrote"
unlike "$msg" '^X-Tenant:' "... without the client's X-Tenant (remove_header)"
msg=$(arrived "$m2")
like "$msg" '^X-Sink-Peer: 127\.0\.0\.3' "globex's message left from pool-2's address 127.0.0.3"
msg=$(arrived "$m3")
like "$msg" '^X-Sink-Peer: 127\.0\.0\.2' "the message with a forged pool-2 header still left from pool-1"
is "$(printf '%s\n' "$msg" | grep -c '^X-Relayguard-Egress-Pool:')" 1 "... with one egress header"
unlike "$msg" '^X-Relayguard-Egress-Pool: pool-2' "... and not the client's"

pf_stop
rg_stop
ok $? "everything stopped"
done_testing
