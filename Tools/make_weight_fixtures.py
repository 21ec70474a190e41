#!/usr/bin/env python3
"""Makes the weight-file fixtures under Tests/Fixtures/Weights/ and their golden values.

Run from the repository root with the tools virtualenv:

    python3 -m venv .venv-tools            # once, if it does not exist
    .venv-tools/bin/pip install numpy ml_dtypes safetensors
    .venv-tools/bin/python Tools/make_weight_fixtures.py

What it writes (all small, deterministic: seeded RNG, fixed zip timestamps):

* safetensors/: files written by the `safetensors` package (F32, F16, F64, BF16, I64, I32, U8,
  BOOL, an empty tensor, metadata).
* numpy/: `.npy` files written by NumPy itself: every supported dtype, big-endian types, format
  versions 1.0 / 2.0 / 3.0, Fortran order, 0-d and empty arrays; and `encoded_*.npy`, which the
  Swift writer must reproduce byte for byte.
* npz/: `np.savez` (stored) and `np.savez_compressed` (deflate) archives, and a ZIP64 archive
  assembled here by hand and checked with Python's `zipfile` and `np.load`.
* torch/: PyTorch checkpoints in the legacy and zip formats. PyTorch itself is too large to
  install here (5.4 GB with its CUDA dependencies), so this script emulates `torch.save`: it
  registers stand-in modules `torch` and `torch._utils` in `sys.modules` holding stand-in
  classes `torch.FloatStorage`, ... and functions `torch._utils._rebuild_tensor_v2` and
  `_rebuild_parameter`, so that Python's own pickler emits exactly the opcodes and globals that
  `torch.save` emits (`GLOBAL 'torch._utils _rebuild_tensor_v2'`, `BINPERSID` with
  `('storage', torch.FloatStorage, key, 'cpu', numel)`, `collections.OrderedDict` with
  `_metadata` set by `BUILD`, protocol 2). Tensors reduce like `torch.Tensor.__reduce_ex__`:
  `(_rebuild_tensor_v2, (storage, storage_offset, size, stride, requires_grad, OrderedDict()))`.
  The file layouts follow torch/serialization.py: legacy = magic number, protocol version 1001,
  system info, state dict, sorted storage keys, then per key an int64 count + raw data; zip =
  `<stem>/data.pkl`, `<stem>/byteorder`, `<stem>/data/<key>` (64-byte aligned through a padding
  extra field, like PyTorch's writer), `<stem>/version`, `<stem>/.data/version`, all stored.
  The disassembly of the real EfficientNet-Lite0 checkpoint (pickletools) shows the same opcode
  set. Also hostile checkpoints made by Python's pickler: `os.system` via REDUCE (protocol 2,
  GLOBAL) and via STACK_GLOBAL (protocol 4), and a pickled user class (a whole model).
* golden.json: for each fixture, its keys in file order, and per array the dtype, shape and
  values (row-major; integers also exactly).
* efficientnet_lite0_golden.json: if Assets/models/efficientnet-lite0.pth exists, its keys,
  shapes and dtypes, per key the sum and first values, and selected elements, read by an
  independent Python reader (pickle.Unpickler with a restricted find_class, numpy as_strided
  over the raw storage records).
"""

import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib
from pathlib import Path

import ml_dtypes
import numpy as np
import safetensors
import safetensors.numpy

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "Weights"
RNG = np.random.default_rng(20180908)
GOLDEN = {}
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def describe(array, dtype_name):
    """Golden entry for one array: values in row-major order."""
    array = np.asarray(array)
    entry = {
        "dtype": dtype_name,
        "shape": list(array.shape),
        "values": [float(v) for v in np.ascontiguousarray(array).astype(np.float64).ravel()],
    }
    if array.dtype.kind in "iub":
        entry["integers"] = [int(v) for v in np.ascontiguousarray(array).astype(np.int64).ravel()]
    return entry


