#!/bin/sh
# vault-store.sh — the vault store in the real daemon, against
# t/vault/vault_standin.py (a stand-in for Vault's KV v2 and AppRole endpoints:
# no Vault server is packaged for Debian 12) over TLS with a test CA, so the real
# libcurl/OpenSSL path runs.  Driven by t/authd/dvclient (Dovecot protocol).  TAP.
#
# Only a secret the KV engine says is missing is "unknown" (FAIL); 403, 500, a
# timeout, JSON that is not KV v2's, a 404 from a wrong mount, a server that is
# down, a certificate from another CA: temporary failures (connection closed),
# never FAIL and never OK.  A change in Vault is seen at the next login; with
# read_ttl_ms it waits that long.  AppRole: login, renewal past 2/3 of the lease,
# a new login when the token expired.  The Vault Agent route: a passwd-file
# rendered from Vault and replaced by rename is read without a reload.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require dvclient openssl python3 curl
rg_workdir vault-store

has() { # FILE FIXED-STRING NAME
	if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3" "no '$2' in $1:" "$(tail -5 "$1")"; fi; }

# ---- a test CA, the server's certificate, a client certificate, another CA ----
ssl() { openssl "$@" >>"$W/openssl.log" 2>&1; }
mkcert() { # NAME CN CA-PREFIX EXTFILE
	ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$1.key" \
		-out "$W/$1.csr" -subj "/CN=$2" &&
	ssl x509 -req -in "$W/$1.csr" -CA "$W/$3.pem" -CAkey "$W/$3.key" -CAcreateserial \
		-out "$W/$1.pem" -days 2 -extfile "$4"
}
for ca in ca otherca; do
	ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$ca.key" \
		-out "$W/$ca.pem" -days 2 -subj "/CN=relayguard test $ca" ||
		bail_out "openssl could not make a test CA: $(tail -3 "$W/openssl.log")"
done
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$W/srv.ext"
printf 'extendedKeyUsage=clientAuth\n' >"$W/cli.ext"
mkcert srv 127.0.0.1 ca "$W/srv.ext" && mkcert cli relayguard ca "$W/cli.ext" ||
	bail_out "openssl could not make the certificates: $(tail -3 "$W/openssl.log")"

# ---- the secrets ----
H_ALICE=$(rg_hash alice-pw)
H_SPACE=$(rg_hash space-pw)
H_CAROL=$(rg_hash carol-pw)
data() { # the stand-in's secrets; $1: alice's "enabled"
	cat >"$W/data.json.tmp" <<EOF
{"mounts": {"secret": {
  "smtp-auth/alice": {"password": "$H_ALICE", "enabled": "$1", "act_as": "alice,sales",
                      "senders": ["alice@acme.example", "@alice.example"], "tenants": "acme"},
  "smtp-auth/a b=c%d": {"password": "$H_SPACE"},
  "smtp-auth/carol": {"password": "$H_CAROL", "enabled": false},
  "smtp-auth/nopw": {"hash": "$H_ALICE"},
  "smtp-auth/badenabled": {"password": "$H_ALICE", "enabled": "maybe"},
  "smtp-auth/oops500": {"__status": 500},
  "smtp-auth/deny403": {"__status": 403},
  "smtp-auth/slow": {"__sleep": 3, "password": "$H_ALICE"},
  "smtp-auth/garbage": {"__raw": "<html>proxy error</html>"},
  "smtp-auth/gone": {"__deleted": true, "password": "$H_ALICE"},
  "admin": {"password": "$H_ALICE"}
}}}
EOF
	mv "$W/data.json.tmp" "$W/data.json"
}
data true
echo "s.static-token-1" >"$W/token"
echo "s.static-token-1" >"$W/tokens"	# what the stand-in accepts
echo "role-1234" >"$W/role_id"
echo "secret-5678" >"$W/secret_id"
echo "secret-5678" >"$W/accepted_secret_id"	# the AppRole's valid secret_ids, in the stand-in

PORTS=
standin() { # NAME [ARGS...]: start a stand-in, its port in $W/NAME.port
	n=$1
	shift
	rm -f "$W/$n.port"
	python3 "$top_srcdir/t/vault/vault_standin.py" --cert "$W/srv.pem" --key "$W/srv.key" \
		--data "$W/data.json" --port-file "$W/$n.port" --log "$W/vault-$n.log" \
		--tokens-file "$W/tokens" --role-id-file "$W/role_id" --secret-id-file "$W/accepted_secret_id" \
		"$@" 2>>"$W/$n.err" &
	eval "PID_$n=$!"
	track $!
	wait_until 10 test -s "$W/$n.port" || bail_out "the Vault stand-in $n did not start: $(cat "$W/$n.err")"
	eval "PORT_$n=$(cat "$W/$n.port")"
}
standin main
standin approle --ttl 3 --max-ttl 60
standin mtls --client-ca "$W/ca.pem"

conf() { # NAME STORE-KEYS...: a daemon config with one vault store
	n=$1
	shift
	case "$*" in *"path ="*) p= ;; *) p='path = "smtp-auth/%u";' ;; esac
	case "$*" in *"ca_file ="*) c= ;; *) c="ca_file = \"$W/ca.pem\";" ;; esac
	cat >"$W/$n.conf" <<CONF
