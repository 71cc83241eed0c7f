#!/usr/bin/env bash
# revoke-postfix.sh — revocation and reload reach SMTP sessions that are
# already open, through a real, private Postfix with relayguard's milter and
# SASL service (one relayguard process, unix sockets):
#  - mallory logs in with an authorization id to act as erin (AUTH PLAIN
#    erin\0mallory\0pw); Postfix tells the milter only {auth_authen}=erin.
#    `relayguardctl user disable mallory` in the middle of the session: the
#    next MAIL FROM of that session is refused.  The same for `act-as revoke
#    mallory erin`, and for `user del mallory`.
#  - erin's own session is not disturbed by what happens to mallory.
#  - a static-store user disabled by a reload, and an identity removed from a
#    tenant's require_authz by a reload, are refused on a session that was
#    open before the reload.
. "${top_srcdir:-$(dirname "$0")/../..}/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"

dir=$(e2e_tmpdir revoke) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit pf_stop

sam_hash=$(rg_hash 'sam-Secret-7') || bail_out "relayguardctl hash failed"

# write_conf SAM_ENABLED ACME_ADMITS
write_conf() {
	cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: {
  socket = "unix:$rg/milter.sock";
  require_known_identity = true;
};
auth: {
  dovecot_socket = "$rg/auth";
  saslauthd_socket = "";
  failure_delay_ms = 0;
  max_failure_delay_ms = 0;
};
stores = (
  { type = "static"; name = "conf";
    users = ( { name = "sam"; password = "$sam_hash"; enabled = $1; } ); },
  { type = "sqlite"; name = "db"; path = "$rg/auth.db"; }
);
tenants: {
  header = "X-Tenant";
  unknown = "reject";
  unauthenticated = "reject";
  list = (
    { name = "acme"; require_authz = [ $2 ]; },
    { name = "globex"; require_authz = [ "erin" ]; }
  );
};
EOF
}
write_conf true '"sam", "daniel"'
RG_CONF=$rg/relayguard.conf
out=$( { ctl db init &&
	printf '%s\n' 'mallory-Secret-3' | ctl user add mallory &&
	printf '%s\n' 'erin-Secret-5' | ctl user add erin &&
	printf '%s\n' 'daniel-Secret-1' | ctl user add daniel &&
	ctl act-as grant mallory erin; } 2>&1)
ok $? "db init; users mallory, erin, daniel; act-as grant mallory erin" || diag "$out"

RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard -f starts with milter and SASL sockets" || { done_testing; exit 1; }
PF_SASL_PATH=$rg/auth PF_MILTER=unix:$rg/milter.sock PF_TLS_AUTH_ONLY=yes \
	pf_setup "$dir/pf" && pf_start
ok $? "private Postfix with smtpd_milters and smtpd_sasl_path on relayguard starts" ||
	{ done_testing; exit 1; }

msg() { # FILE SUBJECT TENANT
	printf 'Subject: %s\nX-Tenant: %s\n\nbody\n' "$2" "$3" >"$1"
}
nth_mail() { printf '%s\n' "$1" | grep '^mail ' | sed -n "${2}p"; }

# ---- act-as: mallory as erin; mallory disabled mid-session
msg "$dir/m1" "actas-1" globex
out=$(smtp_session ehlo starttls ehlo plain:erin:mallory:mallory-Secret-3 \
	mail:erin@relayguard.test rcpt:erin@$PF_DOMAIN data:"$dir/m1" \
	"shell:$CTL -c $RG_CONF user disable mallory" \
	mail:erin@relayguard.test quit)
like "$out" '^plain 235 ' "mallory logs in with authzid erin (act-as grant): 235"
like "$out" '^data 250 ' "the first message as erin (X-Tenant: globex, erin's tenant) is accepted"
like "$(nth_mail "$out" 2)" '^mail 550 5\.7\.1' \
	"after 'user disable mallory', the next MAIL FROM of that session is refused (550 5.7.1)" ||
	diag "$out"
out=$(python3 "$top_srcdir/t/logkv.py" --match "reason=login_disabled" --count 1 \
	--expect identity=erin --expect login=mallory --expect reason=login_disabled "$RG_LOG")
