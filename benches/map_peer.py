#!/usr/bin/env python3
"""Python peer of benches/map.rs: the same mapping pipeline the way it is done in Python today,
PyTorch UNet11 (the fixture's baseline network, tests/fixtures/make_unet11.py) with the same
weights (a safetensors file the Rust bench exported from the shipped .bpk, PyTorch's names),
the baseline's tiling (512 px windows at step 512, the last moved back inside, overlapping
logits averaged), rasterio.features.shapes on the thresholded map, shapely for the minimum area
and the 0.5 px simplification, and the footprints written as GeoParquet (WKB) with pyarrow.

Prints one JSON line: scenes, footprints, seconds in all and per stage (read, predict, trace,
write). Run by the Rust bench; by hand:
  python3 benches/map_peer.py --weights w.safetensors --divisor 8 --out peer.parquet scenes/*.tif
"""
import argparse
import json
import pathlib
import struct
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import rasterio
import rasterio.features
import rasterio.windows
import shapely
import shapely.geometry
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
from make_unet11 import UNet11, offsets  # noqa: E402  (the fixture's baseline network, tiling)


def read_safetensors(path):
    """A safetensors file's float32 tensors (the format: a little-endian u64 header length, a
    JSON header of names, dtypes, shapes and byte ranges, then the bytes)."""
    raw = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", t
        a, b = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(t["shape"]).copy())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenes", nargs="+")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--divisor", type=int, default=8)
    ap.add_argument("--mean", type=float, default=30.0)
    ap.add_argument("--std", type=float, default=8.0)
    ap.add_argument("--window", type=int, default=512)
    ap.add_argument("--step", type=int, default=512)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--min-area-px", type=float, default=80.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    net = UNet11(divisor=args.divisor, in_channels=4)
    missing, unexpected = net.load_state_dict(read_safetensors(args.weights), strict=False)
    # (The fixture's network also registers the VGG encoder's aliases of the same weights.)
    missing = [m for m in missing if not m.startswith("encoder.")]
    if missing or unexpected:
        sys.exit(f"weights do not fit: missing {missing}, unexpected {unexpected}")
    net.eval()
    stages = {"read": 0.0, "predict": 0.0, "trace": 0.0, "write": 0.0}
    rows = {"geometry": [], "scene": [], "confidence": [], "area_m2": []}
    w = args.window
    for path in args.scenes:
        t = time.perf_counter()
        with rasterio.open(path) as src:
            bands = src.read().astype(np.float32)
            transform = src.transform
        bands = np.nan_to_num(bands, nan=0.0, posinf=0.0, neginf=0.0)
        x = (bands - args.mean) / args.std
        stages["read"] += time.perf_counter() - t

        t = time.perf_counter()
        _, h, wd = x.shape
        total = np.zeros((h, wd), np.float32)
        count = np.zeros((h, wd), np.float32)
        with torch.inference_mode():
            for y0 in offsets(h, w, args.step):
                for x0 in offsets(wd, w, args.step):
                    win = torch.from_numpy(np.ascontiguousarray(x[None, :, y0 : y0 + w, x0 : x0 + w]))
                    total[y0 : y0 + w, x0 : x0 + w] += net(win)[0, 0].numpy()
                    count[y0 : y0 + w, x0 : x0 + w] += 1
        probs = 1.0 / (1.0 + np.exp(-(total / count)))
        stages["predict"] += time.perf_counter() - t

        t = time.perf_counter()
        mask = (probs > args.threshold).astype(np.uint8)
        pixel = abs(transform.a * transform.e - transform.b * transform.d)
        for geom, _ in rasterio.features.shapes(mask, mask=mask.astype(bool), transform=transform):
            traced = shapely.geometry.shape(geom)
            if traced.area / pixel < args.min_area_px:
                continue
            simple = traced.simplify(0.5 * abs(transform.a))
            poly = simple if simple.is_valid else shapely.make_valid(traced)
            # The confidence: the mean probability over the traced pixels, masked in the
            # building's own window (not the whole scene's).
            col0, row1 = ~transform * (traced.bounds[0], traced.bounds[1])
            col1, row0 = ~transform * (traced.bounds[2], traced.bounds[3])
            r0, r1 = int(min(row0, row1)), int(np.ceil(max(row0, row1)))
            c0, c1 = int(min(col0, col1)), int(np.ceil(max(col0, col1)))
            window = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
            inside = rasterio.features.geometry_mask(
                [traced],
                (r1 - r0, c1 - c0),
                rasterio.windows.transform(window, transform),
                invert=True,
            )
            rows["geometry"].append(shapely.to_wkb(poly))
            rows["scene"].append(pathlib.Path(path).stem)
            rows["confidence"].append(float(probs[r0:r1, c0:c1][inside].mean()))
            rows["area_m2"].append(poly.area)
        stages["trace"] += time.perf_counter() - t

    t = time.perf_counter()
    pq.write_table(pa.table(rows), args.out)
    stages["write"] += time.perf_counter() - t
    print(
        json.dumps(
            {
                "scenes": len(args.scenes),
                "footprints": len(rows["geometry"]),
                "seconds": time.perf_counter() - started,
                "stages": stages,
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
