#!/usr/bin/env python3
"""Reference logits and state-dict key lists for the torchvision architectures.

Writes, under Tests/Fixtures/Torchvision/:

- state_dicts.json: for every architecture of Sources/Models/Architectures/TorchvisionArchitecture
  .swift, torchvision's state-dict keys and shapes in state_dict() order, its parameter count and
  the count torchvision documents (meta["num_params"] of its IMAGENET1K_V1 weights).
- golden.json and <case>.f32: for every reference case of Tests/ModelsTests/TorchvisionReference
  .swift, the logits onnxruntime computes on the weights and input the Swift code generated for
  that case (little-endian float32, row-major [N, classes]).

Nothing here imports torch (PyTorch is impractical offline) and nothing is transcribed from the
Swift code. torchvision's own model source (resnet.py, vgg.py, mobilenetv2.py, squeezenet.py,
alexnet.py and the Conv2dNormActivation of ops/misc.py) is read from the torchvision wheel in
Assets/wheels/ and executed against a small stand-in for `torch.nn` defined below: its modules
register parameters and buffers exactly as PyTorch's do (so state_dict() keys, order and shapes
come from torchvision's constructors), and their forward methods emit ONNX nodes instead of
computing, so running torchvision's forward() traces the graph with torchvision's strides,
paddings, ceil_mode, adaptive pools, residual additions and concatenations. The public builders
(resnet50(), vgg16_bn(), ...) are called with weights=None, as a user would.

The weights come from Swift (`swift test --filter TorchvisionArchitectureTests/
testExportsReferenceWeightsWhenAsked` with TORCHVISION_EXPORT_DIR set), are loaded with the
safetensors numpy reader, bound to the traced graph by state-dict key (every key used, every shape
checked) and evaluated by onnxruntime with graph optimisations off.

Usage (from the repository root):
    python3 -m venv .venv-tools
    .venv-tools/bin/pip install numpy onnx onnxruntime safetensors
    .venv-tools/bin/python Tools/make_torchvision_golden.py [--scratch-path .build] [--keys-only]
"""

import argparse
import ast
import collections
import functools
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
import typing
import warnings
import zipfile
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = REPOSITORY / "Tests" / "Fixtures" / "Torchvision"

# The architectures, by torchvision builder name, and the source file defining each.
ARCHITECTURES = {
    "resnet18": "resnet", "resnet34": "resnet", "resnet50": "resnet", "resnet101": "resnet",
    "resnet152": "resnet",
    "vgg11": "vgg", "vgg11_bn": "vgg", "vgg13": "vgg", "vgg13_bn": "vgg", "vgg16": "vgg",
    "vgg16_bn": "vgg", "vgg19": "vgg", "vgg19_bn": "vgg",
    "mobilenet_v2": "mobilenetv2",
    "squeezenet1_0": "squeezenet", "squeezenet1_1": "squeezenet",
    "alexnet": "alexnet",
}


# ---------------------------------------------------------------------------------------------
# A graph under construction: torchvision's forward() appends ONNX nodes to it.

class Graph:
    def __init__(self, weights):
        from onnx import helper  # imported here so --keys-only needs only numpy
        self.helper = helper
        self.weights = weights
        self.used = set()
        self.nodes = []
        self.initializers = {}
        self.counter = 0

    def fresh(self, stem):
        self.counter += 1
        return f"{stem}_{self.counter}"

    def emit(self, op, inputs, shape, **attributes):
        output = self.fresh(op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [output], **attributes))
        return Value(output, tuple(shape))

    def constant(self, array):
        name = self.fresh("constant")
        self.initializers[name] = np.asarray(array, dtype=np.float32)
        return name

    def parameter(self, key, shape):
        """The initializer for state-dict `key`, checked against the module's `shape`."""
        if key not in self.weights:
            raise KeyError(f"the exported weights have no key {key!r}")
        array = self.weights[key]
        if tuple(array.shape) != tuple(shape):
            raise ValueError(f"{key}: exported shape {array.shape}, torchvision's {shape}")
        self.used.add(key)
        self.initializers[key] = array.astype(np.float32)
        return key


GRAPH = None  # the graph being traced


