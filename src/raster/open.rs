//! Opening files through GDAL and describing their bands: types, complex intensity,
//! calibration, nodata and polarization hints.

use std::path::{Path, PathBuf};

use gdal::raster::GdalDataType;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags, Metadata};
use serde::Serialize;

use super::error::{RasterError, gdal_reason};
use super::roles::{Polarization, RoleSource};

/// How the values of a complex (SLC) band become intensity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ComplexIntensity {
    /// Calibration factor from the file (Capella's `scale_factor` in the TIFF image description):
    /// intensity = (scale * |z|)^2. Without it intensity is |z|^2.
    pub scale: Option<f64>,
}

/// What a scene knows of one of its bands.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BandInfo {
    /// A display name: the band description, else its polarization, else "Band N".
    pub name: String,
    pub role: Option<Polarization>,
    pub role_source: Option<RoleSource>,
    /// The file the band comes from, and its 1-based index there.
    pub path: PathBuf,
    pub source_band: usize,
    /// The data type as stored ("Float32", "UInt16", "CFloat32", ...). Values are always
    /// delivered as float32.
    pub stored_type: String,
    /// Set when the band is complex and is delivered as intensity.
    pub complex: Option<ComplexIntensity>,
    pub nodata: Option<f64>,
    pub description: String,
}

/// Opens the file `path` as a raster through GDAL, turning GDAL's failures into errors a user
/// can act on. GDAL's virtual paths (`/vsizip/...`) are passed through unchecked.
pub(crate) fn open_dataset(path: &Path) -> Result<Dataset, RasterError> {
    if !path.to_string_lossy().starts_with("/vsi") {
        let problem = match std::fs::metadata(path) {
            Err(_) => Some(RasterError::NotFound {
                path: path.to_path_buf(),
            }),
            Ok(meta) if meta.is_dir() => Some(RasterError::Unreadable {
                path: path.to_path_buf(),
                reason: "it is a folder".into(),
            }),
            Ok(meta) if meta.len() == 0 => Some(RasterError::EmptyFile {
                path: path.to_path_buf(),
            }),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            return Err(problem);
        }
    }
    open_gdal(path.as_os_str(), path)
}

/// Opens any GDAL dataset name (a file, or a connection string such as
/// `DERIVED_SUBDATASET:INTENSITY:file`); errors name `path`.
fn open_gdal(name: &std::ffi::OsStr, path: &Path) -> Result<Dataset, RasterError> {
    configure_gdal();
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_RASTER
            | GdalOpenFlags::GDAL_OF_READONLY
            | GdalOpenFlags::GDAL_OF_VERBOSE_ERROR,
        ..Default::default()
    };
    let dataset = Dataset::open_ex(name, options).map_err(|e| RasterError::Unreadable {
        path: path.to_path_buf(),
        reason: gdal_reason(&e),
    })?;
    if dataset.raster_count() == 0 {
        return Err(RasterError::NoBands {
            path: path.to_path_buf(),
        });
    }
    Ok(dataset)
}

/// GDAL set up once for how we read, unless the user has set these options:
///
/// - `GDAL_NUM_THREADS=ALL_CPUS`: a compressed GeoTIFF's blocks decoded on every core (a
///   900x900x4 DEFLATE tile opens in half the time on two cores);
/// - `GDAL_CACHEMAX=256` (MB): GDAL's block cache, 5 % of the machine's memory by default,
///   keeps every block a read touched; reading a 12,000 px scene at 4,096 px (render, the
///   viewer's overview) touches them all, and the cache grew to 2.3 GB of a 2.6 GB process
///   (1.4 GB with the cap, in 2.2 s instead of 4-13 s). We keep what we read ourselves.
fn configure_gdal() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (key, value) in [("GDAL_NUM_THREADS", "ALL_CPUS"), ("GDAL_CACHEMAX", "256")] {
            let set = gdal::config::get_config_option(key, "").is_ok_and(|v| !v.is_empty());
            if !set && let Err(e) = gdal::config::set_config_option(key, value) {
                tracing::debug!("{key} not set: {e}");
            }
        }
    });
}

pub(crate) type RoleHint = (Option<Polarization>, RoleSource);

