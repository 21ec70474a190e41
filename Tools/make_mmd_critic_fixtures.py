#!/usr/bin/env python3
"""Golden prototype/criticism indices of MMD-critic on scikit-learn's digits, and the numpy
reference timing of `demo bench-criticism`.

A numpy (Python 3) port of the reference `mmd.py` of BeenKim/MMD-critic (Kim, Khanna & Koyejo,
NIPS 2016): `greedy_select_protos` and `select_criticism_regularized` for a dense kernel
(`is_K_sparse=False`), term for term, including the per-step inverse of K_SS that the
reference computes, and NumPy's argmax tie-break. The kernel is `rbf_kernel` of scikit-learn
(`exp(-gamma * ||x - y||^2)`, computed as ||x||^2 + ||y||^2 - 2 x.y, clamped at 0, diagonal 0,
in float64). The local kernel (`calculate_kernel_individual`) is the RBF kernel within each
class and 0 across classes; the reference first sorts the rows by label, which only renumbers
them, so here the rows keep their original order (indices are rows of digits.csv.gz).

Usage:
  python Tools/make_mmd_critic_fixtures.py            # writes Tests/Fixtures/Criticism/digits_mmd_critic.json
  python Tools/make_mmd_critic_fixtures.py --bench [--n 10000] [--d 1280] [--threads 1]
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np


def rbf_kernel(x, gamma):
    """scikit-learn's rbf_kernel(X, gamma=gamma) for one set (euclidean_distances squared)."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.einsum("ij,ij->i", x, x)
    d2 = norms[:, None] + norms[None, :] - 2.0 * (x @ x.T)
    np.maximum(d2, 0, out=d2)
    np.fill_diagonal(d2, 0)
    np.multiply(d2, -gamma, out=d2)
    np.exp(d2, out=d2)
    return d2


def local_rbf_kernel(x, y, gamma):
    k = np.zeros((x.shape[0], x.shape[0]))
    for label in np.unique(y):
        rows = np.where(y == label)[0]
        k[np.ix_(rows, rows)] = rbf_kernel(x[rows], gamma)
    return k


def greedy_select_protos(K, candidate_indices, m):
    """mmd.py greedy_select_protos, dense branch."""
    if len(candidate_indices) != np.shape(K)[0]:
        K = K[:, candidate_indices][candidate_indices, :]
    n = len(candidate_indices)
    colsum = 2 * np.sum(K, axis=0) / n
    selected = np.array([], dtype=int)
    for i in range(m):
        candidates = np.setdiff1d(range(n), selected)
        s1array = colsum[candidates]
        if len(selected) > 0:
            temp = K[selected, :][:, candidates]
            s2array = np.sum(temp, axis=0) * 2 + np.diagonal(K)[candidates]
            s2array = s2array / (len(selected) + 1)
            s1array = s1array - s2array
        else:
            s1array = s1array - (np.abs(np.diagonal(K)[candidates]))
        argmax = candidates[np.argmax(s1array)]
        selected = np.append(selected, argmax)
        KK = K[selected, :][:, selected]
        inverse_of_prev_selected = np.linalg.inv(KK)  # computed (and unused) by the reference
    return candidate_indices[selected]


def select_criticism_regularized(K, selectedprotos, m, reg="logdet"):
    """mmd.py select_criticism_regularized, dense branch; reg in 'None', 'logdet', 'iterative'."""
    n = np.shape(K)[0]
    assert reg in ["None", "logdet", "iterative"]
    selected = np.array([], dtype=int)
    candidates2 = np.setdiff1d(range(n), selectedprotos)
    inverse_of_prev_selected = None
    colsum = np.sum(K, axis=0) / n
    scores = []
    for i in range(m):
        candidates = np.setdiff1d(candidates2, selected)
        s1array = colsum[candidates]
        temp = K[selectedprotos, :][:, candidates]
        s2array = np.sum(temp, axis=0)
        s2array = s2array / (len(selectedprotos))
        s1array = np.abs(s1array - s2array)
        if reg == "logdet":
            if inverse_of_prev_selected is not None:
                temp = K[selected, :][:, candidates]
                temp2 = np.array(np.dot(inverse_of_prev_selected, temp))
                regularizer = temp2 * temp
                regcolsum = np.sum(regularizer, axis=0)
                regularizer = np.log(np.abs(np.diagonal(K)[candidates] - regcolsum))
                s1array = s1array + regularizer
            else:
                s1array = s1array - np.log(np.abs(np.diagonal(K)[candidates]))
        argmax = candidates[np.argmax(s1array)]
        scores.append(float(np.max(s1array)))
        selected = np.append(selected, argmax)
        if reg == "logdet":
            KK = K[selected, :][:, selected]
            inverse_of_prev_selected = np.linalg.inv(KK)
        if reg == "iterative":
            selectedprotos = np.append(selectedprotos, argmax)
    return selected, scores


