#!/usr/bin/env bash
# Installs and builds whatever is missing so `npm test` and `npm run playground` work from a clean
# clone: npm dependencies, the TypeScript build and bundles, and the control-plane binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[prepare] installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

echo "[prepare] type-checking and bundling" >&2
npx --no-install tsc -p . >&2
node scripts/bundle.mjs >&2

if [ "${SKIP_CONTROLPLANE:-0}" != "1" ]; then
  bash scripts/debian-packages.sh
  command -v openssl >/dev/null 2>&1 || { echo "[prepare] openssl is required by the test control plane (apt-get install openssl)" >&2; exit 1; }
  bash test/controlplane/build.sh > /dev/null
fi
