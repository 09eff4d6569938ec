#!/usr/bin/env bash
# Build the browser client bundles with esbuild from npm (nothing is committed prebuilt).
set -euo pipefail
cd "$(dirname "$0")/../transports/web"
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
npm run --silent build
