#!/usr/bin/env python3
"""Makes the EfficientNet-Lite0 golden files under Tests/Fixtures/Lite0/.

Run from the repository root with the tools virtualenv (after Scripts/setup.sh fetched Assets/):

    python3 -m venv .venv-tools            # once, if it does not exist
    .venv-tools/bin/pip install numpy pillow onnx onnxruntime jax
    .venv-tools/bin/python Tools/make_lite0_golden.py

The reference is onnxruntime running an ONNX graph of EfficientNet-Lite0 that this script builds
with `onnx.helper` from the weights of Assets/models/efficientnet-lite0.pth:

* The checkpoint is a legacy (pre-zip) `torch.save` file. PyTorch is not installed (5.4 GB), so
  it is read with `pickle.Unpickler`: `find_class` admits only `collections.OrderedDict`,
  `torch._utils._rebuild_tensor_v2` and the `torch.*Storage` types (stand-ins that record the
  element type), `persistent_load` turns each `('storage', type, key, location, numel)` into a
  placeholder; after the pickles come the storage records (an int64 element count, then the
  raw little-endian elements), and every tensor is `np.lib.stride_tricks.as_strided` over its
  storage with the pickled offset, size and stride.
* The graph follows the architecture of Tan & Le, "EfficientNet" (2019), Lite variant: stem
  3x3 stride 2 -> 32, 16 MBConv blocks (expand 1x1 unless expansion 1, depthwise kxk, project
  1x1; batch norm after each, ReLU6 after expand and depthwise, identity skip when stride 1 and
  in == out), head 1x1 -> 1280, global average pool, fully connected 1000. TensorFlow "SAME"
  padding is written as explicit ONNX `pads` (smaller half at the top/left). Batch norm is an
  ONNX `BatchNormalization` node with epsilon 1e-3 (not folded, so the Swift folding is checked
  independently). ReLU6 is `Clip(0, 6)`.

Inputs: each photograph in Assets/images/ is opened with Pillow, converted to RGB (alpha
composited over white, as the Swift decoder's default), resized so that its shorter side is 256
(Pillow BILINEAR, which widens its filter when downscaling; the longer side is
floor(256 * long / short), as torchvision), and centre-cropped to 224 x 224 (top =
round((H - 224) / 2), as torchvision). The crop is saved as an 8-bit PNG, and the network input
is that PNG's bytes / 255, normalised `x * 255/128 - 127/128` in float32, so the Swift test
decodes the same pixels and applies the same normalisation.

Outputs in Tests/Fixtures/Lite0/:
* <name>.png       the 224 x 224 RGB crop of Assets/images/<name>.<ext>
* <name>.npy       the onnxruntime logits, float32 [1000]
* golden.json      per image: source file, crop size and offsets, top-5 (index, label, logit,
                   probability), the gap between the 5th and 6th logits; plus the versions used.

* coffee_gradient.npy  the gradient of the espresso logit (class 967) with respect to the
                   pixels of coffee.png (in [0, 1], through the normalisation), rows and columns
                   96..<128 of the 224 x 224 crop: float32 [3, 32, 32]. Computed by `jax.grad`
                   of an independent JAX forward (float64, unfolded batch norm, `lax.clamp`
                   for ReLU6, whose gradient JAX passes where 0 < x < 6 like PyTorch's
                   hardtanh); golden.json also holds the L2 norm of the whole gradient and its
                   dot products with the directions `v[c, i, j] = sin(0.37 i + 0.91 j + 1.3 c + k)`
                   for k = 0, 1, and how far the JAX logits are from onnxruntime's.

`--save-onnx PATH` also writes the ONNX model (used by Benchmarks/onnxruntime_lite0.py).
"""

import argparse
import collections
import json
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import PIL
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT = ROOT / "Assets/models/efficientnet-lite0.pth"
LABELS = ROOT / "Assets/labels/imagenet_classes.txt"
IMAGES = ROOT / "Assets/images"
OUTPUT = ROOT / "Tests/Fixtures/Lite0"

# (repeats, kernel, stride, expansion, input channels, output channels)
STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
EPSILON = 1e-3
RESIZE = 256
CROP = 224


# ---------------------------------------------------------------------------------------------
# Legacy PyTorch checkpoint reader (no torch).


class _Storage:
    """A stand-in for torch.<Type>Storage: only its numpy element type matters."""

    dtype = None


def _storage_type(name, dtype):
    return type(name, (_Storage,), {"dtype": np.dtype(dtype)})