pidfile = "$W/$n.pid";
control_socket = "";
milter: { enabled = false; };
passwords: { argon2_memory_kib = 64; argon2_iterations = 1; };
auth: { dovecot_socket = "$W/$n.auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ({ type = "vault"; name = "vault"; $p $c
            timeout_ms = 1000; $* });
CONF
}
conf main "address = \"https://127.0.0.1:$PORT_main/\"; token_file = \"$W/token\";"

# ---- relayguard -n checks what it can without asking Vault ----
check() { # NAME STORE-KEYS... → relayguard -n's output
	n=$1
	shift
	conf "$n" "$*"
	"$RG" -n -c "$W/$n.conf" 2>&1
}
like "$(check n1 "address = \"http://127.0.0.1:1\"; token_file = \"$W/token\";")" \
	'must be https://host' "-n refuses a plain http address"
like "$(check n2 "address = \"https://127.0.0.1:1\"; token_file = \"$W/token\"; path = \"smtp/user\";")" \
	'path "smtp/user": needs exactly one %u' "-n refuses a path without %u"
like "$(check n3 "address = \"https://127.0.0.1:1\"; path = \"../%u\"; token_file = \"$W/token\";")" \
	"a '.' or '..' segment" "-n refuses a path with .."
like "$(check n4 "address = \"https://127.0.0.1:1\"; token_file = \"$W/token\"; role_id_file = \"$W/role_id\"; secret_id_file = \"$W/secret_id\";")" \
	'one of the two' "-n refuses a token file and AppRole together"
like "$(check n5 "address = \"https://127.0.0.1:1\"; token_file = \"$W/nosuch\";")" \
	"cannot open $W/nosuch" "-n says the token file is missing"
out=$(check n6 "address = \"https://127.0.0.1:1\"; token_file = \"$W/token\";")
is "$?" 0 "-n accepts a valid vault store without contacting Vault (nothing listens on port 1)"
unlike "$out" 's.static-token-1' "-n does not print the token"
cat >"$W/n7.conf" <<CONF
milter: { enabled = true; socket = "unix:$W/n7.sock"; };
auth: { enabled = false; };
senders: { unauthenticated = "reject_owned"; };
stores = ({ type = "vault"; name = "kv"; address = "https://127.0.0.1:1"; path = "smtp-auth/%u";
            token_file = "$W/token"; });
CONF
like "$("$RG" -n -c "$W/n7.conf" 2>&1)" \
	'warning: senders.unauthenticated = reject_owned does not see the sender grants of vault store "kv"' \
	"-n warns that reject_owned cannot search a vault store's grants"

rg_start_or_bail "$W/main.conf" "$W/main.log" "$W/main.auth"
dv() { "$DV" "$W/$1.auth" plain "$2" "$3" 2>&1; }
reads() { grep -c "^GET /v1/secret/data/smtp-auth/$2 " "$W/vault-$1.log"; }

is "$(dv main alice alice-pw)" "OK 1 user=alice" "a user in Vault: the right password is OK"
is "$(dv main alice wrong)" "FAIL 1 reason=Authentication failed" "a wrong password: FAIL"
is "$(dv main nobody x)" "FAIL 1 reason=Authentication failed" "a secret Vault does not have: unknown user (FAIL)"
is "$(dv main gone alice-pw)" "FAIL 1 reason=Authentication failed" "a deleted secret version: unknown user (FAIL)"
is "$(dv main carol carol-pw)" "FAIL 1 reason=Authentication failed" "enabled = false (JSON): refused"
is "$(dv main 'a b=c%d' space-pw)" "OK 1 user=a b=c%d" "a name with a space, '=' and '%': OK"
has "$W/vault-main.log" "GET /v1/secret/data/smtp-auth/a%20b%3Dc%25d 200" \
	"... asked for with the name percent-encoded"
