#!/usr/bin/env bash
# Set-up, then the demo on the bundled photographs (release build).
#
# Usage: bash Scripts/run-demo.sh              the demo tour: classify, explain (every method), evaluate,
#                                              attack, study page, neighbours, planted-bias experiment
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
mkdir -p Output
echo "== demo explain: why Lite0 answered as it did, every method on one photograph"
echo "   (panels: image | map | overlay, in Output/coffee-METHOD.png)"
for method in saliency gradxinput smoothgrad ig gradcam occlusion lime; do
  "$demo" explain Assets/images/coffee.png --method "$method" --quiet \
    --output "Output/coffee-$method.png"
done
"$demo" explain Assets/images/chelsea.png --method gradcam --output Output/chelsea-gradcam.png
echo
echo "== demo evaluate: mistakes on the labelled photographs, with WordNet distances"
"$demo" evaluate Assets/images --labels Tests/Fixtures/Mistakes/photographs.csv --quiet
echo
echo "== demo attack: the smallest change that flips espresso (DeepFool), explained before and after"
"$demo" attack Assets/images/coffee.png --method deepfool --output Output/coffee-deepfool.npy --quiet
"$demo" classify --top 3 Output/coffee-deepfool.npy
"$demo" explain Output/coffee-deepfool.npy --method gradcam --output Output/coffee-deepfool-gradcam.png
echo "   before: Output/coffee-gradcam.png   after: Output/coffee-deepfool-gradcam.png"
echo
echo "== demo study make: a self-contained page for people to judge the model's answers"
"$demo" study make Assets/images --labels Tests/Fixtures/Mistakes/photographs.csv \
  --explanations gradcam --output Output/study.html --quiet
echo
echo "== demo neighbours: example-based explanation (nearest photographs in feature space)"
"$demo" neighbours Assets/images/horse.png --set Assets/images -k 3 \
  --output Output/horse-neighbours.png --cache Output/features.safetensors --quiet
echo
echo "== demo bias-experiment: plant a cue in one Fashion-MNIST class, find it again"
echo "   (a small run; the full one is \`demo bias-experiment\`, see Docs/PlantedBias.md)"
"$demo" bias-experiment --train-size 4000 --epochs 2 --test-size 3000 --output Output/bias --quiet
echo
echo "Pictures, the study page and the prototypes / criticisms of the cued class are in Output/."
