#!/usr/bin/env python3
"""Golden values for Tests/TensorTests/Convolution*Tests.swift and Pooling*Tests.swift.

Computes 2-D convolutions, max / average pooling and their vector-Jacobian products with
JAX (jax.lax.conv_general_dilated, jax.lax.reduce_window, jax.vjp) in float64 on small random
tensors, and writes one JSON file per case to Tests/Fixtures/Convolution/.

Usage (from the repository root):
    python3 -m venv .venv-tools && .venv-tools/bin/pip install numpy "jax[cpu]"
    .venv-tools/bin/python Tools/make_convolution_fixtures.py

Layouts follow PyTorch: input NCHW, weight OIHW (in-channels per group). Padding is given as
(top, bottom, left, right); "same" is TensorFlow's rule, which JAX's "SAME" implements.
"""

import json
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "Convolution"


def tensor(array):
    array = np.asarray(array, dtype=np.float64)
    return {"shape": list(array.shape), "data": [float(f"{v:.9g}") for v in array.ravel()]}


def random(rng, shape):
    # Rounded to float32 so that Swift sees exactly the values JAX used.
    return rng.standard_normal(shape).astype(np.float32).astype(np.float64)


def same_padding(size, kernel, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def convolution_case(name, seed, input_shape, weight_shape, stride, dilation, padding, groups,
                     bias):
    rng = np.random.default_rng(seed)
    x = random(rng, input_shape)
    w = random(rng, weight_shape)
    b = random(rng, (weight_shape[0],)) if bias else np.zeros(weight_shape[0])
    if padding == "same":
        pads = [same_padding(input_shape[2], weight_shape[2], stride[0], dilation[0]),
                same_padding(input_shape[3], weight_shape[3], stride[1], dilation[1])]
        jax_padding = "SAME"
    else:
        top, bottom, left, right = padding
        pads = [(top, bottom), (left, right)]
        jax_padding = pads

    def forward(x, w, b):
        y = jax.lax.conv_general_dilated(
            x, w, window_strides=stride, padding=jax_padding, rhs_dilation=dilation,
            dimension_numbers=("NCHW", "OIHW", "NCHW"), feature_group_count=groups,
            precision=jax.lax.Precision.HIGHEST)
        return y + b[None, :, None, None]

    y, pullback = jax.vjp(forward, jnp.asarray(x), jnp.asarray(w), jnp.asarray(b))
    cotangent = random(rng, y.shape)
    dx, dw, db = pullback(jnp.asarray(cotangent))
    case = {
        "name": name, "stride": list(stride), "dilation": list(dilation), "groups": groups,
        "padding": padding if padding == "same" else list(padding),
        "resolvedPadding": [pads[0][0], pads[0][1], pads[1][0], pads[1][1]],
        "input": tensor(x), "weight": tensor(w), "bias": tensor(b) if bias else None,
        "output": tensor(y), "outputGradient": tensor(cotangent),
        "inputGradient": tensor(dx), "weightGradient": tensor(dw),
        "biasGradient": tensor(db) if bias else None,
    }
    (OUT / f"{name}.json").write_text(json.dumps(case, separators=(",", ":")) + "\n")


def pooled_size(size, kernel, stride, before, after, ceil_mode):
    span = size + before + after - kernel
    count = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + before:
        count -= 1
    return count


def pooling_case(name, seed, input_shape, kernel, stride, padding, ceil_mode, operation,
                 count_include_pad=True):
    rng = np.random.default_rng(seed)
    # A permutation of well separated values: no ties, and finite differences stay off kinks.
    count = math.prod(input_shape)
    x = (rng.permutation(count).reshape(input_shape) * 0.125 - count * 0.0625).astype(np.float64)
    top, bottom, left, right = padding
    height, width = input_shape[2], input_shape[3]
    out_h = pooled_size(height, kernel[0], stride[0], top, bottom, ceil_mode)
    out_w = pooled_size(width, kernel[1], stride[1], left, right, ceil_mode)
    # Extra trailing padding so that reduce_window produces the ceil-mode windows; those windows
    # are clipped to the input (max) or to the padded input (average divisor) below.
    extra_h = max((out_h - 1) * stride[0] + kernel[0] - (height + top + bottom), 0)
    extra_w = max((out_w - 1) * stride[1] + kernel[1] - (width + left + right), 0)
    pads = ((0, 0), (0, 0), (top, bottom + extra_h), (left, right + extra_w))
    dims, strides = (1, 1) + tuple(kernel), (1, 1) + tuple(stride)

    def window_sum(v):
        return jax.lax.reduce_window(v, 0.0, jax.lax.add, dims, strides, pads)

    if operation == "max":
        def forward(v):
            return jax.lax.reduce_window(v, -jnp.inf, jax.lax.max, dims, strides, pads)
    else:
        if count_include_pad:
            # Ones over the padded input, zero beyond it: the window area clipped to the padding.
            ones = jnp.pad(jnp.ones((1, 1, height, width)), ((0, 0), (0, 0), (top, bottom),
                                                               (left, right)), constant_values=1)
            divisor = jax.lax.reduce_window(
                ones, 0.0, jax.lax.add, dims, strides,
                ((0, 0), (0, 0), (0, extra_h), (0, extra_w)))
        else:
            divisor = window_sum(jnp.ones((1, 1, height, width)))

        def forward(v):
            return window_sum(v) / divisor

    y, pullback = jax.vjp(forward, jnp.asarray(x))
    assert y.shape[2:] == (out_h, out_w), (y.shape, out_h, out_w)
    cotangent = random(rng, y.shape)
    (dx,) = pullback(jnp.asarray(cotangent))
    case = {
        "name": name, "operation": operation, "kernel": list(kernel), "stride": list(stride),
        "padding": list(padding), "ceilMode": ceil_mode, "countIncludePad": count_include_pad,
        "input": tensor(x), "output": tensor(y), "outputGradient": tensor(cotangent),
        "inputGradient": tensor(dx),
    }
    (OUT / f"{name}.json").write_text(json.dumps(case, separators=(",", ":")) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    convolution_case("conv_odd_dilated_asymmetric", 1, (2, 3, 7, 5), (4, 3, 3, 2), (2, 1),
                     (2, 2), (1, 2, 0, 1), 1, True)
    convolution_case("conv_grouped", 2, (1, 4, 6, 7), (6, 2, 2, 3), (1, 1), (1, 2),
                     (0, 1, 2, 0), 2, False)
    convolution_case("conv_depthwise_multiplier2_same", 3, (2, 3, 8, 9), (6, 1, 3, 3), (2, 2),
                     (1, 1), "same", 3, True)
    convolution_case("conv_stem_same_stride2", 4, (1, 3, 11, 10), (8, 3, 3, 3), (2, 2), (1, 1),
                     "same", 1, True)
    convolution_case("conv_pointwise", 5, (2, 6, 4, 5), (5, 6, 1, 1), (1, 1), (1, 1),
                     (0, 0, 0, 0), 1, True)
    pooling_case("maxpool_k3_s2_p1", 6, (2, 2, 7, 6), (3, 3), (2, 2), (1, 1, 1, 1), False, "max")
    pooling_case("maxpool_k2x3_ceil", 7, (1, 2, 7, 8), (2, 3), (2, 2), (0, 0, 1, 1), True, "max")
    pooling_case("avgpool_k3_s2_p1_ceil_countpad", 8, (2, 2, 6, 7), (3, 3), (2, 2),
                 (1, 1, 1, 1), True, "average", True)
    pooling_case("avgpool_k3_s2_p1_ceil_nocountpad", 9, (1, 2, 6, 7), (3, 3), (2, 2),
                 (1, 1, 1, 1), True, "average", False)
    pooling_case("avgpool_k2x3_s1x2_asymmetric", 10, (1, 3, 5, 8), (2, 3), (1, 2),
                 (0, 1, 2, 1), False, "average", True)


if __name__ == "__main__":
    main()
