#!/usr/bin/env python3
"""The peer of benches/instances.rs: the SN6 winner's instance post-processing in
scikit-image, rasterio and shapely (1-zbigniewwojna/main.py, test_postprocess_single), on the
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

import numpy as np
import skimage
from rasterio import features
from shapely.geometry import shape
from shapely.wkt import dumps
from skimage import measure, segmentation


def instances(footprint, edge, contact):
    m0 = footprint * (1 - 1.0 * contact) * (1 - 0.0 * edge)
    seed = m0 * (1 - 1.0 * contact) * (1 - 1.0 * edge)
    seed = measure.label(seed > 0.75, connectivity=2, background=0)
    for p in measure.regionprops(seed):
        if p.area < 110:
            seed[seed == p.label] = 0
    seed = measure.label(seed, connectivity=2, background=0)
    labels = segmentation.watershed(-m0, seed, mask=(m0 > 0.5), watershed_line=True)
    return measure.label(labels, connectivity=2, background=0)


def footprints(labels):
    # As the winner, without its uint8 cast (which drops label 256, 512, ...).
    labels = labels.astype(np.int32)
    out = []
    for polygon, _ in features.shapes(labels, labels > 0):
        p = shape(polygon).buffer(0.5)
        if p.area >= 80:
            out.append(dumps(p.simplify(tolerance=0.5), rounding_precision=0))
    return out


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
