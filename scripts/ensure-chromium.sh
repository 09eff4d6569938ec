#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright's executable_path.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "ERROR: /usr/bin/chromium is missing. Install Debian's package: sudo apt-get install chromium" >&2
exit 1
