#!/bin/sh
# t/config-check.sh — `relayguard -n -c FILE` on good and broken configs:
# exit codes, and every problem listed as file:line: message.  TAP output.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
srcdir=$top_srcdir
builddir=$top_builddir
conf=$srcdir/t/conf
rg_require
tmp=$(tap_tmpdir config-check) || bail_out "cannot make a folder under $top_builddir/t/tmp"

# run FILE: sets $status, $out (stdout), $err (stderr)
run() {
	"$RG" -n -c "$1" >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
# has TEXT: stderr contains TEXT as a fixed string
has() { grep -qF -- "$1" "$tmp/err"; }
show() { sed 's/^/#   /' "$tmp/err"; }

# ---- good configs ----------------------------------------------------------------
run "$conf/good.conf"
ok $((status != 0)) "good.conf: exit 0"
echo "$out" | grep -qF "configuration OK"; ok $? "good.conf: says configuration OK"
has "$conf/good.conf:31: warning: tenant \"Open-Tenant\" has no require_authz: open to every authenticated identity"
ok $? "good.conf: warns about the tenant open to every identity, with its line"
has "$conf/good.conf:31: warning: tenant \"Open-Tenant\" has no allowed_domains: its mail may use any From: and envelope domain"
ok $? "good.conf: warns about the tenant without allowed domains, with its line"
[ "$status" -eq 0 ] || show

# tenants.missing = from_domain with a domain entry two tenants list: warned
cat >"$tmp/fromdomain.conf" <<EOF
milter: { socket = "unix:$tmp/m.sock"; };
auth: { enabled = false; };
stores = ( { type = "passwd-file"; path = "$tmp/nousers"; } );
tenants: { missing = "from_domain";
  list = ( { name = "acme"; require_authz = [ "a" ]; allowed_domains = [ "acme.example", "*.shared.example" ]; },
           { name = "globex"; require_authz = [ "g" ];
             allowed_domains = [ "globex.example", "*.Shared.Example" ]; } ); };
EOF
echo "# no users" >"$tmp/nousers"
run "$tmp/fromdomain.conf"
has "warning: tenants.missing = from_domain: domain entry \"*.shared.example\" is listed by tenants acme and globex"
ok $? "from_domain: -n warns about a domain entry two tenants list (after normalizing case)" || show
sed -i 's/"\*.Shared.Example"/"other.example"/' "$tmp/fromdomain.conf"
run "$tmp/fromdomain.conf"
! grep -q 'is listed by tenants' "$tmp/err"
ok $? "from_domain: no warning once the entries differ" || show

# the guard: state_error = accept is warned about
cat >"$tmp/guard.conf" <<EOF
milter: { socket = "unix:$tmp/m.sock"; };
auth: { enabled = false; };
stores = ( { type = "passwd-file"; path = "$tmp/nousers"; } );
guard: { enabled = true; messages = [ "100/1h", "1000/1d" ];
         state_error = "accept"; };
EOF
run "$tmp/guard.conf"
has "guard.conf:5: warning: guard.state_error is accept: while the guard's counters cannot be read, messages pass uncounted"
ok $? "guard: -n warns about state_error = accept, with its line" || show
printf 'guard: { messages = [ "100/hour" ]; failed_logins = "0/1h"; };\n' >"$tmp/guard-bad.conf"
run "$tmp/guard-bad.conf"
has "guard.messages[0]: \"100/hour\": expected N/DURATION, as 100/1h or 1000/1d (units s, m, h, d)" &&
	has "guard.failed_logins: \"0/1h\": expected N/DURATION"
ok $? "guard: -n refuses a limit that is not N/DURATION (and N = 0)" || show
printf 'guard: { recipients = [ "1/1h", "2/2h", "3/3h", "4/4h", "5/5h" ]; };\n' >"$tmp/guard-many.conf"
run "$tmp/guard-many.conf"
has "guard.recipients: 5 limits; at most 4 windows per list"
ok $? "guard: -n refuses a fifth window (a message's counts must fit one batch)" || show

# shared_state = redis needs servers and the fleet's secret
printf 'shared_state: { type = "redis"; secret_file = "%s/no-such-key"; servers = [ "localhost" ]; };\n' "$tmp" >"$tmp/ss.conf"
run "$tmp/ss.conf"
has 'shared_state.servers[0]: "localhost": expected unix:/path or host:port' &&
	has "shared_state.secret_file $tmp/no-such-key: No such file or directory"
ok $? "shared_state: -n refuses a server without a port and a missing secret file" || show
printf 'shared_state: { type = "redis"; };\n' >"$tmp/ss2.conf"
run "$tmp/ss2.conf"
has "shared_state: type redis needs servers" && has "shared_state: type redis needs secret_file"
ok $? "shared_state: type redis without servers or secret_file: errors" || show

# a milter that cannot tie sessions to their login (inet socket, or the SASL
# service in another process) is warned about, unless it tempfails them
printf 'milter: { socket = "inet:8891@127.0.0.1"; };\nauth: { dovecot_socket = "%s/a"; saslauthd_socket = ""; };\nstores = ( { type = "passwd-file"; path = "/dev/null"; } );\n' "$tmp" >"$tmp/inet.conf"
run "$tmp/inet.conf"
has "$tmp/inet.conf:1: warning: the milter cannot tie a session to the login behind it (the milter listens on an inet socket)"
ok $? "inet milter socket: -n warns that act-as revocation cannot reach open sessions" || show
printf 'milter: { socket = "unix:%s/m"; };\nauth: { enabled = false; };\nstores = ( { type = "passwd-file"; path = "/dev/null"; } );\n' "$tmp" >"$tmp/split.conf"
run "$tmp/split.conf"
has "(the SASL service runs in another process)"
ok $? "milter without the SASL service: the same warning" || show
printf 'milter: { socket = "unix:%s/m"; };\nauth: { dovecot_socket = "%s/a"; saslauthd_socket = ""; };\nstores = ( { type = "passwd-file"; path = "/dev/null"; } );\n' "$tmp" "$tmp" >"$tmp/unix.conf"
run "$tmp/unix.conf"
! has "cannot tie a session"
ok $? "unix milter socket with the SASL service in the same process: no such warning" || show

run "$srcdir/etc/relayguard.conf"
ok $((status != 0)) "etc/relayguard.conf (the sample) is accepted"
[ "$status" -eq 0 ] || show

# ---- one error each --------------------------------------------------------------
expect_error() {	# FILE LINE MESSAGE
	run "$1"
	ok $((status != 1)) "$(basename "$1"): exit 1"
	has "$1:$2: $3"; ok $? "$(basename "$1"): reports $(basename "$1"):$2: $3"
	has "$1:$2: $3" || show
}
expect_error "$conf/unknown-key.conf" 4 "unknown key 'auth.cache.tll' (did you mean 'ttl'?)"
expect_error "$conf/wrong-type.conf" 2 "milter.require_tls_for_auth: expected a boolean"
expect_error "$conf/out-of-range.conf" 2 "auth.hash_queue: 0 is out of range (1..65536)"
expect_error "$conf/bad-enum.conf" 3 "tenants.unknown: \"maybe\" is not one of: accept, reject"
expect_error "$conf/missing-path.conf" 2 "stores[0]: missing 'path' (required for a sqlite store)"
expect_error "$conf/dup-tenant.conf" 4 "tenants.list[1]: duplicate tenant \"ACME\" (first at line 3)"
expect_error "$conf/syntax.conf" 3 "syntax error"
expect_error "$conf/bad-hash.conf" 3 "stores[0].users[0]: user \"bob\": password:"

run "$tmp/does-not-exist.conf"
ok $((status != 1)) "missing file: exit 1"
has "$tmp/does-not-exist.conf: cannot open: No such file or directory"; ok $? "missing file: says so"

# ---- every problem listed ----------------------------------------------------------
run "$conf/multi.conf"
ok $((status != 1)) "multi.conf: exit 1"
lines=$(wc -l <"$tmp/err")
ok $((lines != 11)) "multi.conf: 11 problems listed (got $lines)"
for want in \
	"2: socket_mode: write the mode as an octal string" \
	"4: milter.socket: \"tcp:25\"" \
	"5: milter.min_tls_version: \"SSLv3\" is not one of" \
	"8: auth.mechanisms[1]: \"CRAM-MD5\" is not one of: PLAIN, LOGIN" \
	"9: auth.failure_delay_ms: -1 is out of range" \
	"10: unknown key 'auth.colour'" \
	"13: stores[0].path: not a key of a static store" \
	"14: stores[1]: missing 'path'" \
	"15: stores[2].type: \"ldap\" is not one of" \
	"18: tenants.header: \"X Tenant\"" \
	"19: tenants.list[0]: tenant name \"bad tenant\""; do
	has "$conf/multi.conf:$want"; ok $? "multi.conf:$want"
done

# ---- stores are opened and every stored hash is checked ----------------------------
H='$argon2id$v=19$m=19456,t=2,p=1$NmE1MWZmZWU3ZDhjOTc5NQ$Wz66bXSgC+bi3zCArR1Qw9ig9z8LDc125vOh8hobLSk'
printf 'alice:%s\nmallory:not-a-hash\n' "$H" >"$tmp/users"
cat >"$tmp/pwfile.conf" <<EOF
auth: { dovecot_socket = "$tmp/auth"; saslauthd_socket = ""; };
milter: { socket = "unix:$tmp/milter.sock"; };
stores = (
  { type = "passwd-file"; path = "$tmp/users"; }
);
EOF
run "$tmp/pwfile.conf"
ok $((status != 1)) "passwd-file with a bad hash: exit 1"
grep -F "$tmp/pwfile.conf:4:" "$tmp/err" | grep -qF "mallory"
ok $? "passwd-file with a bad hash: names the store line and the user"
grep -q alice "$tmp/err"; ok $((! $?)) "passwd-file: the good user is not reported"
has "mallory" || show

printf 'alice:%s\n' "$H" >"$tmp/users"
run "$tmp/pwfile.conf"
ok $((status != 0)) "passwd-file with good hashes: exit 0"
[ "$status" -eq 0 ] || show

sed "s|$tmp/users|$tmp/no-such-users|" "$tmp/pwfile.conf" >"$tmp/pwmissing.conf"
run "$tmp/pwmissing.conf"
ok $((status != 1)) "passwd-file that does not exist: exit 1"
has "$tmp/pwmissing.conf:4: stores[0]"; ok $? "missing passwd-file: store named with its line"
has "$tmp/pwmissing.conf:4: stores[0]" || show

if command -v sqlite3 >/dev/null 2>&1; then
	# relayguardctl's schema; the rows by hand: relayguardctl user add
	# would not store trudy's refused {MD4} hash, which is the point here
	"$builddir/relayguardctl" -c "$tmp/pwfile.conf" db init "$tmp/auth.db" >/dev/null
	sqlite3 "$tmp/auth.db" "INSERT INTO users VALUES('carol', '$H', 1), ('trudy', '{MD4}abc', 1);"
	sed "s|type = \"passwd-file\"; path = \"$tmp/users\"|type = \"sqlite\"; path = \"$tmp/auth.db\"|" \
		"$tmp/pwfile.conf" >"$tmp/sqlite.conf"
	run "$tmp/sqlite.conf"
	ok $((status != 1)) "sqlite with a bad stored hash: exit 1"
	grep -F "$tmp/sqlite.conf:4:" "$tmp/err" | grep -qF "trudy"
	ok $? "sqlite with a bad stored hash: names the user"
	has trudy || show
else
	skip "sqlite3 not installed" 2
fi

# ---- stored hashes over the passwords.max_* limits (never run: refused up front) -----
S16='MTMyZjZmZjRmMDM1Y2U3Zg'; H32='Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o'
{
	printf 'big:$argon2id$v=19$m=4194304,t=1,p=1$%s$%s\n' "$S16" "$H32"		# 4 GiB
	printf 'slow:$argon2id$v=19$m=8192,t=1000,p=1$%s$%s\n' "$S16" "$H32"	# t=1000
	printf 'hugen:$7$I6..../....zHS6RNJZ3Jd/DXln9DeeU1$pz.0V7R8OylZ.fudMIv5wj5.i4yN97LMl0Eb1tOzX34\n'
	printf 'alice:%s\n' "$H"
} >"$tmp/users"
run "$tmp/pwfile.conf"
ok $((status != 1)) "passwd-file with over-limit hashes: relayguard -n exits 1"
for u in big slow hugen; do
	grep -F "$tmp/pwfile.conf:4:" "$tmp/err" | grep -F "user \"$u\"" | grep -qF "stored hash exceeds limits"
	ok $? "over-limit hash of \"$u\" named: stored hash exceeds limits"
done
grep -q 'alice' "$tmp/err"; ok $((! $?)) "the hash within the limits is not reported"
[ "$status" -eq 1 ] || show
{ echo 'passwords: { max_argon2_memory_kib = 4194304; max_argon2_iterations = 1000;'
  echo '  max_scrypt_memory_kib = 1048576; };'; cat "$tmp/pwfile.conf"; } >"$tmp/pwbig.conf"
run "$tmp/pwbig.conf"
ok $((status != 0)) "limits raised in the config: the same hashes are accepted"
[ "$status" -eq 0 ] || show
cat >"$tmp/static-big.conf" <<EOF
auth: { dovecot_socket = "$tmp/auth"; saslauthd_socket = ""; };
milter: { socket = "unix:$tmp/milter.sock"; };
stores = (
  { type = "static";
    users = ( { name = "big"; password = "\$argon2id\$v=19\$m=4194304,t=1,p=1\$$S16\$$H32"; } ); }
);
EOF
run "$tmp/static-big.conf"
ok $((status != 1)) "static store with a 4 GiB Argon2 entry: refused at load"
has "$tmp/static-big.conf:5: stores[0].users[0]: user \"big\": password: stored hash exceeds limits"
ok $? "static store: the entry and the limit are named"
has "stored hash exceeds limits" || show
cat >"$tmp/gen-over.conf" <<EOF
passwords: { argon2_memory_kib = 524288; };
auth: { dovecot_socket = "$tmp/auth"; saslauthd_socket = ""; };
milter: { socket = "unix:$tmp/milter.sock"; };
EOF
run "$tmp/gen-over.conf"
ok $((status != 1)) "argon2_memory_kib above max_argon2_memory_kib: exit 1"
has "$tmp/gen-over.conf:1: passwords.argon2_memory_kib (524288) is above passwords.max_argon2_memory_kib (262144)"
ok $? "says relayguard would refuse its own hashes, with the line"

# ---- socket kinds and exposure ------------------------------------------------------
expect_error "$conf/auth-inet.conf" 3 "auth.dovecot_socket: \"inet:12345@127.0.0.1\": the SASL sockets are unix sockets"
expect_error "$conf/auth-relative.conf" 3 "auth.saslauthd_socket: \"run/relayguard/mux\": expected an absolute path"

# expect_warning FILE LINE MESSAGE — exit 0, "configuration OK", and the warning
expect_warning() {
	run "$1"
	ok $((status != 0)) "$(basename "$1"): a warning is not an error (exit 0)"
	echo "$out" | grep -qF "configuration OK"; ok $? "$(basename "$1"): configuration OK"
	has "$1:$2: warning: $3"; ok $? "$(basename "$1"): warns $(basename "$1"):$2: $3"
	has "$1:$2: warning: $3" || show
}
expect_warning "$conf/world-socket.conf" 4 "socket_mode 0666 lets every local user connect to auth.dovecot_socket, milter.socket"
expect_warning "$conf/milter-public.conf" 5 "milter.socket \"inet:8891@0.0.0.0\" listens beyond loopback"
# a static user's plaintext password: warned when the stores are checked
printf 'passwords: { allow_plaintext = true; };\nstores = ({ type = "static"; users = (\n  { name = "bob"; password = "{PLAIN}secret"; } ); });\n' >"$tmp/plain.conf"
expect_warning "$tmp/plain.conf" 3 "user \"bob\" has a plaintext password"

run "$conf/milter-loopback.conf"
ok $((status != 0)) "milter-loopback.conf: exit 0"
has "listens beyond loopback"; ok $((! $?)) "milter-loopback.conf: a loopback milter is not warned about"
has "socket_mode"; ok $((! $?)) "milter-loopback.conf: socket_mode 0660 is not warned about"
has "warning: milter.socket" && show

# more milter addresses: loopback forms are quiet, anything else warns
milter_conf() {	# SPEC — a copy of milter-loopback.conf with that milter.socket
	sed "s|socket = \"inet:8891@127.0.0.1\"|socket = \"$1\"|" "$conf/milter-loopback.conf" >"$tmp/milter.conf"
	run "$tmp/milter.conf"
}
for spec in "inet:8891@127.0.0.2" "inet:8891@localhost" "inet6:8891@::1" "inet6:8891@[::1]" \
	"unix:/tmp/rg-cc-milter.sock"; do
	milter_conf "$spec"
	has "listens beyond loopback"; r=$?
	ok $((status != 0 || r == 0)) "milter.socket = \"$spec\": exit 0, no warning"
done
for spec in "inet:8891" "inet:8891@192.0.2.1" "inet6:8891@::" "inet6:8891@2001:db8::1" \
	"inet:8891@mx.example.com"; do
	milter_conf "$spec"
	has "milter.socket \"$spec\" listens beyond loopback"; r=$?
	ok $((status != 0 || r != 0)) "milter.socket = \"$spec\": exit 0, warned"
done

# ---- a 0.1 SQLite database (no senders table) with sender checks on -----------------
if command -v sqlite3 >/dev/null; then
	sqlite3 "$tmp/old.db" "CREATE TABLE users(name TEXT PRIMARY KEY NOT NULL, password TEXT NOT NULL,
		enabled INTEGER NOT NULL DEFAULT 1); CREATE TABLE act_as(identity TEXT NOT NULL,
		as_identity TEXT NOT NULL, PRIMARY KEY(identity, as_identity)); CREATE TABLE
		tenants(name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE); CREATE TABLE tenant_authz(tenant
		TEXT NOT NULL COLLATE NOCASE, identity TEXT NOT NULL, PRIMARY KEY(tenant, identity));"
	printf 'stores = ( { type = "sqlite"; path = "%s"; } );\nsenders: { check_envelope = true; };\n' \
		"$tmp/old.db" >"$tmp/old.conf"
	out=$("$RG" -n -c "$tmp/old.conf" 2>&1); s=$?
	ok $s "a 0.1 database with sender checks on: -n passes (logins and identity checks work)"
	like "$out" 'has no senders or tenant_domains table: sender checks will fail temporarily \(451\) until: relayguardctl db init' \
		"... and warns that sender checks will fail until db init"
	"$CTL" -c "$tmp/old.conf" db init >/dev/null 2>&1
	unlike "$("$RG" -n -c "$tmp/old.conf" 2>&1)" 'has no senders' "after relayguardctl db init: no warning"
else
	skip "sqlite3 not installed" 3
fi

# ---- options -------------------------------------------------------------------------
"$RG" -V >"$tmp/out" 2>&1; s=$?
grep -q '^relayguard [0-9]' "$tmp/out"; ok $((s + $?)) "-V prints the version"
"$RG" -x >/dev/null 2>&1; ok $(($? != 2)) "an unknown option exits 2"
"$RG" -K | grep -q '^auth\.cache\.ttl	int	300	'; ok $? "-K prints the key table"

done_testing
