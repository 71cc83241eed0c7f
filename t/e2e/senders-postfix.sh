#!/usr/bin/env bash
# senders-postfix.sh — sender ownership against Postfix's own check.  The same
# grants, rendered once as relayguard grants (SQLite store, and a passwd-file
# store after it: the answer is their union) and once as a hash: table for
# smtpd_sender_login_maps, judge the same MAIL FROM cases on one private
# Postfix: first with Postfix's reject_authenticated_sender_login_mismatch and
# no milter, then with only relayguard's milter (senders.check_envelope).
# Logins go through relayguard's SASL service both times.  Every verdict and
# 553 text must agree, except the deliberate differences listed in DIFFERS:
#   - a local part in another case: Postfix folds the whole address to lower
#     case for its table lookup; relayguard compares local parts exactly
#   - a * grant (erin): Postfix's table has no wildcard
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"
POSTMAP=${POSTMAP:-/usr/sbin/postmap}
[ -x "$POSTMAP" ] || skip_all "postmap not installed (postfix)"

dir=$(e2e_tmpdir senders) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit pf_stop

# the grants: "STORE IDENTITY ADDRESS" (STORE: db = SQLite, file = passwd-file)
GRANTS="db daniel daniel@relayguard.test
db daniel @dept.relayguard.test
file daniel daniel@files.example
db daniel @shared.example
db frank frank@relayguard.test
file frank @shared.example
db erin *"
USERS="daniel frank erin"

hash=$(rg_hash 'unused-in-this-file') || bail_out "relayguardctl hash failed"
{
	echo "# passwd-file store: sender grants only (its users' logins go to the SQLite store first)"
	for u in $USERS; do
		list=$(echo "$GRANTS" | awk -v u="$u" '$1 == "file" && $2 == u { printf "%s%s", s, $3; s = "," }')
		[ -n "$list" ] && echo "$u:$hash:::::: relayguard_senders=$list"
	done
} >"$rg/users"
cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: {
  socket = "unix:$rg/milter.sock";
  require_tls_for_auth = true;
  require_known_identity = true;
};
auth: { dovecot_socket = "$rg/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = (
  { type = "sqlite"; name = "db"; path = "$rg/auth.db"; },
  { type = "passwd-file"; name = "file"; path = "$rg/users"; }
);
senders: { check_envelope = true; recipient_delimiter = "+"; };
EOF
RG_CONF=$rg/relayguard.conf
out=$( { ctl db init && for u in $USERS; do printf '%s\n' "$u-Secret-9" | ctl user add "$u"; done &&
	echo "$GRANTS" | while read -r store who addr; do
		[ "$store" = db ] || continue
		ctl sender grant "$who" "$addr" || exit 1
	done; } 2>&1)
ok $? "relayguardctl: users and sender grants" || diag "$out"

# the same grants as Postfix's table: ADDRESS OWNER[,OWNER...]; no wildcard
echo "$GRANTS" | awk '$3 != "*" { if ($3 in o) o[$3] = o[$3] "," $2; else o[$3] = $2 }
	END { for (a in o) print a, o[a] }' | sort >"$dir/sender_login"

RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard starts (SASL service, milter)" || { done_testing; exit 1; }

PF_SASL_PATH=$rg/auth PF_MILTER="" PF_TLS_AUTH_ONLY=yes pf_setup "$dir/pf"
out=$("$POSTMAP" -c "$PF_CONF" "hash:$dir/sender_login" 2>&1)
ok $? "postmap: the same grants as hash:$dir/sender_login ($(wc -l <"$dir/sender_login") keys)" ||
	diag "$out"
pf_set recipient_delimiter=+ "smtpd_sender_login_maps=hash:$dir/sender_login" \
		smtpd_sender_restrictions=reject_authenticated_sender_login_mismatch \
		smtpd_delay_reject=no &&
	pf_start
ok $? "private Postfix: reject_authenticated_sender_login_mismatch, no milter" ||
	{ done_testing; exit 1; }

