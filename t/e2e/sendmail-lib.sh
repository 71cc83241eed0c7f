# sendmail-lib.sh — run a PRIVATE Sendmail entirely under one folder (bash,
# sourced after e2e-lib.sh).  The binary and the m4 files come from Debian's
# packages unpacked by t/e2e/fetch-sendmail.sh (bootstrap runs it); nothing is
# installed, and nothing outside the instance's folder is read or written
# except that unpacked tree.
#
#   sm_have_sendmail      true when this machine can run it (else SM_WHY says why)
#   sm_setup DIR          DIR/etc/sendmail.{mc,cf}, TLS certificate,
#                         Sendmail.conf, queue, delivery script; picks ports
#   sm_start / sm_stop    start `sendmail -bD` (foreground daemon), wait for
#                         its greeting; stop it and its session children by PID
#   sm_log                Sendmail's log lines (what it would send to syslog)
#   sm_wait_log REGEX [SECONDS]
#   sm_mail_files         delivered messages, oldest first
#
# Knobs read by sm_setup:
#   SM_PORT, SM_MSA_PORT  listeners on 127.0.0.1 (default: free random ports);
#                         {daemon_name} is "MTA" and "submission"
#   SM_SASL_SOCK          relayguard's saslauthd socket (Sendmail.conf)
#   SM_MILTER_SOCK        relayguard's milter socket (INPUT_MAIL_FILTER)
#   SM_ROOT               unpacked packages (default
#                         /var/cache/relayguard-test/sendmail/root)
#
# Facts this relies on (found out on Debian 12, Sendmail 8.17.1.9):
#  - Sendmail qualifies its host name before reading the .cf and sleeps 60 s
#    when it cannot ("My unqualified host name ... sleeping for retry"): it
#    runs in its own UTS namespace with a dotted name (unshare --uts).
#  - `-D FILE -d89.10` writes the lines Sendmail would syslog to FILE, so no
#    syslog daemon is needed.
#  - The TLS key must be 0600; Sendmail.conf and every folder above it must
#    not be group/world-writable, or Sendmail ignores them.
#  - Relaying from 127.0.0.1 is always allowed; connect from 127.0.0.2
#    (swaks --local-interface) to test relaying by AUTH.

SM_ROOT=${SM_ROOT:-${RG_SENDMAIL_CACHE:-/var/cache/relayguard-test/sendmail}/root}
SM_HOSTNAME=${SM_HOSTNAME:-mta.relayguard.test}
SM_TEMPLATES=${SM_TEMPLATES:-$top_srcdir/t/e2e/sendmail}
SM_SNIPPET_SRC=${SM_SNIPPET_SRC:-$top_srcdir/etc/sendmail/relayguard.mc}
SM_SASLCONF_SRC=${SM_SASLCONF_SRC:-$top_srcdir/etc/sendmail/Sendmail.conf}
SM_PID=

sm_die() { echo "sendmail-lib: $*" >&2; return 1; }