/// Describes the bands of one opened file and picks the dataset to read them from.
pub(crate) fn describe_bands(
    path: &Path,
    dataset: Dataset,
    part_of_many: bool,
) -> Result<(Dataset, Vec<BandInfo>, Vec<RoleHint>), RasterError> {
    let count = dataset.raster_count();
    let complex = is_complex(&dataset);
    let complex_types = if complex {
        stored_type_names(&dataset)
    } else {
        Vec::new()
    };
    let scale = if complex {
        capella_scale_factor(&dataset)
    } else {
        None
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dataset_pol = metadata_polarization(&dataset);
    let mut infos = Vec::with_capacity(count);
    let mut hints = Vec::with_capacity(count);
    for index in 1..=count {
        let band = dataset
            .rasterband(index)
            .map_err(|e| RasterError::read(path, index, &e))?;
        let dtype = band.band_type();
        let stored_type = if dtype == GdalDataType::Unknown {
            complex_types
                .get(index - 1)
                .cloned()
                .flatten()
                .unwrap_or_else(|| "Unknown".to_string())
        } else {
            dtype.name()
        };
        if dtype == GdalDataType::Unknown && !complex {
            return Err(RasterError::UnsupportedType {
                path: path.to_path_buf(),
                band: index,
                dtype: stored_type,
            });
        }
        let description = band.description().unwrap_or_default().trim().to_string();
        let band_pol = Polarization::find_in(&description)
            .or_else(|| metadata_polarization(&band))
            .or(if count == 1 { dataset_pol } else { None });
        let hint = match band_pol {
            Some(p) => (Some(p), RoleSource::Metadata),
            None if count == 1 && part_of_many => {
                (Polarization::find_in(&stem), RoleSource::FileName)
            }
            None => (None, RoleSource::Metadata),
        };
        hints.push(hint);
        let name = if description.is_empty() {
            if part_of_many && count == 1 {
                stem.clone()
            } else {
                format!("Band {index}")
            }
        } else {
            description.clone()
        };
        infos.push(BandInfo {
            name,
            role: None,
            role_source: None,
            path: path.to_path_buf(),
            source_band: index,
            stored_type,
            complex: complex.then_some(ComplexIntensity { scale }),
            nodata: band.no_data_value(),
            description,
        });
    }
    let read_from = if complex {
        open_derived(path, "INTENSITY").map_err(|e| RasterError::Unreadable {
            path: path.to_path_buf(),
            reason: format!("GDAL could not derive intensity from the complex bands: {e}"),
        })?
    } else {
        dataset
    };
    Ok((read_from, infos, hints))
}

/// GDAL's derived dataset `kind` ("REAL", "IMAG", "INTENSITY", ...) of the complex file `path`.
pub(crate) fn open_derived(path: &Path, kind: &str) -> Result<Dataset, RasterError> {
    let mut derived = std::ffi::OsString::from(format!("DERIVED_SUBDATASET:{kind}:"));
    derived.push(path.as_os_str());
    open_gdal(&derived, path)
}

/// A dataset is complex when GDAL offers to derive intensity from it.
fn is_complex(dataset: &Dataset) -> bool {
    dataset
        .metadata_domain("DERIVED_SUBDATASETS")
        .unwrap_or_default()
        .iter()
        .any(|item| item.contains("DERIVED_SUBDATASET:INTENSITY:"))
}

/// GDAL's names of the band types ("CFloat32", "CInt16", ...), which the gdal crate does not
/// expose for complex types: read from the dataset's VRT description.
fn stored_type_names(dataset: &Dataset) -> Vec<Option<String>> {
    let Ok(vrt) = gdal::DriverManager::get_driver_by_name("VRT") else {
        return Vec::new();
    };
    // An in-memory path: a VRT copy made at "" would resolve the raw files of a raw VRT source
    // against the working folder (and create them there).
    static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(
        "/vsimem/sarscope-types-{}-{n}/types.vrt",
        std::process::id()
    );
    let xml = match dataset.create_copy(&vrt, &name, &Default::default()) {
        Ok(copy) => copy
            .metadata_domain("xml:VRT")
            .unwrap_or_default()
            .join("\n"),
        Err(_) => String::new(),
    };
    let _ = gdal::vsi::unlink_mem_file(&name);
    xml.split("<VRTRasterBand")
        .skip(1)
        .map(|band| {
            let rest = band.split("dataType=\"").nth(1)?;
            rest.split('"').next().map(str::to_string)
        })
        .collect()
}

/// Capella's calibration factor: `"scale_factor": 0.000277...` in the TIFF image description
/// (JSON). `None` when the description does not carry one.
fn capella_scale_factor(dataset: &Dataset) -> Option<f64> {
    let description = dataset.metadata_item("TIFFTAG_IMAGEDESCRIPTION", "")?;
    let json: serde_json::Value = serde_json::from_str(&description).ok()?;
    find_number(&json, "scale_factor").filter(|s| s.is_finite() && *s > 0.0)
}

fn find_number(value: &serde_json::Value, key: &str) -> Option<f64> {
    match value {
        serde_json::Value::Object(map) => map
            .get(key)
            .and_then(serde_json::Value::as_f64)
            .or_else(|| map.values().find_map(|v| find_number(v, key))),
        serde_json::Value::Array(items) => items.iter().find_map(|v| find_number(v, key)),
        _ => None,
    }
}

fn metadata_polarization(object: &impl Metadata) -> Option<Polarization> {
    [
        "POLARIZATION",
        "POLARISATION",
        "polarization",
        "polarisation",
        "POLARIMETRIC_INTERP",
    ]
    .iter()
    .find_map(|key| object.metadata_item(key, ""))
    .and_then(|value| Polarization::find_in(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_factor_is_found_anywhere_in_the_json() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"collect": {"image": {"scale_factor": 0.5}}}"#).unwrap();
        assert_eq!(find_number(&json, "scale_factor"), Some(0.5));
        assert_eq!(find_number(&json, "missing"), None);
    }
}