class Value:
    """A symbolic tensor: the name of an ONNX value and its shape."""

    def __init__(self, name, shape):
        self.name = name
        self.shape = shape

    def __add__(self, other):
        assert self.shape == other.shape, (self.shape, other.shape)
        return GRAPH.emit("Add", [self.name, other.name], self.shape)

    __iadd__ = __add__
    __radd__ = __add__


# ---------------------------------------------------------------------------------------------
# A stand-in for torch.nn: PyTorch's registration rules, ONNX-emitting forward methods.

def pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class Parameter:
    def __init__(self, shape):
        self.shape = tuple(shape)

    def numel(self):
        return int(np.prod(self.shape, dtype=np.int64))


class Module:
    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_path", "")
        object.__setattr__(self, "training", False)

    def __setattr__(self, name, value):
        # PyTorch keeps parameters and submodules in registration order; None entries of either
        # kind are skipped by state_dict().
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif value is None and name in self._parameters:
            self._parameters[name] = None
        elif value is None and name in self._modules:
            self._modules[name] = None
        object.__setattr__(self, name, value)

    def register_buffer(self, name, shape):
        self._buffers[name] = Parameter(shape)

    def modules(self):
        yield self
        for child in self._modules.values():
            if child is not None:
                yield from child.modules()

    def assign_paths(self, path=""):
        object.__setattr__(self, "_path", path)
        for name, child in self._modules.items():
            if child is not None:
                child.assign_paths(f"{path}.{name}" if path else name)

    def state_dict_shapes(self, prefix=""):
        """(key, shape, trainable) in PyTorch's state_dict() order."""
        for name, parameter in self._parameters.items():
            if parameter is not None:
                yield prefix + name, parameter.shape, True
        for name, buffer in self._buffers.items():
            yield prefix + name, buffer.shape, False
        for name, child in self._modules.items():
            if child is not None:
                yield from child.state_dict_shapes(prefix + name + ".")

    def key(self, name):
        return f"{self._path}.{name}" if self._path else name

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


class Sequential(Module):
    def __init__(self, *layers):
        super().__init__()
        for index, layer in enumerate(layers):
            setattr(self, str(index), layer)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x


