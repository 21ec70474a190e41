#!/usr/bin/env python3
"""Golden values for Tests/ModelsTests/Training/*Tests.swift and Architectures/SmallCNNTests.swift.

Writes to Tests/Fixtures/Training/:

- cross_entropy.json: softmax cross-entropy (mean over the batch, optional label smoothing) and
  its gradient with respect to the logits, from jax.value_and_grad in float64 (PyTorch's
  nn.CrossEntropyLoss(label_smoothing=...) defines the same function).
- optimizers.json: three steps of SGD (plain, momentum + dampening + weight decay, Nesterov) and
  Adam / AdamW on a fixed sequence of gradients. The trajectories are computed in float32 with
  NumPy, following the operations of torch.optim.SGD / Adam / AdamW (single-tensor code path)
  in the same order and with the same Double-to-Float rounding of the scalars, and are
  cross-checked in float64 against optax (sgd/trace, adam, adamw), which implements the same
  algorithms independently (optax has no dampening, so that case is checked against a float64
  transcription instead).
- small_cnn.safetensors + small_cnn.json: a SmallCNN with tiny widths (1 -> 3 -> 4 channels,
  8x8 images, 6 hidden units, 5 classes), its weights written with the `safetensors` package
  under PyTorch state-dict names, two images, the logits, the loss and the gradients of every
  parameter and of the images, from JAX (lax.conv_general_dilated, lax.reduce_window,
  jax.value_and_grad) in float64.

Usage (from the repository root):
    python3 -m venv .venv-tools && .venv-tools/bin/pip install numpy "jax[cpu]" optax safetensors
    .venv-tools/bin/python Tools/make_training_fixtures.py
"""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
from safetensors.numpy import save_file

jax.config.update("jax_enable_x64", True)

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "Training"


def tensor(array):
    array = np.asarray(array)
    if array.dtype == np.float32:
        data = [float(v) for v in array.ravel()]  # exact: every float32 is a float64
    else:
        data = [float(f"{v:.17g}") for v in np.asarray(array, dtype=np.float64).ravel()]
    return {"shape": list(array.shape), "data": data}


def f32(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# ----------------------------------------------------------------------------- cross-entropy

def cross_entropy(logits, labels, smoothing):
    log_p = jax.nn.log_softmax(logits, axis=1)
    k = logits.shape[1]
    q = (1 - smoothing) * jax.nn.one_hot(labels, k, dtype=logits.dtype) + smoothing / k
    return -jnp.mean(jnp.sum(q * log_p, axis=1))


def cross_entropy_cases():
    rng = np.random.default_rng(11)
    cases = []
    for name, shape, scale, smoothing in [
        ("plain", (5, 7), 2.0, 0.0),
        ("smoothed", (4, 10), 3.0, 0.1),
        ("large logits", (3, 4), 60.0, 0.0),
    ]:
        logits = f32(rng, shape, scale)
        if name == "large logits":
            logits[0] += 1000  # a shifted row: the log-softmax must subtract its maximum
        labels = rng.integers(0, shape[1], size=shape[0])
        loss, grad = jax.value_and_grad(cross_entropy)(
            jnp.asarray(logits, dtype=jnp.float64), jnp.asarray(labels), smoothing)
        cases.append({
            "name": name, "smoothing": smoothing, "logits": tensor(logits),
            "labels": [int(v) for v in labels], "loss": float(loss),
            "gradient": tensor(np.asarray(grad)),
        })
    return cases


# ----------------------------------------------------------------------------- optimizers

F = np.float32


def sgd_torch(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """torch.optim.SGD._single_tensor_sgd in float32; scalars rounded from Python floats."""
    p = p.copy()
    buf = None
    out = []
    for g in grads:
        d = g.copy()
        if weight_decay != 0:
            d = d + F(weight_decay) * p                 # grad.add(param, alpha=wd)
        if momentum != 0:
            if buf is None:
                buf = d.copy()                          # torch.clone(grad)
            else:
                buf = buf * F(momentum) + F(1 - dampening) * d   # mul_(m).add_(d, alpha=1-damp)
            d = d + F(momentum) * buf if nesterov else buf
        p = p + F(-lr) * d                              # param.add_(grad, alpha=-lr)
        out.append(p.copy())
    return out


def adam_torch(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """torch.optim.Adam/AdamW._single_tensor_adam(w) in float32 (not capturable, no amsgrad)."""
    beta1, beta2 = betas
    p = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    out = []
    for step, g in enumerate(grads, start=1):
        d = g.copy()
        if weight_decay != 0:
            if decoupled:
                p = p * F(1 - lr * weight_decay)        # param.mul_(1 - lr * wd)
            else:
                d = d + F(weight_decay) * p             # grad.add(param, alpha=wd)
        m = m + F(1 - beta1) * (d - m)                  # exp_avg.lerp_(grad, 1 - beta1)
        v = v * F(beta2) + F(1 - beta2) * d * d         # mul_(b2).addcmul_(g, g, value=1-b2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        denom = np.sqrt(v) / F(bias_correction2 ** 0.5) + F(eps)
        p = p + F(-step_size) * (m / denom)             # addcdiv_(m, denom, value=-step_size)
        out.append(p.copy())
    return out


def optax_trajectory(transform, p, grads):
    params = jnp.asarray(p, dtype=jnp.float64)
    state = transform.init(params)
    out = []
    for g in grads:
        updates, state = transform.update(jnp.asarray(g, dtype=jnp.float64), state, params)
        params = optax.apply_updates(params, updates)
        out.append(np.asarray(params))
    return out


def sgd_float64(p, grads, lr, momentum, dampening, weight_decay):
    p = p.astype(np.float64)
    buf = None
    out = []
    for g in grads:
        d = g.astype(np.float64) + weight_decay * p
        buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
        p = p - lr * buf
        out.append(p.copy())
    return out


def optimizer_cases():
    rng = np.random.default_rng(5)
    weight = f32(rng, (3, 4))
    bias = f32(rng, (3,))
    steps = 3
    grads_w = [f32(rng, (3, 4)) for _ in range(steps)]
    grads_b = [f32(rng, (3,)) for _ in range(steps)]

    specs = [
        ("sgd", dict(lr=0.1), lambda: optax.sgd(0.1)),
        ("sgd momentum dampening weight decay",
         dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), None),
        ("sgd nesterov weight decay", dict(lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True),
         lambda: optax.chain(optax.add_decayed_weights(0.01),
                             optax.sgd(0.05, momentum=0.9, nesterov=True))),
        ("adam", dict(lr=0.01), lambda: optax.adam(0.01, b1=0.9, b2=0.999, eps=1e-8)),
        ("adam betas eps weight decay",
         dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
         lambda: optax.chain(optax.add_decayed_weights(0.1),
                             optax.adam(0.02, b1=0.8, b2=0.99, eps=1e-6))),
        ("adamw", dict(lr=0.01, weight_decay=0.1, decoupled=True),
         lambda: optax.adamw(0.01, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.1)),
    ]
    cases = []
    for name, options, reference in specs:
        run = adam_torch if name.startswith("adam") else sgd_torch
        trajectory_w = run(weight, grads_w, **options)
        trajectory_b = run(bias, grads_b, **options)
        for start, grads, trajectory in [(weight, grads_w, trajectory_w),
                                         (bias, grads_b, trajectory_b)]:
            if reference is not None:
                check = optax_trajectory(reference(), start, grads)
            else:
                check = sgd_float64(start, grads, 0.05, 0.9, 0.1, 0.01)
            for ours, theirs in zip(trajectory, check):
                np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6, err_msg=name)
        options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}
        cases.append({
            "name": name, "options": options,
            "steps": [{"weight": tensor(w), "bias": tensor(b)}
                      for w, b in zip(trajectory_w, trajectory_b)],
        })
    return {
        "weight": tensor(weight), "bias": tensor(bias),
        "gradients": [{"weight": tensor(w), "bias": tensor(b)} for w, b in zip(grads_w, grads_b)],
        "cases": cases,
    }


