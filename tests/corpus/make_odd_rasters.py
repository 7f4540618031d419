#!/usr/bin/env python3
"""Odd rasters of our own for the corpus (tests/corpus/rasters/odd_*), made with GDAL's Python
bindings (Debian: python3-gdal) and by editing bytes where GDAL will not write such a file.

Each is small and stands for a class of file users meet: cut short, lying headers, a declared
size far beyond the machine, types and layouts SAR processors write. Run from this folder:
    /usr/bin/python3 make_odd_rasters.py
"""
import os
import struct

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
OUT = "rasters"
UTM31 = osr.SpatialReference()
UTM31.ImportFromEPSG(32631)
GT = (595000.0, 0.5, 0.0, 5750000.0, 0.0, -0.5)


def sar_like(path, size=64, bands=4, dtype=gdal.GDT_Float32, options=(), values=None):
    ds = gdal.GetDriverByName("GTiff").Create(path, size, size, bands, dtype, list(options))
    ds.SetGeoTransform(GT)
    ds.SetProjection(UTM31.ExportToWkt())
    rng = np.random.default_rng(7)
    for b in range(bands):
        band = ds.GetRasterBand(b + 1)
        if values is not None:
            band.WriteArray(values(b, size))
        elif dtype in (gdal.GDT_CInt16, gdal.GDT_CFloat32):
            z = rng.normal(0, 300, (size, size)) + 1j * rng.normal(0, 300, (size, size))
            band.WriteArray(z.astype(np.complex64))
        else:
            band.WriteArray(rng.gamma(1.0, 0.05, (size, size)).astype(np.float64))
        band.SetNoDataValue(0)
    ds = None


def cut(path, src, keep):
    with open(src, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:keep] if keep >= 0 else data[:keep])


