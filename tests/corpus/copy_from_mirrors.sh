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
echo "image-tiff $TIFF_AT"; echo "rasterio $RIO_AT"; echo "geojson $GJ_AT"