ok $? "the milter logs the refusal: identity=erin login=mallory reason=login_disabled" ||
	diag "$out"
ctl user enable mallory >/dev/null

# ---- the grant revoked mid-session
out=$(smtp_session ehlo starttls ehlo plain:erin:mallory:mallory-Secret-3 \
	mail:erin@relayguard.test rcpt:erin@$PF_DOMAIN data:"$dir/m1" \
	"shell:$CTL -c $RG_CONF act-as revoke mallory erin" \
	mail:erin@relayguard.test quit)
like "$out" '^data 250 ' "mallory as erin again (re-enabled): accepted"
like "$(nth_mail "$out" 2)" '^mail 550 5\.7\.1' \
	"after 'act-as revoke mallory erin', the next MAIL FROM is refused (550 5.7.1)" || diag "$out"
grep -q "milter reject: .*reason=act_as_revoked" "$RG_LOG"
ok $? "the milter logs reason=act_as_revoked"

# ---- erin herself is not affected by mallory's revocation
out=$(smtp_session ehlo starttls ehlo plain::erin:erin-Secret-5 \
	mail:erin@relayguard.test rcpt:erin@$PF_DOMAIN data:"$dir/m1" \
	mail:erin@relayguard.test quit)
like "$(nth_mail "$out" 2)" '^mail 250 ' "erin's own session: every MAIL FROM accepted" ||
	diag "$out"

# ---- the login deleted mid-session
ctl act-as grant mallory erin >/dev/null
out=$(smtp_session ehlo starttls ehlo plain:erin:mallory:mallory-Secret-3 \
	mail:erin@relayguard.test rcpt:erin@$PF_DOMAIN data:"$dir/m1" \
	"shell:$CTL -c $RG_CONF user del mallory" \
	mail:erin@relayguard.test quit)
like "$out" '^data 250 ' "mallory as erin (grant restored): accepted"
like "$(nth_mail "$out" 2)" '^mail 550 5\.7\.1' \
	"after 'user del mallory', the next MAIL FROM is refused (550 5.7.1)" || diag "$out"

# ---- reload: a static-store user disabled
msg "$dir/m2" "reload-1" acme
out=$(smtp_session ehlo starttls ehlo plain::sam:sam-Secret-7 \
	mail:sam@relayguard.test rcpt:sam@$PF_DOMAIN data:"$dir/m2" \
	"shell:sed -i 's/enabled = true;/enabled = false;/' $RG_CONF && $CTL -c $RG_CONF reload" \
	mail:sam@relayguard.test quit)
like "$out" '^data 250 ' "sam (static store) sends to acme: accepted"
like "$out" '^shell rc 0' "sam disabled in the config file, relayguardctl reload"
like "$(nth_mail "$out" 2)" '^mail 550 5\.7\.1' \
	"the reload reaches sam's open session: next MAIL FROM refused (550 5.7.1)" || diag "$out"

# ---- reload: an identity removed from require_authz
write_conf true '"sam", "daniel"'
ctl reload >/dev/null
out=$(smtp_session ehlo starttls ehlo plain::daniel:daniel-Secret-1 \
	mail:daniel@relayguard.test rcpt:daniel@$PF_DOMAIN data:"$dir/m2" \
	"shell:sed -i 's/\"sam\", \"daniel\"/\"sam\"/' $RG_CONF && $CTL -c $RG_CONF reload" \
	mail:daniel@relayguard.test rcpt:daniel@$PF_DOMAIN data:"$dir/m2" quit)
datas=$(printf '%s\n' "$out" | grep '^data ')
like "$(printf '%s\n' "$datas" | sed -n 1p)" '^data 250 ' "daniel sends to acme: accepted"
like "$(printf '%s\n' "$datas" | sed -n 2p)" '^data 550 5\.7\.1' \
	"daniel removed from acme by a reload: the next message of the open session is refused" ||
	diag "$out"

unlike "$(cat "$RG_LOG")" 'Secret-[0-9]' "relayguard's log holds no password"
pf_stop
rg_stop
ok $? "everything stopped"
done_testing