class Conv2d(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        assert padding_mode == "zeros" and not isinstance(padding, str)
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding, self.dilation, self.groups = pair(padding), pair(dilation), groups
        self.weight = Parameter((out_channels, in_channels // groups) + self.kernel_size)
        self.bias = Parameter((out_channels,)) if bias else None

    def forward(self, x):
        n, _, h, w = x.shape
        size = [(length + 2 * p - d * (k - 1) - 1) // s + 1 for length, k, s, p, d in zip(
            (h, w), self.kernel_size, self.stride, self.padding, self.dilation)]
        inputs = [x.name, GRAPH.parameter(self.key("weight"), self.weight.shape)]
        if self.bias is not None:
            inputs.append(GRAPH.parameter(self.key("bias"), self.bias.shape))
        (ph, pw) = self.padding
        return GRAPH.emit(
            "Conv", inputs, (n, self.weight.shape[0], *size), kernel_shape=list(self.kernel_size),
            strides=list(self.stride), pads=[ph, pw, ph, pw], dilations=list(self.dilation),
            group=self.groups)


class BatchNorm2d(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
        super().__init__()
        assert affine and track_running_stats
        self.eps = eps
        self.weight = Parameter((num_features,))
        self.bias = Parameter((num_features,))
        self.register_buffer("running_mean", (num_features,))
        self.register_buffer("running_var", (num_features,))
        self.register_buffer("num_batches_tracked", ())

    def forward(self, x):
        shape = (x.shape[1],)
        inputs = [x.name] + [GRAPH.parameter(self.key(name), shape) for name in
                             ("weight", "bias", "running_mean", "running_var")]
        return GRAPH.emit("BatchNormalization", inputs, x.shape, epsilon=float(self.eps))


class GroupNorm(Module):
    pass


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return GRAPH.emit("Relu", [x.name], x.shape)


class ReLU6(Module):
    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        low, high = GRAPH.constant(0.0), GRAPH.constant(6.0)
        return GRAPH.emit("Clip", [x.name, low, high], x.shape)


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()

    def forward(self, x):  # evaluation mode
        return x


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        assert dilation == 1 and not return_indices
        self.kernel_size = pair(kernel_size)
        self.stride = pair(stride if stride is not None else kernel_size)
        self.padding = pair(padding)
        self.ceil_mode = ceil_mode

    def forward(self, x):
        n, c, h, w = x.shape
        size = []
        for length, k, s, p in zip((h, w), self.kernel_size, self.stride, self.padding):
            # PyTorch's pooling_output_shape: rounding up never starts a window in the padding.
            out = (length + 2 * p - (k - 1) - 1 + (s - 1 if self.ceil_mode else 0)) // s + 1
            if self.ceil_mode and (out - 1) * s >= length + p:
                out -= 1
            size.append(out)
        (ph, pw) = self.padding
        return GRAPH.emit(
            "MaxPool", [x.name], (n, c, *size), kernel_shape=list(self.kernel_size),
            strides=list(self.stride), pads=[ph, pw, ph, pw], ceil_mode=int(self.ceil_mode))


def adaptive_avg_pool2d(x, output_size):
    """PyTorch's adaptive average pooling: output index i averages input indices
    floor(i*L/O) ..< ceil((i+1)*L/O), written as two matrix products with bin-averaging
    matrices (y = P_h · x · P_wᵀ per plane), or GlobalAveragePool for a 1×1 output."""
    n, c, h, w = x.shape
    out_h, out_w = pair(output_size)
    if (out_h, out_w) == (1, 1):
        return GRAPH.emit("GlobalAveragePool", [x.name], (n, c, 1, 1))

    def bins(length, count):
        matrix = np.zeros((count, length), dtype=np.float64)
        for i in range(count):
            start = (i * length) // count
            end = -((-(i + 1) * length) // count)
            matrix[i, start:end] = 1.0 / (end - start)
        return matrix.astype(np.float32)

    rows = GRAPH.emit("MatMul", [GRAPH.constant(bins(h, out_h)), x.name], (n, c, out_h, w))
    return GRAPH.emit("MatMul", [rows.name, GRAPH.constant(bins(w, out_w).T)], (n, c, out_h, out_w))


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.weight = Parameter((out_features, in_features))
        self.bias = Parameter((out_features,)) if bias else None

    def forward(self, x):
        inputs = [x.name, GRAPH.parameter(self.key("weight"), self.weight.shape)]
        if self.bias is not None:
            inputs.append(GRAPH.parameter(self.key("bias"), self.bias.shape))
        return GRAPH.emit("Gemm", inputs, (x.shape[0], self.weight.shape[0]), transB=1)


def flatten(x, start_dim=0):
    assert start_dim == 1
    return GRAPH.emit("Flatten", [x.name], (x.shape[0], int(np.prod(x.shape[1:]))), axis=1)


def cat(values, dim=0):
    assert dim == 1
    shape = (values[0].shape[0], sum(v.shape[1] for v in values), *values[0].shape[2:])
    return GRAPH.emit("Concat", [v.name for v in values], shape, axis=1)


def no_op(*args, **kwargs):
    return None


def make_torch():
    """Module objects standing in for torch, torch.nn, torch.nn.init, torch.nn.functional."""
    init = types.ModuleType("torch.nn.init")
    for name in ("kaiming_normal_", "kaiming_uniform_", "normal_", "uniform_", "constant_",
                 "zeros_", "ones_", "trunc_normal_", "xavier_uniform_"):
        setattr(init, name, no_op)  # weights come from the Swift export
    functional = types.ModuleType("torch.nn.functional")
    functional.adaptive_avg_pool2d = adaptive_avg_pool2d
    nn = types.ModuleType("torch.nn")
    for cls in (Module, Sequential, Conv2d, BatchNorm2d, GroupNorm, ReLU, ReLU6, Dropout,
                MaxPool2d, AdaptiveAvgPool2d, Linear):
        setattr(nn, cls.__name__, cls)
    nn.init, nn.functional = init, functional
    torch = types.ModuleType("torch")
    torch.nn, torch.Tensor, torch.flatten, torch.cat = nn, Value, flatten, cat
    return torch


# ---------------------------------------------------------------------------------------------
# torchvision's model code, executed against the stand-in.

class WeightsEnum:
    """Stands in for torchvision's WeightsEnum: the enum members stay plain dictionaries."""

    @classmethod
    def verify(cls, obj):
        return obj


def weights_entry(**kwargs):
    return kwargs


def torchvision_wheel():
    wheels = sorted(glob.glob(str(REPOSITORY / "Assets" / "wheels" / "torchvision-*.whl")))
    if not wheels:
        sys.exit("No torchvision wheel in Assets/wheels/: run Scripts/setup.sh first.")
    return wheels[-1]


def source_nodes(archive, path, keep=None):
    """The top-level statements of a wheel file, without torch / relative imports and without
    decorators (register_model, handle_legacy_interface); only `keep` names when given."""
    tree = ast.parse(archive.read(path).decode("utf-8"), filename=path)
    nodes = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith(
                ("torch", "PIL", "torchvision"))):
            continue
        if isinstance(node, ast.Import) and any(
                alias.name.split(".")[0] in ("torch", "PIL", "numpy") for alias in node.names):
            continue
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if keep is not None and node.name not in keep:
                continue
            node.decorator_list = []
        elif keep is not None and not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        nodes.append(node)
    return ast.Module(body=nodes, type_ignores=[])


def load_torchvision(wheel):
    """Namespaces holding torchvision's classification code, one per model file."""
    torch = make_torch()
    sys.modules["torch"] = torch  # only for `import torch.nn.init as init` style lookups
    sys.modules["torch.nn"] = torch.nn
    sys.modules["torch.nn.init"] = torch.nn.init
    with zipfile.ZipFile(wheel) as archive:
        version = next(
            line.split(":", 1)[1].strip() for line in archive.read(
                next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            ).decode().splitlines() if line.startswith("Version:"))
        common = {
            "torch": torch, "nn": torch.nn, "init": torch.nn.init, "Tensor": Value,
            "_log_api_usage_once": no_op, "WeightsEnum": WeightsEnum, "Weights": weights_entry,
            "ImageClassification": object, "_IMAGENET_CATEGORIES": [], "register_model": no_op,
            "handle_legacy_interface": no_op, "_ovewrite_named_param": no_op,
        }
        helpers = dict(common)
        exec(compile(source_nodes(archive, "torchvision/utils.py", keep={"_make_ntuple"}),
                     "torchvision/utils.py", "exec"), helpers)
        exec(compile(source_nodes(archive, "torchvision/models/_utils.py",
                                  keep={"_make_divisible"}),
                     "torchvision/models/_utils.py", "exec"), helpers)
        exec(compile(source_nodes(archive, "torchvision/ops/misc.py",
                                  keep={"ConvNormActivation", "Conv2dNormActivation"}),
                     "torchvision/ops/misc.py", "exec"), helpers)
        namespaces = {}
        for stem in sorted(set(ARCHITECTURES.values())):
            path = f"torchvision/models/{stem}.py"
            namespace = dict(common, __name__=f"torchvision.models.{stem}",
                             _make_divisible=helpers["_make_divisible"],
                             Conv2dNormActivation=helpers["Conv2dNormActivation"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source_nodes(archive, path), path, "exec"), namespace)
            namespaces[stem] = (namespace, ast.parse(archive.read(path).decode("utf-8")))
    return version, namespaces


def build(name, namespaces):
    """torchvision.models.<name>(weights=None), its documented parameter count, and the model."""
    namespace, tree = namespaces[ARCHITECTURES[name]]
    model = namespace[name](weights=None, progress=False)
    model.assign_paths()
    # The weights enum named in the builder's signature: `weights: Optional[ResNet18_Weights]`.
    builder = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    annotation = next(a for a in builder.args.kwonlyargs if a.arg == "weights").annotation
    enum = namespace[annotation.slice.id]
    documented = enum.IMAGENET1K_V1["meta"]["num_params"]
    return model, documented


def state_dict_entry(model, documented):
    entries = list(model.state_dict_shapes())
    count = sum(int(np.prod(shape, dtype=np.int64)) for _, shape, trainable in entries if trainable)
    return {
        "keys": [[key, list(shape)] for key, shape, _ in entries],
        "parameter_count": count,
        "documented_parameter_count": documented,
    }


# ---------------------------------------------------------------------------------------------
# Reference runs.

def export_from_swift(directory, scratch_path, cases):
    environment = dict(os.environ, TORCHVISION_EXPORT_DIR=str(directory))
    if cases:
        environment["TORCHVISION_EXPORT_CASES"] = cases
    command = [
        "swift", "test", "-c", "release", "--scratch-path", scratch_path, "-Xswiftc",
        "-enable-testing", "--filter",
        "ModelsTests.TorchvisionArchitectureTests/testExportsReferenceWeightsWhenAsked",
    ]
    print("+", " ".join(command), file=sys.stderr)
    subprocess.run(command, cwd=REPOSITORY, env=environment, check=True)


def onnx_model(model, input_shape, weights):
    """torchvision's forward() traced into an ONNX model whose initializers are `weights`."""
    global GRAPH
    from onnx import TensorProto, helper, numpy_helper
    GRAPH = Graph(weights)
    output = model(Value("input", tuple(input_shape)))
    unused = set(weights) - GRAPH.used
    if unused:
        raise ValueError(f"exported keys torchvision's forward never used: {sorted(unused)[:5]}")
    graph = helper.make_graph(
        GRAPH.nodes, "torchvision",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info(output.name, TensorProto.FLOAT, list(output.shape))],
        [numpy_helper.from_array(array, name) for name, array in GRAPH.initializers.items()])
    GRAPH = None
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), output.shape


def run_onnxruntime(model, feed, threads=1, optimize=False):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = (
        onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
        else onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session, session.run(None, feed)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scratch-path", default=".build",
                        help="SwiftPM scratch folder for the release export build")
    parser.add_argument("--keys-only", action="store_true",
                        help="write state_dicts.json only (needs numpy, not Swift or onnx)")
    parser.add_argument("--export-dir", help="reuse weights already exported to this folder")
    parser.add_argument("--cases", help="comma-separated case names to redo (default: all); "
                        "the other cases of golden.json are kept")
    arguments = parser.parse_args()

    version, namespaces = load_torchvision(torchvision_wheel())
    FIXTURES.mkdir(parents=True, exist_ok=True)
    models = {}
    state_dicts = {}
    for name in ARCHITECTURES:
        model, documented = build(name, namespaces)
        models[name] = model
        state_dicts[name] = state_dict_entry(model, documented)
        print(f"{name}: {len(state_dicts[name]['keys'])} keys, "
              f"{state_dicts[name]['parameter_count']:,} parameters "
              f"(documented {documented:,})", file=sys.stderr)
    with open(FIXTURES / "state_dicts.json", "w") as file:
        json.dump({"torchvision": version, "architectures": state_dicts}, file, indent=None,
                  separators=(",", ":"))
        file.write("\n")
    if arguments.keys_only:
        return

    import onnxruntime
    from safetensors.numpy import load_file
    temporary = None
    if arguments.export_dir:
        directory = Path(arguments.export_dir)
    else:
        temporary = tempfile.mkdtemp(prefix="torchvision-export-")
        directory = Path(temporary)
        export_from_swift(directory, arguments.scratch_path, arguments.cases)
    try:
        cases = json.loads((directory / "cases.json").read_text())["cases"]
        if arguments.cases:
            wanted = set(arguments.cases.split(","))
            cases = [case for case in cases if case["name"] in wanted]
        redone = {case["name"] for case in cases}
        manifest = []
        if arguments.cases and (FIXTURES / "golden.json").exists():
            previous = json.loads((FIXTURES / "golden.json").read_text())["cases"]
            manifest = [case for case in previous if case["name"] not in redone]
        for case in cases:
            weights = load_file(str(directory / f"{case['name']}.safetensors"))
            image = load_file(str(directory / f"{case['name']}.input.safetensors"))["input"]
            assert list(image.shape) == case["input_shape"]
            model, logit_shape = onnx_model(models[case["architecture"]], image.shape, weights)
            _, logits = run_onnxruntime(model, {"input": image})
            assert logits.shape == tuple(logit_shape) == (image.shape[0], case["class_count"])
            logits.astype("<f4").tofile(FIXTURES / f"{case['name']}.f32")
            manifest.append(dict(case, logits=f"{case['name']}.f32", logit_shape=list(logits.shape)))
            print(f"{case['name']}: logits {logits.shape}, max |logit| "
                  f"{np.abs(logits).max():.4g}", file=sys.stderr)
            if temporary:
                os.remove(directory / f"{case['name']}.safetensors")
        manifest.sort(key=lambda case: case["name"])
        with open(FIXTURES / "golden.json", "w") as file:
            json.dump({"generator": "Tools/make_torchvision_golden.py",
                       "onnxruntime": onnxruntime.__version__, "torchvision": version,
                       "cases": manifest}, file, indent=1)
            file.write("\n")
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
