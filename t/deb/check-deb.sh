#!/bin/bash
# check-deb.sh — the Debian package, as an administrator meets it (make check-deb,
# as root, on Debian 12): build it from the release tarball with
# dpkg-buildpackage, lint it (no lintian error or warning), install it, check that
# it waits for a configuration that passes relayguard -n, then run the daemon as
# its systemd unit would (ExecStartPre, ExecStart; no systemd as PID 1 here),
# log in through its SASL socket, relayguardctl stats and reload, stop it, remove
# and purge the package, and check that nothing is left behind.
#
# This installs into the machine's own /usr, /etc and /var (that is the point);
# the package, its user and /run/relayguard are removed again at exit, also when
# a check fails.
#   TARBALL       the release tarball (make dist)
#   top_builddir  for t/authd/dvclient
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/t/tap.sh"

PKG=relayguard
CONF=/etc/relayguard/relayguard.conf
UNIT=/lib/systemd/system/relayguard.service
RUN=/run/relayguard
DV=$top_builddir/t/authd/dvclient

[ "$(id -u)" = 0 ] || skip_all "must run as root (dpkg -i)"
for tool in dpkg-buildpackage lintian dpkg runuser; do
	command -v $tool >/dev/null || skip_all "$tool not installed (sh bootstrap)"
done
[ -x "$DV" ] || skip_all "t/authd/dvclient not built (make t/authd/dvclient)"
[ -f "${TARBALL:-}" ] || skip_all "no release tarball (TARBALL=${TARBALL:-unset}; make dist)"

# a package or user left by an earlier run that failed is removed first; a
# relayguard user that is not ours is not touched
if dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q 'installed\|config-files'; then
	diag "removing $PKG left installed by an earlier run"
	dpkg --purge $PKG >/dev/null 2>&1
fi
if getent passwd relayguard >/dev/null; then
	bail_out "a user 'relayguard' exists outside the package: not touching this machine"
fi
if [ -e $RUN ]; then
	# an empty folder left behind is removed; one in use is not touched
	if pgrep -x relayguard >/dev/null || [ -n "$(ls -A $RUN 2>/dev/null)" ]; then
		bail_out "$RUN is in use: is a relayguard running on this machine?"
	fi
	rmdir $RUN
fi

W=$(tap_tmpdir check-deb) || bail_out "cannot make a private folder"
chmod 0755 "$W"
daemon_pid=
cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"
		for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$daemon_pid" 2>/dev/null
	fi
	if dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q 'installed\|config-files'; then
		dpkg --purge $PKG >/dev/null 2>&1
	fi
	rm -rf $RUN
}
tap_at_exit cleanup

# ---- build ----
tar xzf "$TARBALL" -C "$W" || bail_out "cannot unpack $TARBALL"
src=$(echo "$W"/relayguard-*/)
[ -f "$src/debian/control" ] || bail_out "the tarball has no debian/ folder"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$W/build.log" 2>&1
ok $? "dpkg-buildpackage -us -uc -b builds from the release tarball" ||
	bail_out "build failed: $(tail -n 30 "$W/build.log")"
deb=$(ls "$W"/${PKG}_*_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ]
ok $? "it made ${deb##*/}" || bail_out "no .deb"
like "$(grep -E '^# (PASS|FAIL):' "$W/build.log" | tr '\n' ' ')" '# PASS: +[0-9]+ # FAIL: +0' \
	"the build ran the unit tests, none failed"

# ---- lintian: no error, no warning (overrides are justified in debian/) ----
lintian --profile debian --fail-on error,warning "$W"/${PKG}_*.changes >"$W/lintian.out" 2>&1
st=$?
ok $st "lintian: no errors, no warnings (exit $st)" || diag "$(cat "$W/lintian.out")"
unlike "$(cat "$W/lintian.out")" '^[EW]: ' "lintian printed no E: or W: line"

