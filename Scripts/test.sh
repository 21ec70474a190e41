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
exec swift test -c release -Xswiftc -enable-testing "$@"