is "$(dv main ../admin alice-pw)" "FAIL 1 reason=Authentication failed" "'../admin': not a user"
is "$(dv main . alice-pw)" "FAIL 1 reason=Authentication failed" "'.': not a user"
is "$(grep -c -e 'admin' -e '/smtp-auth/\. ' "$W/vault-main.log")" 0 \
	"... and Vault was never asked for a path outside the template"

# ---- every failure is a tempfail ----
for u in nopw badenabled oops500 deny403 garbage slow; do
	is "$(dv main $u alice-pw)" "CLOSED" "$u: temporary failure (closed), not FAIL, not OK"
done
is "$(grep -c '^GET /v1/secret/data/smtp-auth/deny403 403' "$W/vault-main.log")" 2 \
	"403: the token file is read again and the request retried once"
has "$RG_LOG" 'store vault: user lookup: "HTTP 500 stand-in failure"' "the log names Vault's error (500)"
has "$RG_LOG" 'has no field \"password\"' "the log says the secret has no password field"
has "$RG_LOG" 'field \"enabled\" is neither true nor false' "the log says enabled is unreadable"
has "$RG_LOG" 'answer is not JSON' "the log says the answer is not JSON"
has "$RG_LOG" 'Operation timed out' "the log says the request timed out"

# ---- a change in Vault is seen at the next login, no reload ----
data false
is "$(dv main alice alice-pw)" "FAIL 1 reason=Authentication failed" "alice disabled in Vault: refused at once"
data true
is "$(dv main alice alice-pw)" "OK 1 user=alice" "enabled again: OK at once"

# ---- the token file is re-read when it changes (Vault Agent's sink) ----
echo "s.static-token-2" >"$W/tokens"
is "$(dv main alice alice-pw)" "CLOSED" "the token was revoked in Vault: temporary failure"
echo "s.static-token-2" >"$W/token.tmp" && mv "$W/token.tmp" "$W/token"
is "$(dv main alice alice-pw)" "OK 1 user=alice" "a new token in the file: used at the next login"

# ---- Vault down, then back ----
kill "$PID_main"; wait "$PID_main" 2>/dev/null
is "$(dv main alice alice-pw)" "CLOSED" "Vault down: temporary failure"
standin main --port "$PORT_main"
is "$(dv main alice alice-pw)" "OK 1 user=alice" "Vault back: OK again"
rg_stop

# ---- a server certificate from another CA; client certificates ----
conf otherca "address = \"https://127.0.0.1:$PORT_main\"; token_file = \"$W/token\"; ca_file = \"$W/otherca.pem\";"
rg_start_or_bail "$W/otherca.conf" "$W/otherca.log" "$W/otherca.auth"
is "$(dv otherca alice alice-pw)" "CLOSED" "a server certificate the CA file does not vouch for: temporary failure"
like "$(cat "$W/otherca.log")" 'certificate' "... and the log says why"
rg_stop
conf mtls "address = \"https://127.0.0.1:$PORT_mtls\"; token_file = \"$W/token\"; cert_file = \"$W/cli.pem\"; key_file = \"$W/cli.key\";"
conf nocert "address = \"https://127.0.0.1:$PORT_mtls\"; token_file = \"$W/token\";"
rg_start_or_bail "$W/mtls.conf" "$W/mtls.log" "$W/mtls.auth"
rg_start_or_bail "$W/nocert.conf" "$W/nocert.log" "$W/nocert.auth"
is "$(dv mtls alice alice-pw)" "OK 1 user=alice" "a server that wants a client certificate: OK with cert_file/key_file"
is "$(dv nocert alice alice-pw)" "CLOSED" "... and a temporary failure without one"

