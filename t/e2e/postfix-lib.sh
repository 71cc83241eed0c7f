# postfix-lib.sh — run a PRIVATE Postfix entirely under one directory.
# Sourced by the end-to-end tests, the throughput bench and the demo (bash).
#
# Nothing here reads or writes /etc/postfix or /var/spool/postfix: the
# instance has its own config_directory, queue_directory, data_directory,
# maillog_file and listening address, and is started with
# `postfix -c DIR start` (as root, `postfix -c` needs no
# alternate_config_directories entry in the default main.cf: that list is only
# consulted for unprivileged set-gid commands such as postqueue/postdrop).
# Every service runs with chroot = n, so absolute socket paths work for
# smtpd_sasl_path and smtpd_milters.
#
#   pf_setup DIR          write DIR/etc/{main,master}.cf, a TLS certificate,
#                         queue/data/mail folders; picks PF_PORT if unset
#   pf_set NAME=VALUE...  change main.cf parameters (postconf -e); reloads a
#                         running instance
#   pf_start / pf_stop    start; stop by the master's PID (pid file), then any
#                         stray process whose cwd or MAIL_CONFIG is ours
#   pf_reload             postfix reload, and wait until it took effect
#   pf_wait_delivered N [SECONDS]   wait until the sink holds N messages
#   pf_sink_files         list delivered message files (oldest first)
#   pf_log                print the private maillog
#   pf_wait_log REGEX [SECONDS]     wait until the maillog matches
#
# Knobs read by pf_setup (set them before calling it):
#   PF_PORT          listening port on 127.0.0.1 (default: a free random one)
#   PF_DOMAIN        domain delivered to the sink (default example.test)
#   PF_DELIVERY      maildir (default: virtual(8) into DIR/mail/sink/) or
#                    discard (discard(8), for the throughput bench)
#   PF_SASL_PATH     absolute path of a Dovecot-protocol socket ("" = no SASL)
#   PF_MILTER        milter spec, e.g. unix:/path/milter.sock ("" = none)
#   PF_TLS_AUTH_ONLY yes (default) | no
#   PF_SMTPD_OPTS    extra "-o name=value" lines for the smtpd service

PF_POSTFIX=${PF_POSTFIX:-/usr/sbin/postfix}
PF_POSTCONF=${PF_POSTCONF:-/usr/sbin/postconf}

pf_have_postfix() {
	[ -x "$PF_POSTFIX" ] && [ -x "$PF_POSTCONF" ] && id postfix >/dev/null 2>&1 &&
		[ "$(id -u)" = 0 ]
}

# Something accepts connections on 127.0.0.1:PORT (bash's /dev/tcp; no iproute2 needed)
pf_port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

pf_port_free() { ! pf_port_open "$1"; }

# A free TCP port on 127.0.0.1 in [lo, lo+span).
pf_pick_port() {
	local lo=${1:-20000} span=${2:-20000} p i
	for i in $(seq 1 50); do
		p=$((lo + $(od -An -N2 -tu2 /dev/urandom) % span))
		if pf_port_free "$p"; then echo "$p"; return 0; fi
	done
	return 1
}

pf_die() { echo "postfix-lib: $*" >&2; return 1; }

# DIR (every component of its path) must be searchable by the postfix user.
pf_path_reachable() {
	runuser -u postfix -- test -x "$1" 2>/dev/null
}

