#!/usr/bin/env bash
# Runs the whole test suite the way CI does: set-up, then the tests in release mode.
#
# Usage: bash Scripts/test.sh [extra swift test arguments, e.g. --filter TensorTests]
set -euo pipefail
# shellcheck source=Scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash "$REPO_ROOT/Scripts/setup.sh"
require_swift
cd "$REPO_ROOT"
# -enable-testing keeps @testable imports working in an optimised build.
swift test -c release -Xswiftc -enable-testing "$@"

# A user's project built against the library by path, then run on a real photograph.
if [ "$#" -eq 0 ]; then
  echo "== Examples/CustomNetwork"
  swift build -c release --package-path Examples/CustomNetwork
  "$(swift build -c release --package-path Examples/CustomNetwork --show-bin-path)/CustomNetwork" \
    "$REPO_ROOT/Assets"
fi