_STORAGE_TYPES = {
    "FloatStorage": _storage_type("FloatStorage", "<f4"),
    "DoubleStorage": _storage_type("DoubleStorage", "<f8"),
    "HalfStorage": _storage_type("HalfStorage", "<f2"),
    "LongStorage": _storage_type("LongStorage", "<i8"),
    "IntStorage": _storage_type("IntStorage", "<i4"),
}


class _StorageReference:
    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel


class _PendingTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, *rest):
    return _PendingTensor(storage, offset, size, stride)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_TYPES:
            return _STORAGE_TYPES[name]
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        return _StorageReference(key, storage_type.dtype, numel)


def read_legacy_checkpoint(path):
    """The state dict of a legacy torch.save file, as an OrderedDict of numpy arrays."""
    with open(path, "rb") as handle:
        data = handle.read()
    stream = __import__("io").BytesIO(data)
    magic = _RestrictedUnpickler(stream).load()
    if magic != 0x1950A86A20F9469CFC6C:
        raise ValueError(f"{path}: not a legacy PyTorch checkpoint (magic {magic!r})")
    _RestrictedUnpickler(stream).load()  # protocol version
    _RestrictedUnpickler(stream).load()  # system info
    state = _RestrictedUnpickler(stream).load()
    keys = _RestrictedUnpickler(stream).load()
    references = {}
    for value in state.values():
        if isinstance(value, _PendingTensor):
            references[value.storage.key] = value.storage
    storages = {}
    for key in keys:
        (count,) = struct.unpack("<q", stream.read(8))
        dtype = references[key].dtype
        storages[key] = np.frombuffer(stream.read(count * dtype.itemsize), dtype=dtype)
    result = collections.OrderedDict()
    for name, value in state.items():
        if not isinstance(value, _PendingTensor):
            continue
        base = storages[value.storage.key][value.offset :]
        item = base.dtype.itemsize
        array = np.lib.stride_tricks.as_strided(
            base, shape=value.size, strides=[s * item for s in value.stride]
        )
        result[name] = np.ascontiguousarray(array)
    return result


# ---------------------------------------------------------------------------------------------
# ONNX graph.


def same_padding(size, kernel, stride):
    """TensorFlow SAME padding along one axis: (before, after), the smaller half before."""
    output = -(-size // stride)
    total = max((output - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def block_specs():
    """(input channels, output channels, kernel, stride, expansion) of the 16 blocks."""
    specs = []
    for repeats, kernel, stride, expansion, cin, cout in STAGES:
        for r in range(repeats):
            first = r == 0
            specs.append((cin if first else cout, cout, kernel, stride if first else 1, expansion))
    return specs


class GraphBuilder:
    def __init__(self, weights):
        self.weights = weights
        self.used = set()
        self.nodes = []
        self.initializers = []
        self.counter = 0

    def name(self, base):
        self.counter += 1
        return f"{base}_{self.counter}"

    def weight(self, key):
        self.used.add(key)
        if key not in {i.name for i in self.initializers}:
            self.initializers.append(numpy_helper.from_array(self.weights[key], key))
        return key

    def constant(self, value):
        name = self.name("const")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def conv(self, x, key, size, stride, groups=1):
        w = self.weights[key + ".weight"]
        kernel = w.shape[2]
        top, bottom = same_padding(size, kernel, stride)
        out = self.name(key)
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self.weight(key + ".weight")],
                [out],
                kernel_shape=[kernel, kernel],
                strides=[stride, stride],
                pads=[top, top, bottom, bottom],
                group=groups,
            )
        )
        return out, -(-size // stride)

    def batch_norm(self, x, key):
        out = self.name(key)
        names = ("weight", "bias", "running_mean", "running_var")
        inputs = [self.weight(f"{key}.{p}") for p in names]
        self.nodes.append(
            helper.make_node("BatchNormalization", [x] + inputs, [out], epsilon=EPSILON)
        )
        return out

    def relu6(self, x):
        out = self.name("relu6")
        self.nodes.append(
            helper.make_node("Clip", [x, self.constant(0.0), self.constant(6.0)], [out])
        )
        return out

    def add(self, a, b):
        out = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [out]))
        return out


