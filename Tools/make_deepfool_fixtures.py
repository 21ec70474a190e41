"""Golden DeepFool results on a small ReLU network, for Tests/BiasProbeTests/DeepFoolTests.swift.

The network is f(x) = W2 · relu(W1 · vec(x) + b1) + b2 on 3×4×4 images (48 → 16 → 6 classes),
with seeded Gaussian weights. DeepFool follows the authors' reference code (LTS4/DeepFool,
deepfool.py) and Foolbox 3's L2DeepFoolAttack, in float64:

    candidates = the `candidates` largest logits at x (the label, i.e. the top class, first)
    each step:  w_k = ∇f_k − ∇f_label, f'_k = f_k − f_label at the current iterate
                l = argmin |f'_k| / ‖w_k‖
                r = (|f'_l| / ‖w_l‖ + 1e-4) · w_l / ‖w_l‖
                r_tot += r;  x_i = clip(x + (1 + overshoot) · r_tot, 0, 1)
    until argmax f(x_i) != label, at most 50 steps.

Run: /work/main/.venv-tools/bin/python Tools/make_deepfool_fixtures.py
Writes Tests/Fixtures/Attacks/deepfool_mlp.json.
"""
import json
import pathlib

import numpy as np

CANDIDATES = 4
OVERSHOOT = 0.02
MARGIN = 1e-4
MAX_ITERATIONS = 50


def network(seed):
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 1.0, (16, 48)).astype(np.float32)
    b1 = rng.normal(0, 2.0, 16).astype(np.float32)
    w2 = rng.normal(0, 1.0, (6, 16)).astype(np.float32)
    b2 = rng.normal(0, 0.5, 6).astype(np.float32)
    return w1, b1, w2, b2


def logits_and_jacobian(params, x):
    w1, b1, w2, b2 = (p.astype(np.float64) for p in params)
    pre = w1 @ x + b1
    mask = (pre > 0).astype(np.float64)
    logits = w2 @ (pre * mask) + b2
    jacobian = (w2 * mask) @ w1  # [classes, 48]
    return logits, jacobian


def deepfool(params, x0):
    logits, _ = logits_and_jacobian(params, x0)
    order = np.argsort(-logits, kind="stable")
    label = int(order[0])
    others = [int(c) for c in order[:CANDIDATES] if c != label][: CANDIDATES - 1]
    total = np.zeros_like(x0)
    x = x0.copy()
    iterations = 0
    for _ in range(MAX_ITERATIONS):
        logits, jacobian = logits_and_jacobian(params, x)
        if int(np.argmax(logits)) != label:
            break
        best = None
        for c in others:
            w = jacobian[c] - jacobian[label]
            difference = logits[c] - logits[label]
            norm = np.linalg.norm(w)
            if norm == 0:
                continue
            distance = abs(difference) / norm
            if best is None or distance < best[0]:
                best = (distance, norm, w)
        distance, norm, w = best
        total += (distance + MARGIN) * w / norm
        x = np.clip(x0 + (1 + OVERSHOOT) * total, 0, 1)
        iterations += 1
    final, _ = logits_and_jacobian(params, x)
    return label, x, iterations, int(np.argmax(final))


def main():
    params = network(2018)
    rng = np.random.default_rng(7)
    cases = []
    one_step = 0
    # Keep the images that need several steps (the nonlinear case), and two that need one.
    while len(cases) < 8:
        x0 = rng.uniform(0.0, 1.0, 48).astype(np.float32).astype(np.float64)
        label, x, iterations, adversarial = deepfool(params, x0)
        if iterations == 1:
            one_step += 1
            if one_step > 2:
                continue
        clipped = int(np.sum((x == 0) | (x == 1)))
        print("clipped pixels:", clipped)
        cases.append({
            "image": x0.tolist(), "label": label, "adversarialImage": x.tolist(),
            "iterations": iterations, "adversarialLabel": adversarial,
        })
    w1, b1, w2, b2 = params
    out = {
        "generator": "Tools/make_deepfool_fixtures.py", "numpy": np.__version__,
        "candidates": CANDIDATES, "overshoot": OVERSHOOT, "margin": MARGIN,
        "w1": w1.tolist(), "b1": b1.tolist(), "w2": w2.tolist(), "b2": b2.tolist(),
        "cases": cases,
    }
    path = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/Attacks/deepfool_mlp.json"
    path.write_text(json.dumps(out, indent=1))
    for case in cases:
        print(case["label"], "->", case["adversarialLabel"], "in", case["iterations"], "steps")


if __name__ == "__main__":
    main()