# ---- a wrong mount: Vault's 404 is not "unknown user" ----
conf mount "address = \"https://127.0.0.1:$PORT_main\"; token_file = \"$W/token\"; mount = \"kv\";"
rg_start_or_bail "$W/mount.conf" "$W/mount.log" "$W/mount.auth"
is "$(dv mount alice alice-pw)" "CLOSED" "mount that does not exist (404 no handler): temporary failure"
is "$(dv mount nobody x)" "CLOSED" "... for every user, known or not"
has "$W/mount.log" 'not from a KV version 2 secret (is mount \"kv\" right?)' "the log points at the mount"

# ---- read_ttl_ms: one read per user and period ----
conf ttl "address = \"https://127.0.0.1:$PORT_main\"; token_file = \"$W/token\"; read_ttl_ms = 1500;"
rg_start_or_bail "$W/ttl.conf" "$W/ttl.log" "$W/ttl.auth"
: >"$W/vault-main.log"
dv ttl alice alice-pw >/dev/null; dv ttl alice alice-pw >/dev/null
is "$(dv ttl alice alice-pw)" "OK 1 user=alice" "read_ttl_ms: OK"
is "$(reads main alice)" 1 "read_ttl_ms: three logins, one read"
data false
is "$(dv ttl alice alice-pw)" "OK 1 user=alice" "read_ttl_ms: a change waits for the period (documented)"
sleep 1.6
is "$(dv ttl alice alice-pw)" "FAIL 1 reason=Authentication failed" "... and is seen after it"
data true

# ---- AppRole: login, renewal, expiry ----
conf approle "address = \"https://127.0.0.1:$PORT_approle\"; role_id_file = \"$W/role_id\"; secret_id_file = \"$W/secret_id\";"
rg_start_or_bail "$W/approle.conf" "$W/approle.log" "$W/approle.auth"
is "$(dv approle alice alice-pw)" "OK 1 user=alice" "AppRole: OK"
is "$(dv approle alice alice-pw)" "OK 1 user=alice" "AppRole: OK again"
is "$(grep -c '^POST /v1/auth/approle/login 200' "$W/vault-approle.log")" 1 "AppRole: one login for both"
sleep 2.2	# lease 3 s: past two thirds
is "$(dv approle alice alice-pw)" "OK 1 user=alice" "AppRole: OK past 2/3 of the lease"
is "$(grep -c '^POST /v1/auth/token/renew-self 200' "$W/vault-approle.log")" 1 "... after renewing the token"
is "$(grep -c '^POST /v1/auth/approle/login 200' "$W/vault-approle.log")" 1 "... without a new login"
curl -sk -X POST "https://127.0.0.1:$PORT_approle/test/expire-tokens" >/dev/null
is "$(dv approle alice alice-pw)" "OK 1 user=alice" "AppRole: the token expired in Vault: OK"
has "$W/vault-approle.log" "/smtp-auth/alice 403" "... after a 403"
is "$(grep -c '^POST /v1/auth/approle/login 200' "$W/vault-approle.log")" 2 "... and a new login"
echo "secret-other" >"$W/accepted_secret_id"	# relayguard's secret_id revoked in Vault
curl -sk -X POST "https://127.0.0.1:$PORT_approle/test/expire-tokens" >/dev/null
is "$(dv approle alice alice-pw)" "CLOSED" "AppRole: the secret_id no longer valid: temporary failure"
has "$W/approle.log" 'AppRole login: HTTP 400 invalid role or secret ID' "... and the log says the login failed"

# ---- the milter's questions through Vault: known identity, sender grants, tenants ----
cat >"$W/milter.conf" <<CONF
pidfile = "$W/milter.pid";
control_socket = "";
milter: { enabled = true; socket = "unix:$W/milter.sock"; require_known_identity = true; };
auth: { enabled = false; };
senders: { check_envelope = true; check_from = true; };
tenants: { header = "X-Tenant"; };
stores = ({ type = "vault"; name = "vault"; path = "smtp-auth/%u"; ca_file = "$W/ca.pem";
            timeout_ms = 1000; address = "https://127.0.0.1:$PORT_main"; token_file = "$W/token"; });
CONF
rg_start_or_bail "$W/milter.conf" "$W/milter.log" "$W/milter.sock"
session() { # ID AUTHEN STEPS...: one SMTP session of an authenticated client over TLS
	id=$1 who=$2
	shift 2
	python3 "$top_srcdir/t/milter/milter_client.py" "$W/milter.sock" negotiate \
		"macro:C:j=mx.relayguard.test,{daemon_name}=submission" connect:client.example:192.0.2.7 \
		"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
		helo:client.example "macro:M:i=$id,{auth_type}=PLAIN,{auth_authen}=$who" "$@" quit 2>&1
}
like "$(session V1 alice mail:alice@acme.example header:From:alice@acme.example header:X-Tenant:acme eoh)" \
	'eoh (accept|continue)' "milter: alice's own address and her tenant (both from Vault): passes"
