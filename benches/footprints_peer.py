#!/usr/bin/env python3
"""Python peer of benches/footprints.rs (rasterio, shapely 2, numpy).

vectorize: what solaris' mask_to_poly_geojson does: rasterio.features.shapes on the mask
(4-connectivity), shapely buffer(0), simplify(0.5, preserve_topology=True), drop < 80 px.
eval: solaris' eval_iou_spacenet_csv algorithm (per image: truth area >= 80, proposals area > 80
in descending confidence, stable; greedy matching at IoU > 0.5), reading the CSVs included.
Prints one JSON line with the times (median of --repeat after half a second of warm-up) and
results.
"""
import argparse
import csv
import json
import pathlib
import statistics
import time
from collections import defaultdict

import numpy as np
import rasterio
import rasterio.features
import shapely
from shapely.geometry import shape

MIN_AREA = 80


def vectorize(probs):
    mask = (probs > 0.5).astype(np.uint8)
    out = []
    for geom, _ in rasterio.features.shapes(mask, mask=mask > 0, connectivity=4):
        poly = shape(geom).buffer(0)
        if poly.area < MIN_AREA:
            continue
        out.append(poly.simplify(0.5, preserve_topology=True))
    return out


def read(path, with_conf):
    rows = defaultdict(list)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            wkt = r["PolygonWKT_Pix"]
            if wkt == "POLYGON EMPTY":
                rows[r["ImageId"]]
                continue
            conf = float(r["Confidence"]) if with_conf else 1.0
            rows[r["ImageId"]].append((wkt, conf))
    return {
        k: (shapely.from_wkt([w for w, _ in v]), np.array([c for _, c in v])) for k, v in rows.items()
    }


def evaluate(truth_path, pred_path):
    truth = read(truth_path, False)
    preds = read(pred_path, True)
    tp = fp = fn = 0
    for image in sorted(set(truth) | set(preds)):
        gt = truth.get(image, (np.array([], dtype=object), None))[0]
        gt = gt[shapely.area(gt) >= MIN_AREA] if len(gt) else gt
        gt = shapely.make_valid(gt) if len(gt) else gt
        alive = np.ones(len(gt), dtype=bool)
        gt_area = shapely.area(gt) if len(gt) else np.array([])
        if image in preds:
            props, conf = preds[image]
            keep = shapely.area(props) > MIN_AREA
            props, conf = props[keep], conf[keep]
            for i in np.argsort(-conf, kind="stable"):
                p = props[i]
                cand = np.nonzero(alive & shapely.intersects(gt, p))[0] if len(gt) else []
                best, best_j = 0.0, -1
                for j in cand:
                    inter = shapely.area(shapely.intersection(p, gt[j]))
                    iou = inter / (p.area + gt_area[j] - inter)
                    if iou > best:
                        best, best_j = iou, j
                if best > 0.5:
                    tp += 1
                    alive[best_j] = False
                else:
                    fp += 1
        fn += int(alive.sum())
    return tp, fp, fn


def timed(repeat, f):
    # Warm-up as the Rust side's: at least half a second (one evaluation is longer).
    warm_up = time.perf_counter()
    result = f()
    while time.perf_counter() - warm_up < 0.5:
        result = f()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = f()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    probs = np.fromfile(args.dir / "probs.f32", dtype="<f4").reshape(args.height, args.width)
    vec_s, polys = timed(args.repeat * 10, lambda: vectorize(probs))
    eval_s, (tp, fp, fn) = timed(
        args.repeat, lambda: evaluate(args.dir / "truth.csv", args.dir / "preds.csv")
    )
    print(json.dumps({
        "rasterio": rasterio.__version__,
        "shapely": shapely.__version__,
        "vectorize_s": vec_s,
        "polygons": len(polys),
        "area": float(sum(p.area for p in polys)),
        "eval_s": eval_s,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }))


if __name__ == "__main__":
    main()
