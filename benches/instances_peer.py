#!/usr/bin/env python3
"""The peer of benches/instances.rs: the SN6 winner's instance post-processing in
scikit-image, rasterio and shapely (1-zbigniewwojna/main.py, test_postprocess_single, as
tests/fixtures/make_watershed_golden.py writes it for the goldens), on the
maps the bench wrote (footprint.f32, edge.f32, contact.f32: little-endian float32, row-major).
Prints one JSON line: the median times of `--repeat` runs after one, up to the labels and up
to the footprints' WKT, with the building and footprint counts.

    python3 -m pip install scikit-image rasterio shapely
"""
import argparse
import json
import pathlib
import statistics
import time

import sys

import numpy as np
import skimage

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
# The golden script's own pipeline: the post-processing timed is the one the tests check.
from make_watershed_golden import winner_labels as instances  # noqa: E402
from make_watershed_golden import winner_outlines as footprints  # noqa: E402


def median_time(f, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    read = lambda name: np.fromfile(args.dir / name, dtype="<f4").reshape(
        args.height, args.width
    ).astype(np.float64)
    footprint, edge, contact = read("footprint.f32"), read("edge.f32"), read("contact.f32")
    labels = instances(footprint, edge, contact)
    polygons = footprints(labels)
    print(json.dumps({
        "skimage": skimage.__version__,
        "seconds": median_time(lambda: instances(footprint, edge, contact), args.repeat),
        "seconds_full": median_time(
            lambda: footprints(instances(footprint, edge, contact)), args.repeat
        ),
        "buildings": int(labels.max()),
        "footprints": len(polygons),
    }))


if __name__ == "__main__":
    main()
