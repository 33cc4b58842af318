#!/usr/bin/env bash
# The main job from README.md: installs dependencies, builds, and scans the
# example models shipped in examples/ (benign and malicious), printing the
# verdict of every file. Exit code is mats scan's (1: malicious files found,
# which is expected for these examples).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh
./build/cli/mats scan examples/
code=$?
echo "mats scan exited with $code (1 = findings at or above --fail-on, expected here)"
