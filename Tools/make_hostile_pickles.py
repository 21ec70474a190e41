#!/usr/bin/env python3
"""Writes hostile pickles for the restricted unpickler's tests (Tests/ModelsTests/
WeightsHostilePickleTests.swift) into Tests/Fixtures/Weights/hostile/, with manifest.json, and
the checkpoints of the two resource bombs the reliability audit found into Tests/Fixtures/Fuzz/
torch-zip/ (replayed by Tests/ModelsTests/FuzzRegressionTests.swift).

Usage: python3 Tools/make_hostile_pickles.py   (standard library only; deterministic output)

Three kinds of file:

* code: pickles that run code when Python's `pickle.loads` reads them: `os.system` through
  `__reduce__` at protocols 0-5 (Python writes `posix.system` on Linux), `builtins.eval` and
  `builtins.exec`, `subprocess.Popen`, the nested `getattr(__import__('os'), 'system')` trick,
  names assembled for `STACK_GLOBAL` from the memo, a forbidden call hidden inside an
  otherwise valid state dictionary and inside a persistent id, `torch.storage._load_from_bytes`
  (which would run `torch.load` on embedded bytes), numpy's `_reconstruct`, and the opcodes that
  call without a `GLOBAL`/`STACK_GLOBAL` first (`INST`, `OBJ`, `EXT1`). For each, the manifest
  lists the globals Python's `find_class` is asked for, checked here by loading the pickle with a
  recording unpickler that resolves nothing and calls nothing.
* abuse: memo and stack misuse (`GET` of an unset slot, `PUT` on an empty stack, `POP` and
  `APPEND`/`SETITEMS` without their operands, a mark that is never closed).
* bombs: deep nesting (lists, dictionaries, tuples), a MARK bomb, a self-referencing list and
  dictionary (made by Python's own pickler), and a "billion laughs" list of lists that shares
  each level twice (2^40 leaves when walked as a tree, 40 levels and 125 bytes of pickle).

Every command these pickles would run is `touch /tmp/convnetprobe-hostile-pickle-ran`; the
tests check that the file never appears.
"""

import builtins
import copyreg
import io
import json
import os
import pickle
import pickletools
import struct
import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "Weights" / "hostile"
MARKER = "/tmp/convnetprobe-hostile-pickle-ran"
COMMAND = f"touch {MARKER}"
MANIFEST = []


class Recorder(pickle.Unpickler):
    """Loads a pickle without resolving or calling anything: every global becomes a stub that
    records its name, so the globals Python would look up (and call) can be listed safely."""

    def __init__(self, data):
        super().__init__(io.BytesIO(data))
        self.asked = []

    def find_class(self, module, name):
        self.asked.append(f"{module}.{name}")
        return lambda *args, **kwargs: None

    def persistent_load(self, pid):
        return None


def globals_python_asks_for(data):
    recorder = Recorder(data)
    try:
        recorder.load()
    except Exception:  # bombs and abuse cases may be invalid for Python too
        pass
    return recorder.asked


def resolves_to_callable(qualified):
    """Whether Python's default find_class (with its Python 2 name mapping) would return a
    callable for `module.name`."""
    import _compat_pickle
    module, _, name = qualified.partition(".")
    if module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
        qualified = f"{module}.{name}"
    if qualified.startswith("torch.") or qualified.startswith("numpy."):
        return None  # not installed here; named for what they are in a real environment
    try:
        obj = __import__(module)
        for part in qualified[len(module) + 1:].split("."):
            obj = getattr(obj, part)
        return callable(obj)
    except Exception:
        return False


def write(name, data, kind, expect, note):
    (OUT / name).write_bytes(data)
    asked = globals_python_asks_for(data) if kind == "code" else []
    entry = {"file": name, "kind": kind, "expect": expect, "note": note}
    if kind == "code":
        entry["python_find_class"] = asked
        entry["python_resolves_callable"] = {q: resolves_to_callable(q) for q in asked}
    MANIFEST.append(entry)


