#!/usr/bin/env bash
# The proxy scenario and its tests start their own nginx (own config, own prefix, a free
# loopback port) from Debian's package; the system nginx service is never touched.
set -euo pipefail
if [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
    || apt-get install -y -qq --no-install-recommends nginx >/dev/null
  exit 0
fi
echo "ERROR: nginx is missing. Install Debian's package: sudo apt-get install nginx" >&2
exit 1