SAFETENSORS_NAMES = {
    np.dtype(np.float64): "F64", np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
    np.dtype(ml_dtypes.bfloat16): "BF16", np.dtype(np.int64): "I64", np.dtype(np.int32): "I32",
    np.dtype(np.int16): "I16", np.dtype(np.int8): "I8", np.dtype(np.uint64): "U64",
    np.dtype(np.uint32): "U32", np.dtype(np.uint16): "U16", np.dtype(np.uint8): "U8",
    np.dtype(np.bool_): "BOOL",
}


def dtype_name(array):
    return SAFETENSORS_NAMES[np.dtype(array.dtype).newbyteorder("=")]


def record(relative, fmt, arrays, metadata=None):
    GOLDEN[relative] = {
        "format": fmt,
        "keys": list(arrays.keys()),
        "arrays": {k: describe(v, dtype_name(v)) for k, v in arrays.items()},
        "metadata": metadata or {},
    }


def normal(shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------------------------------------
# safetensors


def make_safetensors():
    folder = OUT / "safetensors"
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "conv.weight": normal((2, 3, 2, 2)),
        "bn.bias": normal((5,), np.float16),
        "double": normal((2, 2), np.float64),
        "steps": np.array(2**40 + 3, dtype=np.int64),
        "ids": np.array([-7, 0, 2**31 - 1], dtype=np.int32),
        "mask": np.array([True, False, False, True]),
        "bytes": np.array([0, 128, 255], dtype=np.uint8),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    metadata = {"format": "np"}  # one entry: the Rust writer orders metadata randomly
    path = folder / "mixed.safetensors"
    safetensors.numpy.save_file(arrays, str(path), metadata=metadata)
    record("safetensors/mixed.safetensors", "safetensors", in_data_order(path, arrays), metadata)

    # BF16 has no NumPy type of its own; ml_dtypes provides one and the Rust serializer takes
    # raw buffers.
    bf16 = np.array([[1.5, -2.0, 3.25], [0.0078125, -65280.0, 1e-3]], dtype=ml_dtypes.bfloat16)
    f32 = normal((3,))
    specs = {
        name: safetensors.TensorSpec(
            dtype=np.dtype(a.dtype).name, shape=a.shape, data_ptr=a.ctypes.data,
            data_len=a.nbytes)
        for name, a in {"bf16": bf16, "f32": f32}.items()
    }
    path = folder / "bfloat16.safetensors"
    path.write_bytes(safetensors.serialize(specs, None))
    record("safetensors/bfloat16.safetensors", "safetensors",
           in_data_order(path, {"bf16": bf16, "f32": f32}))


def in_data_order(path, arrays):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    order = sorted(header, key=lambda k: (header[k]["data_offsets"][0], list(header).index(k)))
    return {k: arrays[k] for k in order}


# ---------------------------------------------------------------------------------------------
# .npy and .npz


def make_numpy():
    folder = OUT / "numpy"
    folder.mkdir(parents=True, exist_ok=True)
    cases = {
        "f4.npy": normal((2, 3)),
        "f8.npy": normal((3,), np.float64),
        "f2.npy": normal((2, 2), np.float16),
        "i8.npy": np.array([-(2**62) + 7, -1, 0, 2**40 + 1], dtype=np.int64),
        "i4.npy": np.array([[-5, 6], [2**31 - 1, -(2**31)]], dtype=np.int32),
        "i2.npy": np.array([-300, 0, 32767], dtype=np.int16),
        "i1.npy": np.array([-128, -1, 0, 127], dtype=np.int8),
        "u1.npy": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
        "b1.npy": np.array([True, False, True]),
        "be_f4.npy": normal((2, 3)).astype(">f4"),
        "be_f8.npy": normal((4,), np.float64).astype(">f8"),
        "be_i8.npy": np.array([-(2**40), 5, 2**50], dtype=">i8"),
        "be_f2.npy": normal((3,), np.float16).astype(">f2"),
        "fortran_f4.npy": np.asfortranarray(normal((2, 3, 4))),
        "fortran_be_f8.npy": np.asfortranarray(normal((3, 2), np.float64).astype(">f8")),
        "scalar_f4.npy": np.array(3.5, dtype=np.float32),
        "empty_f4.npy": np.zeros((0, 3), dtype=np.float32),
    }
    for name, array in cases.items():
        np.save(folder / name, array)
        assert np.load(folder / name).dtype == array.dtype
    for version in [(1, 0), (2, 0), (3, 0)]:
        name = f"v{version[0]}_f4.npy"
        array = normal((3, 2))
        with open(folder / name, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
        cases[name] = array
    for name, array in cases.items():
        GOLDEN[f"numpy/{name}"] = {
            "format": "numpy",
            "keys": [name[:-4]],
            "arrays": {name[:-4]: describe(array, dtype_name(array))},
            "fortran_order": bool(array.flags.f_contiguous and not array.flags.c_contiguous),
            "metadata": {},
        }
    # The Swift encoder must produce these bytes exactly.
    encoded = {
        "encoded_f4.npy": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "encoded_1d_f4.npy": np.linspace(-1, 1, 7, dtype=np.float32),
        "encoded_scalar_f4.npy": np.array(-2.5, dtype=np.float32),
        "encoded_i8.npy": np.array([[1, -2], [3, 2**40]], dtype=np.int64),
        "encoded_long_axis_f4.npy": np.zeros((123456, 0), dtype=np.float32),
    }
    for name, array in encoded.items():
        np.save(folder / name, array)
        GOLDEN[f"numpy/{name}"] = {
            "format": "numpy", "keys": [name[:-4]],
            "arrays": {name[:-4]: describe(array, dtype_name(array))}, "metadata": {},
        }

    folder = OUT / "npz"
    folder.mkdir(parents=True, exist_ok=True)
    stored = {"weights": normal((3, 4)), "labels": np.array([3, 1, 4], dtype=np.int64)}
    np.savez(folder / "stored.npz", **stored)
    record("npz/stored.npz", "numpyArchive", stored)
    compressed = {
        "features": normal((5, 8)),
        "zeros": np.zeros((64, 64), dtype=np.float32),
        "mask": np.array([[True, False], [False, True]]),
    }
    np.savez_compressed(folder / "compressed.npz", **compressed)
    record("npz/compressed.npz", "numpyArchive", compressed)
    zip64 = {"a": normal((2, 2)), "b": np.arange(5, dtype=np.int32)}
    (folder / "zip64.npz").write_bytes(zip64_archive(
        [(k + ".npy", npy_bytes(v)) for k, v in zip64.items()]))
    with np.load(folder / "zip64.npz") as check:
        for k, v in zip64.items():
            assert np.array_equal(check[k], v)
    with zipfile.ZipFile(folder / "zip64.npz") as check:
        assert check.testzip() is None
    record("npz/zip64.npz", "numpyArchive", zip64)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def zip64_archive(members):
    """A zip whose central directory uses ZIP64 for every size and offset: saturated 32-bit
    fields with a ZIP64 extra field (id 1), then a ZIP64 end record and locator before a
    classic end record whose counts are saturated too."""
    out = io.BytesIO()
    central = []
    for name, data in members:
        name_bytes = name.encode()
        crc = zlib.crc32(data)
        offset = out.tell()
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc,
                              0xFFFFFFFF, 0xFFFFFFFF, len(name_bytes), len(local_extra)))
        out.write(name_bytes + local_extra + data)
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc,
                                   0xFFFFFFFF, 0xFFFFFFFF, len(name_bytes), len(extra), 0, 0, 0,
                                   0, 0xFFFFFFFF) + name_bytes + extra)
    directory_offset = out.tell()
    for record_bytes in central:
        out.write(record_bytes)
    directory_size = out.tell() - directory_offset
    end64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members),
                          len(members), directory_size, directory_offset))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                          0xFFFFFFFF, 0))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# PyTorch checkpoints, emulated


torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils

STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"), "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"), "BFloat16Storage": np.dtype(ml_dtypes.bfloat16),
    "LongStorage": np.dtype("<i8"), "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"), "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"), "BoolStorage": np.dtype("?"),
}
for _name in STORAGE_DTYPES:
    _cls = type(_name, (), {"__module__": "torch"})
    setattr(torch, _name, _cls)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks):
    raise RuntimeError("stand-in: never called while writing")


def _rebuild_parameter(data, requires_grad, backward_hooks):
    raise RuntimeError("stand-in: never called while writing")


for _function in (_rebuild_tensor_v2, _rebuild_parameter):
    _function.__module__ = "torch._utils"
    setattr(torch_utils, _function.__name__, _function)


class Storage:
    """A typed storage: a flat array, pickled as a persistent id."""

    def __init__(self, type_name, values):
        self.type_name = type_name
        self.array = np.ascontiguousarray(np.asarray(values, dtype=STORAGE_DTYPES[type_name]))

    @property
    def storage_type(self):
        return getattr(torch, self.type_name)


class Tensor:
    """A view of a storage; reduces exactly like torch.Tensor."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False,
                 collections.OrderedDict()))

    def values(self):
        item = self.storage.array.itemsize
        return np.lib.stride_tricks.as_strided(
            self.storage.array[self.offset:], shape=self.size,
            strides=[s * item for s in self.stride]).copy()


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


def dense(type_name, array):
    array = np.asarray(array, dtype=STORAGE_DTYPES[type_name])
    strides = [s // array.itemsize for s in array.strides] if array.ndim else []
    return Tensor(Storage(type_name, array.ravel()), 0, array.shape, strides)


def example_state_dict():
    """A state dict exercising strided views, shared storages, every storage type."""
    # A conv weight stored channels-last, as in the real EfficientNet-Lite0 file: storage in
    # (out, kh, kw, in) order, viewed as (out, in, kh, kw).
    conv_storage = Storage("FloatStorage", normal((4, 2, 2, 3)).ravel())
    conv = Tensor(conv_storage, 0, (4, 3, 2, 2), (12, 1, 6, 3))
    shared = Storage("FloatStorage", normal((10,)))
    state = collections.OrderedDict()
    state["conv.weight"] = conv
    state["bn.weight"] = dense("FloatStorage", normal((4,)))
    state["bn.running_var"] = dense("FloatStorage", np.abs(normal((4,))) + 0.5)
    state["bn.num_batches_tracked"] = Tensor(Storage("LongStorage", [123456789012]), 0, (), ())
    state["shared.matrix"] = Tensor(shared, 0, (2, 3), (3, 1))
    state["shared.tail"] = Tensor(shared, 6, (4,), (1,))
    state["transposed"] = Tensor(Storage("FloatStorage", normal((6,))), 0, (3, 2), (1, 3))
    state["broadcast_row"] = Tensor(Storage("FloatStorage", normal((3,))), 0, (2, 3), (0, 1))
    state["half"] = dense("HalfStorage", normal((3,), np.float16))
    state["double"] = dense("DoubleStorage", normal((2, 2), np.float64))
    state["bf16"] = dense("BFloat16Storage", np.array([1.5, -0.375], dtype=ml_dtypes.bfloat16))
    state["flags"] = dense("BoolStorage", [True, False, True])
    state["bytes"] = dense("ByteStorage", [7, 200])
    state["int32"] = dense("IntStorage", [-3, 2**30])
    state["int16"] = dense("ShortStorage", [-3, 300])
    state["int8"] = dense("CharStorage", [-100, 5])
    state._metadata = collections.OrderedDict(
        [("", {"version": 1}), ("conv", {"version": 1}), ("bn", {"version": 2})])
    return state


def flat_values(obj, prefix=""):
    """The arrays a reader should produce, with dotted keys, and the metadata."""
    arrays, metadata = collections.OrderedDict(), {}
    items = obj.items() if isinstance(obj, dict) else enumerate(obj)
    for k, v in items:
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Parameter):
            v = v.tensor
        if isinstance(v, Tensor):
            arrays[key] = v.values()
        elif isinstance(v, (dict, list, tuple)):
            sub_arrays, sub_metadata = flat_values(v, key)
            arrays.update(sub_arrays)
            metadata.update(sub_metadata)
        else:
            metadata[key] = str(v)  # Python's spelling: None, True, 0.25, 7
    return arrays, metadata


class TorchPickler(pickle.Pickler):
    """pickle.Pickler with torch.save's persistent_id for storages."""

    def __init__(self, file, legacy, keys):
        super().__init__(file, protocol=2)
        self.legacy = legacy
        self.keys = keys  # id(storage) -> (key, storage), in first-seen order

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        if id(obj) not in self.keys:
            key = str(100000000 + 4096 * len(self.keys)) if self.legacy else str(len(self.keys))
            self.keys[id(obj)] = (key, obj)
        key = self.keys[id(obj)][0]
        numel = obj.array.size
        if self.legacy:
            return ("storage", obj.storage_type, key, "cpu", numel, None)
        return ("storage", obj.storage_type, key, "cpu", numel)


