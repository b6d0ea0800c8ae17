#!/usr/bin/env bash
# The real peers the tests run against: archive tools as admins and vendors use them (Info-ZIP zip/unzip, 7-Zip, bsdtar),
# Debian's vsftpd and nginx, pure-ftpd, libfuse2 for a case-insensitive file system (fusepy, in requirements.txt), and
# Chromium, the browser that renders the HTML fleet report in the tests (tests/integration/browser.py).
# Debian packages, installed only when missing; needs root and apt-get. Services that come with a package are never
# started by the installation (policy-rc.d): the tests start their own instances on loopback and end exactly those.
# pure-ftpd conflicts with vsftpd as a package (both provide ftp-server): its .deb is unpacked into build/peers/pure-ftpd
# instead. Without root or apt the tests that need a peer are skipped, saying which package is missing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
declare -A wanted=([zip]=zip [unzip]=unzip [7zz]=7zip [bsdtar]=libarchive-tools [vsftpd]=vsftpd [nginx]=nginx [chromium]=chromium)
missing=()
for command in "${!wanted[@]}"; do
  command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("${wanted[$command]}")
done
# libfuse2 for fusepy: the case-insensitive file system of the tests (tests/fixtures/testservers/casefs.py).
ldconfig -p 2>/dev/null | grep -q 'libfuse\.so\.2' || missing+=(libfuse2)
pure="$root/build/peers/pure-ftpd"
if [ "${#missing[@]}" -eq 0 ] && [ -x "$pure/usr/sbin/pure-ftpd" ]; then
  echo "test-peers: ${!wanted[*]} and pure-ftpd are present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-peers: need ${missing[*]:-} pure-ftpd and cannot install them (not root, or no apt-get); the tests that use them are skipped, saying so" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1
fi
trap '[ "$made_policy" -eq 0 ] || rm -f "$policy"' EXIT
apt-get update -qq >/dev/null
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-peers: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x "$pure/usr/sbin/pure-ftpd" ]; then
  echo "test-peers: unpacking pure-ftpd into build/peers/pure-ftpd"
  download=$(mktemp -d)
  chmod 755 "$download"  # apt-get download fetches as the _apt user
  (cd "$download" && apt-get download -qq pure-ftpd >/dev/null)
  rm -rf "$pure" && mkdir -p "$pure"
  dpkg-deb -x "$download"/pure-ftpd_*.deb "$pure"
  rm -rf "$download"
fi
