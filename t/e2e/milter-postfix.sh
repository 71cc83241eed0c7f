#!/usr/bin/env bash
# milter-postfix.sh — issue 4's proof through a real, private Postfix with
# relayguard's milter (smtpd_milters) and SASL service (smtpd_sasl_path) both
# attached:
#  - an authorized tenant is accepted and delivered; the tenant header is
#    removed (tenants.remove_header) and the verified tenant recorded
#  - an unauthorized tenant, and a tenant header without AUTH: 550 5.7.1
#  - AUTH without TLS (Postfix's smtpd_tls_auth_only = no and relayguard's
#    auth.require_tls = false, so only the milter stands in the way): refused
#    at MAIL FROM
#  - a user disabled with relayguardctl during an SMTP session is refused at
#    the next MAIL FROM of that same session
#  - Authentication-Results (milter.authserv_id): authenticated mail carries
#    ours; fields claiming our authserv-id, in any case and position, are
#    removed from authenticated and unauthenticated mail, others kept
#  - relayguard stopped: Postfix answers 4xx (milter_default_action = tempfail)
. "${top_srcdir:-$(dirname "$0")/../..}/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"

dir=$(e2e_tmpdir milter) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit pf_stop

# auth.require_tls = false on purpose: the SASL service would otherwise refuse
# AUTH without TLS itself (auth-postfix.sh proves that), and this test must
# show that the milter alone refuses such mail.
cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: {
  socket = "unix:$rg/milter.sock";
  require_tls_for_auth = true;
  min_tls_version = "TLSv1.2";
  require_known_identity = true;
  # every authenticated message must be tied to its login (the SASL
  # service in this process saw it): proves the tie on this MTA
  uncorrelated_auth = "tempfail";
  authserv_id = "mx.relayguard.test";
};
auth: {
  dovecot_socket = "$rg/auth";
  saslauthd_socket = "";
  require_tls = false;
  failure_delay_ms = 0;
  max_failure_delay_ms = 0;
};
stores = (
  { type = "sqlite"; name = "db"; path = "$rg/auth.db"; }
);
tenants: {
  header = "X-Tenant";
  remove_header = true;
  add_header = "X-Verified-Tenant";
  missing = "accept";
  unknown = "reject";
  unauthenticated = "reject";
  list = (
    { name = "acme"; require_authz = [ "daniel", "erin" ]; },
    { name = "globex"; require_authz = [ "someone-else" ]; }
  );
};
EOF
RG_CONF=$rg/relayguard.conf
out=$( { ctl db init &&
	printf '%s\n' 'daniel-Secret-1' | ctl user add daniel &&
	printf '%s\n' 'erin-Secret-5' | ctl user add erin; } 2>&1)
ok $? "relayguardctl db init; user add daniel, erin" || diag "$out"

RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard -f starts with milter and SASL sockets" || { done_testing; exit 1; }

PF_SASL_PATH=$rg/auth PF_MILTER=unix:$rg/milter.sock PF_TLS_AUTH_ONLY=yes \
	pf_setup "$dir/pf" && pf_start
ok $? "private Postfix with smtpd_milters = unix:$rg/milter.sock starts" ||
	{ done_testing; exit 1; }

send() { # TENANT-HEADER-VALUE MARKER [swaks args...]
	local tenant=$1 marker=$2
	shift 2
	swaks_run --from daniel@relayguard.test --to "rcpt-$marker@$PF_DOMAIN" \
		--header "Subject: $marker" ${tenant:+--header "X-Tenant: $tenant"} \
		--body "body of $marker" "$@"
}
delivered() { # MARKER — the delivered message with that subject
	local f
	for f in $(pf_sink_files); do
		grep -q "^Subject: $1\$" "$f" && { cat "$f"; return 0; }
	done
	return 1
}
wait_delivered() {
	local i
	for i in $(seq 1 100); do delivered "$1" >/dev/null && return 0; sleep 0.1; done
	return 1
}

# --- authorized tenant
m1=ok-$$-$RANDOM
out=$(send acme "$m1" --tls -a PLAIN -au daniel -ap daniel-Secret-1)
like "$out" '<~ +250 2\.0\.0 Ok: queued' "daniel, X-Tenant: acme (authorized): queued"
wait_delivered "$m1"
ok $? "... and delivered to the sink"
msg=$(delivered "$m1")
unlike "$msg" '^X-Tenant:' "remove_header: the delivered message has no X-Tenant header"
like "$msg" '^X-Verified-Tenant: acme' "add_header: the verified tenant is recorded"
like "$msg" "^body of $m1" "the body arrived intact"

# --- refusals by tenant
m2=other-$$-$RANDOM
out=$(send globex "$m2" --tls -a PLAIN -au daniel -ap daniel-Secret-1)
like "$out" '<~\* +550 5\.7\.1 .*globex' "daniel, X-Tenant: globex (not authorized): 550 5.7.1 naming the tenant"
unlike "$out" 'someone-else' "the refusal does not reveal who may use globex"
m3=unk-$$-$RANDOM
out=$(send nosuchtenant "$m3" --tls -a PLAIN -au daniel -ap daniel-Secret-1)
like "$out" '<~\* +550 5\.7\.1' "unknown tenant: 550 5.7.1"
m4=anon-$$-$RANDOM
out=$(send acme "$m4" --tls)
like "$out" '<~\* +550 5\.7\.1' "tenant header on an unauthenticated session: 550 5.7.1"
m5=none-$$-$RANDOM
out=$(send "" "$m5" --tls)
like "$out" '<~ +250 2\.0\.0 Ok: queued' "no tenant header, no AUTH, local recipient: accepted (missing = accept)"

