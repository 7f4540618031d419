#!/usr/bin/env python3
"""PyTorch peer of benches/effunet.rs: the winner's full-width network (main.py's Unet with a
random tf_efficientnet_b5_ns encoder, tests/fixtures/make_effunet.py) and main.py's test loop
(crop, normalization, TTA) on the tile the Rust bench wrote (float32 [4, H, W], bands HH, HV,
VH, VV). Prints one JSON line: seconds without TTA (one pass at scale 1) and with main.py's TTA
(scales 0.8, 1.0, 1.5, with flips), median of --repeat runs, and the device.

    python3 benches/effunet_torch.py --input tile.f32 --height 900 --width 900 --threads 2
"""
import argparse
import json
import pathlib
import statistics
import sys
import time
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
from make_effunet import Unet, winner_tile  # noqa: E402
from geffnet import gen_efficientnet  # noqa: E402
from geffnet.config import layer_config_kwargs  # noqa: E402
from geffnet.efficientnet_builder import BN_EPS_TF_DEFAULT  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", type=pathlib.Path, required=True)
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tta", choices=["both", "none", "winner"], default="both")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with layer_config_kwargs({}):
        enc = gen_efficientnet._gen_efficientnet(
            "tf_efficientnet_b5_ns", channel_multiplier=1.6, depth_multiplier=2.2,
            pretrained=False, bn_eps=BN_EPS_TF_DEFAULT, pad_type="same",
        )
    model = Unet(enc, 1.6, 1, [32, 64, 128, 256, 1024], 204).eval()
    tile = np.fromfile(args.input, dtype="<f4").reshape(4, args.height, args.width)

    def run(scales, flip):
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            winner_tile([model], tile, 204, 0, 0, 0.5, scales, flip)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if args.tta in ("both", "none"):
        out["plain_s"] = run([1.0], False)
    if args.tta in ("both", "winner"):
        out["tta_s"] = run([0.8, 1.0, 1.5], True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
