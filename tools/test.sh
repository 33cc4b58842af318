#!/usr/bin/env bash
# The test command from README.md: installs dependencies, builds, and runs
# every test (unit, golden, fuzz-corpus replay, end-to-end, interop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh
dir=${MATS_BUILD_DIR:-build}
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 1200
