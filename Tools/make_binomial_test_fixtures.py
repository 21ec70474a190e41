#!/usr/bin/env python3
"""Golden p-values of the exact binomial test (scipy.stats.binomtest) for BinomialTestTests.

Usage: python Tools/make_binomial_test_fixtures.py   # writes Tests/Fixtures/BiasProbe/binomial_test.json
"""
import json
import os

from scipy.stats import binomtest

CASES = [
    (10, 10, 0.5), (8, 10, 0.5), (4, 10, 0.5), (0, 10, 0.3), (7, 20, 0.1), (3, 10, 0.9),
    (520, 1000, 0.5), (1, 1, 0.5), (0, 5, 0.0), (5, 5, 1.0), (2, 5, 0.0), (3, 5, 1.0),
    (6, 10, 0.6), (0, 2000, 0.01), (90, 100, 0.5), (17, 40, 0.25),
]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = []
    for k, n, p in CASES:
        out.append({
            "successes": k, "trials": n, "probability": p,
            "two-sided": float(binomtest(k, n, p).pvalue),
            "less": float(binomtest(k, n, p, alternative="less").pvalue),
            "greater": float(binomtest(k, n, p, alternative="greater").pvalue),
        })
    path = os.path.join(root, "Tests/Fixtures/BiasProbe/binomial_test.json")
    with open(path, "w") as f:
        json.dump({"source": "scipy.stats.binomtest (Tools/make_binomial_test_fixtures.py)",
                   "cases": out}, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
