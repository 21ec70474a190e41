#!/usr/bin/env bash
# Set-up, then the demo on the bundled photographs (release build).
#
# Usage: bash Scripts/run-demo.sh              decodes and classifies every photograph in Assets/images/
#        bash Scripts/run-demo.sh ARGS...      runs `demo ARGS...` instead
set -euo pipefail
# shellcheck source=Scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash "$REPO_ROOT/Scripts/setup.sh"
require_swift
cd "$REPO_ROOT"
if (($# > 0)); then
  exec swift run -c release demo "$@"
fi
swift build -c release --product demo
demo="$(swift build -c release --show-bin-path)/demo"
echo "== demo images Assets/images/*"
"$demo" images Assets/images/*
echo
echo "== demo classify --top 3 Assets/images/*   (EfficientNet-Lite0, ImageNet weights)"
"$demo" classify --top 3 Assets/images/*
echo
echo "== demo explain: why Lite0 answered as it did (panels: image | heat map | overlay in Output/)"
mkdir -p Output
for photo in coffee chelsea; do
  for method in saliency gradcam ig; do
    "$demo" explain "Assets/images/$photo.png" --method "$method" --output "Output/$photo-$method.png"
  done
done
