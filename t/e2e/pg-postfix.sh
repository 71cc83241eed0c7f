#!/usr/bin/env bash
# pg-postfix.sh — the PostgreSQL store through a real, private Postfix
# (smtpd_sasl_type = dovecot and smtpd_milters on one relayguard) and a
# private PostgreSQL (t/pg-lib.sh):
#  - alice logs in (235) and sends; `user disable alice` on the database in
#    the middle of her session: her next MAIL FROM is refused (550 5.7.1);
#  - the database stopped: a session that logged in before gets 451 at its
#    next MAIL FROM, a new AUTH gets 454 (temporary), never 235 or 535;
#  - the database back: logins and mail go through again.
. "${top_srcdir:-$(dirname "$0")/../..}/t/e2e/e2e-lib.sh"
. "$top_srcdir/t/pg-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"
pg_have || skip_all "PostgreSQL server binaries not installed (apt-get install postgresql)"

dir=$(e2e_tmpdir pg-postfix) || skip_all "cannot make a folder under $top_builddir/t/tmp"
chmod 711 "$dir"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit pf_stop

PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000 ))
pg_primary "$dir/pg" "$PORT" || bail_out "PostgreSQL did not start: $(tail -5 "$dir/pg/server.log")"
pg_sql "$dir/pg" "$PORT" "CREATE ROLE relayguard LOGIN PASSWORD 'rg-secret'" >/dev/null
pg_sql "$dir/pg" "$PORT" "CREATE DATABASE mail OWNER relayguard" >/dev/null
printf 'rg-secret\n' >"$rg/pg.pass"
chmod 600 "$rg/pg.pass"

cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: { socket = "unix:$rg/milter.sock"; require_known_identity = true; };
auth: { dovecot_socket = "$rg/auth"; saslauthd_socket = ""; failure_delay_ms = 0;
        max_failure_delay_ms = 0; };
stores = ( { type = "postgresql"; name = "fleetdb"; query_timeout_ms = 1000;
             conninfo = "host=127.0.0.1 port=$PORT dbname=mail user=relayguard";
             password_file = "$rg/pg.pass"; } );
EOF
RG_CONF=$rg/relayguard.conf
out=$( { ctl db init && printf '%s\n' 'alice-Secret-4' | ctl user add alice &&
	printf '%s\n' 'bob-Secret-2' | ctl user add bob; } 2>&1)
ok $? "db init and users alice, bob in PostgreSQL (relayguardctl through the store's conninfo)" ||
	diag "$out"

RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard starts with the postgresql store" || { done_testing; exit 1; }
PF_SASL_PATH=$rg/auth PF_MILTER=unix:$rg/milter.sock PF_TLS_AUTH_ONLY=yes \
	pf_setup "$dir/pf" && pf_start
ok $? "private Postfix with smtpd_milters and smtpd_sasl_path on relayguard starts" ||
	{ done_testing; exit 1; }
printf 'Subject: pg\n\nbody\n' >"$dir/m1"
nth_mail() { printf '%s\n' "$1" | grep '^mail ' | sed -n "${2}p"; }
PGSTOP="p=\$(head -n 1 $dir/pg/data/postmaster.pid); kill -INT \$p; while kill -0 \$p 2>/dev/null; do sleep 0.1; done"

# ---- revocation mid-session, read from PostgreSQL
out=$(smtp_session ehlo starttls ehlo plain::alice:alice-Secret-4 \
	mail:alice@relayguard.test rcpt:alice@$PF_DOMAIN data:"$dir/m1" \
	"shell:$CTL -c $RG_CONF user disable alice" \
	mail:alice@relayguard.test quit)
like "$out" '^plain 235 ' "alice logs in (her hash read from PostgreSQL): 235"
like "$out" '^data 250 ' "her first message is accepted"
like "$(nth_mail "$out" 2)" '^mail 550 5\.7\.1' \
	"after 'user disable alice' in PostgreSQL, the next MAIL FROM of her session is refused" ||
	diag "$out"
out=$(smtp_session ehlo starttls ehlo plain::alice:alice-Secret-4 quit)
like "$out" '^plain 535 ' "a new login of alice: 535"

# ---- the database stopped
out=$(smtp_session ehlo starttls ehlo plain::bob:bob-Secret-2 \
	mail:bob@relayguard.test rcpt:bob@$PF_DOMAIN data:"$dir/m1" \
	"shell:$PGSTOP" mail:bob@relayguard.test quit)
like "$out" '^data 250 ' "bob logs in and sends"
like "$(nth_mail "$out" 2)" '^mail 451 4\.' \
	"PostgreSQL stopped mid-session: bob's next MAIL FROM is a temporary failure (451)" ||
	diag "$out"
out=$(smtp_session ehlo starttls ehlo plain::bob:bob-Secret-2 quit)
like "$out" '^plain 454 ' "a new AUTH while no server answers: 454 (temporary), not 235 or 535" ||
	diag "$out"
out=$(smtp_session ehlo starttls ehlo plain::nobody:whatever-9 quit)
like "$out" '^plain 454 ' "an unknown user too: 454, never 'unknown'" || diag "$out"
grep -q 'store fleetdb: .*no server answers' "$RG_LOG"
ok $? "relayguard's log says no server answers"

# ---- the database back
_pg_start "$dir/pg"
ok $? "PostgreSQL started again"
back() { smtp_session ehlo starttls ehlo plain::bob:bob-Secret-2 quit | grep -q '^plain 235 '; }
wait_until 15 back
ok $? "bob logs in again once PostgreSQL answers"
out=$(smtp_session ehlo starttls ehlo plain::bob:bob-Secret-2 \
	mail:bob@relayguard.test rcpt:bob@$PF_DOMAIN data:"$dir/m1" quit)
like "$out" '^data 250 ' "and his mail is accepted" || diag "$out"

unlike "$(cat "$RG_LOG")" 'Secret-[0-9]|rg-secret' "relayguard's log holds no password"
pf_stop
rg_stop
ok $? "everything stopped"
pg_stop "$dir/pg"
done_testing