# ----------------------------------------------------------------------------- SmallCNN

def small_cnn(params, x):
    def conv(x, w, b):
        y = jax.lax.conv_general_dilated(
            x, w, window_strides=(1, 1), padding=((1, 1), (1, 1)),
            dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + b[None, :, None, None]

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    x = pool(jax.nn.relu(conv(x, params["conv1.weight"], params["conv1.bias"])))
    x = pool(jax.nn.relu(conv(x, params["conv2.weight"], params["conv2.bias"])))
    x = x.reshape(x.shape[0], -1)
    x = jax.nn.relu(x @ params["fc1.weight"].T + params["fc1.bias"])
    return x @ params["fc2.weight"].T + params["fc2.bias"]


def small_cnn_case():
    rng = np.random.default_rng(3)
    shapes = {
        "conv1.weight": (3, 1, 3, 3), "conv1.bias": (3,),
        "conv2.weight": (4, 3, 3, 3), "conv2.bias": (4,),
        "fc1.weight": (6, 16), "fc1.bias": (6,),
        "fc2.weight": (5, 6), "fc2.bias": (5,),
    }
    params = {name: f32(rng, shape, 0.5) for name, shape in shapes.items()}
    images = rng.random((2, 1, 8, 8)).astype(np.float32)
    labels = np.array([3, 1])

    def loss(params, x):
        return cross_entropy(small_cnn(params, x), labels, 0.0)

    params64 = {k: jnp.asarray(v, dtype=jnp.float64) for k, v in params.items()}
    x64 = jnp.asarray(images, dtype=jnp.float64)
    logits = small_cnn(params64, x64)
    value, (parameter_grads, image_grad) = jax.value_and_grad(loss, argnums=(0, 1))(params64, x64)
    save_file(params, str(OUT / "small_cnn.safetensors"))
    return {
        "configuration": {"inputChannels": 1, "imageSize": 8, "channels": [3, 4],
                          "hiddenUnits": 6, "classCount": 5},
        "images": tensor(images), "labels": [int(v) for v in labels],
        "logits": tensor(np.asarray(logits)), "loss": float(value),
        "imageGradient": tensor(np.asarray(image_grad)),
        "parameterGradients": {k: tensor(np.asarray(v)) for k, v in parameter_grads.items()},
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, content in [("cross_entropy.json", cross_entropy_cases()),
                          ("optimizers.json", optimizer_cases()),
                          ("small_cnn.json", small_cnn_case())]:
        (OUT / name).write_text(json.dumps(content, indent=1) + "\n")
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
