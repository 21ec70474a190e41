"""Golden values for Explain/Metrics: Spearman's rho (scipy.stats.spearmanr, ties averaged)
and the Gaussian blur baseline (scipy.ndimage.gaussian_filter, mode 'nearest', truncate 3).

Run: /work/main/.venv-tools/bin/python Tools/make_metrics_fixtures.py
Writes Tests/Fixtures/Explain/metrics.json.
"""
import json
import pathlib

import numpy as np
from scipy import ndimage, stats

rng = np.random.default_rng(20261129)
cases = []
for n, tie_levels in [(10, None), (50, 5), (400, 12), (7, 2)]:
    if tie_levels is None:
        a = rng.standard_normal(n)
        b = a + 0.5 * rng.standard_normal(n)
    else:
        a = rng.integers(0, tie_levels, n).astype(np.float64)
        b = rng.integers(0, tie_levels, n) + 0.3 * a
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    rho = stats.spearmanr(a, b).statistic
    cases.append({"a": a.tolist(), "b": b.tolist(), "rho": float(rho)})

image = rng.random((3, 9, 13)).astype(np.float32)
blurs = []
for sigma in [1.0, 1.5, 2.0]:
    blurred = np.stack([
        ndimage.gaussian_filter(image[c].astype(np.float64), sigma, mode="nearest", truncate=3.0)
        for c in range(3)
    ])
    blurs.append({"sigma": sigma, "blurred": blurred.ravel().tolist()})

out = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/Explain/metrics.json"
out.write_text(json.dumps({
    "spearman": cases,
    "blur": {"shape": list(image.shape), "image": image.ravel().tolist(), "cases": blurs},
}))
print("wrote", out)
