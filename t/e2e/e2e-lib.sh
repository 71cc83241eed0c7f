# e2e-lib.sh — helpers for the end-to-end tests through a real MTA (bash,
# sourced): the test's folder, required tools, swaks and the SASL client,
# relayguard's config head.  TAP and relayguard start/stop come from
# t/tap.sh and t/rg-lib.sh; the private Postfix from postfix-lib.sh.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
SWAKS=${SWAKS:-$(command -v swaks || true)}

. "$top_srcdir/t/e2e/postfix-lib.sh"

. "$top_srcdir/t/rg-lib.sh"

# when a test failed: the last complaints of Postfix (relayguard's log tail
# comes from rg-lib.sh)
_e2e_failure_diag() {
	if [ -n "${PF_MAILLOG:-}" ] && [ -s "$PF_MAILLOG" ]; then
		diag "Postfix log ($PF_MAILLOG): warnings (count, text) and last rejects:"
		diag "$(grep -E 'warning|fatal|panic' "$PF_MAILLOG" | sed 's/^.*\]: //' |
			sort | uniq -c | sort -rn | head -n 8)"
		diag "$(grep -E 'reject' "$PF_MAILLOG" | tail -n 6)"
	fi
}
tap_on_failure _e2e_failure_diag

# e2e_tmpdir NAME — a private folder under the build tree for one test,
# reachable by the postfix user (pf_private_dir); removed at exit as
# tap_tmpdir's are.
e2e_tmpdir() {
	local d
	d=$(pf_private_dir "$top_builddir/t/tmp" "$1") || return 1
	tap_remove_at_exit "$d"
	echo "$d"
}

# Checks shared by the Postfix tests; skip_all with the reason.
e2e_require_postfix_tools() {
	[ "$(id -u)" = 0 ] || skip_all "must run as root (a private Postfix master needs it)"
	pf_have_postfix || skip_all "Postfix not installed (apt-get install postfix)"
	[ -n "$SWAKS" ] && [ -x "$SWAKS" ] || skip_all "swaks not installed (apt-get install swaks)"
	command -v openssl >/dev/null || skip_all "openssl not installed"
}

# ----------------------------------------------------------------- swaks
# swaks_run ARGS... — swaks against the private Postfix; prints the dialogue
swaks_run() {
	"$SWAKS" --server 127.0.0.1 --port "$PF_PORT" --timeout 20 \
		--helo client.relayguard.test "$@" 2>&1
}

# rg_conf_head DIR — the top-level part of a test config: control socket,
# pidfile and sockets in DIR, usable by Postfix's smtpd and cleanup (group
# postfix), logging to stderr (relayguard -f) and syslog.
rg_conf_head() {
	cat <<CONF
control_socket = "$1/control";
pidfile = "$1/relayguard.pid";
socket_group = "postfix";
socket_mode = "${RG_SOCKET_MODE:-0660}";
syslog_ident = "relayguard-test";
CONF
}

# A SASL dialogue on one connection to the private Postfix (smtp_session.py)
smtp_session() {
	python3 "$top_srcdir/t/e2e/smtp_session.py" --port "$PF_PORT" "$@" 2>&1
}

# auth_cases MTA PORT ENHANCED — every case of t/e2e/auth-cases.txt through
# the MTA listening on 127.0.0.1:PORT, one session and one test each.  MTA
# names the table's "differs" entries (postfix, sendmail); ENHANCED maps the
# reply codes to the MTA's enhanced status codes ("235=2.7.0 535=5.7.8 ...").
auth_cases() {
	local mta=$1 port=$2 enhanced=$3
	local mech authz user pw tls code differs what want why e step steps when out f v
	while IFS='|' read -r mech authz user pw tls code differs what <&3; do
		for f in mech authz user pw tls code differs what; do	# trim the fields
			v=${!f}
			v=${v#"${v%%[! ]*}"}
			printf -v "$f" '%s' "${v%"${v##*[! ]}"}"
		done
		case $mech in '' | '#'*) continue ;; esac
		want=$code why=
		case $differs in "$mta="*)
			want=${differs#"$mta="} want=${want%%:*} why=" ($mta differs on purpose: see auth-cases.txt)" ;;
		esac
		e=$(printf '%s\n' $enhanced | sed -n "s/^$want=//p")
		[ -n "$e" ] || { fail "$mta: no enhanced code for $want (auth_cases)"; continue; }
		case $mech in
		PLAIN) step=plain:$authz:$user:$pw ;;
		LOGIN) step=login:$user:$pw ;;
		*) fail "auth-cases.txt: unknown mechanism '$mech'"; continue ;;
		esac
		if [ "$tls" = tls ]; then
			steps="ehlo starttls ehlo $step quit" when="after STARTTLS"
		else
			steps="ehlo $step quit" when="before STARTTLS"
		fi
		what="$mta: $what: $mech ${authz:+authzid $authz }$user $when: $want$why"
		out=$(PF_PORT=$port smtp_session $steps)
		if [ "$tls" = tls ] && ! printf '%s\n' "$out" | grep -q '^starttls 220 '; then
			fail "$what" "STARTTLS did not succeed:" "$out"
			continue
		fi
		like "$out" "^${step%%:*} $want ${e//./\\.} " "$what"
	done 3<"$top_srcdir/t/e2e/auth-cases.txt"
}