# ---- install ----
dpkg -i "$deb" >"$W/install.log" 2>&1
ok $? "dpkg -i installs it" || bail_out "$(cat "$W/install.log")"
dpkg-query -L $PKG >"$W/files.txt"
for f in /usr/sbin/relayguard /usr/sbin/relayguardctl $UNIT \
	/usr/share/man/man8/relayguard.8.gz /usr/share/man/man8/relayguardctl.8.gz \
	/usr/share/man/man5/relayguard.conf.5.gz \
	/usr/share/doc/relayguard/examples/main.cf.snippet \
	/usr/share/doc/relayguard/examples/master.cf.snippet \
	/usr/share/doc/relayguard/examples/relayguard.mc \
	/usr/share/doc/relayguard/examples/Sendmail.conf \
	/usr/share/doc/relayguard/examples/relayguard.conf /usr/share/doc/relayguard/README.Debian; do
	[ -s "$f" ]
	ok $? "installed: $f"
done
grep -qx "$CONF" /var/lib/dpkg/info/$PKG.conffiles
ok $? "$CONF is a conffile"
is "$(stat -c '%a %U:%G' "$CONF")" "640 root:relayguard" "$CONF: mode 0640, group relayguard"
getent passwd relayguard >/dev/null && getent group relayguard >/dev/null
ok $? "system user and group relayguard created"
is "$(getent passwd relayguard | cut -d: -f6,7)" "/var/lib/relayguard:/usr/sbin/nologin" \
	"its home is /var/lib/relayguard, no login shell"
[ "$(id -u relayguard)" -lt 1000 ]
ok $? "it is a system user (uid $(id -u relayguard))"
is "$(stat -c '%a %U:%G' /var/lib/relayguard)" "750 relayguard:relayguard" \
	"/var/lib/relayguard owned by relayguard, mode 0750"
[ -L /etc/systemd/system/multi-user.target.wants/relayguard.service ]
ok $? "the unit is enabled (multi-user.target.wants)"

# ---- not started until the configuration passes relayguard -n ----
! pgrep -f '^/usr/sbin/relayguard( |$)' >/dev/null
ok $? "no relayguard daemon runs after a fresh install"
relayguard -n -c "$CONF" >"$W/n1.out" 2>&1
st=$?
ok $((st == 0)) "relayguard -n refuses the installed configuration as shipped (exit $st)"
like "$(cat "$W/n1.out")" "auth.db" "because the user database does not exist yet"
grep -q "^ExecStartPre=/usr/sbin/relayguard -n -c $CONF\$" $UNIT
ok $? "the unit runs relayguard -n before it starts the daemon"

# ---- the administrator sets it up, as README.Debian says ----
runuser -u relayguard -- relayguardctl -c "$CONF" db init >"$W/init.out" 2>&1
ok $? "runuser -u relayguard -- relayguardctl db init" || diag "$(cat "$W/init.out")"
printf 'Alice-pw-1\n' | runuser -u relayguard -- relayguardctl -c "$CONF" user add alice@example.org \
	>"$W/add.out" 2>&1
ok $? "relayguardctl user add alice@example.org" || diag "$(cat "$W/add.out")"
relayguard -n -c "$CONF" >"$W/n2.out" 2>&1
ok $? "relayguard -n now accepts the installed configuration" || diag "$(cat "$W/n2.out")"

# ---- start it as the unit would: RuntimeDirectory, ExecStartPre, ExecStart (forking) ----
unit_cmd() { sed -n "s/^$1=//p" $UNIT | head -n 1; }
pre=$(unit_cmd ExecStartPre)
start=$(unit_cmd ExecStart)
pidfile=$(unit_cmd PIDFile)
[ -n "$pre" ] && [ -n "$start" ] && [ -n "$pidfile" ]
ok $? "the unit has ExecStartPre, ExecStart and PIDFile" || bail_out "cannot read $UNIT"
rtdir=$(unit_cmd RuntimeDirectory)
install -d -m "$(unit_cmd RuntimeDirectoryMode)" "/run/$rtdir"
export RUNTIME_DIRECTORY=/run/$rtdir	# as systemd names it to the service
$pre >"$W/pre.out" 2>&1
ok $? "ExecStartPre ($pre) passes" || diag "$(cat "$W/pre.out")"
$start >"$W/start.out" 2>&1
st=$?
unset RUNTIME_DIRECTORY
(exit $st)
ok $? "ExecStart ($start) returns 0 once the daemon is ready (Type=forking)" ||
	diag "$(cat "$W/start.out")"