def prototype_scores(K, selected):
    """The greedy gain of each prototype at its selection (for the fixture's scores)."""
    n = K.shape[0]
    colsum = 2 * K.sum(axis=0) / n
    out = []
    for step, c in enumerate(selected):
        if step == 0:
            out.append(colsum[c] - abs(K[c, c]))
        else:
            prev = selected[:step]
            out.append(colsum[c] - (2 * K[prev, c].sum() + K[c, c]) / (step + 1))
    return [float(v) for v in out]


def median_heuristic_gamma(x):
    """gamma = 1 / (2 * median of squared distances over distinct pairs)."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.einsum("ij,ij->i", x, x)
    d2 = np.maximum(norms[:, None] + norms[None, :] - 2.0 * (x @ x.T), 0)
    upper = d2[np.triu_indices(x.shape[0], k=1)]
    return 1.0 / (2.0 * np.median(upper)), float(np.median(upper))


def load_digits(root):
    with gzip.open(os.path.join(root, "Assets/digits/digits.csv.gz"), "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    return data[:, :-1], data[:, -1].astype(int)


def make_fixtures(root):
    x, y = load_digits(root)
    gamma, median = median_heuristic_gamma(x)
    first200 = x[:200]
    gamma200, median200 = median_heuristic_gamma(first200)
    prototype_count, criticism_count = 32, 10
    cases = []
    for scope, case_gamma in [("global", gamma), ("local", gamma), ("global", 1e-3), ("local", 1e-3)]:
        K = rbf_kernel(x, case_gamma) if scope == "global" else local_rbf_kernel(x, y, case_gamma)
        protos = greedy_select_protos(K, np.arange(K.shape[0]), prototype_count)
        case = {
            "scope": scope,
            "gamma": case_gamma,
            "prototypes": [int(i) for i in protos],
            "prototypeScores": prototype_scores(K, protos),
            "criticisms": {},
        }
        for reg, name in [("None", "none"), ("logdet", "logDeterminant"), ("iterative", "iterative")]:
            crit, scores = select_criticism_regularized(K, protos, criticism_count, reg=reg)
            case["criticisms"][name] = {"indices": [int(i) for i in crit], "scores": scores}
        cases.append(case)
    out = {
        "source": "Tools/make_mmd_critic_fixtures.py (numpy port of BeenKim/MMD-critic mmd.py)",
        "data": "Assets/digits/digits.csv.gz: 1797 rows, 64 pixel columns (0-16), label column last",
        "medianSquaredDistance": median,
        "medianHeuristicGamma": gamma,
        "first200MedianSquaredDistance": median200,
        "prototypeCount": prototype_count,
        "criticismCount": criticism_count,
        "cases": cases,
    }
    path = os.path.join(root, "Tests/Fixtures/Criticism/digits_mmd_critic.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", path)


def bench(n, d, prototypes, criticisms, gamma, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d)).astype(np.float32)
    times = []
    for _ in range(repeats):
        cpu_start = time.process_time()
        start = time.perf_counter()
        K = rbf_kernel(x, gamma)
        kernel_done = time.perf_counter()
        protos = greedy_select_protos(K, np.arange(n), prototypes)
        select_criticism_regularized(K, protos, criticisms, reg="logdet")
        end = time.perf_counter()
        times.append((end - start, kernel_done - start, time.process_time() - cpu_start))
        del K
    times.sort()
    total, kernel, cpu = times[len(times) // 2]
    print(json.dumps({"implementation": "numpy mmd.py port", "n": n, "d": d,
                      "prototypes": prototypes, "criticisms": criticisms, "gamma": gamma,
                      "seconds": total, "kernelSeconds": kernel, "cpuSeconds": cpu,
                      "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default")}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", action="store_true")
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--d", type=int, default=1280)
    parser.add_argument("--prototypes", type=int, default=32)
    parser.add_argument("--criticisms", type=int, default=10)
    parser.add_argument("--gamma", type=float, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args.bench:
        bench(args.n, args.d, args.prototypes, args.criticisms,
              args.gamma if args.gamma else 1.0 / (2 * args.d), args.repeats)
    else:
        make_fixtures(root)