def legacy_checkpoint(obj):
    out = io.BytesIO()
    pickle.dump(0x1950A86A20F9469CFC6C, out, protocol=2)
    pickle.dump(1001, out, protocol=2)
    pickle.dump({"protocol_version": 1001, "little_endian": True,
                 "type_sizes": {"short": 2, "int": 4, "long": 4}}, out, protocol=2)
    keys = {}
    TorchPickler(out, True, keys).dump(obj)
    by_key = {key: storage for key, storage in keys.values()}
    ordered = sorted(by_key)
    pickle.dump(ordered, out, protocol=2)
    for key in ordered:
        array = by_key[key].array
        out.write(struct.pack("<q", array.size))
        out.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return out.getvalue()


def zip_checkpoint(obj, folder, byteorder="little", pickle_bytes=None):
    data_pkl = io.BytesIO()
    keys = {}
    if pickle_bytes is None:
        TorchPickler(data_pkl, False, keys).dump(obj)
        pickle_bytes = data_pkl.getvalue()
    records = [("data.pkl", pickle_bytes), ("byteorder", byteorder.encode())]
    for key, storage in keys.values():
        order = "<" if byteorder == "little" else ">"
        array = storage.array
        if array.dtype.itemsize > 1 and array.dtype != np.dtype(ml_dtypes.bfloat16):
            array = array.astype(array.dtype.newbyteorder(order))
        elif array.dtype == np.dtype(ml_dtypes.bfloat16) and byteorder == "big":
            array = array.view(np.uint16).byteswap()
        records.append((f"data/{key}", array.tobytes()))
    records += [("version", b"3\n"), (".data/version", b"3\n")]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, payload in records:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED
            # Pad the local header with an extra field (id 'FB') so the data is 64-byte aligned.
            header = 30 + len(info.filename.encode())
            padding = (64 - (out.tell() + header + 4) % 64) % 64
            info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
            archive.writestr(info, payload)
    return out.getvalue()


