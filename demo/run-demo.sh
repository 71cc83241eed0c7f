#!/usr/bin/env bash
# run-demo.sh — relayguard's first run: the daemon with the sample config
# (etc/relayguard.conf, sockets moved to a private temporary folder) and a
# private Postfix on 127.0.0.1:2525 wired to both of its sockets.  It prints
# swaks commands to paste that show an accepted message and each refusal,
# then waits; Ctrl-C stops everything it started and removes the folder.
#
#   demo/run-demo.sh            interactive (as root, after `sh bootstrap`)
#   demo/run-demo.sh --check    run the printed commands, check the replies,
#                               print TAP and exit (part of `make check`)
#
# The demo user and tenants come from the sample config: demo@example.org
# (password "demo-password") may use tenant "acme"; tenant "shared" of the
# sample is replaced by "globex", which only someone@example.org may use.
# Mail to any address @example.net is delivered into the demo folder.
set -u
mode=interactive
case "${1:-}" in
--check) mode=check ;;
"") ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(dirname "$here")}"
if [ -z "${top_builddir:-}" ]; then
	if [ -x ./relayguard ]; then top_builddir=$(pwd); else top_builddir=$top_srcdir; fi
fi
export top_srcdir top_builddir
. "$top_srcdir/t/e2e/e2e-lib.sh"

# missing: a prerequisite is missing (--check: a skip, a failure under CI=true);
# broken: something the demo needs did not work (--check: a failure, never a skip)
missing() {
	if [ "$mode" = check ]; then skip_all "$*"; fi
	echo "run-demo: $*" >&2
	exit 1
}
broken() {
	if [ "$mode" = check ]; then bail_out "$*"; fi
	echo "run-demo: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || missing "run me as root: the private Postfix master needs it"
pf_have_postfix || missing "Postfix is not installed (run: sh bootstrap)"
[ -n "$SWAKS" ] && [ -x "$SWAKS" ] || missing "swaks is not installed (run: sh bootstrap)"
[ -x "$RG" ] || missing "relayguard is not built in $top_builddir (run: sh bootstrap)"

if [ "$mode" = check ]; then
	PF_PORT=$(pf_pick_port) || missing "no free port"
	tmp=$(e2e_tmpdir demo) || missing "cannot make a folder under $top_builddir/t/tmp"
else
	PF_PORT=2525
	pf_port_free "$PF_PORT" || missing "port $PF_PORT is in use (another demo running?)"
	tmp=$(mktemp -d /tmp/relayguard-demo.XXXXXX) || missing "mktemp failed"
	chmod 755 "$tmp"
	tap_at_exit "rm -rf '$tmp'"
fi
tap_at_exit pf_stop

# --- the demo config: the sample, with its sockets in $tmp and two tenants
sample=$top_srcdir/etc/relayguard.conf
conf=$tmp/relayguard.conf
sed -e "s|/run/relayguard/|$tmp/|g" \
	-e 's|^# *socket_group = "postfix";|socket_group = "postfix";|' \
	-e 's|{ *name = "shared"; *}|{ name = "globex"; require_authz = [ "someone@example.org" ]; }|' \
	"$sample" >"$conf"
for want in "$tmp/auth\"" "$tmp/milter.sock\"" 'socket_group = "postfix"' 'name = "globex"' \
	'name = "acme"' 'demo@example.org'; do
	grep -qF "$want" "$conf" ||
		broken "etc/relayguard.conf no longer has what the demo expects ($want): update demo/run-demo.sh"
done
out=$("$RG" -n -c "$conf" 2>&1) || broken "relayguard -n refuses the demo config: $out"

RG_LOG=$tmp/relayguard.log
rg_start "$conf" "$RG_LOG" "$tmp/auth" "$tmp/milter.sock" || broken "relayguard did not start (log: $RG_LOG)"

# Postfix lets AUTH happen without TLS here, so that relayguard's own
# refusal (auth.require_tls) shows; a production Postfix keeps
# smtpd_tls_auth_only = yes as well.
PF_DOMAIN=example.net PF_SASL_PATH=$tmp/auth PF_MILTER=unix:$tmp/milter.sock \
	PF_TLS_AUTH_ONLY=no pf_setup "$tmp/pf" >/dev/null || broken "pf_setup failed"
pf_start || broken "the private Postfix did not start (log: $PF_MAILLOG)"

base="swaks --server 127.0.0.1 --port $PF_PORT --from demo@example.org --to friend@example.net"
ok_auth="--auth PLAIN --auth-user demo@example.org --auth-password demo-password"
demo_cmds=(
	"$base --tls $ok_auth --header 'X-Tenant: acme'"
	"$base --tls $ok_auth --header 'X-Tenant: globex'"
	"$base $ok_auth --header 'X-Tenant: acme'"
	"$base --tls --auth PLAIN --auth-user demo@example.org --auth-password wrong --header 'X-Tenant: acme'"
)
demo_what=(
	"accepted: demo@example.org sends for tenant acme over STARTTLS"
	"refused (550 5.7.1): tenant globex is not authorized for demo@example.org"
	"refused (535): AUTH without TLS"
	"refused (535): wrong password"
)
demo_expect=(
	'<~ +250 2\.0\.0 Ok: queued'
	'<~\* +550 5\.7\.1'
	'<\*\* +535 5\.7\.8 .*TLS'
	'<~\* +535 5\.7\.8'
)

if [ "$mode" = check ]; then
	for i in "${!demo_cmds[@]}"; do
		out=$(eval "${demo_cmds[$i]/#swaks/\"\$SWAKS\"} --timeout 20" 2>&1)
		like "$out" "${demo_expect[$i]}" "${demo_what[$i]}"
	done
	pf_wait_delivered 1 20
	ok $? "the accepted message is in $PF_SINK/new"
	ok "$([ "$(pf_sink_count)" = 1 ] && echo 0 || echo 1)" "and only that one"
	rg_stop
	pf_stop
	ok $? "the demo stops everything it started"
	done_testing
	exit
fi

cat <<EOF

relayguard demo is running
  relayguard   pid $RG_PID, config $conf, log $RG_LOG
  Postfix      127.0.0.1:$PF_PORT (private instance, config $PF_CONF, log $PF_MAILLOG)
  delivered    $PF_SINK/new/

Paste these in another terminal:

EOF
for i in "${!demo_cmds[@]}"; do
	printf '# %d. %s\n%s\n\n' "$((i + 1))" "${demo_what[$i]}" "${demo_cmds[$i]}"
done
echo "Press Ctrl-C to stop the demo and remove $tmp."
trap 'echo; echo "stopping the demo"; exit 0' INT TERM
while kill -0 "$RG_PID" 2>/dev/null && pf_running; do
	sleep 1 &
	wait $!
done
echo "run-demo: relayguard or Postfix stopped unexpectedly; see $RG_LOG and $PF_MAILLOG" >&2
exit 1
