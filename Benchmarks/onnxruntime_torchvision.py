#!/usr/bin/env python3
"""Times a torchvision architecture in Swift (`demo bench-model`) and in onnxruntime on the same
weights, batch 1, on 1 and 2 threads, and prints the ratio.

    .venv-tools/bin/python Benchmarks/onnxruntime_torchvision.py [--architecture resnet50]
        [--scratch-path .build-release] [--runs 21] [--rounds 3]

The weights are those of the reference case `<architecture>_224` of
Tests/ModelsTests/TorchvisionReference.swift (exported by the Swift tests, as for
Tools/make_torchvision_golden.py). onnxruntime runs the graph traced from torchvision's model code
by that tool, with its graph optimisations on (batch norms folded into convolutions, fused
activations), intra-op threads 1 or 2, inter-op 1. Swift runs the release build of
`demo bench-model --weights`. The two alternate for `--rounds` rounds, and each side's figure is
its best round median, so that load from other processes on a shared machine affects both alike.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path



ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))
import make_torchvision_golden as golden  # noqa: E402


def onnxruntime_medians(model, image, threads, runs):
    session, _ = golden.run_onnxruntime(model, {"input": image}, threads=threads, optimize=True)
    for _ in range(3):
        session.run(None, {"input": image})
    wall = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {"input": image})
        wall.append((time.perf_counter() - start) * 1e3)
    return statistics.median(wall)


def swift_medians(demo, architecture, weights, threads, runs):
    output = subprocess.run(
        [str(demo), "bench-model", architecture, "--weights", str(weights), "--threads",
         ",".join(map(str, threads)), "--runs", str(runs), "--json"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {row["threads"]: row["forwardMilliseconds"] for row in rows}, rows[0]["blasCore"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--architecture", default="resnet50")
    parser.add_argument("--scratch-path", default=".build")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    case = f"{arguments.architecture}_224"
    threads = [1, 2]

    subprocess.run(["swift", "build", "-c", "release", "--scratch-path", arguments.scratch_path,
                    "--product", "demo"], cwd=ROOT, check=True)
    demo = ROOT / arguments.scratch_path / "release" / "demo"
    _, namespaces = golden.load_torchvision(golden.torchvision_wheel())
    model, _ = golden.build(arguments.architecture, namespaces)
    with tempfile.TemporaryDirectory(prefix="torchvision-bench-") as folder:
        folder = Path(folder)
        golden.export_from_swift(folder, arguments.scratch_path, case)
        weights_file = folder / f"{case}.safetensors"
        from safetensors.numpy import load_file
        weights = load_file(str(weights_file))
        image = load_file(str(folder / f"{case}.input.safetensors"))["input"]
        onnx_model, _ = golden.onnx_model(model, image.shape, weights)
        best_ort = {t: float("inf") for t in threads}
        best_swift = {t: float("inf") for t in threads}
        core = "?"
        for _ in range(arguments.rounds):
            for t in threads:
                best_ort[t] = min(best_ort[t], onnxruntime_medians(
                    onnx_model, image, t, arguments.runs))
            medians, core = swift_medians(
                demo, arguments.architecture, weights_file, threads, arguments.runs)
            for t in threads:
                best_swift[t] = min(best_swift[t], medians[t])
    import onnxruntime
    print(f"{arguments.architecture}, batch 1, 224×224: best of {arguments.rounds} round medians "
          f"({arguments.runs} runs each), ms; onnxruntime {onnxruntime.__version__}, "
          f"OpenBLAS core {core}")
    print("threads    Swift  onnxruntime  ratio")
    for t in threads:
        print(f"{t:7d}  {best_swift[t]:7.2f}  {best_ort[t]:11.2f}  {best_swift[t] / best_ort[t]:5.2f}")


if __name__ == "__main__":
    main()