def make_torch():
    folder = OUT / "torch"
    folder.mkdir(parents=True, exist_ok=True)

    state = example_state_dict()
    arrays, metadata = flat_values(state)
    (folder / "legacy_state_dict.pth").write_bytes(legacy_checkpoint(state))
    record("torch/legacy_state_dict.pth", "pytorchLegacy", arrays, metadata)

    state = example_state_dict()
    state["fc.weight"] = Parameter(dense("FloatStorage", normal((2, 3))))
    arrays, metadata = flat_values(state)
    (folder / "zip_state_dict.pth").write_bytes(zip_checkpoint(state, "zip_state_dict"))
    record("torch/zip_state_dict.pth", "pytorchZip", arrays, metadata)

    state = example_state_dict()
    (folder / "zip_big_endian.pth").write_bytes(zip_checkpoint(state, "archive", "big"))
    arrays, metadata = flat_values(state)
    record("torch/zip_big_endian.pth", "pytorchZip", arrays, metadata)

    nested = {
        "model": collections.OrderedDict(
            [("fc.weight", dense("FloatStorage", normal((2, 2)))),
             ("fc.bias", dense("FloatStorage", normal((2,))))]),
        "epoch": 7, "name": "lite", "best": 0.25, "finished": True, "note": None,
        "layers": [dense("FloatStorage", normal((3,))), dense("DoubleStorage", [1.0, 2.0])],
    }
    arrays, metadata = flat_values(nested)
    (folder / "zip_nested.pth").write_bytes(zip_checkpoint(nested, "nested"))
    record("torch/zip_nested.pth", "pytorchZip", arrays, metadata)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > /tmp/weights-fixture-pwned",))

    (folder / "hostile_os_system.pth").write_bytes(zip_checkpoint(
        None, "archive", pickle_bytes=pickle.dumps({"w": Evil()}, protocol=2)))
    (folder / "hostile_stack_global.pth").write_bytes(zip_checkpoint(
        None, "archive", pickle_bytes=pickle.dumps({"w": Evil()}, protocol=4)))

    class Net:  # a whole model pickled by class reference
        pass

    Net.__module__ = "mymodels"
    Net.__qualname__ = "Net"
    mymodels = types.ModuleType("mymodels")
    mymodels.Net = Net
    sys.modules["mymodels"] = mymodels
    (folder / "hostile_module.pth").write_bytes(legacy_checkpoint(Net()))