for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.2; done
daemon_pid=$(cat "$pidfile" 2>/dev/null)
[ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null
ok $? "the daemon runs, its PID in $pidfile ($daemon_pid)" || bail_out "no daemon"
is "$(ps -o user= -p "$daemon_pid" | tr -d ' ')" relayguard "it dropped root: runs as user relayguard"
for s in auth mux milter.sock control; do
	[ -S "$RUN/$s" ]
	ok $? "socket $RUN/$s"
done
is "$(stat -c '%a %G' $RUN/auth)" "660 relayguard" "the SASL socket: mode 0660, group relayguard"
is "$("$DV" $RUN/auth plain alice@example.org Alice-pw-1)" "OK 1 user=alice@example.org" \
	"a login through the installed daemon's Dovecot socket: OK"
matches "$("$DV" $RUN/auth plain alice@example.org wrong)" "FAIL 1 *" "a wrong password: FAIL"
stats=$(relayguardctl -c "$CONF" stats 2>&1)
ok $? "relayguardctl stats talks to it" || diag "$stats"
like "$stats" "ok[^0-9]*1\b" "and counts the login" || diag "$stats"
out=$(relayguardctl -c "$CONF" reload 2>&1)
ok $? "relayguardctl reload (the unit's ExecReload): exit 0 ($out)"

# ---- stop (SIGTERM, as systemd does) ----
kill -TERM "$daemon_pid"
for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
! kill -0 "$daemon_pid" 2>/dev/null
ok $? "SIGTERM stops it"
daemon_pid=
[ ! -e $RUN/auth ] && [ ! -e $RUN/control ] && [ ! -e $RUN/milter.sock ]
ok $? "its sockets are gone (it could remove them from the runtime folder after dropping root)"
[ ! -e "$pidfile" ]
ok $? "and its pidfile"
rm -rf "/run/$rtdir"	# systemd removes the RuntimeDirectory at stop

# ---- remove keeps the configuration, purge removes everything ----
dpkg -r $PKG >"$W/remove.log" 2>&1
ok $? "dpkg -r" || diag "$(cat "$W/remove.log")"
[ ! -e /usr/sbin/relayguard ] && [ -f "$CONF" ] && [ -f /var/lib/relayguard/auth.db ]
ok $? "remove: the binaries go, the configuration and the user database stay"
dpkg --purge $PKG >"$W/purge.log" 2>&1
ok $? "dpkg --purge" || diag "$(cat "$W/purge.log")"
left=
while read -r f; do
	case $f in
	/. | /etc | /lib | /lib/systemd | /lib/systemd/system | /usr | /usr/sbin | /usr/share | \
		/usr/share/doc | /usr/share/man | /usr/share/man/man5 | /usr/share/man/man8 | \
		/usr/share/lintian | /usr/share/lintian/overrides | /var | /var/lib) continue ;;
	esac
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$W/files.txt"
is "$left" "" "purge: none of the package's files is left"
[ ! -e /etc/relayguard ] && [ ! -e /var/lib/relayguard ]
ok $? "purge: /etc/relayguard and /var/lib/relayguard removed"
! getent passwd relayguard >/dev/null && ! getent group relayguard >/dev/null
ok $? "purge: user and group relayguard removed"
[ ! -e /etc/systemd/system/multi-user.target.wants/relayguard.service ] &&
	! ls /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null | grep -q relayguard
ok $? "purge: no systemd enablement left"
is "$(dpkg-query -W -f='${Status}' $PKG 2>&1 | grep -c 'installed\|config-files')" 0 \
	"dpkg knows nothing of the package any more"
done_testing
