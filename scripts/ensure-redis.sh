#!/usr/bin/env bash
# Make sure a Redis answers on 127.0.0.1:6379; start a throwaway one (no persistence) if not.
set -euo pipefail
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  else
    echo "ERROR: Redis is not running and redis-server is not installed." >&2
    echo "Install it (Debian: apt-get install redis-server) or start Redis on 127.0.0.1:6379." >&2
    exit 1
  fi
fi
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
for _ in $(seq 1 50); do
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "ERROR: started redis-server but it does not answer on 127.0.0.1:6379." >&2
exit 1
