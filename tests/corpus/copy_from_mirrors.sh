#!/usr/bin/env bash
# Copies the corpus's files of other projects from their repositories, as brought to this
# machine by the `fetch` tool (bare git mirrors under /work/.mirror), at the commits in
# README.md. Kept here so that the provenance of every file can be checked and the set
# extended; the files themselves are committed (tests never fetch anything).
set -euo pipefail
cd "$(dirname "$0")"
M=/work/.mirror
take() { # repo commit path dest
  git --git-dir="$M/$1/repo" show "$2:$3" > "$4"
}
TIFF=image-rs+image-tiff; TIFF_AT=31919c7bfcd224143524499a4d51ea33664f7fba
RIO=rasterio+rasterio; RIO_AT=$(git --git-dir="$M/$RIO/repo" rev-parse HEAD)
GJ=georust+geojson; GJ_AT=$(git --git-dir="$M/$GJ/repo" rev-parse HEAD)

# image-tiff's files found by fuzzing its decoder (hangs, out of memory, divisions by zero)
for f in $(git --git-dir="$M/$TIFF/repo" ls-tree -r --name-only "$TIFF_AT" tests/fuzz_images); do
  size=$(git --git-dir="$M/$TIFF/repo" cat-file -s "$TIFF_AT:$f")
  [ "$size" -le 4096 ] || continue
  kind=$(basename "$(dirname "$f")")
  id=$(basename "$f" | sed -E 's/^id=0*([0-9]+),.*/\1/')
  take $TIFF $TIFF_AT "$f" "rasters/image-tiff_fuzz_${kind}_${id}.tif"
done
# image-tiff's layouts and types: bit depths, float16, 64-bit, BigTIFF both byte orders,
# tiled/striped/planar, palette, multipage, LogLuv, predictors, zstd, a GeoTIFF
for f in tests/images/tiled-gray-i1.tif tests/images/random-fp16.tiff \
  tests/images/random-fp16-pred3.tiff tests/images/single-black-fp16.tiff \
  tests/images/hpredict-1c-12b.tiff tests/images/logluv-3c-16b.tiff \
  tests/images/minisblack-1c-3b.tiff tests/images/extra_bits_rgb_8b.tiff \
  tests/images/gradient-1c-64b-float.tiff tests/images/cmyk-3c-32b-float.tiff \
  tests/images/bigtiff/BigTIFFMotorola.tif tests/images/bigtiff/BigTIFFLong.tif \
  tests/images/int16_zstd.tif tests/images/int8.tif tests/geotiff/geo-5b.tif \
  tests/images/seq/seq-1c-1b-71f6a21a.tiff tests/images/seq/seq-1c-12b-47c39b31.tiff \
  tests/images/seq/seq-1c-32f-deflate-fpredict-390fe673.tiff \
  tests/images/seq/seq-1c-64f-afa8560e.tiff tests/images/seq/seq-1c-i32-99fddec2.tiff \
  tests/images/seq/seq-1c-8b-tiled-lzw-20f3db0c.tiff tests/images/seq/seq-1c-8b-multipage-adeefdcc.tiff \
  tests/images/seq/seq-1c-8b-palette-89b39bc3.tiff tests/images/seq/seq-3c-12b-planar-e29e8e25.tiff \
  tests/images/seq/seq-1c-1b-fax3-71f6a21a.tiff tests/images/seq/seq-4c-16b-rgba-5181991f.tiff; do
  take $TIFF $TIFF_AT "$f" "rasters/image-tiff_$(basename "$f" | sed -E 's/\.tiff?$//').tif"
done
# rasterio's test rasters: georeferenced, nodata, NaN, rotated, ESRI WKT, and non-rasters
for f in byte.tif float.tif float32.tif float_nan.tif float_raster_with_nodata.tif \
  float_raster_with_extra_nodata.tif rotated.tif test_esri_wkt.tif N10W110.hgt.zip \
  no_band.h5 box.shp; do
  take $RIO $RIO_AT "tests/data/$f" "rasters/rasterio_$f"
done
# GeoJSON from the georust/geojson crate's tests: every geometry type, ids, bbox, nulls
for f in $(git --git-dir="$M/$GJ/repo" ls-tree -r --name-only "$GJ_AT" tests/fixtures/canonical) \
  tests/fixtures/geometry_collection.geojson; do
  take $GJ $GJ_AT "$f" "footprints/geojson-crate_$(basename "$f")"
done
# Fiona's test GeoJSON: real boundaries (Grenada, Rocky Mountain NP), a multipolygon with
# holes, time zones in properties, a collection of mixed geometries
FI=Toblerity+Fiona; FI_AT=$(git --git-dir="$M/$FI/repo" rev-parse HEAD)
for f in grenada.geojson issue627.geojson rmnp.geojson test_tz.geojson trio.geojson; do
  take $FI $FI_AT "tests/data/$f" "footprints/fiona_$f"
done
# GEOS' validity cases (tests/xmltester/tests/general/TestValid.xml): its polygons and
# multipolygons, valid and invalid (self-touching rings, holes outside, bowties, ...), as a
# SpaceNet CSV; its other geometries, which a footprint file may not hold; and its polygons
# with a NaN coordinate
GEOS=libgeos+geos; GEOS_AT=$(git --git-dir="$M/$GEOS/repo" rev-parse HEAD)
git --git-dir="$M/$GEOS/repo" show "$GEOS_AT:tests/xmltester/tests/general/TestValid.xml" |
  python3 -c '
import re, sys
xml = sys.stdin.read()
rows = {"polygons": [], "other": [], "nan": []}
for case in re.findall(r"<case>(.*?)</case>", xml, re.S):
    a = re.search(r"<a>(.*?)</a>", case, re.S)
    valid = re.search(r"isValid[^>]*>\s*(\w+)\s*<", case)
    if not a or not valid:
        continue
    wkt = " ".join(a.group(1).split())
    kind = "polygons" if wkt.upper().startswith(("POLYGON", "MULTIPOLYGON")) else "other"
    if "NAN" in wkt.upper():
        kind = "nan"  # a CSV row that refuses the whole file: kept apart
    rows[kind].append((wkt, valid.group(1)))
for kind, found in rows.items():
    with open(f"footprints/geos_testvalid_{kind}.csv", "w") as out:
        out.write("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n")
        for i, (wkt, valid) in enumerate(found):
            confidence = 0.5 if valid == "false" else 1
            out.write(f"geos_{kind},{i},\"{wkt}\",{confidence}\n")
'
echo "image-tiff $TIFF_AT"; echo "rasterio $RIO_AT"; echo "geojson $GJ_AT"; echo "Fiona $FI_AT"
echo "GEOS $GEOS_AT"
