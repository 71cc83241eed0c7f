#!/bin/sh
# make-vectors.sh — regenerate t/vectors/hashes.txt with tools independent of
# relayguard.  This documents where every known-answer vector comes from; the
# unit test (t/unit/test_pwscheme) reads the committed file, it never runs this.
#
#   sh t/vectors/make-vectors.sh > t/vectors/hashes.txt
#
# Tools (Debian 12 packages): argon2 (the reference Argon2 CLI), whois
# (mkpasswd, libxcrypt), openssl (openssl passwd), dovecot-core (doveadm pw),
# python3-passlib (PBKDF2 in passlib's and OpenLDAP's formats) and
# python3-nacl (PyNaCl: libsodium's "$7$" scrypt form; the same library
# relayguard uses, so this vector exercises our dispatch, not an independent
# implementation — mkpasswd's "$7$" is the independent one).
#
# Format: scheme<TAB>password<TAB>hash, where scheme is the name
# rg_pwscheme_name() must report.  Lines starting with '#' are provenance.
# Passwords contain no tab and no newline.
set -eu
PY=/usr/bin/python3
for t in argon2 mkpasswd openssl doveadm; do
	command -v $t >/dev/null || { echo "make-vectors.sh: $t not found" >&2; exit 1; }
done

salt() { openssl rand -hex 8; }	# 16 characters for the argon2 CLI
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }

echo "# relayguard password-scheme known-answer vectors; regenerate: sh t/vectors/make-vectors.sh"
echo "# generated $(date -u +%Y-%m-%d) on $(. /etc/os-release; echo "$PRETTY_NAME")"

echo "# argon2 CLI $(dpkg-query -W -f='${Version}' argon2) (reference implementation)"
a2() {	# scheme password type t memory-KiB p
	row "$1" "$2" "$(printf '%s' "$2" | argon2 "$(salt)" "$3" -t "$4" -k "$5" -p "$6" -e)"
}
a2 ARGON2ID 'secret' -id 2 19456 1
a2 ARGON2ID 'correct horse battery staple' -id 3 65536 1
a2 ARGON2ID 'pässwörd €' -id 1 8192 1
a2 ARGON2ID 'p=4 lanes' -id 2 19456 4
a2 ARGON2ID 'Tr0ub4dor&3' -id 3 4096 4
a2 ARGON2I 'secret' -i 3 4096 1
a2 ARGON2I 'argon2i four lanes' -i 2 16384 4
a2 ARGON2I 'one pass' -i 1 8192 1

echo "# mkpasswd (whois $(dpkg-query -W -f='${Version}' whois), libxcrypt $(dpkg-query -W -f='${Version}' libcrypt1))"
mk() {	# scheme password method [rounds]
	if [ -n "${4:-}" ]; then h=$(printf '%s\n' "$2" | mkpasswd -m "$3" -R "$4" -s)
	else h=$(printf '%s\n' "$2" | mkpasswd -m "$3" -s); fi
	row "$1" "$2" "$h"
}
mk YESCRYPT 'secret' yescrypt
mk YESCRYPT 'yes crypt with spaces' yescrypt 7
mk BLF-CRYPT 'secret' bcrypt 10
mk BLF-CRYPT 'bcrypt 2a' bcrypt-a 8
mk SHA512-CRYPT 'secret' sha512crypt
mk SHA512-CRYPT 'many rounds' sha512crypt 10000
mk SHA256-CRYPT 'secret' sha256crypt
mk SHA256-CRYPT 'sha256 rounds' sha256crypt 20000
mk SCRYPT 'secret' scrypt
mk SCRYPT 'scrypt 6' scrypt 6
mk MD5-CRYPT 'weak md5' md5crypt
echo "# relayguard takes DES crypt only under a {CRYPT} prefix (a bare 13-character"
echo "# string is too easily a plaintext password), so this row gets one."
row DES-CRYPT 'desonly' "{CRYPT}$(printf '%s\n' desonly | mkpasswd -m descrypt -s)"

echo "# openssl passwd ($(openssl version | cut -d' ' -f1-2))"
row SHA512-CRYPT 'openssl six' "$(printf '%s\n' 'openssl six' | openssl passwd -6 -stdin)"
row SHA256-CRYPT 'openssl five' "$(printf '%s\n' 'openssl five' | openssl passwd -5 -stdin)"
row MD5-CRYPT 'openssl one' "$(printf '%s\n' 'openssl one' | openssl passwd -1 -stdin)"

echo "# doveadm pw (dovecot-core $(dpkg-query -W -f='${Version}' dovecot-core))"
dv() {	# scheme-name password doveadm-scheme [rounds]
	if [ -n "${4:-}" ]; then h=$(doveadm pw -s "$3" -r "$4" -p "$2")
	else h=$(doveadm pw -s "$3" -p "$2"); fi
	row "$1" "$2" "$h"
}
dv SSHA256 'secret' SSHA256
dv SSHA256 'dovecot ssha256' SSHA256
dv SSHA512 'secret' SSHA512
dv SSHA512 'dovecot ssha512' SSHA512
dv PBKDF2 'secret' PBKDF2
dv PBKDF2 'pbkdf2 rounds' PBKDF2 10000
dv BLF-CRYPT 'dovecot bcrypt' BLF-CRYPT 10
dv SHA512-CRYPT 'dovecot sha512' SHA512-CRYPT
dv SHA256-CRYPT 'dovecot sha256' SHA256-CRYPT
dv BLF-CRYPT 'dovecot default crypt' CRYPT
dv ARGON2ID 'dovecot argon2id' ARGON2ID
dv ARGON2I 'dovecot argon2i' ARGON2I
dv MD5-CRYPT 'dovecot md5' MD5-CRYPT
dv PLAIN 'plain text' PLAIN
dv PLAIN 'clear text' CLEARTEXT

echo "# passlib $($PY -c 'import passlib; print(passlib.__version__)') (python3-passlib)"
$PY - <<'EOF'
from passlib import hash as h
rows = [
    ("PBKDF2-SHA256", "secret", h.pbkdf2_sha256.using(rounds=29000)),
    ("PBKDF2-SHA256", "passlib sha256", h.pbkdf2_sha256.using(rounds=1000, salt_size=8)),
    ("PBKDF2-SHA512", "secret", h.pbkdf2_sha512.using(rounds=25000)),
    ("PBKDF2-SHA1", "passlib sha1", h.pbkdf2_sha1.using(rounds=131000)),
    ("PBKDF2-SHA256", "ldap sha256", h.ldap_pbkdf2_sha256.using(rounds=10000)),
    ("PBKDF2-SHA512", "ldap sha512", h.ldap_pbkdf2_sha512.using(rounds=10000)),
]
for scheme, pw, hasher in rows:
    print(f"{scheme}\t{pw}\t{hasher.hash(pw)}")
EOF

echo "# PyNaCl $($PY -c 'import nacl; print(nacl.__version__)') (python3-nacl; libsodium's \$7\$ form)"
$PY - <<'EOF'
import nacl.pwhash
pw = "sodium scrypt"
print(f"SCRYPT\t{pw}\t{nacl.pwhash.scrypt.str(pw.encode()).decode()}")
EOF