def forbidden(module, name):
    return {"error": "forbiddenGlobal", "module": module, "name": name}


def op(code, operand=b""):
    return bytes([code]) + operand


def short_unicode(text):
    raw = text.encode()
    return op(0x8C, bytes([len(raw)]) + raw)


def binunicode(text):
    raw = text.encode()
    return op(0x58, struct.pack("<I", len(raw)) + raw)


PROTO2 = op(0x80, b"\x02")
PROTO4 = op(0x80, b"\x04")
STOP = b"."


class ReduceTo:
    """An object whose pickle calls `function(*arguments)` on load."""

    def __init__(self, function, *arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


def code_cases():
    system = ReduceTo(os.system, COMMAND)
    for protocol in range(6):
        write(f"reduce_os_system_p{protocol}.pkl", pickle.dumps(system, protocol=protocol), "code",
              forbidden("posix", "system"), f"os.system via __reduce__, protocol {protocol}")
    write("reduce_in_state_dict.pkl", pickle.dumps({"conv.weight": [1.0, 2.0], "epoch": system},
                                                   protocol=2),
          "code", forbidden("posix", "system"), "os.system as one value of a state dictionary")
    evil_source = f"__import__('os').system('{COMMAND}')"
    write("builtins_eval.pkl", pickle.dumps(ReduceTo(builtins.eval, evil_source), protocol=4),
          "code", forbidden("builtins", "eval"), "builtins.eval of Python source")
    write("builtin_eval_python2_name.pkl",
          pickle.dumps(ReduceTo(builtins.eval, evil_source), protocol=2),
          "code", forbidden("__builtin__", "eval"),
          "__builtin__.eval: protocol 2 writes Python 2 names, which Python 3 maps back")
    write("builtins_exec.pkl",
          pickle.dumps(ReduceTo(builtins.exec, f"import os; os.system('{COMMAND}')"), protocol=4),
          "code", forbidden("builtins", "exec"), "builtins.exec of Python source")
    write("subprocess_popen.pkl",
          pickle.dumps(ReduceTo(subprocess.Popen, ["touch", MARKER]), protocol=3),
          "code", forbidden("subprocess", "Popen"), "subprocess.Popen of an argument list")
    # getattr(__import__('os'), 'system')('touch ...'): three nested calls, only builtins named.
    nested = (PROTO2
              + op(0x63, b"builtins\ngetattr\n")
              + op(0x63, b"builtins\n__import__\n") + binunicode("os") + op(0x85) + op(0x52)
              + binunicode("system") + op(0x86) + op(0x52)
              + binunicode(COMMAND) + op(0x85) + op(0x52) + STOP)
    write("nested_getattr_import.pkl", nested, "code", forbidden("builtins", "getattr"),
          "getattr(__import__('os'), 'system')(command): nested GLOBAL + REDUCE")
    # STACK_GLOBAL whose module and name come from the memo, with an allowed global first.
    memo_trick = (PROTO4
                  + short_unicode("collections") + op(0x94) + short_unicode("OrderedDict") + op(0x94)
                  + op(0x93) + op(0x94)           # collections.OrderedDict (allowed), memo 2
                  + short_unicode("posix") + op(0x94) + short_unicode("system") + op(0x94)
                  + op(0x30) + op(0x30) + op(0x30)  # drop them from the stack...
                  + op(0x68, b"\x03") + op(0x68, b"\x04")  # ...and fetch them back from the memo
                  + op(0x93) + short_unicode(COMMAND) + op(0x85) + op(0x52) + STOP)
    write("stack_global_from_memo.pkl", memo_trick, "code", forbidden("posix", "system"),
          "STACK_GLOBAL of posix.system with both strings fetched from the memo, after an "
          "allowed global")
    # STACK_GLOBAL of names built from an allowed module name and a dotted attribute path.
    dotted = (PROTO4 + short_unicode("collections") + short_unicode("_sys.exit")
              + op(0x93) + op(0x4B, b"\x03") + op(0x85) + op(0x52) + STOP)
    write("stack_global_dotted_name.pkl", dotted, "code", forbidden("collections", "_sys.exit"),
          "an allowed module reaching sys.exit through a dotted name (find_class walks dots at "
          "protocol 4)")
    # A persistent id whose tuple smuggles a call.
    persistent = (PROTO2 + op(0x7D) + binunicode("w")
                  + op(0x63, b"posix\nsystem\n") + binunicode(COMMAND) + op(0x85) + op(0x52)
                  + op(0x51) + op(0x73) + STOP)
    write("persistent_id_with_call.pkl", persistent, "code", forbidden("posix", "system"),
          "os.system called to build a persistent id")
    write("torch_load_from_bytes.pkl",
          PROTO2 + op(0x63, b"torch.storage\n_load_from_bytes\n") + op(0x43, b"\x04PWND")
          + op(0x85) + op(0x52) + STOP,
          "code", forbidden("torch.storage", "_load_from_bytes"),
          "torch.storage._load_from_bytes (runs torch.load on embedded bytes)")
    write("numpy_reconstruct.pkl",
          PROTO2 + op(0x63, b"numpy.core.multiarray\n_reconstruct\n") + op(0x29) + op(0x52) + STOP,
          "code", forbidden("numpy.core.multiarray", "_reconstruct"),
          "numpy's array reconstructor, not on the checkpoint allow-list")
    # Protocol 0 INST and protocol 1 OBJ call without GLOBAL; EXT1 names a global by a registry
    # code (copyreg); all three must be refused.
    write("inst_os_system.pkl",
          b"(S'" + COMMAND.encode() + b"'\nios\nsystem\n.", "code",
          {"error": "unsupportedOpcode", "opcode": 0x53},
          "INST os.system (protocol 0): its STRING operand is already refused")
    write("inst_os_system_binary.pkl",
          PROTO2 + op(0x28) + binunicode(COMMAND) + b"ios\nsystem\n" + STOP, "code",
          {"error": "unsupportedOpcode", "opcode": 0x69}, "INST os.system after a BINUNICODE")
    write("obj_os_system.pkl",
          PROTO2 + op(0x28) + op(0x63, b"posix\nsystem\n") + binunicode(COMMAND) + op(0x6F) + STOP,
          "code", forbidden("posix", "system"), "OBJ (protocol 1) of posix.system")
    copyreg.add_extension("posix", "system", 240)  # as a program that registered it would
    write("ext1_registry.pkl",
          PROTO2 + op(0x82, b"\xf0") + binunicode(COMMAND) + op(0x85) + op(0x52) + STOP, "code",
          {"error": "unsupportedOpcode", "opcode": 0x82},
          "EXT1 240: posix.system named by copyreg's extension registry")


def abuse_cases():
    invalid = {"error": "invalidPickle"}
    write("memo_get_unset.pkl", PROTO2 + op(0x68, b"\x07") + STOP, "abuse", invalid,
          "BINGET of a memo slot never PUT")
    write("memo_long_get_huge.pkl", PROTO2 + op(0x6A, b"\xff\xff\xff\xff") + STOP, "abuse", invalid,
          "LONG_BINGET 2^32-1")
    write("memo_put_empty_stack.pkl", PROTO2 + op(0x71, b"\x00") + STOP, "abuse", invalid,
          "BINPUT with nothing on the stack")
    write("memo_memoize_after_mark.pkl", PROTO4 + op(0x28) + op(0x94) + STOP, "abuse", invalid,
          "MEMOIZE with only a mark above the stack")
    write("pop_empty_stack.pkl", PROTO2 + op(0x30) + STOP, "abuse", invalid, "POP of nothing")
    write("pop_mark_without_mark.pkl", PROTO2 + op(0x4E) + op(0x31) + STOP, "abuse",
          {"error": "unsupportedOpcode", "opcode": 0x31}, "POP_MARK (not produced by torch.save)")
    write("append_to_tuple.pkl", PROTO2 + op(0x29) + op(0x4E) + op(0x61) + STOP, "abuse", invalid,
          "APPEND onto a tuple")
    write("setitems_odd.pkl", PROTO2 + op(0x7D) + op(0x28) + op(0x4E) + op(0x75) + STOP, "abuse",
          invalid, "SETITEMS with a key and no value")
    write("setitem_unhashable_key.pkl",
          PROTO2 + op(0x7D) + op(0x5D) + op(0x4E) + op(0x73) + STOP, "abuse", invalid,
          "SETITEM with a list as key")
    write("reduce_non_callable.pkl", PROTO2 + op(0x4E) + op(0x29) + op(0x52) + STOP, "abuse",
          invalid, "REDUCE of None")
    # Python returns the top of the stack at STOP whatever lies below it; so does the unpickler.
    lenient = {"loads": True, "root": "None"}
    for name, data, note in [
            ("stop_with_two_items.pkl", PROTO2 + op(0x4E) + op(0x4E) + STOP,
             "STOP with two values on the stack"),
            ("mark_never_closed.pkl", PROTO2 + op(0x28) + op(0x4E) + STOP,
             "STOP inside an open MARK")]:
        assert pickle.loads(data) is None
        write(name, data, "abuse", lenient, note + " (Python returns the top value: None)")
    write("no_stop.pkl", PROTO2 + op(0x4E), "abuse", {"error": "truncated"}, "no STOP")


def bomb_cases():
    depth = 10_000
    # Each nesting sits under the key "d" of a dictionary, as a checkpoint's values do.
    d = op(0x7D) + short_unicode("d")
    write("deep_lists.pkl", PROTO2 + d + op(0x5D) * depth + op(0x61) * (depth - 1) + op(0x73) + STOP,
          "bomb",
          {"loads": True, "checkpoint": {"error": "limitExceeded", "limit": "nesting depth"}},
          f"{depth} nested lists (EMPTY_LIST x n, APPEND x n-1)")
    write("deep_tuples.pkl", PROTO2 + d + op(0x4E) + op(0x85) * depth + op(0x73) + STOP, "bomb",
          {"loads": True, "checkpoint": {"error": "limitExceeded", "limit": "nesting depth"}},
          f"{depth} nested 1-tuples")
    dicts = PROTO2 + (op(0x7D) + short_unicode("k")) * depth + op(0x4E) + op(0x73) * depth + STOP
    write("deep_dicts.pkl", dicts, "bomb",
          {"loads": True, "checkpoint": {"error": "limitExceeded", "limit": "nesting depth"}},
          f"{depth} nested dictionaries {{'k': {{'k': ...}}}}")
    write("mark_bomb.pkl", PROTO2 + op(0x28) * 5_000 + STOP, "bomb",
          {"error": "limitExceeded", "limit": "pickle MARK depth"}, "5000 MARKs")
    cyclic_list = []
    cyclic_list.append(cyclic_list)
    write("self_referencing_list.pkl", pickle.dumps({"l": cyclic_list}, protocol=2), "bomb",
          {"loads": True, "checkpoint": {"error": "limitExceeded", "limit": "nesting depth"}},
          "l = []; l.append(l), pickled by Python")
    cyclic_dict = {}
    cyclic_dict["self"] = cyclic_dict
    write("self_referencing_dict.pkl", pickle.dumps(cyclic_dict, protocol=4), "bomb",
          {"loads": True, "checkpoint": {"error": "limitExceeded", "limit": "nesting depth"}},
          "d = {}; d['self'] = d, pickled by Python")
    # Billion laughs: level i is [level i-1, level i-1]; 40 levels = 2^40 leaves as a tree.
    laughs = PROTO2 + op(0x7D) + short_unicode("laughs") + op(0x4E)
    for _ in range(40):
        laughs += (op(0x71, b"\x00") + op(0x30)  # memo[0] = x, popped
                   + op(0x5D) + op(0x28) + op(0x68, b"\x00") + op(0x68, b"\x00") + op(0x65))  # [x, x]
    laughs += op(0x73) + STOP
    write("billion_laughs.pkl", laughs, "bomb",
          {"loads": True,
           "checkpoint": {"error": "limitExceeded", "limit": "state dictionary values"}},
          "40 levels of [x, x] sharing one list: 2^40 leaves if walked as a tree")


def check_bombs_load_in_python():
    """The bombs that should load are valid pickles: Python reads them (without walking them)."""
    for entry in MANIFEST:
        if entry["kind"] == "bomb" and entry["expect"].get("loads"):
            value = pickle.loads((OUT / entry["file"]).read_bytes())
            assert isinstance(value, dict), entry["file"]


def torch_zip(pickle_bytes, storages):
    """A zip checkpoint as torch.save writes it: archive/data.pkl, archive/data/<key>, version."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, payload in [("data.pkl", pickle_bytes), ("byteorder", b"little")] + [
                (f"data/{key}", data) for key, data in storages] + [("version", b"3\n")]:
            archive.writestr(zipfile.ZipInfo(f"archive/{name}", date_time=(2018, 9, 8, 0, 0, 0)),
                             payload)
    return out.getvalue()


def audit_regressions():
    """Checkpoints that made the reader allocate or work without bound before the limits
    `maxTensorBytes` and `maxStateDictionaryValues` existed."""
    folder = ROOT / "Tests" / "Fixtures" / "Fuzz" / "torch-zip"
    folder.mkdir(parents=True, exist_ok=True)
    # {"w": _rebuild_tensor_v2(storage of 1 float, 0, (2**40,), (0,), False, OrderedDict())}:
    # 4 TiB gathered from 4 bytes.
    view = (PROTO2 + op(0x7D) + binunicode("w")
            + op(0x63, b"torch._utils\n_rebuild_tensor_v2\n") + op(0x28)
            + op(0x28) + binunicode("storage") + op(0x63, b"torch\nFloatStorage\n")
            + binunicode("0") + binunicode("cpu") + op(0x4B, b"\x01") + op(0x74) + op(0x51)
            + op(0x4B, b"\x00") + op(0x8A, b"\x08" + struct.pack("<q", 1 << 40)) + op(0x85)
            + op(0x4B, b"\x00") + op(0x85) + op(0x89)
            + op(0x63, b"collections\nOrderedDict\n") + op(0x29) + op(0x52) + op(0x74) + op(0x52)
            + op(0x73) + STOP)
    (folder / "expanded_view_4tib.pth").write_bytes(
        torch_zip(view, [("0", struct.pack("<f", 7.0))]))
    laughs = (OUT / "billion_laughs.pkl").read_bytes()
    (folder / "billion_laughs.pth").write_bytes(torch_zip(laughs, []))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    code_cases()
    abuse_cases()
    bomb_cases()
    for entry in MANIFEST:
        if entry["kind"] == "code":
            assert entry["python_find_class"], f"{entry['file']}: Python asks for no global"
    # Sanity: the code pickles are well-formed for pickletools (except the deliberate protocol 0
    # INST with a STRING operand, which pickletools reads too).
    for entry in MANIFEST:
        if entry["kind"] == "code":
            pickletools.dis((OUT / entry["file"]).read_bytes(), out=io.StringIO())
    check_bombs_load_in_python()
    audit_regressions()
    (OUT / "manifest.json").write_text(json.dumps(MANIFEST, indent=1, sort_keys=True) + "\n")
    assert not os.path.exists(MARKER), "a hostile pickle ran while being written"
    print(f"wrote {len(MANIFEST)} pickles to {OUT}")


if __name__ == "__main__":
    main()