sm_have_sendmail() {
	SM_WHY=
	if [ "$(id -u)" != 0 ]; then
		SM_WHY="must run as root (Sendmail's daemon mode needs it)"
	elif [ ! -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ] ||
		[ ! -f "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ]; then
		SM_WHY="Sendmail not unpacked in $SM_ROOT (run t/e2e/fetch-sendmail.sh; bootstrap does)"
	elif ! command -v m4 >/dev/null; then
		SM_WHY="m4 not installed (apt-get install m4)"
	elif ! command -v openssl >/dev/null; then
		SM_WHY="openssl not installed"
	elif ! unshare --uts true 2>/dev/null; then
		SM_WHY="unshare --uts does not work here (Sendmail would wait 60 s for its host name)"
	fi
	[ -z "$SM_WHY" ]
}

sm_setup() {
	SM_DIR=$1
	case $SM_DIR in /*) ;; *) sm_die "sm_setup needs an absolute path"; return 1 ;; esac
	local cfdir=$SM_ROOT/usr/share/sendmail/cf d dontblame=Safe
	if [ -z "${SM_PORT:-}" ]; then SM_PORT=$(pf_pick_port) || { sm_die "no free port"; return 1; }; fi
	if [ -z "${SM_MSA_PORT:-}" ]; then
		SM_MSA_PORT=$(pf_pick_port) || { sm_die "no free port"; return 1; }
	fi
	[ "$SM_MSA_PORT" != "$SM_PORT" ] || SM_MSA_PORT=$((SM_PORT + 1))
	SM_SASL_SOCK=${SM_SASL_SOCK:-$SM_DIR/mux}
	SM_MILTER_SOCK=${SM_MILTER_SOCK:-$SM_DIR/milter.sock}
	SM_CF=$SM_DIR/etc/sendmail.cf
	SM_LOGFILE=$SM_DIR/log/sendmail.log
	SM_MAILDIR=$SM_DIR/mail

	(umask 022 && mkdir -p "$SM_DIR"/bin "$SM_DIR"/etc "$SM_DIR"/tls "$SM_DIR"/sasl \
		"$SM_DIR"/mail "$SM_DIR"/log) || return 1
	chmod 755 "$SM_DIR"
	install -d -m 700 "$SM_DIR/queue" || return 1

	# A copy of the binary without the set-gid bit: libsasl honours
	# SASL_CONF_PATH only when real and effective ids are equal.
	install -m 755 "$SM_ROOT/usr/libexec/sendmail/sendmail" "$SM_DIR/bin/sendmail" || return 1

	# delivery agent for the local and capture mailers: $1 = envelope sender,
	# $2 = recipient; one file per message and recipient
	cat >"$SM_DIR/bin/deliver" <<'EOF'
#!/bin/sh
dir=$(dirname "$0")/../mail
f="$dir/$(date +%s.%N).$$.$(printf %s "$2" | tr -c 'A-Za-z0-9@._+-' _).eml"
{ printf 'X-Envelope-From: <%s>\nX-Envelope-To: %s\n' "$1" "$2"; cat; } >"$f.tmp" && mv "$f.tmp" "$f"
EOF
	chmod 755 "$SM_DIR/bin/deliver"

	printf 'hosts\tfiles\naliases\tfiles\n' >"$SM_DIR/etc/service.switch"
	: >"$SM_DIR/etc/relay-domains"
	: >"$SM_DIR/etc/sendmail.st"
	cp "$SM_ROOT/etc/mail/helpfile" "$SM_DIR/etc/helpfile"
	printf 'postmaster: root\nMAILER-DAEMON: root\n' >"$SM_DIR/etc/aliases"

	if [ ! -s "$SM_DIR/tls/cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$SM_HOSTNAME" \
			-keyout "$SM_DIR/tls/key.pem" -out "$SM_DIR/tls/cert.pem" >/dev/null 2>&1 ||
			{ sm_die "openssl could not make a certificate"; return 1; }
		cp "$SM_DIR/tls/cert.pem" "$SM_DIR/tls/cacert.pem"
		ln -sf cacert.pem "$SM_DIR/tls/$(openssl x509 -hash -noout -in "$SM_DIR/tls/cert.pem").0"
	fi
	chmod 600 "$SM_DIR/tls/key.pem"	# Sendmail refuses a key others can read

	# the admin's files from etc/sendmail/, with the test's socket paths
	sed "s|^saslauthd_path:.*|saslauthd_path: $SM_SASL_SOCK|" "$SM_SASLCONF_SRC" \
		>"$SM_DIR/sasl/Sendmail.conf" || return 1
	chmod 644 "$SM_DIR/sasl/Sendmail.conf"
	sed "s|S=unix:/run/relayguard/milter.sock|S=unix:$SM_MILTER_SOCK|" "$SM_SNIPPET_SRC" \
		>"$SM_DIR/etc/relayguard.mc" || return 1
	grep -q "S=unix:$SM_MILTER_SOCK" "$SM_DIR/etc/relayguard.mc" ||
		{ sm_die "$SM_SNIPPET_SRC: no INPUT_MAIL_FILTER with S=unix:/run/relayguard/milter.sock"; return 1; }

	# a group/world-writable folder above SM_DIR (e.g. /tmp) makes Sendmail
	# distrust every file below it unless told to trust sticky folders
	d=$SM_DIR
	while [ "$d" != / ]; do
		d=$(dirname "$d")
		[ -z "$(find "$d" -maxdepth 0 -perm /022)" ] || dontblame=TrustStickyBit
	done
	sed -e "s|@SMDIR@|$SM_DIR|g" -e "s|@PORT@|$SM_PORT|g" -e "s|@MSA_PORT@|$SM_MSA_PORT|g" \
		-e "s|@DONT_BLAME@|$dontblame|g" -e "s|@HOSTNAME@|$SM_HOSTNAME|g" \
		-e "s|@MAILER@|$SM_DIR/bin/deliver|g" -e "s|@SASL_DIR@|$SM_DIR/sasl|g" \
		-e "s|@SNIPPET@|$SM_DIR/etc/relayguard.mc|g" \
		"$SM_TEMPLATES/relayguard-test.mc.in" >"$SM_DIR/etc/sendmail.mc" || return 1
	m4 -D_CF_DIR_="$cfdir/" "$cfdir/m4/cf.m4" "$SM_DIR/etc/sendmail.mc" \
		>"$SM_CF" 2>"$SM_DIR/log/m4.err" ||
		{ sm_die "m4 failed: $(cat "$SM_DIR/log/m4.err")"; return 1; }
	chmod 644 "$SM_CF"
	# newaliases: builds the aliases db and is a first check of the .cf
	_sm_run -C "$SM_CF" -bi >"$SM_DIR/log/newaliases.out" 2>&1 ||
		{ sm_die "newaliases failed: $(cat "$SM_DIR/log/newaliases.out")"; return 1; }
}

# The private binary in its own UTS namespace with a dotted host name.
# unshare and sh both exec, so a background job's $! is Sendmail's PID.
_sm_run() {
	unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$SM_HOSTNAME" \
		"$SM_DIR/bin/sendmail" "$@"
}

_sm_greets() { # PORT — one probe: a 220 greeting
	local line=
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	read -r -t 5 line <&3 || true
	printf 'QUIT\r\n' >&3 2>/dev/null || true
	exec 3<&- 3>&-
	case $line in 220*) return 0 ;; esac
	return 1
}

sm_start() {
	: >"$SM_LOGFILE"
	rm -f "$SM_DIR/sendmail.pid"
	# -bD: daemon in the foreground; -D FILE -d89.10: log lines to FILE
	# (-D before -d); -X: transcript of every SMTP session
	unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$SM_HOSTNAME" \
		"$SM_DIR/bin/sendmail" -C "$SM_CF" -bD -D "$SM_LOGFILE" -d89.10 \
		-X "$SM_DIR/log/smtp-trace.log" >"$SM_DIR/log/sendmail.out" 2>&1 &
	SM_PID=$!
	local i
	for i in $(seq 1 200); do
		if ! kill -0 "$SM_PID" 2>/dev/null; then
			sm_die "sendmail exited at start: $(tail -n 20 "$SM_DIR/log/sendmail.out" "$SM_LOGFILE")"
			SM_PID=
			return 1
		fi
		# ready: PidFile written (after binding) and both ports greet
		if [ -s "$SM_DIR/sendmail.pid" ] && _sm_greets "$SM_PORT" && _sm_greets "$SM_MSA_PORT"; then
			[ "$(head -n 1 "$SM_DIR/sendmail.pid")" = "$SM_PID" ] ||
				sm_die "warning: PidFile says $(head -n 1 "$SM_DIR/sendmail.pid"), started $SM_PID"
			return 0
		fi
		sleep 0.05
	done
	sm_die "sendmail did not greet on 127.0.0.1:$SM_PORT: $(tail -n 20 "$SM_LOGFILE")"
	sm_stop
	return 1
}

_sm_children() { # PID — direct children (the SMTP session processes)
	local parent=$1 f line rest
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		rest=${line##*) }	# after "pid (comm) ": state ppid ...
		set -- $rest
		if [ "${2:-}" = "$parent" ]; then f=${f#/proc/}; echo "${f%/stat}"; fi
	done
}

sm_stop() {
	[ -n "${SM_PID:-}" ] || return 0
	local kids i p
	kids=$(_sm_children "$SM_PID")
	kill -TERM "$SM_PID" $kids 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$SM_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$SM_PID" 2>/dev/null
	wait "$SM_PID" 2>/dev/null
	for p in $kids; do
		for i in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
	done
	SM_PID=
	rm -f "$SM_DIR/sendmail.pid"
}

sm_log() { cat "$SM_LOGFILE"; }

sm_wait_log() { # REGEX [SECONDS]
	local i n=$((${2:-10} * 10))
	for i in $(seq 1 "$n"); do
		grep -Eq -- "$1" "$SM_LOGFILE" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

sm_mail_files() { ls -1tr "$SM_MAILDIR"/*.eml 2>/dev/null; }

# swaks against the private Sendmail (the MTA listener, or SM_SWAKS_PORT)
sm_swaks() {
	"$SWAKS" --server 127.0.0.1 --port "${SM_SWAKS_PORT:-$SM_PORT}" --timeout 30 \
		--helo client.relayguard.test "$@" 2>&1
}