ADDRS="daniel@relayguard.test daniel+news@relayguard.test daniel+a+b@relayguard.test
Daniel@relayguard.test daniel@RELAYGUARD.TEST x@dept.relayguard.test x+y@dept.relayguard.test
x@sub.dept.relayguard.test daniel@files.example someone@shared.example frank@relayguard.test
ceo@globex.example daniel@[127.0.0.1] nobody@files.example daniel+@relayguard.test
+x@relayguard.test someone@SHARED.example x@DEPT.relayguard.test frank+tag@relayguard.test"
NULL_SENDER="<>"

# run MODE: one session per user, every address (and the null sender) in turn;
# prints "USER ADDRESS CODE TEXT" lines
run() {
	local u steps a
	for u in $USERS; do
		steps="ehlo starttls ehlo login:$u:$u-Secret-9"
		for a in $ADDRS ""; do steps="$steps mail:$a rset"; done
		smtp_session $steps quit | awk -v u="$u" -v list="$(echo $ADDRS) <>" '
			BEGIN { n = split(list, addr, " ") }
			$1 == "mail" { i++; $1 = ""; sub(/^ /, ""); print u, addr[i], $0 }'
	done
}
postfix_out=$(run)
n_cases=$(echo "$postfix_out" | wc -l)
ok $([ "$n_cases" -ge 40 ]; echo $?) "Postfix judged $n_cases MAIL FROM cases" || diag "$postfix_out"
echo "$postfix_out" | grep -q '^daniel ceo@globex.example 553 5.7.1 <ceo@globex.example>: Sender address rejected: not owned by user daniel$'
ok $? "Postfix's own refusal is the one relayguard copies" || diag "$postfix_out"

# the same Postfix with only relayguard's milter
pf_set "smtpd_milters=unix:$rg/milter.sock" smtpd_sender_restrictions= smtpd_sender_login_maps= \
	milter_default_action=tempfail
ok $? "Postfix reconfigured: relayguard's milter only"
relayguard_out=$(run)

DIFFERS="daniel Daniel@relayguard.test
erin "
same=0 differ=0
while read -r u a code text; do
	other=$(echo "$relayguard_out" | awk -v u="$u" -v a="$a" '$1 == u && $2 == a { $1 = ""; $2 = ""; sub(/^  /, ""); print }')
	mine="$code $text"
	deliberate=no
	while read -r du da; do
		[ "$u" = "$du" ] && { [ -z "$da" ] || [ "$a" = "$da" ]; } && deliberate=yes
	done <<<"$DIFFERS"
	if [ "$deliberate" = yes ]; then
		[ "$mine" != "$other" ] &&
			diag "deliberate difference: $u MAIL FROM:<$a>: Postfix \"$mine\", relayguard \"$other\""
		continue
	fi
	if [ "$mine" = "$other" ]; then
		same=$((same + 1))
	else
		differ=$((differ + 1))
		fail "$u MAIL FROM:<$a>: Postfix \"$mine\" but relayguard \"$other\""
	fi
done <<<"$postfix_out"
ok $([ "$differ" -eq 0 ] && [ "$same" -ge 38 ]; echo $?) \
	"$same cases: the same verdict and reply text from Postfix and relayguard, $differ differ"
# the deliberate differences are what they say
echo "$relayguard_out" | grep -q '^daniel Daniel@relayguard.test 553 5.7.1 '
ok $? "relayguard: a local part in another case is not owned (Postfix folds case)"
echo "$postfix_out" | grep -q '^daniel Daniel@relayguard.test 250 '
ok $? "... while Postfix's table lookup accepts it"
echo "$relayguard_out" | grep -q '^erin ceo@globex.example 250 '
ok $? "relayguard: erin's * grant covers any address"
echo "$postfix_out" | grep -q '^erin ceo@globex.example 553 '
ok $? "... which Postfix's table cannot express"
echo "$relayguard_out" | grep -q '^daniel daniel@files.example 250 ' &&
	echo "$relayguard_out" | grep -q '^frank someone@shared.example 250 '
ok $? "grants from the second store count (union)"

pf_stop
rg_stop
ok $? "everything stopped"
done_testing
