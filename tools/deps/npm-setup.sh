#!/usr/bin/env bash
# Installs the npm test clients from their lockfiles (called by
# tools/setup.sh). Test-only: the Sigstore JavaScript verifier used by the
# sign interop test (tests/interop/sigstore).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v npm >/dev/null; then
  echo "npm-setup: npm not found (apt-get install npm); the sigstore interop test will fail" >&2
  exit 0
fi
for dir in tests/interop/sigstore; do
  if [ -f "$dir/package-lock.json" ]; then
    echo "npm-setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