def little_tiff(path, entries, extra=b""):
    """A little-endian TIFF with one IFD of (tag, type, count, value) entries (values that fit
    in 4 bytes only) followed by `extra`."""
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in sorted(entries):
        ifd += struct.pack("<HHII", tag, typ, count, value)
    ifd += struct.pack("<I", 0)
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", 8) + ifd + extra)


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = os.path.join(OUT, "tmp_whole.tif")

    # A SN6-like tile cut short: a few bytes missing at the end, and half of it missing.
    sar_like(tmp)
    size = os.path.getsize(tmp)
    cut(os.path.join(OUT, "odd_cut_short_by_16_bytes.tif"), tmp, size - 16)
    cut(os.path.join(OUT, "odd_cut_in_half.tif"), tmp, size // 2)
    cut(os.path.join(OUT, "odd_header_only.tif"), tmp, 8)

    # The same tile with its CRS replaced by an EPSG code that does not exist (32690).
    with open(tmp, "rb") as f:
        data = bytearray(f.read())
    key = struct.pack("<HHHH", 3072, 0, 1, 32631)  # ProjectedCSTypeGeoKey
    at = data.find(key)
    assert at >= 0, "ProjectedCSTypeGeoKey not found"
    data[at:at + 8] = struct.pack("<HHHH", 3072, 0, 1, 32690)
    with open(os.path.join(OUT, "odd_unknown_epsg.tif"), "wb") as f:
        f.write(data)
    os.remove(tmp)

    # Strip byte counts that cannot be (each strip claims 2 GiB).
    sar_like(tmp, size=32, bands=1, options=["BLOCKYSIZE=8"])
    with open(tmp, "rb") as f:
        data = bytearray(f.read())
    (ifd,) = struct.unpack_from("<I", data, 4)
    (n,) = struct.unpack_from("<H", data, ifd)
    for e in range(n):
        tag, typ, count, value = struct.unpack_from("<HHII", data, ifd + 2 + 12 * e)
        if tag == 279:  # StripByteCounts: every strip claims 2 GiB
            # SHORT counts (4 of them fit in an offset of 8 bytes) or LONG ones: each at its
            # type's largest value, far beyond the file.
            assert count == 4 and typ in (3, 4), (typ, count)
            if typ == 3:
                struct.pack_into("<HHI", data, ifd + 2 + 12 * e, 279, 4, count)
                value = len(data)
                data += b"\0" * 16
                struct.pack_into("<I", data, ifd + 2 + 12 * e + 8, value)
            for i in range(count):
                struct.pack_into("<I", data, value + 4 * i, 0x7FFFFFFF)
            break
    else:
        raise SystemExit("StripByteCounts not found")
    with open(os.path.join(OUT, "odd_impossible_strip_counts.tif"), "wb") as f:
        f.write(data)
    os.remove(tmp)

    # A tiny file declaring a 12,000 x 12,000 x 4 float32 raster (2.1 GiB): sparse tiles.
    big = gdal.GetDriverByName("GTiff").Create(
        os.path.join(OUT, "odd_declares_12k_square.tif"), 12000, 12000, 4, gdal.GDT_Float32,
        ["TILED=YES", "SPARSE_OK=TRUE", "COMPRESS=DEFLATE", "BLOCKXSIZE=512", "BLOCKYSIZE=512"])
    big.SetGeoTransform(GT)
    big.SetProjection(UTM31.ExportToWkt())
    big.GetRasterBand(1).WriteArray(np.ones((512, 512), np.float32))
    big = None

    # A header declaring 1,000,000 x 1,000,000 float32 pixels in one strip of 16 bytes.
    little_tiff(os.path.join(OUT, "odd_declares_million_square.tif"), [
        (256, 4, 1, 1_000_000),  # ImageWidth
        (257, 4, 1, 1_000_000),  # ImageLength
        (258, 3, 1, 32),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: min-is-black
        (273, 4, 1, 8 + 2 + 11 * 12 + 4),  # StripOffsets: right after the IFD
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, 1_000_000),  # RowsPerStrip
        (279, 4, 1, 16),  # StripByteCounts
        (339, 3, 1, 3),  # SampleFormat: IEEE float
        (284, 3, 1, 1),  # PlanarConfiguration
    ], extra=b"\0" * 16)

    # Types SAR processors write.
    sar_like(os.path.join(OUT, "odd_cint16_slc.tif"), size=32, bands=4, dtype=gdal.GDT_CInt16)
    sar_like(os.path.join(OUT, "odd_int64.tif"), size=16, bands=1, dtype=gdal.GDT_Int64,
             values=lambda b, n: np.arange(n * n, dtype=np.int64).reshape(n, n) * 2**40)
    sar_like(os.path.join(OUT, "odd_float64_db.tif"), size=32, bands=4, dtype=gdal.GDT_Float64,
             values=lambda b, n: np.full((n, n), -15.0 - b))
    sar_like(os.path.join(OUT, "odd_two_pols.tif"), size=32, bands=2)
    sar_like(os.path.join(OUT, "odd_all_nan.tif"), size=16, bands=4,
             values=lambda b, n: np.full((n, n), np.nan))
    sar_like(os.path.join(OUT, "odd_all_nodata.tif"), size=16, bands=4,
             values=lambda b, n: np.zeros((n, n)))
    sar_like(os.path.join(OUT, "odd_infinities.tif"), size=16, bands=4,
             values=lambda b, n: np.where(np.arange(n * n).reshape(n, n) % 2 == 0, np.inf, -np.inf))
    sar_like(os.path.join(OUT, "odd_one_pixel.tif"), size=1, bands=4)

    # Georeferenced by ground control points only (no geotransform).
    ds = gdal.GetDriverByName("GTiff").Create(os.path.join(OUT, "odd_gcps_only.tif"), 16, 16, 1,
                                              gdal.GDT_Float32)
    gcps = [gdal.GCP(595000 + x * 8, 5750000 - y * 8, 0, x, y) for x in (0, 16) for y in (0, 16)]
    ds.SetGCPs(gcps, UTM31.ExportToWkt())
    ds.GetRasterBand(1).Fill(1.0)
    ds = None

    # A geotransform with zero pixel size.
    ds = gdal.GetDriverByName("GTiff").Create(os.path.join(OUT, "odd_zero_pixel_size.tif"), 16, 16,
                                              1, gdal.GDT_Float32)
    ds.SetGeoTransform((595000.0, 0.0, 0.0, 5750000.0, 0.0, 0.0))
    ds.GetRasterBand(1).Fill(1.0)
    ds = None

    # Not a TIFF at all, named .tif; and a text file.
    with open(os.path.join(OUT, "odd_png_named_tif.tif"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    with open(os.path.join(OUT, "odd_text.tif"), "w") as f:
        f.write("this is not a raster\n")


if __name__ == "__main__":
    main()
