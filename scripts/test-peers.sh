#!/usr/bin/env bash
# The real peers the tests run against (tests/integration/test_real_archives.py and the peer tests): archive tools as
# admins and vendors use them (Info-ZIP zip/unzip, 7-Zip, bsdtar). Debian packages, installed only when missing; needs
# root and apt-get. Services that come with a package are never started by the installation (policy-rc.d): the tests
# start their own instances, on loopback, and end exactly those.
set -euo pipefail
declare -A wanted=([zip]=zip [unzip]=unzip [7zz]=7zip [bsdtar]=libarchive-tools)
missing=()
for command in "${!wanted[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${wanted[$command]}")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "test-peers: ${!wanted[*]} are present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-peers: need ${missing[*]} and cannot install them (not root, or no apt-get); the tests that use them are skipped, saying so" >&2
  exit 0
fi
echo "test-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1
fi
trap '[ "$made_policy" -eq 0 ] || rm -f "$policy"' EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
