#!/usr/bin/env python3
"""Times ResNet-50 forward in Swift (`demo bench-model`) and onnxruntime, in turns, on the same
weights, for each batch size and thread count asked.

    .venv-tools/bin/python Benchmarks/resnet50_side_by_side.py --demo .build/release/demo \
        [--rounds 5] [--runs 11] [--threads 1,2] [--batches 1,32] [--architecture resnet50]

`--demo old/demo,new/demo` times several builds in the same rounds.

On a shared machine a figure taken minutes apart from another is not comparable, so the two
programs alternate: each round times onnxruntime in this process (the median of `--runs` runs
after 2 warm-ups, intra-op threads as asked, inter-op 1, graph optimisations on) and then runs
`demo bench-model --weights` (the median of `--runs` runs after its own warm-up). Batches of 32
or more take `--runs` / 4 runs (at least 3). Prints every round, then per configuration the
median over rounds of each side's median wall-clock time, their ratio (Swift / onnxruntime), the
per-round ratio range, the same for process CPU time (both sides count every thread of their
process; on a loaded machine CPU time moves less than wall time) and the load average (1 minute) before and after that configuration.

Unlike Benchmarks/onnxruntime_torchvision.py this needs no Swift test build: the weights are
drawn here (seeded numpy) with torchvision's state-dict keys and shapes, conditioned as the
reference tests do (He-scaled convolutions, batch norms with random statistics), so that no
activation shrinks towards subnormal numbers, and written to a safetensors file both sides read.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))
import make_torchvision_golden as golden  # noqa: E402


def conditioned_weights(model, seed):
    """Random weights for every state-dict entry of `model`, scaled as the reference tests do."""
    rng = np.random.default_rng(seed)
    weights = {}
    entries = list(model.state_dict_shapes())
    batch_norms = {key[:-len(".running_mean")] for key, _, _ in entries
                   if key.endswith(".running_mean")}
    for key, shape, _ in entries:
        shape = tuple(shape)
        module, _, leaf = key.rpartition(".")
        is_batch_norm = module in batch_norms
        if leaf == "num_batches_tracked":
            weights[key] = np.zeros(shape, dtype=np.int64)
        elif is_batch_norm and leaf == "weight":
            weights[key] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        elif is_batch_norm and leaf == "running_var":
            weights[key] = rng.uniform(0.5, 2, shape).astype(np.float32)
        elif is_batch_norm:
            weights[key] = rng.normal(0, 0.2, shape).astype(np.float32)
        elif len(shape) >= 2:
            fan_in = int(np.prod(shape[1:]))
            weights[key] = rng.normal(0, np.sqrt(2 / fan_in), shape).astype(np.float32)
        else:
            weights[key] = rng.normal(0, 0.1, shape).astype(np.float32)
    return weights


def onnxruntime_median(session, image, runs):
    for _ in range(2):
        session.run(None, {"input": image})
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        session.run(None, {"input": image})
        wall.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def swift_median(demo, architecture, weights, threads, batch, runs):
    output = subprocess.run(
        [str(demo), "bench-model", architecture, "--weights", str(weights), "--threads",
         str(threads), "--batch", str(batch), "--runs", str(runs), "--warmup", "2", "--json"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return (rows[0]["forwardMilliseconds"], rows[0]["forwardCPUMilliseconds"]), rows[0]["blasCore"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", default=str(ROOT / ".build/release/demo"),
                        help="the demo binary, or several separated by commas (each round runs "
                        "them all after onnxruntime, to compare builds)")
    parser.add_argument("--architecture", default="resnet50")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--seed", type=int, default=500)
    arguments = parser.parse_args()
    threads = [int(t) for t in arguments.threads.split(",")]
    demos = arguments.demo.split(",")

    def label(demo):
        return Path(demo).name if len(demos) > 1 else "Swift"
    batches = [int(b) for b in arguments.batches.split(",")]

    import onnxruntime
    from safetensors.numpy import save_file
    _, namespaces = golden.load_torchvision(golden.torchvision_wheel())
    model, _ = golden.build(arguments.architecture, namespaces)
    weights = conditioned_weights(model, arguments.seed)
    summary = []
    with tempfile.TemporaryDirectory(prefix="resnet-bench-") as folder:
        weights_file = Path(folder) / "weights.safetensors"
        save_file(weights, str(weights_file))
        float_weights = {k: v for k, v in weights.items() if v.dtype == np.float32}
        for batch in batches:
            image = np.random.default_rng(batch).normal(
                size=(batch, 3, 224, 224)).astype(np.float32)
            onnx_model, _ = golden.onnx_model(model, image.shape, float_weights)
            runs = arguments.runs if batch < 32 else max(3, arguments.runs // 4)
            for t in threads:
                session, _ = golden.run_onnxruntime(
                    onnx_model, {"input": image}, threads=t, optimize=True)
                load_before = os.getloadavg()[0]
                swift = {demo: [] for demo in demos}
                onnx, core = [], "?"
                for round_index in range(arguments.rounds):
                    onnx.append(onnxruntime_median(session, image, runs))
                    line = (f"batch {batch}, {t} thread(s), round {round_index + 1}: onnxruntime "
                            f"{onnx[-1][0]:.2f} / {onnx[-1][1]:.2f} ms")
                    for demo in demos:
                        value, core = swift_median(
                            demo, arguments.architecture, weights_file, t, batch, runs)
                        swift[demo].append(value)
                        line += (f", {label(demo)} {value[0]:.2f} / {value[1]:.2f} ms "
                                 f"(wall ratio {value[0] / onnx[-1][0]:.2f})")
                    print(line + f", load {os.getloadavg()[0]:.2f}", flush=True)
                load_after = os.getloadavg()[0]
                for demo in demos:
                    ratios = sorted(s[0] / o[0] for s, o in zip(swift[demo], onnx))
                    summary.append((label(demo), batch, t,
                                    statistics.median(s[0] for s in swift[demo]),
                                    statistics.median(o[0] for o in onnx),
                                    statistics.median(s[1] for s in swift[demo]),
                                    statistics.median(o[1] for o in onnx),
                                    ratios[0], ratios[-1], load_before, load_after, runs))
                del session
    print(f"{arguments.architecture} 224×224, medians over {arguments.rounds} rounds of the "
          f"per-round medians, ms; onnxruntime {onnxruntime.__version__}, OpenBLAS core {core}")
    print("demo          batch  threads  runs  Swift wall  ort wall  ratio  (round ratios)  "
          "Swift CPU  ort CPU  CPU ratio  load before/after")
    for name, batch, t, s, o, s_cpu, o_cpu, low, high, before, after, runs in summary:
        print(f"{name:12.12s}  {batch:5d}  {t:7d}  {runs:4d}  {s:10.2f}  {o:8.2f}  {s / o:5.2f}  "
              f"({low:.2f} … {high:.2f})  {s_cpu:9.2f}  {o_cpu:7.2f}  {s_cpu / o_cpu:9.2f}  "
              f"{before:.2f} / {after:.2f}")


if __name__ == "__main__":
    main()
