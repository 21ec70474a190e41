"""Golden superpixel segmentations from scikit-image 0.24 (the reference for
Sources/Explain/Superpixels/Quickshift.swift and SLIC.swift): Tests/Fixtures/Superpixels/.

Inputs: <name>_input.npy (uint8 [224, 224, 3]), written by the Swift test
`WRITE_SUPERPIXEL_FIXTURES=1 swift test --filter SuperpixelFixtureTests`: the bundled photograph
through Preprocessing.imageNet (shorter side 256, centre crop 224), rounded to 8 bits. Both sides
segment float64(float32(v) / float32(255)), i.e. exactly the same numbers.

Outputs (int16 [224, 224] label maps, as scikit-image returns them):
  <name>_quickshift.npy   quickshift(kernel_size=4, max_dist=200, ratio=0.2)  (LIME's defaults)
  <name>_slic100.npy      slic(n_segments=100, compactness=10)
  <name>_slic200.npy      slic(n_segments=200, compactness=20, sigma=1)
  astronaut_quickshift_smoothed.npy
                          quickshift(kernel_size=3, max_dist=6, ratio=0.5, sigma=1)

scikit-image 0.24 is the wheel in Assets/wheels, installed beside the tools venv (which holds a
newer scikit-image) so as not to replace it:
  .venv-tools/bin/pip install --no-deps --target /tmp/skimage-0.24 \
      Assets/wheels/scikit_image-0.24.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
Run: PYTHONPATH=/tmp/skimage-0.24 .venv-tools/bin/python Tools/make_superpixel_fixtures.py
     [--time]   (also prints the median wall and CPU time of 7 runs of each setting)
"""
import pathlib
import sys
import time

import numpy as np
import skimage
from skimage.segmentation import quickshift, slic

assert skimage.__version__ == "0.24.0", f"scikit-image 0.24.0 needed, found {skimage.__version__}"

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/Superpixels"
NAMES = ["coffee", "chelsea", "astronaut"]
SETTINGS = {
    "quickshift": lambda image: quickshift(image, kernel_size=4, max_dist=200, ratio=0.2),
    "slic100": lambda image: slic(image, n_segments=100, compactness=10, start_label=1),
    "slic200": lambda image: slic(image, n_segments=200, compactness=20, sigma=1, start_label=1),
}
EXTRA = {
    ("astronaut", "quickshift_smoothed"): lambda image: quickshift(
        image, kernel_size=3, max_dist=6, ratio=0.5, sigma=1
    ),
}


def load(name):
    pixels = np.load(FIXTURES / f"{name}_input.npy")
    assert pixels.dtype == np.uint8 and pixels.shape == (224, 224, 3)
    return (pixels.astype(np.float32) / np.float32(255)).astype(np.float64)


def median_times(function, image, runs=7):
    """Median wall and process CPU seconds of `runs` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        function(image)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return float(np.median(wall)), float(np.median(cpu))


def main():
    timing = "--time" in sys.argv
    jobs = [((name, key), fn) for name in NAMES for key, fn in SETTINGS.items()]
    jobs += list(EXTRA.items())
    for (name, key), function in jobs:
        image = load(name)
        labels = function(image)
        assert labels.max() < 32768
        path = FIXTURES / f"{name}_{key}.npy"
        np.save(path, labels.astype(np.int16))
        line = f"{path.name}: {len(np.unique(labels))} segments"
        if timing:
            wall, cpu = median_times(function, image)
            line += f", median {wall * 1000:.1f} ms (CPU {cpu * 1000:.1f} ms)"
        print(line)


if __name__ == "__main__":
    main()
