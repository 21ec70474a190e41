#!/usr/bin/env python3
"""Times the Python `lime` package explaining EfficientNet-Lite0 through onnxruntime: the peer of
`Benchmarks/lime_lite0.sh` (the Swift demo).

    /work/main/.venv-tools/bin/python Benchmarks/lime_python_lite0.py [--runs 3] [--threads 1,2]

Same inputs as the Swift run: the coffee crop (Tests/Fixtures/Lite0/coffee.png), the
scikit-image quickshift segmentation of it (Tests/Fixtures/LIME/coffee_quickshift.npy, passed
as a fixed `segmentation_fn`, so no time goes to segmenting), 1000 samples, batches of 32,
top 5 labels, lime_image's other defaults. The classifier function normalises the [0, 1] images
as EfficientNet-Lite does, runs the ONNX graph of Tools/make_lite0_golden.py and returns
softmax probabilities. Prints wall and process CPU time per run and the median wall time.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from lime import lime_image
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))
import make_lite0_golden as lite0  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()

    model = lite0.build_model(lite0.read_legacy_checkpoint(lite0.CHECKPOINT))
    image = np.asarray(Image.open(ROOT / "Tests/Fixtures/Lite0/coffee.png").convert("RGB"),
                       dtype=np.float64) / 255
    segments = np.load(ROOT / "Tests/Fixtures/LIME/coffee_quickshift.npy")
    for threads in [int(t) for t in args.threads.split(",")]:
        session = lite0.session(model, threads=threads)

        def classify(batch):
            x = batch.transpose(0, 3, 1, 2).astype(np.float32)
            x = x * np.float32(255 / 128) + np.float32(-127 / 128)
            logits = session.run(["logits"], {"input": x})[0]
            z = np.exp(logits - logits.max(axis=1, keepdims=True))
            return z / z.sum(axis=1, keepdims=True)

        walls = []
        for run in range(args.runs):
            explainer = lime_image.LimeImageExplainer(random_state=run)
            start, start_cpu = time.perf_counter(), time.process_time()
            explanation = explainer.explain_instance(
                image, classify, top_labels=5, num_samples=1000, batch_size=32,
                segmentation_fn=lambda _: segments)
            wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            walls.append(wall)
            top = explanation.top_labels[0]
            print(f"threads {threads} run {run + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU "
                  f"(top label {top}, R² of the last label {explanation.score:.3f})")
        print(f"threads {threads}: median {statistics.median(walls):.2f} s wall")


if __name__ == "__main__":
    main()
