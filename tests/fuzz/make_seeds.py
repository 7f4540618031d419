#!/usr/bin/env python3
"""The fuzzers' seed corpora (seeds/<target>/): small valid and nearly valid inputs that start
libFuzzer inside each format. PyTorch checkpoints are written by torch itself (pip: torch), in
both its zip and its legacy pickle format; a complete burnpack by `sarscope train` (one step of
the narrowest UNet11, 97 KiB; the binary is $SARSCOPE, else the build's debug binary).
Run from this folder: python3 make_seeds.py
"""
import json
import os
import shutil
import subprocess
import tempfile

import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SEEDS = os.path.join(ROOT, "tests", "fuzz", "seeds")
SQUARE = "POLYGON ((10 10,40 10,40 40,10 40,10 10))"
L_SHAPE = "POLYGON ((0 0,30 0,30 10,10 10,10 30,0 30,0 0),(2 2,4 2,4 4,2 2))"
MULTI = "MULTIPOLYGON (((0 0,5 0,5 5,0 0)),((10 10,15 10,15 15,10 10)))"


def put(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(d, name), mode) as f:
        f.write(data)


def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    head = "ImageId,BuildingId,PolygonWKT_Pix,Confidence\n"
    csv = head + f'img_1,1,"{SQUARE}",0.9\nimg_1,2,"{L_SHAPE}",0.5\nimg_2,-1,POLYGON EMPTY,1\n'
    put("spacenet_csv", "predictions.csv", csv)
    put("spacenet_csv", "truth.csv", "ImageId,TileBuildingId,PolygonWKT_Pix,Mean_Building_Height\n"
        f'img_1,0,"{MULTI}",3.5\n')
    put("journal", "edits.csv", csv)
    for i, wkt in enumerate([SQUARE, L_SHAPE, MULTI, "POLYGON EMPTY", "POLYGON Z ((0 0 1,1 0 1,1 1 1,0 0 1))"]):
        put("wkt", f"w{i}.txt", wkt)
    ring = [[595010.0, 5749990.0], [595030.0, 5749990.0], [595030.0, 5749970.0],
            [595010.0, 5749970.0], [595010.0, 5749990.0]]
    fc = {"type": "FeatureCollection",
          "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32631"}},
          "features": [{"type": "Feature", "properties": {"confidence": 0.8},
                        "geometry": {"type": "Polygon", "coordinates": [ring]}},
                       {"type": "Feature", "properties": {},
                        "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]}}]}
    put("geojson", "utm.geojson", json.dumps(fc))
    wgs = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
           "geometry": {"type": "Polygon", "coordinates": [[[4.4, 51.9], [4.4001, 51.9],
                                                             [4.4001, 51.8999], [4.4, 51.9]]]}}]}
    put("geojson", "wgs84.geojson", json.dumps(wgs))
    for card in ["sarscope_unet11_synth.card.json", "sarscope_winner_hard.card.json"]:
        with open(os.path.join(ROOT, "weights", card)) as f:
            put("model_card", card, f.read())
    put("orientations", "SAR_orientations.txt",
        "20190804111224_20190804111453 1\n20190804111851_20190804112030 0\n# a comment\n\n")
    # PyTorch: a small state_dict named as the UNet11's first layers, in both formats
    sd = {"conv1.weight": torch.arange(2 * 4 * 3 * 3, dtype=torch.float32).reshape(2, 4, 3, 3),
          "conv1.bias": torch.zeros(2), "module.final.weight": torch.ones(1, 2, 1, 1),
          "step": torch.tensor(3, dtype=torch.int64), "half": torch.ones(2, dtype=torch.float16)}
    os.makedirs(os.path.join(SEEDS, "pytorch"), exist_ok=True)
    torch.save(sd, os.path.join(SEEDS, "pytorch", "zip.pth"))
    torch.save(sd, os.path.join(SEEDS, "pytorch", "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({"state_dict": sd, "epoch": 1}, os.path.join(SEEDS, "pytorch", "nested.pth"))
    # burnpack: the shipped network's header (its tensors' names, shapes and places) and the
    # first bytes of its data
    with open(os.path.join(ROOT, "weights", "sarscope_unet11_synth.bpk"), "rb") as f:
        bpk = f.read()
    header = 10 + int.from_bytes(bpk[6:10], "little")
    put("burnpack", "unet11_head.bpk", bpk[: header + 256])
    # and a whole network, small enough for libFuzzer's inputs (run.sh: -max_len 131072)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.environ.get("SARSCOPE", os.path.join(target, "debug", "sarscope"))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tiny.bpk")
        subprocess.run([exe, "train", "--out", out, "--synthetic", "1", "--scene-size", "64",
                        "--val", "1", "--steps", "1", "--batch", "1", "--crop", "32",
                        "--width-divisor", "32", "--seed", "5"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out, "rb") as f:
            put("burnpack", "unet11_narrowest.bpk", f.read())


if __name__ == "__main__":
    main()
