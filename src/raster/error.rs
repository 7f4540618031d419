//! Errors of the raster layer: each says which file and what the user can do about it.

use std::path::PathBuf;

pub use crate::memory::human_bytes;

/// Why a raster could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("no raster files were given")]
    NoFiles,

    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: the file is empty (0 bytes), so it holds no raster", path.display())]
    EmptyFile { path: PathBuf },

    #[error("{}: not a raster GDAL can read ({reason}); is it a complete GeoTIFF?", path.display())]
    Unreadable { path: PathBuf, reason: String },

    #[error("{}: the file has no raster bands (is it a vector file?)", path.display())]
    NoBands { path: PathBuf },

    #[error(
        "{}: band {band} has GDAL type {dtype}, which sarscope cannot read as intensity",
        path.display()
    )]
    UnsupportedType {
        path: PathBuf,
        band: usize,
        dtype: String,
    },

    #[error(
        "the files of one scene must share one grid: {} is {}x{} but {} is {}x{}",
        first.display(), first_size.0, first_size.1, other.display(), other_size.0, other_size.1
    )]
    SizeMismatch {
        first: PathBuf,
        first_size: (usize, usize),
        other: PathBuf,
        other_size: (usize, usize),
    },

    #[error(
        "the files of one scene must share one grid: {} and {} have the same size but \
         different georeferencing",
        first.display(), other.display()
    )]
    GridMismatch { first: PathBuf, other: PathBuf },

    #[error(
        "{}: {width} x {height} pixels x {bands} bands is {} as float32, more than the {} that \
         can be read whole; read it by windows (the viewer does) or crop it first",
        path.display(), human_bytes(*bytes), human_bytes(*limit)
    )]
    TooLarge {
        path: PathBuf,
        width: usize,
        height: usize,
        bands: usize,
        bytes: u128,
        limit: u128,
    },

    #[error(
        "{}: reading {width} x {height} pixels x {bands} bands: {big}; read a smaller window \
         or at a lower resolution",
        path.display()
    )]
    OutOfMemory {
        path: PathBuf,
        width: usize,
        height: usize,
        bands: usize,
        big: crate::memory::TooBig,
    },

    #[error(
        "window at ({x}, {y}) of {w}x{h} pixels lies outside the {width}x{height} scene {}",
        path.display()
    )]
    WindowOutside {
        path: PathBuf,
        x: usize,
        y: usize,
        w: usize,
        h: usize,
        width: usize,
        height: usize,
    },

    #[error("{}: reading band {band} failed: {reason}", path.display())]
    Read {
        path: PathBuf,
        band: usize,
        reason: String,
    },

    #[error(
        "{}: band {band} is {dtype}, not complex, so it has no phase; polarimetric \
         decompositions need the complex scattering matrix of an SLC (CInt16, CFloat32)",
        path.display()
    )]
    NotComplex {
        path: PathBuf,
        band: usize,
        dtype: String,
    },

    #[error("{}: writing failed: {reason}", path.display())]
    Write { path: PathBuf, reason: String },

    #[error("{what}: {reason}")]
    Invalid { what: String, reason: String },
}

/// The reason of a read that failed on GDAL's decoding threads, which kept its message.
const SILENT_READ_FAILURE: &str = "GDAL could not decode it and gave no message; the file is \
    most likely truncated or damaged (GDAL_NUM_THREADS=1 makes GDAL say what it found)";

impl RasterError {
    /// A read that failed without GDAL's words (see [`RasterError::read`]).
    pub(crate) fn is_silent_read_failure(&self) -> bool {
        matches!(self, Self::Read { reason, .. } if reason == SILENT_READ_FAILURE)
    }

    /// Reading band `band` of `path` failed: GDAL's reason. GDAL decodes a GeoTIFF's blocks on
    /// worker threads (`GDAL_NUM_THREADS`, see `open::configure_gdal`), and a failure there leaves its message
    /// on that thread: the caller gets an error with none. Then say what it most likely means
    /// and how to see GDAL's own words, instead of the gdal crate's empty wrapper.
    pub(crate) fn read(path: &std::path::Path, band: usize, err: &gdal::errors::GdalError) -> Self {
        let reason = match err {
            gdal::errors::GdalError::CplError { msg, .. } if msg.trim().is_empty() => {
                SILENT_READ_FAILURE.to_string()
            }
            other => gdal_reason(other),
        };
        Self::Read {
            path: path.to_path_buf(),
            band,
            reason,
        }
    }
}

/// GDAL's own message, without the wrapper text of the gdal crate.
pub(crate) fn gdal_reason(err: &gdal::errors::GdalError) -> String {
    match err {
        gdal::errors::GdalError::CplError { msg, .. }
        | gdal::errors::GdalError::NullPointer { msg, .. }
            if !msg.trim().is_empty() =>
        {
            msg.trim().to_string()
        }
        gdal::errors::GdalError::InvalidCoordinateRange { from, to, msg } => format!(
            "coordinates that {from} -> {to} cannot transform ({}): are they in the CRS the file says?",
            msg.as_deref().unwrap_or("out of range").trim()
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdal_s_coordinate_errors_read_as_words() {
        let err = gdal::errors::GdalError::InvalidCoordinateRange {
            from: "EPSG:4326".into(),
            to: "EPSG:32631".into(),
            msg: Some("Invalid coordinate".into()),
        };
        let text = gdal_reason(&err);
        assert!(!text.contains("Some("), "{text}");
        assert!(text.contains("EPSG:4326 -> EPSG:32631 cannot transform (Invalid coordinate)"));
    }
}
