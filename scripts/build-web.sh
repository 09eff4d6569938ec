#!/usr/bin/env bash
# Build the browser client bundles with esbuild from npm (nothing is committed prebuilt).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${RTSPIKE_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
cd "$ROOT/transports/web"
if [ ! -f package.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "ERROR: npm is missing; install Node.js 18+ (Debian: apt-get install nodejs npm)." >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
  touch node_modules
fi
# The bundles to build come from the transport registry (one per transport, plus baseline).
# RTSPIKE_WEB_ENTRIES / RTSPIKE_WEB_DIST redirect the list and the output (the tests use them).
ENTRIES="${RTSPIKE_WEB_ENTRIES:-entries.json}"
if ! (cd "$ROOT" && "$PY" -m rtspike.transports.server.demo) > "$ENTRIES.tmp"; then
  rm -f "$ENTRIES.tmp"
  echo "ERROR: could not list the transports; run 'make venv' first (or set RTSPIKE_PYTHON)." >&2
  exit 1
fi
mv "$ENTRIES.tmp" "$ENTRIES"
RTSPIKE_WEB_ENTRIES="$ENTRIES" npm run --silent build