like "$(session V2 alice mail:ceo@globex.example)" \
	'mail replycode 553 5.7.1 <ceo@globex.example>: Sender address rejected: not owned by user alice' \
	"milter: an address Vault does not grant alice: 553"
like "$(session V3 alice mail:bob@alice.example header:From:bob@alice.example eoh)" \
	'eoh (accept|continue)' "milter: an @domain grant from Vault covers any user of the domain"
like "$(session V4 alice mail:alice@acme.example header:From:alice@acme.example header:X-Tenant:globex eoh)" \
	'eoh replycode 550 5.7.1' "milter: a tenant Vault does not list for alice (and no config knows): 550"
like "$(session V5 nobody mail:nobody@acme.example)" 'mail replycode 5' \
	"milter: an identity Vault does not know: refused"
# a session open across a change in Vault: its next MAIL FROM sees it
session V6 alice mail:alice@acme.example abort "wait:$W/changed" \
	"macro:M:i=V6b,{auth_type}=PLAIN,{auth_authen}=alice" mail:alice@acme.example >"$W/v6.out" &
v6=$!
wait_until 10 grep -q '^mail continue' "$W/v6.out"
data false
touch "$W/changed"
wait "$v6"
is "$(cat "$W/v6.out" | grep '^mail' | tr '\n' '|')" \
	"mail continue|mail replycode 550 5.7.1 Sender identity is not permitted to send|" \
	"milter: alice disabled in Vault during her session: the next MAIL FROM is refused"
data true
kill "$PID_main"; wait "$PID_main" 2>/dev/null
like "$(session V8 alice mail:alice@acme.example)" 'mail replycode 451 4' "milter: Vault down: 451"
standin main --port "$PORT_main"
like "$(session V9 alice mail:alice@acme.example)" 'mail continue' "milter: Vault back: passes"
rg_stop

# ---- the Vault Agent route: a passwd-file rendered from Vault, replaced by rename ----
cat >"$W/agent.conf" <<CONF
pidfile = "$W/agent.pid";
control_socket = "";
milter: { enabled = false; };
passwords: { argon2_memory_kib = 64; argon2_iterations = 1; };
auth: { dovecot_socket = "$W/agent.auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ({ type = "passwd-file"; path = "$W/rendered"; });
CONF
render() { # what Vault Agent's template does: read the secrets, write a temporary file, rename
	for u in alice carol; do
		curl -s --cacert "$W/ca.pem" -H "X-Vault-Token: $(cat "$W/token")" \
			"https://127.0.0.1:$PORT_main/v1/secret/data/smtp-auth/$u" |
		python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]["data"]
e=d.get("enabled", True); off=str(e).lower() in ("false","no","0")
print("%s:%s%s" % (sys.argv[1], d["password"], "::::::relayguard_disabled=yes" if off else ""))' "$u"
	done >"$W/rendered.tmp" && chmod 0640 "$W/rendered.tmp" && mv "$W/rendered.tmp" "$W/rendered"
}
render
rg_start_or_bail "$W/agent.conf" "$W/agent.log" "$W/agent.auth"
is "$(dv agent alice alice-pw)" "OK 1 user=alice" "Vault Agent route: the rendered passwd-file works"
data false
render
is "$(dv agent alice alice-pw)" "FAIL 1 reason=Authentication failed" \
	"Vault Agent route: alice disabled in Vault, file re-rendered: refused without a reload"
is "$(logcount 'reload done' "$W/agent.log")" 0 "... and there was no reload"

for f in "$W"/*.log; do
	case $f in */openssl.log) continue ;; esac
	if grep -q -e 'alice-pw' -e 'static-token' -e 'secret-5678' -e 'hvs\.' "$f"; then
		fail "no password, token or secret_id in $f" "$(grep -e 'alice-pw' -e 'static-token' -e 'secret-5678' -e 'hvs\.' "$f" | head -3)"
	else pass "no password, token or secret_id in $(basename "$f")"; fi
done
done_testing
