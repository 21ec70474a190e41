"""Golden values for LIME's regression stage from the real `lime` package (0.2.0.1, with
scikit-learn), and a reference quickshift segmentation of the coffee crop from scikit-image.

Writes Tests/Fixtures/LIME/:
- masks.npy          int64 [1000, 30]  binary masks, i.i.d. Bernoulli(0.5), the first all ones
- probabilities.npy  float64 [1000, 4] class probabilities (softmax of a noisy linear model)
- distances.npy      float64 [1000]    cosine distance of each mask to the all-ones mask
                                       (sklearn.metrics.pairwise_distances, as lime_image does)
- expected.json      lime's LimeBase.explain_instance_with_data for every label and
                     num_features in (100000, 10, 5), i.e. feature_selection='auto' choosing
                     'highest_weights' (> 6) and 'forward_selection' (<= 6), kernel width 0.25:
                     {"<num_features>": [{"label", "intercept", "coefficients" (one per feature,
                     0 for features not selected), "selected" (lime's order), "score",
                     "localPrediction"}, ...]}
- coffee_quickshift.npy int64 [224, 224] skimage.segmentation.quickshift of
                     Tests/Fixtures/Lite0/coffee.png with lime_image's defaults
                     (kernel_size 4, max_dist 200, ratio 0.2, rng 42 -- lime's random_seed, Lab)

Run: /work/main/.venv-tools/bin/python Tools/make_lime_fixtures.py   (from any directory)
"""
import json
import pathlib
from functools import partial

import numpy as np
import sklearn.metrics
from lime import lime_base
from PIL import Image
from skimage.segmentation import quickshift

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "Tests/Fixtures/LIME"
out.mkdir(parents=True, exist_ok=True)

rng = np.random.default_rng(20260201)
samples, features, classes = 1000, 30, 4
masks = rng.integers(0, 2, size=(samples, features)).astype(np.int64)
masks[0, :] = 1
true_weights = rng.normal(0, 0.6, size=(features, classes))
logits = masks @ true_weights + rng.normal(0, 0.3, size=(samples, classes))
logits -= logits.max(axis=1, keepdims=True)
probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
distances = sklearn.metrics.pairwise_distances(
    masks, masks[0].reshape(1, -1), metric="cosine").ravel()

np.save(out / "masks.npy", masks)
np.save(out / "probabilities.npy", probabilities)
np.save(out / "distances.npy", distances)


def kernel(d, kernel_width):
    # lime_image.LimeImageExplainer's default kernel.
    return np.sqrt(np.exp(-(d ** 2) / kernel_width ** 2))


expected = {}
for num_features in (100000, 10, 5):
    base = lime_base.LimeBase(partial(kernel, kernel_width=0.25), random_state=0)
    rows = []
    for label in range(classes):
        intercept, exp, score, local_pred = base.explain_instance_with_data(
            masks, probabilities, distances, label, num_features, feature_selection="auto")
        coefficients = np.zeros(features)
        for feature, weight in exp:
            coefficients[feature] = weight
        rows.append({
            "label": label,
            "intercept": float(intercept),
            "coefficients": coefficients.tolist(),
            "selected": sorted(int(f) for f, _ in exp),
            "score": float(score),
            "localPrediction": float(np.asarray(local_pred).ravel()[0]),
        })
    expected[str(num_features)] = rows
(out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")

coffee = np.asarray(Image.open(root / "Tests/Fixtures/Lite0/coffee.png").convert("RGB"),
                    dtype=np.float64) / 255
segments = quickshift(coffee, kernel_size=4, max_dist=200, ratio=0.2, rng=42)
np.save(out / "coffee_quickshift.npy", segments.astype(np.int64))
print("wrote", out, "segments:", len(np.unique(segments)))
