#!/usr/bin/env bash
# What the fleet tests need to make real ssh test hosts (network namespaces + sshd): iproute2 and
# Debian's openssh-server. Installed only when missing; needs root, as network namespaces do anyway.
set -euo pipefail
missing=()
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "test-hosts: ip, sshd and ssh are present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-hosts: need ${missing[*]} and cannot install them (not root, or no apt-get); the fleet tests over ssh will fail" >&2
  exit 1
fi
echo "test-hosts: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