def build_model(weights, size=CROP):
    g = GraphBuilder(weights)
    x, s = g.conv("input", "_conv_stem", size, 2)
    x = g.relu6(g.batch_norm(x, "_bn0"))
    for index, (cin, cout, kernel, stride, expansion) in enumerate(block_specs()):
        prefix = f"_blocks.{index}"
        h = x
        if expansion != 1:
            h, _ = g.conv(h, f"{prefix}._expand_conv", s, 1)
            h = g.relu6(g.batch_norm(h, f"{prefix}._bn0"))
        h, t = g.conv(h, f"{prefix}._depthwise_conv", s, stride, groups=cin * expansion)
        h = g.relu6(g.batch_norm(h, f"{prefix}._bn1"))
        h, _ = g.conv(h, f"{prefix}._project_conv", t, 1)
        h = g.batch_norm(h, f"{prefix}._bn2")
        if stride == 1 and cin == cout:
            h = g.add(h, x)
        x, s = h, t
    x, _ = g.conv(x, "_conv_head", s, 1)
    x = g.relu6(g.batch_norm(x, "_bn1"))
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    g.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    g.nodes.append(
        helper.make_node(
            "Gemm", ["features", g.weight("_fc.weight"), g.weight("_fc.bias")], ["logits"], transB=1
        )
    )
    unused = [
        k for k in weights if k not in g.used and not k.endswith("num_batches_tracked")
    ]
    if unused:
        raise ValueError(f"checkpoint keys not used by the graph: {unused}")
    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1000])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def session(model, threads=1):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


# ---------------------------------------------------------------------------------------------
# Inputs.


def load_rgb(path):
    """The photograph as 8-bit RGB; alpha composited over white (the Swift decoder's default)."""
    image = Image.open(path)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float64) / 255
        alpha = rgba[..., 3:4]
        rgb = rgba[..., :3] * alpha + (1 - alpha)
        return Image.fromarray(np.floor(rgb * 255 + 0.5).astype(np.uint8), "RGB")
    return image.convert("RGB")


def preprocess(image):
    """Shorter side to 256 (Pillow BILINEAR), centre crop 224.

    Returns the crop, the resized (height, width) and the crop's (top, left).
    """
    width, height = image.size
    short, long = min(width, height), max(width, height)
    new_long = int(RESIZE * long / short)
    size = (RESIZE, new_long) if width <= height else (new_long, RESIZE)
    resized = image.resize(size, Image.BILINEAR)
    top = int(round((resized.height - CROP) / 2))
    left = int(round((resized.width - CROP) / 2))
    crop = resized.crop((left, top, left + CROP, top + CROP))
    return crop, (resized.height, resized.width), (top, left)


def normalized(crop):
    """[1, 3, 224, 224] float32: pixels / 255, then x * 255/128 - 127/128 (EfficientNet-Lite)."""
    x = np.asarray(crop, dtype=np.float32).transpose(2, 0, 1)[None] / np.float32(255)
    return (x * np.float32(255 / 128) + np.float32(-127 / 128)).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# JAX reference for the input gradient.

GRADIENT_IMAGE = "coffee"
GRADIENT_CLASS = 967
GRADIENT_WINDOW = (96, 32)  # first row/column, size


