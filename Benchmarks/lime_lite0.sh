#!/usr/bin/env bash
# LIME on EfficientNet-Lite0 for one photograph (1000 samples, batches of 32, lime_image's
# defaults, the scikit-image quickshift segmentation of the crop), 3 runs on 1 and on 2 threads.
# Prints the library's own LIME time (the JSON "seconds": sampling, 1000 forward passes,
# regression; model loading and PNG excluded), the process wall time and CPU time per run, then
# the medians.
#
# Usage: bash Benchmarks/lime_lite0.sh [path/to/demo]   (from the repository root, release build)
set -euo pipefail
demo="${1:-.build/release/demo}"
for threads in 1 2; do
  lime=()
  for run in 1 2 3; do
    out=$( { /usr/bin/time -f "TIME %e %U %S" "$demo" explain Tests/Fixtures/Lite0/coffee.png \
      --method lime --segments Tests/Fixtures/LIME/coffee_quickshift.npy --samples 1000 \
      --batch-size 32 --seed 0 --threads "$threads" --json --quiet --output /tmp/lime-bench.png; } 2>&1 )
    seconds=$(printf '%s\n' "$out" | grep -o '"seconds":[0-9.]*' | cut -d: -f2)
    times=$(printf '%s\n' "$out" | grep '^TIME' | cut -d' ' -f2-)
    echo "threads $threads run $run: LIME ${seconds} s; process wall/user/sys ${times}"
    lime+=("$seconds")
  done
  median=$(printf '%s\n' "${lime[@]}" | sort -g | sed -n 2p)
  echo "threads $threads: median LIME time ${median} s"
done
