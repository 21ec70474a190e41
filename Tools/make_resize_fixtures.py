#!/usr/bin/env python3
"""Golden values for Tests/TensorTests/ResizeTests.swift (Tests/Fixtures/Resize/resize.json).

For each case, a seeded random float32 image [C, H, W] is resized to (outH, outW):

- "antialiased": Pillow's Image.resize(BILINEAR) on each channel as a 32-bit float image (mode
  'F', so there is no 8-bit rounding). torchvision's resize(antialias=True) uses the same filter.
- "bilinear": PyTorch's F.interpolate(mode='bilinear', align_corners=False), re-implemented
  below in float64 from its definition (half-pixel centres, source index clamped at 0, upper
  neighbour clamped to the last pixel), and cross-checked against scikit-image's
  transform.resize(order=1, mode='edge', anti_aliasing=False), which samples the same points.

Run from the repository root:
    python3 -m venv .venv-tools
    .venv-tools/bin/pip install numpy pillow scikit-image
    .venv-tools/bin/python Tools/make_resize_fixtures.py
"""

import json
import pathlib

import numpy as np
import PIL
from PIL import Image
import skimage
from skimage.transform import resize as skimage_resize

# (name, channels, in_h, in_w, out_h, out_w)
CASES = [
    ("downscale both axes by non-integer factors", 2, 7, 9, 4, 5),
    ("upscale both axes", 1, 5, 7, 11, 13),
    ("downscale height, upscale width", 2, 9, 4, 4, 7),
    ("downscale by three", 1, 12, 9, 4, 3),
    ("strong downscale to a single row", 1, 9, 11, 1, 4),
    ("single input row upscaled", 1, 1, 5, 3, 8),
    ("odd sizes near identity", 3, 13, 17, 12, 18),
]

SEED = 20180908


def bilinear_indices(in_size, out_size):
    """Source indices and weights of PyTorch's bilinear (align_corners=False) along one axis."""
    scale = in_size / out_size
    source = np.maximum((np.arange(out_size) + 0.5) * scale - 0.5, 0.0)
    lower = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    upper = np.minimum(lower + 1, in_size - 1)
    lam = source - lower
    return lower, upper, lam


def torch_bilinear(image):
    """F.interpolate(image[None], size, mode='bilinear', align_corners=False)[0] in float64."""

    def run(x, out_h, out_w):
        h0, h1, hl = bilinear_indices(x.shape[1], out_h)
        w0, w1, wl = bilinear_indices(x.shape[2], out_w)
        x = x.astype(np.float64)
        top = x[:, h0, :] * (1 - hl)[None, :, None] + x[:, h1, :] * hl[None, :, None]
        return top[:, :, w0] * (1 - wl)[None, None, :] + top[:, :, w1] * wl[None, None, :]

    return run


def pillow_bilinear(image, out_h, out_w):
    planes = []
    for plane in image:
        pil = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32))
        assert pil.mode == "F"
        resized = pil.resize((out_w, out_h), Image.BILINEAR)
        planes.append(np.asarray(resized, dtype=np.float32))
    return np.stack(planes)


def compact(values):
    # 9 significant digits identify a float32 exactly.
    return [float("%.9g" % v) for v in np.asarray(values, dtype=np.float32).ravel()]


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for name, c, h, w, oh, ow in CASES:
        image = rng.uniform(-1, 1, size=(c, h, w)).astype(np.float32)
        bilinear = torch_bilinear(image)(image, oh, ow)
        reference = skimage_resize(
            image.astype(np.float64), (c, oh, ow), order=1, mode="edge", anti_aliasing=False)
        assert np.allclose(bilinear, reference, atol=1e-12), name
        antialiased = pillow_bilinear(image, oh, ow)
        if oh >= h and ow >= w:
            # Upscaling: the antialiasing filter reduces to plain bilinear interpolation.
            assert np.allclose(antialiased, bilinear, atol=1e-6), name
        cases.append({
            "name": name,
            "inputShape": [c, h, w],
            "outputHeight": oh,
            "outputWidth": ow,
            "input": compact(image),
            "bilinear": compact(bilinear),
            "antialiased": compact(antialiased),
        })
    out = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/Resize/resize.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generator": "Tools/make_resize_fixtures.py",
        "versions": {"numpy": np.__version__, "pillow": PIL.__version__,
                     "scikit-image": skimage.__version__},
        "seed": SEED,
        "cases": cases,
    }
    # One line per case keeps the file small and its diffs readable.
    header = json.dumps({k: v for k, v in document.items() if k != "cases"})[:-1]
    lines = ",\n  ".join(json.dumps(case) for case in cases)
    out.write_text(header + ',\n "cases": [\n  ' + lines + "\n ]\n}\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