# pf_private_dir PARENT NAME — a fresh private folder PARENT/NAME.XXXXXX that
# the postfix user can reach and whose socket paths stay short; when PARENT
# (the build tree) is under a folder closed to others (e.g. /root, mode
# 0700) or too deep for unix socket paths (108 bytes), /tmp is used instead.
pf_private_dir() {
	local parent=$1 name=$2 d
	mkdir -p "$parent" 2>/dev/null && chmod 755 "$parent" 2>/dev/null
	if [ ${#parent} -gt 60 ] || ! pf_path_reachable "$parent"; then
		echo "postfix-lib: $parent is closed to user postfix or too long; using /tmp" >&2
		parent=/tmp
		name=relayguard-$name
	fi
	d=$(mktemp -d "$parent/$name.XXXXXX") || return 1
	chmod 755 "$d" && echo "$d"
}

pf_setup() {
	PF_DIR=$1
	case $PF_DIR in /*) ;; *) pf_die "pf_setup needs an absolute path"; return 1 ;; esac
	PF_CONF=$PF_DIR/etc
	PF_QUEUE=$PF_DIR/spool
	PF_DATA=$PF_DIR/data
	PF_MAIL=$PF_DIR/mail
	PF_SINK=$PF_MAIL/sink
	PF_MAILLOG=$PF_DIR/maillog
	PF_DOMAIN=${PF_DOMAIN:-example.test}
	PF_DELIVERY=${PF_DELIVERY:-maildir}
	PF_TLS_AUTH_ONLY=${PF_TLS_AUTH_ONLY:-yes}
	if [ -z "${PF_PORT:-}" ]; then
		PF_PORT=$(pf_pick_port) || { pf_die "no free port"; return 1; }
	fi
	local uid gid
	uid=$(id -u postfix) gid=$(id -g postfix)

	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA" "$PF_MAIL" || return 1
	chmod 755 "$PF_DIR" "$PF_CONF" "$PF_QUEUE" "$PF_MAIL"
	chown root:root "$PF_QUEUE"
	chown postfix:postfix "$PF_DATA" "$PF_MAIL"
	chmod 700 "$PF_DATA"
	pf_path_reachable "$PF_DIR" ||
		{ pf_die "user postfix cannot reach $PF_DIR (a parent folder lacks o+x)"; return 1; }

	# self-signed certificate for STARTTLS
	if [ ! -s "$PF_CONF/cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.relayguard.test" \
			-keyout "$PF_CONF/key.pem" -out "$PF_CONF/cert.pem" >/dev/null 2>&1 ||
			{ pf_die "openssl could not make a certificate"; return 1; }
		chmod 600 "$PF_CONF/key.pem"
	fi

	local delivery
	if [ "$PF_DELIVERY" = discard ]; then
		delivery="virtual_transport = discard:"
	else
		delivery="virtual_transport = virtual"
	fi

	cat >"$PF_CONF/main.cf" <<EOF
# private Postfix instance written by t/e2e/postfix-lib.sh — not the system one
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.relayguard.test
mydomain = relayguard.test
myorigin = \$myhostname
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
maillog_file = $PF_MAILLOG
maillog_file_prefixes = $PF_DIR
smtpd_banner = \$myhostname ESMTP relayguard-test
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
# recipients in $PF_DOMAIN go to the sink
virtual_mailbox_domains = $PF_DOMAIN
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = static:sink/
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
$delivery
# only mail to the sink domain, or from authenticated clients, is accepted
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
# TLS
smtpd_tls_cert_file = $PF_CONF/cert.pem
smtpd_tls_key_file = $PF_CONF/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
EOF
	if [ -n "${PF_SASL_PATH:-}" ]; then
		cat >>"$PF_CONF/main.cf" <<EOF
# SASL: relayguard's Dovecot-protocol socket (absolute path; smtpd is not chrooted)
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $PF_SASL_PATH
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_tls_auth_only = $PF_TLS_AUTH_ONLY
smtpd_sasl_authenticated_header = yes
EOF
	fi
	if [ -n "${PF_MILTER:-}" ]; then
		cat >>"$PF_CONF/main.cf" <<EOF
# milter: fail closed when it cannot be reached
smtpd_milters = $PF_MILTER
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_macros = j {daemon_name} {daemon_addr} v _ {client_addr}
milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
EOF
	fi

	cat >"$PF_CONF/master.cf" <<EOF
# private Postfix instance: every service with chroot = n
127.0.0.1:$PF_PORT inet n - n - - smtpd
${PF_SMTPD_OPTS:-}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	"$PF_POSTCONF" -c "$PF_CONF" >/dev/null 2>"$PF_DIR/postconf.err" ||
		{ cat "$PF_DIR/postconf.err" >&2; pf_die "postconf rejects $PF_CONF/main.cf"; return 1; }
	if grep -q warning "$PF_DIR/postconf.err"; then cat "$PF_DIR/postconf.err" >&2; fi
	return 0
}

pf_set() {
	"$PF_POSTCONF" -c "$PF_CONF" -e "$@" || return 1
	if pf_running; then pf_reload; fi
}

pf_master_pid() {
	local pid
	[ -r "$PF_QUEUE/pid/master.pid" ] || return 1
	pid=$(tr -d ' \n' <"$PF_QUEUE/pid/master.pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

pf_running() { pf_master_pid >/dev/null; }

pf_listening() { pf_port_open "$PF_PORT"; }

pf_start() {
	: >>"$PF_MAILLOG"
	if ! "$PF_POSTFIX" -c "$PF_CONF" start >"$PF_DIR/start.out" 2>&1; then
		# postfix(1) writes its errors to stderr only when that is a
		# terminal (else to syslog): rerun the check under script(1)
		script -qc "$PF_POSTFIX -c $PF_CONF check" /dev/null >>"$PF_DIR/start.out" 2>&1
		cat "$PF_DIR/start.out" >&2
		pf_die "postfix -c $PF_CONF start failed"
		return 1
	fi
	local i
	for i in $(seq 1 100); do
		if pf_running && pf_listening; then return 0; fi
		sleep 0.1
	done
	cat "$PF_DIR/start.out" >&2
	tail -n 20 "$PF_MAILLOG" >&2
	pf_die "the private postfix did not start listening on 127.0.0.1:$PF_PORT"
	return 1
}

pf_reload() {
	local before
	before=$(grep -c 'reload' "$PF_MAILLOG" 2>/dev/null)
	"$PF_POSTFIX" -c "$PF_CONF" reload >>"$PF_DIR/start.out" 2>&1 || return 1
	# master logs "reload -- version ..." once it re-read the config
	local i
	for i in $(seq 1 50); do
		[ "$(grep -c 'reload' "$PF_MAILLOG" 2>/dev/null)" -gt "${before:-0}" ] && break
		sleep 0.1
	done
	# let old smtpd processes that still hold the listener go
	sleep 0.3
}

# PIDs of processes belonging to this instance: cwd is our queue directory
# (every Postfix daemon chdirs there) or MAIL_CONFIG names our config dir.
pf_instance_pids() {
	local p cwd
	[ -n "${PF_QUEUE:-}" ] || return 0
	for p in /proc/[0-9]*; do
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		if [ "$cwd" = "$PF_QUEUE" ] ||
			{ tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "MAIL_CONFIG=$PF_CONF"; then
			echo "${p#/proc/}"
		fi
	done
}

pf_stop() {
	[ -n "${PF_QUEUE:-}" ] || return 0
	local pid i strays
	if pid=$(pf_master_pid); then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	# master TERMs its process group; anything left is a stray
	for i in $(seq 1 30); do
		strays=$(pf_instance_pids | grep -vx "$$")
		[ -z "$strays" ] && return 0
		[ "$i" = 10 ] && kill -TERM $strays 2>/dev/null
		[ "$i" = 20 ] && kill -KILL $strays 2>/dev/null
		sleep 0.1
	done
	pf_die "processes left behind: $strays"
	return 1
}

pf_sink_files() {
	[ -d "$PF_SINK/new" ] || return 0
	ls -1tr "$PF_SINK/new" 2>/dev/null | sed "s|^|$PF_SINK/new/|"
}

pf_sink_count() { pf_sink_files | grep -c . ; }

pf_wait_delivered() {
	local n=$1 secs=${2:-20} i
	for i in $(seq 1 $((secs * 10))); do
		[ "$(pf_sink_count)" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

pf_log() { cat "$PF_MAILLOG" 2>/dev/null; }

pf_wait_log() {
	local re=$1 secs=${2:-10} i
	for i in $(seq 1 $((secs * 10))); do
		grep -Eq -- "$re" "$PF_MAILLOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
