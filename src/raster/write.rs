//! Writing float32 planes as a GeoTIFF through GDAL.

use std::path::Path;

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::{DriverManager, Metadata};

use super::Planes;
use super::diagnostics::{capture, first_error};
use super::error::{RasterError, gdal_reason};
use super::georef::GeoTransform;
use super::scene::to_isize;

/// What to write besides the pixels.
#[derive(Clone, Debug, Default)]
pub struct GeoTiffMeta<'a> {
    pub geo_transform: Option<GeoTransform>,
    pub epsg: Option<u32>,
    /// The CRS as WKT, used when `epsg` is `None` (a CRS without an EPSG code).
    pub crs_wkt: Option<&'a str>,
    /// Declared on every band.
    pub nodata: Option<f64>,
    /// Band descriptions, e.g. ["HH", "HV", "VH", "VV"].
    pub band_names: &'a [&'a str],
}

/// Writes `planes` as [`write_geotiff`] does, replacing `path` whole
/// ([`crate::replace::Replacement`]): a write that fails (a full disk, a folder it may not
/// write) leaves the earlier file at `path` as it was, and no temporary file behind. Errors
/// name `path`.
pub fn write_geotiff_replacing(
    path: &Path,
    planes: &Planes,
    meta: &GeoTiffMeta,
) -> Result<(), RasterError> {
    let replacement = crate::replace::Replacement::new(path);
    let written = replacement.write(
        |tmp| write_geotiff(tmp, planes, meta),
        |e| RasterError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    );
    written.map_err(|e| match e {
        // Name the file the user asked for, not the temporary one (GDAL's words name it too).
        RasterError::Write { reason, .. } => RasterError::Write {
            path: path.to_path_buf(),
            reason: replacement.target_named(&reason),
        },
        other => other,
    })
}

/// Writes `planes` as a deflate-compressed float32 GeoTIFF at `path` (replacing it).
///
/// GDAL reports some failures only through its error handler: libtiff's failed writes on a
/// full disk are said while the file is flushed and closed, and closing returns no error (GDAL
/// 3.6), which left a truncated file looking written. Any error GDAL raises while writing fails
/// the write.
pub fn write_geotiff(path: &Path, planes: &Planes, meta: &GeoTiffMeta) -> Result<(), RasterError> {
    let size = (planes.width, planes.height, planes.bands.len());
    write_geotiff_strips(path, size, meta, planes.height.max(1), |_| {
        Ok::<_, RasterError>(planes.clone())
    })
}

/// Writes a float32 GeoTIFF of `(width, height, bands)` at `path` strip by strip, so that a
/// scene of any size is written in bounded memory: `strip(rows)` gives the planes of rows
/// `rows` (all columns), `strip_rows` at a time. Like [`write_geotiff`], any error GDAL raises
/// while writing fails the write.
pub fn write_geotiff_strips<E: From<RasterError>>(
    path: &Path,
    size: (usize, usize, usize),
    meta: &GeoTiffMeta,
    strip_rows: usize,
    mut strip: impl FnMut(std::ops::Range<usize>) -> Result<Planes, E>,
) -> Result<(), E> {
    let (written, raised) = capture(|| write_unchecked(path, size, meta, strip_rows, &mut strip));
    written?;
    match first_error(&raised) {
        Some(message) => Err(RasterError::Write {
            path: path.to_path_buf(),
            reason: message,
        }
        .into()),
        None => Ok(()),
    }
}

fn write_unchecked<E: From<RasterError>>(
    path: &Path,
    (width, height, band_count): (usize, usize, usize),
    meta: &GeoTiffMeta,
    strip_rows: usize,
    strip: &mut impl FnMut(std::ops::Range<usize>) -> Result<Planes, E>,
) -> Result<(), E> {
    let fail = |e: gdal::errors::GdalError| RasterError::Write {
        path: path.to_path_buf(),
        reason: gdal_reason(&e),
    };
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(fail)?;
    let mut options = RasterCreationOptions::new();
    for (key, value) in [
        ("COMPRESS", "DEFLATE"),
        ("PREDICTOR", "3"),
        ("TILED", "YES"),
        ("BIGTIFF", "IF_SAFER"),
    ] {
        options.set_name_value(key, value).map_err(fail)?;
    }
    let mut dataset = driver
        .create_with_band_type_with_options::<f32, _>(path, width, height, band_count, &options)
        .map_err(fail)?;
    if let Some(gt) = meta.geo_transform {
        dataset.set_geo_transform(&gt.0).map_err(fail)?;
    }
    if let Some(code) = meta.epsg {
        let srs = SpatialRef::from_epsg(code).map_err(fail)?;
        dataset.set_spatial_ref(&srs).map_err(fail)?;
    } else if let Some(wkt) = meta.crs_wkt.filter(|w| !w.is_empty()) {
        let srs = SpatialRef::from_wkt(wkt).map_err(fail)?;
        dataset.set_spatial_ref(&srs).map_err(fail)?;
    }
    for i in 0..band_count {
        let mut band = dataset.rasterband(i + 1).map_err(fail)?;
        if let Some(nd) = meta.nodata {
            band.set_no_data_value(Some(nd)).map_err(fail)?;
        }
        if let Some(name) = meta.band_names.get(i) {
            band.set_description(name).map_err(fail)?;
        }
    }
    let step = strip_rows.max(1);
    for y in (0..height).step_by(step) {
        let rows = y..(y + step).min(height);
        let planes = strip(rows.clone())?;
        if planes.width != width || planes.height != rows.len() {
            return Err(RasterError::Invalid {
                what: path.display().to_string(),
                reason: format!(
                    "rows {}..{} came as {}x{} pixels, not {width}x{}",
                    rows.start,
                    rows.end,
                    planes.width,
                    planes.height,
                    rows.len()
                ),
            }
            .into());
        }
        for (i, plane) in planes.bands.into_iter().enumerate().take(band_count) {
            let mut band = dataset.rasterband(i + 1).map_err(fail)?;
            let mut buffer = Buffer::new((width, rows.len()), plane);
            band.write((0, to_isize(y)), (width, rows.len()), &mut buffer)
                .map_err(fail)?;
        }
    }
    dataset.close().map_err(fail)?;
    Ok(())
}
