#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of Fuzz/ (one per parser a user's file reaches).
#
# Usage: bash Scripts/fuzz.sh TARGET SECONDS      one target, e.g. `png 600`
#        bash Scripts/fuzz.sh all SECONDS         every target, one after the other
#        bash Scripts/fuzz.sh list                the target names
#
# TARGET is safetensors, torch-zip, torch-legacy, numpy, unpickler, png, jpeg, label-file,
# annotations or verdicts (or the product
# name, e.g. FuzzPNG). Each run starts from a scratch copy of Fuzz/Corpus/<product> (the committed
# seeds never grow), with the format's dictionary, a 2 GB memory limit (`-rss_limit_mb`, also
# the largest single allocation), FUZZ_TIMEOUT seconds per input (default 10) and
# `-max_total_time=SECONDS`. It exits non-zero on any crash, leak, timeout or out-of-memory,
# leaving the input that caused it in the scratch folder's artifacts/ (printed), and prints
# libFuzzer's final executions and coverage per target.
#
# Environment: FUZZ_TIMEOUT (seconds per input, default 10), FUZZ_KEEP=1 keeps the scratch folder,
# FUZZ_ARGS extra libFuzzer flags (e.g. "-seed=1"). Run it under `nice` on a shared machine.
set -euo pipefail
# shellcheck source=Scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

declare -A PRODUCTS=(
  [safetensors]=FuzzSafetensors [torch-zip]=FuzzTorchZip [torch-legacy]=FuzzTorchLegacy
  [numpy]=FuzzNumPy [unpickler]=FuzzUnpickler [png]=FuzzPNG [jpeg]=FuzzJPEG
  [label-file]=FuzzLabelFile [annotations]=FuzzAnnotations [verdicts]=FuzzVerdicts
)
ORDER=(safetensors torch-zip torch-legacy numpy unpickler png jpeg label-file annotations verdicts)
# The dictionaries of Fuzz/Dictionaries each target uses (concatenated).
declare -A DICTIONARIES=(
  [FuzzSafetensors]="FuzzSafetensors.dict" [FuzzTorchZip]="zip.dict pickle.dict"
  [FuzzTorchLegacy]="pickle.dict" [FuzzNumPy]="FuzzNumPy.dict" [FuzzUnpickler]="pickle.dict"
  [FuzzPNG]="FuzzPNG.dict" [FuzzJPEG]="FuzzJPEG.dict"
  [FuzzLabelFile]="csv.dict" [FuzzAnnotations]="csv.dict" [FuzzVerdicts]="FuzzVerdicts.dict"
)
BUILD_FLAGS=(-c release --package-path "$REPO_ROOT/Fuzz"
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld)

usage() { die "usage: $0 {$(IFS='|'; echo "${ORDER[*]}")|all} SECONDS  (or: $0 list)"; }

product_of() {
  local name="$1"
  if [[ -n "${PRODUCTS[$name]:-}" ]]; then echo "${PRODUCTS[$name]}"; return; fi
  local key
  for key in "${ORDER[@]}"; do
    [[ "${PRODUCTS[$key]}" == "$name" ]] && { echo "$name"; return; }
  done
  usage
}

# Builds the given products (each alone, so the library's other modules are not built).
build() {
  local product
  for product in "$@"; do
    say "== building $product"
    local log
    log="$(mktemp)"
    if ! swift build "${BUILD_FLAGS[@]}" --product "$product" >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      die "build of $product failed"
    fi
    rm -f "$log"
  done
}

# Runs one built product for $2 seconds; prints a summary; returns libFuzzer's status.
run() {
  local product="$1" seconds="$2"
  local bin scratch log status
  bin="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/$product"
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$product.XXXXXX")"
  mkdir -p "$scratch/corpus" "$scratch/artifacts"
  cp "$REPO_ROOT/Fuzz/Corpus/$product/"* "$scratch/corpus/"
  local dict
  for dict in ${DICTIONARIES[$product]}; do
    cat "$REPO_ROOT/Fuzz/Dictionaries/$dict" >>"$scratch/dictionary"
  done
  log="$scratch/fuzz.log"
  say "== fuzzing $product for $seconds s (scratch: $scratch)"
  set +e
  # shellcheck disable=SC2086
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$bin" \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-10}" \
    -max_total_time="$seconds" -print_final_stats=1 -dict="$scratch/dictionary" \
    -artifact_prefix="$scratch/artifacts/" ${FUZZ_ARGS:-} \
    "$scratch/corpus" >"$log" 2>&1
  status=$?
  set -e
  local executions coverage artifacts
  executions="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  coverage="$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' || true)"
  artifacts="$(ls "$scratch/artifacts")"
  if [[ "$status" -ne 0 || -n "$artifacts" ]]; then
    tail -60 "$log" >&2
    say "$product: FAILED (status $status) after ${executions:-?} executions; $coverage"
    say "  log: $log"
    [[ -n "$artifacts" ]] && say "  inputs: $(cd "$scratch/artifacts" && ls | sed "s|^|$scratch/artifacts/|" | tr '\n' ' ')"
    return 1
  fi
  say "$product: ok, ${executions:-?} executions in $seconds s; $coverage; peak rss $(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$') MB"
  if [[ "${FUZZ_KEEP:-0}" == 1 ]]; then say "  kept: $scratch"; else rm -rf "$scratch"; fi
}

require_swift
[[ "${1:-}" == list ]] && { printf '%s\n' "${ORDER[@]}"; exit 0; }
[[ $# -eq 2 && "$2" =~ ^[0-9]+$ ]] || usage
if [[ "$1" == all ]]; then
  products=()
  for key in "${ORDER[@]}"; do products+=("${PRODUCTS[$key]}"); done
else
  products=("$(product_of "$1")")
fi
build "${products[@]}"
failed=()
for product in "${products[@]}"; do
  run "$product" "$2" || failed+=("$product")
done
if [[ ${#failed[@]} -gt 0 ]]; then
  die "fuzzing found problems in: ${failed[*]}"
fi
say "== all fuzz targets ran clean: ${products[*]}"
