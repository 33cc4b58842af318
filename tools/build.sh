#!/usr/bin/env bash
# Configures and builds mats into build/ (or $MATS_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${MATS_BUILD_DIR:-build}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${MATS_BUILD_TYPE:-RelWithDebInfo} \
  -DMATS_BUILD_TESTS=ON ${MATS_CMAKE_ARGS:-} >/dev/null
ninja -C "$dir" ${MATS_NINJA_ARGS:-}
