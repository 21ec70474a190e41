"""Gauss–Legendre nodes and weights on [0, 1] from numpy (the reference for
IntegratedGradients.Rule.gaussLegendre): Tests/Fixtures/Explain/gauss_legendre.json.

Run: .venv-tools/bin/python Tools/make_quadrature_fixtures.py
"""
import json
import pathlib

import numpy as np

out = {}
for n in (1, 2, 5, 32, 50):
    x, w = np.polynomial.legendre.leggauss(n)
    out[str(n)] = {"alphas": ((x + 1) / 2).tolist(), "weights": (w / 2).tolist()}
path = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/Explain/gauss_legendre.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
