# shellcheck shell=bash disable=SC2034
# Shared helpers for the scripts in Scripts/. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
#
# Defines REPO_ROOT, say/warn/die, run_as_root and ensure_swift_on_path.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo when it exists.
# Returns 127 (and says why) when neither is possible.
run_as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    printf 'error: need root for: %s (run as root, or install sudo)\n' "$*" >&2
    return 127
  fi
}

# Puts the Swift toolchain on PATH when `swift` is not found but a known install exists.
# Returns 1 when no toolchain can be found.
ensure_swift_on_path() {
  command -v swift >/dev/null 2>&1 && return 0
  local candidate
  for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin /usr/local/swift/usr/bin; do
    if [[ -x "$candidate/swift" ]]; then
      export PATH="$candidate:$PATH"
      return 0
    fi
  done
  return 1
}

# ensure_swift_on_path, or stop with a message saying how to fix it.
require_swift() {
  ensure_swift_on_path || die "the Swift toolchain was not found on PATH nor in /opt/swift/usr/bin.
  Install Swift 6 for Linux and put its usr/bin folder on PATH, then rerun."
}
