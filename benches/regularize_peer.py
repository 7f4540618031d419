#!/usr/bin/env python3
"""The Python peer of benches/regularize.rs: shapely's minimum_rotated_rectangle (the usual
right-angle fit in Python) of the same traced outlines, timed the same way.

    python3 benches/regularize_peer.py OUTLINES.wkt --repeat N

OUTLINES.wkt holds one polygon WKT per line. Prints one JSON line: the median seconds of
`repeat` runs over all outlines (after half a second of warm-up), their count, versions.
"""
import argparse
import json
import statistics
import time

import shapely

parser = argparse.ArgumentParser()
parser.add_argument("outlines")
parser.add_argument("--repeat", type=int, default=10)
args = parser.parse_args()
with open(args.outlines) as f:
    polygons = shapely.from_wkt([line.strip() for line in f if line.strip()])


def run():
    return shapely.minimum_rotated_rectangle(polygons)


start = time.perf_counter()
while time.perf_counter() - start < 0.5:
    run()
runs = []
for _ in range(max(args.repeat, 1)):
    t = time.perf_counter()
    run()
    runs.append(time.perf_counter() - t)
print(json.dumps({
    "seconds": statistics.median(runs),
    "outlines": len(polygons),
    "shapely": shapely.__version__,
    "geos": shapely.geos_version_string,
}))