# ---------------------------------------------------------------------------------------------
# The real EfficientNet-Lite0 checkpoint, read independently


class RealStorage:
    def __init__(self, dtype, key, numel):
        self.dtype, self.key, self.numel = dtype, key, numel


class RealTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, size, stride, *rest: RealTensor(
                storage, offset, size, stride)
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"forbidden global {module}.{name}")

    def persistent_load(self, pid):
        kind, dtype, key, location, numel, view = pid
        assert kind == "storage" and view is None
        return RealStorage(dtype, key, numel)


def make_real_golden():
    path = ROOT / "Assets" / "models" / "efficientnet-lite0.pth"
    if not path.exists():
        print(f"skipping the real checkpoint: {path} is missing (run Scripts/setup.sh)")
        return
    with open(path, "rb") as f:
        assert pickle.load(f) == 0x1950A86A20F9469CFC6C
        assert pickle.load(f) == 1001
        pickle.load(f)
        state = RestrictedUnpickler(f).load()
        keys = pickle.load(f)
        # Each storage's element type is that of the tensors using it.
        dtypes = {tensor.storage.key: tensor.storage.dtype for tensor in state.values()}
        storages = {}
        for key in keys:
            (count,) = struct.unpack("<q", f.read(8))
            storages[key] = np.frombuffer(f.read(count * dtypes[key].itemsize), dtype=dtypes[key])
            assert storages[key].size == count
        assert f.read() == b""
    names = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
    golden = {"key_count": len(state), "keys": [], "selected": {}}
    for key, tensor in state.items():
        storage = storages[tensor.storage.key]
        values = np.lib.stride_tricks.as_strided(
            storage[tensor.offset:], shape=tensor.size,
            strides=[s * storage.itemsize for s in tensor.stride]).astype(np.float64)
        golden["keys"].append({
            "key": key, "shape": list(tensor.size), "dtype": names[storage.dtype],
            "stride": list(tensor.stride), "sum": float(values.sum()),
            "abs_sum": float(np.abs(values).sum()), "first": [float(v) for v in values.ravel()[:4]],
        })
    picks = {
        "_conv_stem.weight": [[0, 0, 0, 0], [31, 2, 2, 2], [5, 1, 0, 2], [17, 0, 2, 1]],
        "_fc.weight": [[0, 0], [999, 1279], [430, 17], [281, 640]],
        "_fc.bias": [[0], [430], [999]],
        "_blocks.15._depthwise_conv.weight": [[0, 0, 0, 0], [1151, 0, 2, 2], [600, 0, 1, 1]],
        "_bn1.running_var": [[0], [1279]],
    }
    for key, indices in picks.items():
        tensor = state[key]
        storage = storages[tensor.storage.key]
        values = np.lib.stride_tricks.as_strided(
            storage[tensor.offset:], shape=tensor.size,
            strides=[s * storage.itemsize for s in tensor.stride])
        golden["selected"][key] = [
            {"index": index, "value": float(values[tuple(index)])} for index in indices]
    out = OUT / "efficientnet_lite0_golden.json"
    out.write_text(json.dumps(golden, indent=1) + "\n")


def main():
    make_safetensors()
    make_numpy()
    make_torch()
    make_real_golden()
    (OUT / "golden.json").write_text(json.dumps(GOLDEN, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(GOLDEN)} golden entries to {OUT}")


if __name__ == "__main__":
    main()
