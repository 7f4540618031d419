#!/usr/bin/env python3
"""The Python peer of benches/polsar.rs: numpy's T3, refined Lee (7x7) or boxcar (7x7) and
Cloude-Pottier H/A/alpha (numpy.linalg.eigh) of the same complex quad-pol scene, read with
rasterio, timed the same way. The formulas are those of tests/fixtures/make_polsar_golden.py,
written here window offset by window offset so that a 1920x1080 scene fits in memory.

    python3 benches/polsar_peer.py make DIR --size WxH     # the scene: the Capella chips tiled
    python3 benches/polsar_peer.py run DIR --filter refined-lee|boxcar --repeat N

`make` mirrors the four 200x200 Capella SLC chips (../shared/data/capella) out to WxH, as
CFloat32 with their scale factor. `run` prints one JSON line: the median seconds of `repeat`
runs (read, T3, filter, H/A/alpha), numpy's version.
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import rasterio

HERE = os.path.dirname(os.path.abspath(__file__))
CHIPS = os.path.join(HERE, "..", "..", "shared", "data", "capella")
POLS = ("hh", "hv", "vh", "vv")


def make(out, size):
    w, h = size
    os.makedirs(out, exist_ok=True)
    for p in POLS:
        with rasterio.open(os.path.join(CHIPS, f"sar_{p}.tif")) as src:
            z = src.read(1)
            tags = src.tags()
        reps = np.pad(z, ((0, max(h - z.shape[0], 0)), (0, max(w - z.shape[1], 0))), mode="symmetric")[:h, :w]
        profile = dict(driver="GTiff", width=w, height=h, count=1, dtype="complex64", tiled=True)
        with rasterio.open(os.path.join(out, f"sar_{p}.tif"), "w", **profile) as dst:
            dst.write(reps.astype(np.complex64), 1)
            dst.update_tags(**tags)


def scale_of(tags):
    def find(d):
        if isinstance(d, dict):
            if "scale_factor" in d:
                return d["scale_factor"]
            return next((r for r in map(find, d.values()) if r is not None), None)
        if isinstance(d, list):
            return next((r for r in map(find, d) if r is not None), None)
        return None

    return find(json.loads(tags["TIFFTAG_IMAGEDESCRIPTION"]))


def read(folder):
    out = []
    for p in POLS:
        with rasterio.open(os.path.join(folder, f"sar_{p}.tif")) as src:
            out.append(src.read(1).astype(np.complex128) * scale_of(src.tags()))
    return out


def t3(hh, hv, vh, vv):
    r = 1 / np.sqrt(2)
    k = [(hh + vv) * r, (hh - vv) * r, (hv + vh) * r]
    return {(i, j): k[i] * np.conj(k[j]) for i in range(3) for j in range(i, 3)}


def shifted(padded, dy, dx, h, w):
    return padded[dy:dy + h, dx:dx + w]


def boxcar(t, n=7):
    r = n // 2
    out = {}
    for key, v in t.items():
        p = np.pad(v, r, mode="edge")
        c = np.cumsum(np.cumsum(np.pad(p, ((1, 0), (1, 0))), 0), 1)
        h, w = v.shape
        out[key] = (c[n:n + h, n:n + w] - c[:h, n:n + w] - c[n:n + h, :w] + c[:h, :w]) / (n * n)
    return out


def refined_lee(t):
    h, w = t[(0, 0)].shape
    span = (t[(0, 0)] + t[(1, 1)] + t[(2, 2)]).real
    ps = np.pad(span, 3, mode="edge")
    sub = []
    for k in range(9):
        oy, ox = 2 * (k // 3), 2 * (k % 3)
        acc = sum(shifted(ps, oy + a, ox + b, h, w) for a in range(3) for b in range(3))
        sub.append(acc / 9)
    sub = np.stack(sub, -1)
    masks = [([2, 5, 8], [0, 3, 6]), ([6, 7, 8], [0, 1, 2]), ([1, 2, 5], [3, 6, 7]), ([0, 1, 3], [5, 7, 8])]
    grads = np.stack([np.abs(sub[..., p].sum(-1) - sub[..., q].sum(-1)) for p, q in masks], -1)
    direction = np.argmax(grads, -1)
    ends = np.array([(3, 5), (1, 7), (2, 6), (0, 8)])
    centre = sub[..., 4]
    e0 = np.take_along_axis(sub, ends[direction][..., :1], -1)[..., 0]
    e1 = np.take_along_axis(sub, ends[direction][..., 1:], -1)[..., 0]
    which = 2 * direction + (np.abs(e1 - centre) < np.abs(e0 - centre))
    d = np.arange(-3, 4)
    dy, dx = np.meshgrid(d, d, indexing="ij")
    halves = np.stack([dx <= 0, dx >= 0, dy <= 0, dy >= 0, dx >= dy, dx <= dy, dx + dy <= 0, dx + dy >= 0])
    padded = {key: np.pad(v, 3, mode="edge") for key, v in t.items()}
    k = np.zeros((h, w))
    s = np.zeros((h, w))
    s2 = np.zeros((h, w))
    sums = {key: np.zeros((h, w), dtype=v.dtype) for key, v in t.items()}
    for a in range(7):
        for b in range(7):
            sel = halves[:, a, b][which]
            v = shifted(ps, a, b, h, w)
            k += sel
            s += np.where(sel, v, 0)
            s2 += np.where(sel, v * v, 0)
            for key in t:
                sums[key] += np.where(sel, shifted(padded[key], a, b, h, w), 0)
    mean = s / k
    var = s2 / k - mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(var > 0, np.clip((var - mean**2) / (var * 2), 0, None), 0)
    return {key: sums[key] / k + gain * (t[key] - sums[key] / k) for key in t}


def haa(t):
    h, w = t[(0, 0)].shape
    m = np.empty((h, w, 3, 3), dtype=np.complex128)
    for (i, j), v in t.items():
        m[..., i, j] = v
        m[..., j, i] = np.conj(v)
    lam, vec = np.linalg.eigh(m)
    lam = lam[..., ::-1].clip(min=0)
    vec = vec[..., ::-1]
    p = lam / lam.sum(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(p > 0, np.log(p) / np.log(3), 0)
    entropy = -(p * logs).sum(-1)
    anisotropy = (lam[..., 1] - lam[..., 2]) / (lam[..., 1] + lam[..., 2])
    alpha = (p * np.degrees(np.arccos(np.clip(np.abs(vec[..., 0, :]), 0, 1)))).sum(-1)
    return entropy, anisotropy, alpha


def run(folder, which):
    t = t3(*read(folder))
    t = refined_lee(t) if which == "refined-lee" else boxcar(t)
    return haa(t)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["make", "run"])
    parser.add_argument("folder")
    parser.add_argument("--size", default="900x900")
    parser.add_argument("--filter", default="refined-lee")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.what == "make":
        make(args.folder, tuple(int(v) for v in args.size.split("x")))
        return
    runs = []
    for _ in range(max(args.repeat, 1)):
        start = time.perf_counter()
        run(args.folder, args.filter)
        runs.append(time.perf_counter() - start)
    print(json.dumps({"seconds": statistics.median(runs), "numpy": np.__version__}))


if __name__ == "__main__":
    main()
