#!/usr/bin/env python3
"""Times EfficientNet-Lite0 in onnxruntime: the reference for `demo classify --benchmark`.

    .venv-tools/bin/python Benchmarks/onnxruntime_lite0.py [--runs 21]

Builds the same ONNX graph as Tools/make_lite0_golden.py (from Assets/models/efficientnet-lite0.pth,
batch norm as BatchNormalization nodes; onnxruntime's graph optimiser folds them into the
convolutions) and runs it on the committed coffee crop, replicated to the batch size. Prints the
median of `--runs` runs after two warm-up runs, in milliseconds, for batch 1 and 32 on 1 and 2
intra-op threads (inter-op 1, sequential execution), as a table like the Swift command's:
wall-clock time and process CPU time (on a shared machine, CPU time on one thread is the
steadier figure).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))
import make_lite0_golden as lite0  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()

    model = lite0.build_model(lite0.read_legacy_checkpoint(lite0.CHECKPOINT))
    crop = Image.open(lite0.OUTPUT / "coffee.png")
    image = lite0.normalized(crop)
    print(f"onnxruntime {onnxruntime.__version__}, median of {args.runs} runs (ms)")
    print("threads  batch  forward (wall / CPU)  per image")
    for threads in [int(t) for t in args.threads.split(",")]:
        session = lite0.session(model, threads=threads)
        for batch in [int(b) for b in args.batches.split(",")]:
            x = np.repeat(image, batch, axis=0)
            for _ in range(2):
                session.run(["logits"], {"input": x})
            wall, cpu = [], []
            for _ in range(args.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                session.run(["logits"], {"input": x})
                wall.append((time.perf_counter() - start) * 1e3)
                cpu.append((time.process_time() - start_cpu) * 1e3)
            median, median_cpu = statistics.median(wall), statistics.median(cpu)
            print(
                f"{threads:7d}  {batch:5d}  {median:7.2f} / {median_cpu:7.2f}"
                f"  {median / batch:9.2f}"
            )


if __name__ == "__main__":
    main()
