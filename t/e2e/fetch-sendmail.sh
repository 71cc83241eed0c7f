#!/bin/sh
# fetch-sendmail.sh — unpack Debian's Sendmail for the end-to-end tests,
# WITHOUT installing it (sendmail-bin conflicts with the postfix package the
# other tests use).  Called by bootstrap; safe to run again: once the tree is
# complete it returns at once (remove DIR to fetch again).
#
#   t/e2e/fetch-sendmail.sh [DIR]      (as root; default DIR below)
#
# Result: DIR/root/usr/libexec/sendmail/sendmail (the binary) and
# DIR/root/usr/share/sendmail/cf/ (the m4 files that turn a .mc into a .cf),
# DIR/root/.relayguard-fetched lists the unpacked package versions.
# The .debs are kept in DIR/debs.  Nothing else on the system changes:
# `apt-get download` only fetches, `dpkg -x` only extracts files.
set -eu

PKGS="sendmail-base sendmail-bin sendmail-cf"
DIR=${1:-${RG_SENDMAIL_CACHE:-/var/cache/relayguard-test/sendmail}}
ROOT=$DIR/root
STAMP=$ROOT/.relayguard-fetched

say() { echo "fetch-sendmail: $*" >&2; }

if [ -x "$ROOT/usr/libexec/sendmail/sendmail" ] &&
	[ -f "$ROOT/usr/share/sendmail/cf/m4/cf.m4" ] && [ -s "$STAMP" ]; then
	exit 0
fi

mkdir -p "$DIR/debs"
# apt drops privileges to _apt for downloads; give it a folder it may write.
dl=$(mktemp -d "$DIR/debs/.dl.XXXXXX")
trap 'rm -rf "$dl" "$ROOT.new"' EXIT
chmod 755 "$dl"
if id _apt >/dev/null 2>&1; then chown _apt "$dl" 2>/dev/null || true; fi
say "downloading $PKGS into $DIR/debs"
# shellcheck disable=SC2086
if ! (cd "$dl" && apt-get download -q $PKGS >/dev/null); then
	say "apt-get download $PKGS failed (run apt-get update?)"
	exit 1
fi
rm -f "$DIR"/debs/*.deb
mv "$dl"/*.deb "$DIR/debs/"

rm -rf "$ROOT.new"
mkdir -p "$ROOT.new"
for d in "$DIR"/debs/*.deb; do
	dpkg -x "$d" "$ROOT.new"
	dpkg-deb -f "$d" Package Version | paste -sd' ' >>"$ROOT.new/.relayguard-fetched"
done
rm -rf "$ROOT"
mv "$ROOT.new" "$ROOT"
say "unpacked into $ROOT"
