#!/usr/bin/env bash
# dkim-postfix.sh — the attack sender ownership exists for: a From:-keyed DKIM
# signer after relayguard.  A private Postfix runs relayguard's milter, then
# Debian's OpenDKIM (private config, keys made here) with a SigningTable for
# two tenant domains.  Tenant A's user sending From: ceo@tenantb.example gets
# 550 and no message signed d=tenantb.example reaches the sink; his own mail is
# signed d=tenanta.example.  Without relayguard in smtpd_milters the same
# message is signed d=tenantb.example: the test would see the attack.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
GENKEY=${OPENDKIM_GENKEY:-/usr/sbin/opendkim-genkey}
[ -x "$OPENDKIM" ] && [ -x "$GENKEY" ] ||
	skip_all "opendkim not installed (apt-get install opendkim opendkim-tools)"

dir=$(e2e_tmpdir dkim) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg dk=$dir/dkim
mkdir -p "$rg" "$dk/keys" && chmod 755 "$rg" "$dk"
tap_at_exit pf_stop

h_daniel=$(rg_hash 'daniel-Secret-1') || bail_out "relayguardctl hash failed"
cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: { socket = "unix:$rg/milter.sock"; require_tls_for_auth = true; };
auth: { dovecot_socket = "$rg/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = (
  { name = "daniel"; password = "$h_daniel"; senders = [ "@tenanta.example" ]; }
); } );
tenants: {
  header = "X-Tenant";
  missing = "reject";
  list = (
    { name = "tenanta"; require_authz = [ "daniel" ]; allowed_domains = [ "tenanta.example" ]; },
    { name = "tenantb"; require_authz = [ "erin" ]; allowed_domains = [ "tenantb.example" ]; }
  );
};
EOF
RG_CONF=$rg/relayguard.conf
RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard starts (SASL service, milter)" || { done_testing; exit 1; }

# OpenDKIM: a key per tenant domain, signing by From: domain
for d in tenanta tenantb; do
	"$GENKEY" -D "$dk/keys" -d "$d.example" -s sel -b 1024 >/dev/null 2>&1 &&
		mv "$dk/keys/sel.private" "$dk/keys/$d.private" || bail_out "opendkim-genkey $d"
	echo "sel._domainkey.$d.example $d.example:sel:$dk/keys/$d.private" >>"$dk/KeyTable"
	echo "*@$d.example sel._domainkey.$d.example" >>"$dk/SigningTable"
done
cat >"$dk/opendkim.conf" <<EOF
Syslog no
Mode s
Socket local:$dk/dkim.sock
UMask 000
PidFile $dk/opendkim.pid
KeyTable file:$dk/KeyTable
SigningTable refile:$dk/SigningTable
InternalHosts 127.0.0.1
RequireSafeKeys false
Canonicalization relaxed/simple
EOF
"$OPENDKIM" -f -x "$dk/opendkim.conf" >"$dk/opendkim.log" 2>&1 &
track $!
wait_until 10 test -S "$dk/dkim.sock"
ok $? "OpenDKIM (private config, two signing domains) listens on $dk/dkim.sock" ||
	{ diag "$(cat "$dk/opendkim.log")"; done_testing; exit 1; }

PF_SASL_PATH=$rg/auth PF_MILTER="unix:$rg/milter.sock, unix:$dk/dkim.sock" pf_setup "$dir/pf" &&
	pf_start
ok $? "private Postfix: smtpd_milters = relayguard, then OpenDKIM" || { done_testing; exit 1; }

send() { # FROM MARKER
	swaks_run --tls -a PLAIN -au daniel -ap daniel-Secret-1 --from "$1" \
		--to "rcpt-$2@$PF_DOMAIN" --header "Subject: $2" --header "From: $1" \
		--header "X-Tenant: tenanta"
}
delivered() {
	local f
	for f in $(pf_sink_files); do
		grep -q "^Subject: $1\$" "$f" && { cat "$f"; return 0; }
	done
	return 1
}
wait_delivered() { local i; for i in $(seq 1 100); do delivered "$1" >/dev/null && return 0; sleep 0.1; done; return 1; }
signed_b() { # any delivered message signed d=tenantb.example?
	local f
	for f in $(pf_sink_files); do
		tr -d '\r' <"$f" | sed -n '/^DKIM-Signature:/,/^[^ \t]/p' | grep -q 'd=tenantb\.example' &&
			return 0
	done
	return 1
}

m1=own-$$-$RANDOM
out=$(send daniel@tenanta.example "$m1")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "tenant A's user, From: his own domain: queued"
wait_delivered "$m1"
ok $? "... delivered"
like "$(delivered "$m1" | tr -d '\r' | sed -n '/^DKIM-Signature:/,/^[^ \t]/p')" 'd=tenanta\.example' \
	"... signed d=tenanta.example by OpenDKIM"

m2=forged-$$-$RANDOM
out=$(send ceo@tenantb.example "$m2")
like "$out" '<~\* +550 5\.7\.1 ' "tenant A's user, From: ceo@tenantb.example: 550 5.7.1"
sleep 1
delivered "$m2" >/dev/null
ok $((! $?)) "... not delivered"
signed_b
ok $((! $?)) "no message signed d=tenantb.example reached the sink"

# the same message without relayguard: OpenDKIM signs tenant B's domain for
# tenant A's user (what the check above prevents)
pf_set "smtpd_milters=unix:$dk/dkim.sock"
m3=unguarded-$$-$RANDOM
out=$(send ceo@tenantb.example "$m3")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "without relayguard: the forged From: is queued"
wait_delivered "$m3"
signed_b
ok $? "... and arrives signed d=tenantb.example (the attack is real)"

pf_stop
rg_stop
ok $? "everything stopped"
done_testing
