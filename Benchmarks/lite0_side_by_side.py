#!/usr/bin/env python3
"""Times EfficientNet-Lite0 forward in Swift (`demo classify --benchmark`) and onnxruntime, in turns.

    .venv-tools/bin/python Benchmarks/lite0_side_by_side.py --demo .build/release/demo \
        [--rounds 6] [--runs 15] [--threads 1] [--batch 1]

On a shared machine a figure taken minutes apart from another is not comparable, so the two
programs alternate: each round runs `Benchmarks/onnxruntime_lite0.py` and then the Swift command
(each the median of `--runs` runs after its warm-up) on the committed coffee crop, same batch
size and thread count. Prints every round, then the median over rounds of each side's median
wall-clock and CPU times, their ratio (Swift / onnxruntime), the OpenBLAS core the Swift side
reported and the load average before and after.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CROP = ROOT / "Tests/Fixtures/Lite0/coffee.png"
ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s*/\s*([\d.]+)")


def table_row(text, threads, batch):
    """(wall, cpu) of the row for `threads`, `batch` in either program's table."""
    for line in text.splitlines():
        match = ROW.match(line)
        if match and int(match[1]) == threads and int(match[2]) == batch:
            return float(match[3]), float(match[4])
    raise SystemExit(f"no row for {threads} thread(s), batch {batch} in:\n{text}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", default=str(ROOT / ".build/release/demo"))
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()

    load_before = os.getloadavg()
    swift_command = [
        args.demo, "classify", str(CROP), "--benchmark", str(args.runs),
        "--threads", str(args.threads), "--batch-size", str(args.batch),
    ]
    onnx_command = [
        sys.executable, str(ROOT / "Benchmarks/onnxruntime_lite0.py"), "--runs", str(args.runs),
        "--threads", str(args.threads), "--batches", str(args.batch),
    ]
    swift, onnx, core = [], [], "?"
    for round_index in range(args.rounds):
        text = subprocess.run(onnx_command, cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
        onnx.append(table_row(text, args.threads, args.batch))
        text = subprocess.run(swift_command, cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
        core = re.search(r"OpenBLAS core (\S+)", text)[1] if "OpenBLAS core" in text else core
        swift.append(table_row(text, args.threads, args.batch))
        print(f"round {round_index + 1}: onnxruntime {onnx[-1][0]:.2f} / {onnx[-1][1]:.2f} ms, "
              f"Swift {swift[-1][0]:.2f} / {swift[-1][1]:.2f} ms "
              f"(ratio {swift[-1][0] / onnx[-1][0]:.2f})", flush=True)
    load_after = os.getloadavg()
    wall = (statistics.median(s[0] for s in swift), statistics.median(o[0] for o in onnx))
    cpu = (statistics.median(s[1] for s in swift), statistics.median(o[1] for o in onnx))
    ratios = sorted(s[0] / o[0] for s, o in zip(swift, onnx))
    print(f"Lite0 batch {args.batch}, {args.threads} thread(s), {args.rounds} rounds × "
          f"{args.runs} runs; OpenBLAS core {core}")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"Swift       {wall[0]:7.2f} ms wall  {cpu[0]:7.2f} ms CPU")
    print(f"onnxruntime {wall[1]:7.2f} ms wall  {cpu[1]:7.2f} ms CPU")
    print(f"ratio       {wall[0] / wall[1]:7.2f} wall  {cpu[0] / cpu[1]:7.2f} CPU  "
          f"(per-round wall ratios {ratios[0]:.2f} … {ratios[-1]:.2f})")


if __name__ == "__main__":
    main()
