#!/usr/bin/env bash
# Installs everything mats needs on a fresh Debian 12 machine (run as root).
# Idempotent: skips apt when every package is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t pkgs < <(grep -vE '^\s*(#|$)' tools/deps/apt-packages.txt)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -f tools/deps/npm-setup.sh ]; then bash tools/deps/npm-setup.sh; fi
echo "setup: all dependencies present"