# --- Authentication-Results: forged fields claiming our authserv-id removed
forged=(--add-header "Authentication-Results: mx.relayguard.test; auth=pass smtp.auth=ceo"
	--add-header "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example"
	--add-header "authentication-results: (relay) MX.Relayguard.TEST 1; dkim=pass")
m7=ar-$$-$RANDOM
out=$(send "" "$m7" --tls -a PLAIN -au daniel -ap daniel-Secret-1 "${forged[@]}")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "authenticated, with forged Authentication-Results: queued"
m8=aranon-$$-$RANDOM
out=$(send "" "$m8" --tls "${forged[@]}")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "unauthenticated, with forged Authentication-Results: queued"
wait_delivered "$m7" && wait_delivered "$m8"
ok $? "... both delivered"
msg=$(delivered "$m7")
ars=$(printf '%s\n' "$msg" | grep -i '^Authentication-Results:')
is "$(printf '%s\n' "$ars" | grep -ci 'relayguard\.test')" 1 \
	"authenticated: one field with our authserv-id left" || diag "$ars"
like "$ars" '^Authentication-Results: mx\.relayguard\.test; auth=pass smtp\.auth=daniel$' \
	"... ours: auth=pass smtp.auth=daniel"
like "$ars" 'other\.example; spf=pass' "... another authserv-id's field kept"
unlike "$msg" 'smtp\.auth=ceo|dkim=pass' "... the forged ones gone"
msg=$(delivered "$m8")
ars=$(printf '%s\n' "$msg" | grep -i '^Authentication-Results:')
unlike "$ars" 'relayguard\.test' "unauthenticated: no field claims our authserv-id" || diag "$ars"
like "$ars" 'other\.example; spf=pass' "... another authserv-id's field kept"
grep -q "removed 2 Authentication-Results field(s) claiming our authserv-id" "$RG_LOG"
ok $? "the removal is logged"

sleep 1
for m in "$m2" "$m3" "$m4"; do
	delivered "$m" >/dev/null && { ok 1 "refused message $m was not delivered"; continue; }
	ok 0 "refused message $m was not delivered"
done

# --- a user disabled mid-session
msgf=$dir/msg.txt
m6=dis-$$-$RANDOM
printf 'Subject: %s\nX-Tenant: acme\n\nfirst message\n' "$m6" >"$msgf"
out=$(smtp_session ehlo starttls ehlo login:erin:erin-Secret-5 \
	mail:erin@relayguard.test rcpt:erin@$PF_DOMAIN data:"$msgf" \
	"shell:$CTL -c $RG_CONF user disable erin" \
	mail:erin@relayguard.test quit)
like "$out" '^login 235 ' "erin logs in (LOGIN over STARTTLS)"
like "$out" '^data 250 ' "erin's first message is accepted"
like "$out" '^shell rc 0' "relayguardctl user disable erin, in the middle of the session"
mails=$(printf '%s\n' "$out" | grep '^mail ')
like "$(printf '%s\n' "$mails" | sed -n 1p)" '^mail 250 ' "erin's first MAIL FROM was accepted"
like "$(printf '%s\n' "$mails" | sed -n 2p)" '^mail 5[0-9][0-9] 5\.7\.1' \
	"after the disable, the next MAIL FROM of the same session is refused with 5.7.1" ||
	diag "$out"

# --- AUTH without TLS: let Postfix allow it, the milter must refuse the mail
pf_set smtpd_tls_auth_only=no
out=$(swaks_run --quit-after EHLO)
like "$out" '250[- ]AUTH' "smtpd_tls_auth_only = no: Postfix offers AUTH without TLS"
m7=notls-$$-$RANDOM
out=$(send acme "$m7" -a PLAIN -au daniel -ap daniel-Secret-1)
like "$out" '<- +235 ' "AUTH without TLS succeeds at the SASL level (auth.require_tls = false)"
like "$out" '<\*\* +5[0-9][0-9] 5\.7\.0' "... but MAIL FROM is refused by the milter (5.7.0)"
m8=tls-$$-$RANDOM
out=$(send acme "$m8" --tls -a PLAIN -au daniel -ap daniel-Secret-1)
like "$out" '<~ +250 2\.0\.0 Ok: queued' "same settings with STARTTLS: accepted"

# --- relayguard gone: fail closed
rg_stop
m9=down-$$-$RANDOM
out=$(send "" "$m9" --tls)
like "$out" '(<\*\*|<~\*) +4[0-9][0-9] ' "relayguard stopped: Postfix answers 4xx (milter_default_action = tempfail)"

unlike "$(cat "$RG_LOG")" 'Secret-[0-9]' "relayguard's log holds no password"
pf_stop
ok $? "everything stopped"
done_testing
