#!/usr/bin/env python3
"""PyTorch peer of benches/unet11.rs: the same full-width UNet11 on the same input.

Reads the normalized tile the Rust bench wrote (float32, [4, H, W]), runs one window of
--window px (its top-left corner) and the whole tile with the SN6 baseline's tiling
(windows at step --window, the last one moved back inside, overlapping logits averaged), and
prints one JSON line: seconds per window and per tile (median of --repeat runs after one
warm-up), the device and the settings. Run by the Rust bench; by hand:
  python3 benches/unet11_torch.py --input tile.f32 --height 900 --width 900 --device cpu
"""
import argparse
import json
import pathlib
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
from make_unet11 import UNet11, offsets  # noqa: E402  (the fixture's baseline network, tiling)


def time_layers(layers, dev, repeat):
    """Seconds of each layer alone on a random input of batch 1 (median of `repeat` runs after
    one warm-up), the same layers the Rust bench times."""
    out = {}
    gen = torch.Generator(device="cpu").manual_seed(0)
    for name, kind, cin, cout, side in layers:
        if kind == "up":
            layer = nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1)
        else:
            k = 3 if kind == "conv3" else 1
            layer = nn.Conv2d(cin, cout, k, padding=k // 2)
        layer = layer.to(dev).eval()
        x = (torch.rand(1, cin, side, side, generator=gen) * 2 - 1).to(dev)
        runs = []
        with torch.inference_mode():
            for i in range(repeat + 1):
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
                y = layer(x).sum().item()  # the same scalar read-back as the Rust side
                if i > 0:
                    runs.append(time.perf_counter() - t)
        out[name] = statistics.median(runs)
        del y
    return {"torch": torch.__version__, "layers": out}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", type=pathlib.Path)
    ap.add_argument("--height", type=int)
    ap.add_argument("--width", type=int)
    ap.add_argument("--window", type=int, default=512)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument(
        "--half", action="store_true", help="weights and input in float16 (the logits summed in float32)"
    )
    ap.add_argument(
        "--layers",
        default="",
        help="per-layer mode: JSON list of [name, kind, cin, cout, side] (kind conv3, conv1 or up); "
        "prints seconds per layer instead of the window and tile",
    )
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    if args.layers:
        print(json.dumps(time_layers(json.loads(args.layers), dev, args.repeat)))
        return
    if args.input is None or args.height is None or args.width is None:
        ap.error("--input, --height and --width are needed unless --layers is given")
    x = np.fromfile(args.input, dtype="<f4").reshape(1, 4, args.height, args.width)
    tile = torch.from_numpy(x).to(dev)
    model = UNet11(1).to(dev).eval()
    if args.half:
        tile, model = tile.half(), model.half()
    win = args.window

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def one_window():
        with torch.inference_mode():
            y = model(tile[:, :, :win, :win])
        sync()
        return y

    ys, xs = offsets(args.height, win, win), offsets(args.width, win, win)
    corners = [(y, x) for y in ys for x in xs]

    def whole_tile():
        with torch.inference_mode():
            acc = torch.zeros(args.height, args.width, device=dev)
            cnt = torch.zeros(args.height, args.width, device=dev)
            for i in range(0, len(corners), args.batch):
                chunk = corners[i : i + args.batch]
                batch = torch.cat([tile[:, :, y : y + win, x : x + win] for y, x in chunk])
                out = model(batch)
                for k, (y, x) in enumerate(chunk):
                    acc[y : y + win, x : x + win] += out[k, 0]
                    cnt[y : y + win, x : x + win] += 1
            probs = torch.sigmoid(acc / cnt).cpu()
        sync()
        return probs

    def timed(f):
        f()  # warm-up (cuDNN algorithm search, allocator)
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            f()
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)

    result = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "tf32": bool(torch.backends.cudnn.allow_tf32) if dev.type == "cuda" else False,
        "half": args.half,
        "window_s": timed(one_window),
        "tile_s": timed(whole_tile),
        "windows": len(corners),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