def jax_logits_function(weights):
    """A float64 JAX forward of Lite0 from [N, 3, H, W] pixels in [0, 1] to logits."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    w = {k: jnp.asarray(v, jnp.float64) for k, v in weights.items() if v.dtype == np.float32}

    def conv(x, key, stride, groups=1):
        kernel = w[key + ".weight"]
        pads = [same_padding(x.shape[axis], kernel.shape[axis], stride) for axis in (2, 3)]
        return jax.lax.conv_general_dilated(
            x, kernel, (stride, stride), pads, feature_group_count=groups,
            dimension_numbers=("NCHW", "OIHW", "NCHW"))

    def bn(x, key):
        shape = (1, -1, 1, 1)
        scale = w[key + ".weight"] / jnp.sqrt(w[key + ".running_var"] + EPSILON)
        return (x - w[key + ".running_mean"].reshape(shape)) * scale.reshape(shape) + w[
            key + ".bias"
        ].reshape(shape)

    def relu6(x):
        return jax.lax.clamp(0.0, x, 6.0)

    def forward(pixels):
        x = pixels * (255 / 128) - 127 / 128
        x = relu6(bn(conv(x, "_conv_stem", 2), "_bn0"))
        for index, (cin, cout, kernel, stride, expansion) in enumerate(block_specs()):
            prefix = f"_blocks.{index}"
            h = x
            if expansion != 1:
                h = relu6(bn(conv(h, f"{prefix}._expand_conv", 1), f"{prefix}._bn0"))
            h = conv(h, f"{prefix}._depthwise_conv", stride, cin * expansion)
            h = relu6(bn(h, f"{prefix}._bn1"))
            h = bn(conv(h, f"{prefix}._project_conv", 1), f"{prefix}._bn2")
            x = h + x if stride == 1 and cin == cout else h
        x = relu6(bn(conv(x, "_conv_head", 1), "_bn1"))
        return x.mean(axis=(2, 3)) @ w["_fc.weight"].T + w["_fc.bias"]

    return jax, forward


def gradient_reference(weights, onnx_logits):
    """The JAX gradient summary for GRADIENT_IMAGE (see the module documentation)."""
    jax, forward = jax_logits_function(weights)
    pixels = np.asarray(Image.open(OUTPUT / f"{GRADIENT_IMAGE}.png"), np.float64)
    pixels = pixels.transpose(2, 0, 1)[None] / 255
    logits = np.asarray(forward(pixels))[0]
    gradient = np.asarray(jax.grad(lambda p: forward(p)[0, GRADIENT_CLASS])(pixels))[0]
    start, size = GRADIENT_WINDOW
    window = gradient[:, start : start + size, start : start + size].astype(np.float32)
    np.save(OUTPUT / f"{GRADIENT_IMAGE}_gradient.npy", window)
    c, i, j = np.meshgrid(np.arange(3), np.arange(CROP), np.arange(CROP), indexing="ij")
    directions = [np.sin(0.37 * i + 0.91 * j + 1.3 * c + k) for k in (0, 1)]
    return {
        "image": GRADIENT_IMAGE,
        "class": GRADIENT_CLASS,
        "window": {"top": start, "left": start, "size": size},
        "norm": float(np.sqrt((gradient**2).sum())),
        "directionalDerivatives": [float((gradient * v).sum()) for v in directions],
        "jaxLogitMaxDifferenceFromOnnxRuntime": float(np.abs(logits - onnx_logits).max()),
    }


def softmax(z):
    e = np.exp(z.astype(np.float64) - z.max())
    return e / e.sum()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save-onnx", type=Path, help="also write the ONNX model here")
    args = parser.parse_args()

    weights = read_legacy_checkpoint(CHECKPOINT)
    model = build_model(weights)
    if args.save_onnx:
        onnx.save(model, str(args.save_onnx))
    run = session(model)
    labels = [line.strip() for line in LABELS.read_text().splitlines() if line.strip()]
    OUTPUT.mkdir(parents=True, exist_ok=True)

    entries = []
    for path in sorted(IMAGES.iterdir()):
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            continue
        crop, resized, (top, left) = preprocess(load_rgb(path))
        crop_path = OUTPUT / f"{path.stem}.png"
        crop.save(crop_path, optimize=True)
        # Read the PNG back so the network sees exactly the committed pixels.
        pixels = Image.open(crop_path)
        pixels.load()
        logits = run.run(["logits"], {"input": normalized(pixels)})[0][0].astype(np.float32)
        np.save(OUTPUT / f"{path.stem}.npy", logits)
        order = np.argsort(-logits, kind="stable")
        p = softmax(logits)
        entries.append(
            {
                "name": path.stem,
                "source": f"images/{path.name}",
                "resized": list(resized),
                "crop": {"top": top, "left": left, "height": CROP, "width": CROP},
                "top5": [
                    {
                        "index": int(i),
                        "label": labels[i],
                        "logit": float(logits[i]),
                        "probability": float(p[i]),
                    }
                    for i in order[:5]
                ],
                "gap5to6": float(logits[order[4]] - logits[order[5]]),
            }
        )
        print(f"{path.name:22s}", ", ".join(f"{labels[i]} {p[i]:.3f}" for i in order[:3]))

    onnx_logits = np.load(OUTPUT / f"{GRADIENT_IMAGE}.npy").astype(np.float64)
    gradient = gradient_reference(weights, onnx_logits)
    print("JAX gradient:", gradient)

    golden = {
        "generator": "Tools/make_lite0_golden.py",
        "checkpoint": "Assets/models/efficientnet-lite0.pth",
        "normalization": "x * 255/128 - 127/128, x = png / 255",
        "versions": {
            "numpy": np.__version__,
            "pillow": PIL.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "jax": __import__("jax").__version__,
        },
        "images": entries,
        "gradient": gradient,
    }
    (OUTPUT / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
