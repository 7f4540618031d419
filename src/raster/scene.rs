//! `Scene`: one raster scene made of one file or of several single-polarization files on one
//! grid, read through GDAL by window or whole, as float32 planes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gdal::Dataset;
use serde::Serialize;

use super::Planes;
use super::diagnostics::{GdalNote, Notes, capture};
use super::error::RasterError;
use super::georef::{Crs, GeoTransform};
use super::open::{BandInfo, ComplexIntensity, describe_bands, open_dataset};
use super::roles::{Polarization, assign_roles};
use super::stats::BandStats;

/// The largest scene [`Scene::read_full`] reads into memory (bytes of float32 planes).
pub const MAX_WHOLE_BYTES: u128 = 2 * 1024 * 1024 * 1024;

/// Scenes up to this many pixels get exact statistics; larger ones are sampled by a decimated
/// read (which uses GDAL's overviews when the file has them).
pub const EXACT_STATS_MAX_PIXELS: usize = 64 * 1024 * 1024;

/// Side of the decimated read that statistics of large scenes are computed from.
const STATS_SAMPLE_SIDE: usize = 2048;

/// A rectangle of pixels: top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

struct Source {
    path: PathBuf,
    /// The dataset pixels are read from: the file itself, or GDAL's derived intensity dataset
    /// of a complex file.
    dataset: Dataset,
}

/// A raster scene. Opening reads only metadata; pixels are read on demand, by window
/// ([`Scene::read_window`]) or whole ([`Scene::read_full`]). Statistics are computed on first
/// use and cached.
pub struct Scene {
    sources: Vec<Source>,
    bands: Vec<BandInfo>,
    /// For each band, the index of its source in `sources`.
    band_source: Vec<usize>,
    width: usize,
    height: usize,
    geo_transform: Option<GeoTransform>,
    crs: Option<Crs>,
    driver: String,
    stats: OnceLock<Vec<BandStats>>,
    /// What GDAL said about the files while opening and reading them.
    notes: Notes,
}

impl std::fmt::Debug for Scene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scene")
            .field("paths", &self.paths())
            .field("size", &(self.width, self.height))
            .field("bands", &self.bands)
            .finish_non_exhaustive()
    }
}

impl Scene {
    /// Opens one raster file with all its bands.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RasterError> {
        Self::open_many(&[path.as_ref().to_path_buf()])
    }

    /// Opens several files as one scene: their bands in the order given (e.g. the four
    /// single-polarization files `sar_{hh,hv,vh,vv}.tif`). All must have the same size; the
    /// georeferencing is the first file's.
    pub fn open_many(paths: &[PathBuf]) -> Result<Self, RasterError> {
        let Some(first_path) = paths.first() else {
            return Err(RasterError::NoFiles);
        };
        let mut sources = Vec::with_capacity(paths.len());
        let mut bands = Vec::new();
        let mut band_source = Vec::new();
        let mut hints = Vec::new();
        let mut size = (0, 0);
        let mut geo_transform = None;
        let mut crs = None;
        let mut driver = String::new();
        let notes = Notes::default();
        for (i, path) in paths.iter().enumerate() {
            let (opened, raised) = capture(|| open_file(path, i == 0));
            let (dataset, georef) = opened?;
            notes.add(path, raised);
            let this_size = dataset.raster_size();
            if i == 0 {
                size = this_size;
                (geo_transform, crs) = georef;
                driver = dataset.driver().short_name();
            } else if this_size != size {
                return Err(RasterError::SizeMismatch {
                    first: first_path.clone(),
                    first_size: size,
                    other: path.clone(),
                    other_size: this_size,
                });
            } else {
                let this_gt = georef.0;
                if !same_grid(geo_transform, this_gt) {
                    return Err(RasterError::GridMismatch {
                        first: first_path.clone(),
                        other: path.clone(),
                    });
                }
            }
            let (described, raised) = capture(|| describe_bands(path, dataset, paths.len() > 1));
            let (read_from, file_bands, file_hints) = described?;
            notes.add(path, raised);
            band_source.extend(std::iter::repeat_n(i, file_bands.len()));
            bands.extend(file_bands);
            hints.extend(file_hints);
            sources.push(Source {
                path: path.clone(),
                dataset: read_from,
            });
        }
        for (band, role) in bands.iter_mut().zip(assign_roles(&hints)) {
            band.role = role.map(|(p, _)| p);
            band.role_source = role.map(|(_, s)| s);
            if band.description.is_empty()
                && let Some(p) = band.role
            {
                band.name = p.name().to_string();
            }
        }
        Ok(Self {
            sources,
            bands,
            band_source,
            width: size.0,
            height: size.1,
            geo_transform,
            crs,
            driver,
            stats: OnceLock::new(),
            notes,
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn bands(&self) -> &[BandInfo] {
        &self.bands
    }

    pub fn band_count(&self) -> usize {
        self.bands.len()
    }

    pub fn paths(&self) -> Vec<&Path> {
        self.sources.iter().map(|s| s.path.as_path()).collect()
    }

    /// The GDAL driver of the first file ("GTiff", "VRT", ...).
    pub fn driver(&self) -> &str {
        &self.driver
    }

    pub fn geo_transform(&self) -> Option<GeoTransform> {
        self.geo_transform
    }

    pub fn crs(&self) -> Option<&Crs> {
        self.crs.as_ref()
    }

    /// The index of the band that carries polarization `pol`, if any.
    pub fn band_of(&self, pol: Polarization) -> Option<usize> {
        self.bands.iter().position(|b| b.role == Some(pol))
    }

    /// True when the scene has all four polarizations, so that composites can be made.
    pub fn is_quad_pol(&self) -> bool {
        Polarization::SN6_ORDER
            .iter()
            .all(|p| self.band_of(*p).is_some())
    }

    /// What GDAL said about the scene's files so far (opening, and every read since), each
    /// distinct message once with its count.
    pub fn gdal_notes(&self) -> Vec<GdalNote> {
        self.notes.all()
    }

    /// Bytes that the float32 planes of the whole scene take.
    pub fn full_size_bytes(&self) -> u128 {
        self.width as u128 * self.height as u128 * self.bands.len() as u128 * 4
    }

    /// Reads the whole scene (a usual 900x900 tile) into float32 planes.
    /// Refuses scenes larger than [`MAX_WHOLE_BYTES`]: read those by window.
    pub fn read_full(&self) -> Result<Planes, RasterError> {
        let bytes = self.full_size_bytes();
        if bytes > MAX_WHOLE_BYTES {
            return Err(RasterError::TooLarge {
                path: self.first_path(),
                width: self.width,
                height: self.height,
                bands: self.bands.len(),
                bytes,
                limit: MAX_WHOLE_BYTES,
            });
        }
        self.read_window(self.full_window(), (self.width, self.height))
    }

    pub fn full_window(&self) -> Window {
        Window {
            x: 0,
            y: 0,
            width: self.width,
            height: self.height,
        }
    }

    /// Reads `window` of every band, resampled (nearest neighbour, from overviews when the file
    /// has them) to `out_size` = (width, height).
    pub fn read_window(
        &self,
        window: Window,
        out_size: (usize, usize),
    ) -> Result<Planes, RasterError> {
        self.check_window(window)?;
        // Checked once for all the bands, not again for each.
        self.check_memory(out_size, self.bands.len())?;
        let mut planes = Vec::with_capacity(self.bands.len());
        for band in 0..self.bands.len() {
            planes.push(self.read_band(band, window, out_size)?);
        }
        let nodata: Vec<Option<f64>> = self.bands.iter().map(|b| b.nodata).collect();
        Ok(Planes::new(out_size.0, out_size.1, planes, &nodata))
    }

    /// Reads one band (0-based index into [`Scene::bands`]) of `window`, resampled to
    /// `out_size`, as float32 (complex bands as calibrated intensity).
    pub fn read_band_window(
        &self,
        band: usize,
        window: Window,
        out_size: (usize, usize),
    ) -> Result<Vec<f32>, RasterError> {
        self.check_window(window)?;
        self.check_memory(out_size, 1)?;
        self.read_band(band, window, out_size)
    }

    /// True when band `band` (0-based) holds complex values (an SLC), whose phase
    /// [`Scene::read_complex_windows`] keeps.
    pub fn is_complex(&self, band: usize) -> bool {
        self.bands.get(band).is_some_and(|b| b.complex.is_some())
    }

    /// Reads complex bands (0-based indices into [`Scene::bands`]) of `window` at full
    /// resolution, calibrated: `scale * z` with each file's scale factor (Capella's), so that
    /// `|z|^2` is the intensity [`Scene::read_band_window`] gives. A band that is not complex
    /// is refused.
    pub fn read_complex_windows(
        &self,
        bands: &[usize],
        window: Window,
    ) -> Result<Vec<Vec<num_complex::Complex32>>, RasterError> {
        self.read_complex_resampled(bands, window, (window.width, window.height))
    }

    /// [`Scene::read_complex_windows`] of `window` resampled to `out_size` by nearest
    /// neighbour (from overviews when the files have them): each value is one pixel's
    /// scattering, never a mix of pixels' phases.
    pub fn read_complex_resampled(
        &self,
        bands: &[usize],
        window: Window,
        out_size: (usize, usize),
    ) -> Result<Vec<Vec<num_complex::Complex32>>, RasterError> {
        use rayon::prelude::*;
        self.check_window(window)?;
        // The complex values (two float32 planes' worth) and the pairs GDAL reads into.
        self.check_memory(out_size, 6 * bands.len())?;
        let mut sources = Vec::with_capacity(bands.len());
        for &band in bands {
            let info = self.bands.get(band).ok_or_else(|| RasterError::Invalid {
                what: format!("band {}", band + 1),
                reason: format!("the scene has {} bands", self.bands.len()),
            })?;
            let Some(ComplexIntensity { scale }) = info.complex else {
                return Err(RasterError::NotComplex {
                    path: info.path.clone(),
                    band: info.source_band,
                    dtype: info.stored_type.clone(),
                });
            };
            // CFloat64 samples are read as they are; every other complex type (CInt16,
            // CInt32, CFloat32) fits float32 pairs exactly, at half the memory.
            let wide = info.stored_type == "CFloat64";
            sources.push((
                info.path.clone(),
                info.source_band,
                scale.unwrap_or(1.0),
                wide,
            ));
        }
        let origin = (to_isize(window.x), to_isize(window.y));
        let size = (window.width, window.height);
        // One read per band, on every core (each opens its file: a GDAL dataset is not shared
        // between threads), straight into complex pairs: GDAL converts any complex type
        // without a detour through its derived datasets.
        let reads: Vec<_> = sources
            .par_iter()
            .map(|(path, band, k, wide)| {
                let read_err = |e: gdal::errors::GdalError| RasterError::read(path, *band, &e);
                capture(|| -> Result<Vec<num_complex::Complex32>, RasterError> {
                    let dataset = open_dataset(path)?;
                    let gdal_band = dataset.rasterband(*band).map_err(read_err)?;
                    if *wide {
                        read_calibrated::<GdalComplex64>(&gdal_band, origin, size, out_size, *k)
                    } else {
                        read_calibrated::<GdalComplex32>(&gdal_band, origin, size, out_size, *k)
                    }
                    .map_err(read_err)
                })
            })
            .collect();
        let mut out = Vec::with_capacity(sources.len());
        for ((path, ..), (read, raised)) in sources.iter().zip(reads) {
            out.push(read?);
            self.notes.add(path, raised);
        }
        Ok(out)
    }

    /// [`Scene::read_band_window`] of a window and size already checked.
    fn read_band(
        &self,
        band: usize,
        window: Window,
        out_size: (usize, usize),
    ) -> Result<Vec<f32>, RasterError> {
        let info = self.bands.get(band).ok_or_else(|| RasterError::Invalid {
            what: format!("band {}", band + 1),
            reason: format!("the scene has {} bands", self.bands.len()),
        })?;
        let source = self
            .band_source
            .get(band)
            .and_then(|&i| self.sources.get(i))
            .ok_or_else(|| RasterError::Invalid {
                what: info.path.display().to_string(),
                reason: "the band's file is not part of this scene".into(),
            })?;
        let read_err =
            |e: gdal::errors::GdalError| RasterError::read(&info.path, info.source_band, &e);
        let gdal_band = source
            .dataset
            .rasterband(info.source_band)
            .map_err(read_err)?;
        let origin = (to_isize(window.x), to_isize(window.y));
        let size = (window.width, window.height);
        let n = out_size.0 * out_size.1;
        let (read, raised): (Result<Vec<f32>, RasterError>, _) = capture(|| match info.complex {
            None => {
                let mut buf = vec![0f32; n];
                gdal_band
                    .read_into_slice(origin, size, out_size, &mut buf, None)
                    .map_err(read_err)?;
                Ok(buf)
            }
            Some(ComplexIntensity { scale }) => {
                // GDAL's derived INTENSITY dataset delivers |z|^2 as float64.
                let mut buf = vec![0f64; n];
                gdal_band
                    .read_into_slice(origin, size, out_size, &mut buf, None)
                    .map_err(read_err)?;
                let k = scale.map_or(1.0, |s| s * s);
                Ok(buf.into_iter().map(|v| (v * k) as f32).collect())
            }
        });
        // A read that failed says why in its error; one that went on keeps what GDAL said.
        if read.is_ok() {
            self.notes.add(&info.path, raised);
        }
        match read {
            Err(e) if e.is_silent_read_failure() => Err(self
                .reread_for_gdal_words(info, origin, size, out_size)
                .unwrap_or(e)),
            read => read,
        }
    }

    /// GDAL's words for a read that failed on its decoding threads (`GDAL_NUM_THREADS`, which
    /// keep their messages): the same read again on this thread alone, in the file opened anew
    /// (a dataset takes the option when it opens), whose error names what GDAL found and where
    /// (for a mosaic, the file it is in). `None` when that read says no more.
    fn reread_for_gdal_words(
        &self,
        info: &BandInfo,
        origin: (isize, isize),
        size: (usize, usize),
        out_size: (usize, usize),
    ) -> Option<RasterError> {
        gdal::config::set_thread_local_config_option("GDAL_NUM_THREADS", "1").ok()?;
        // (What GDAL says on the way is in the error; no note is kept of it.)
        let (again, _) = capture(|| -> Result<(), RasterError> {
            let dataset = open_dataset(&info.path)?;
            let gdal_band = dataset
                .rasterband(info.source_band)
                .map_err(|e| RasterError::read(&info.path, info.source_band, &e))?;
            let mut buf = vec![0f64; out_size.0 * out_size.1];
            gdal_band
                .read_into_slice(origin, size, out_size, &mut buf, None)
                .map_err(|e| RasterError::read(&info.path, info.source_band, &e))
        });
        let _ = gdal::config::clear_thread_local_config_option("GDAL_NUM_THREADS");
        again.err().filter(|e| !e.is_silent_read_failure())
    }

    /// Per-band statistics over valid pixels, computed on first call and cached. Exact for
    /// scenes up to [`EXACT_STATS_MAX_PIXELS`]; larger scenes are sampled (flagged
    /// `approximate`).
    pub fn stats(&self) -> Result<&[BandStats], RasterError> {
        if let Some(stats) = self.stats.get() {
            return Ok(stats);
        }
        let pixels = self.width.saturating_mul(self.height);
        let (out_size, approximate) = if pixels <= EXACT_STATS_MAX_PIXELS {
            ((self.width, self.height), false)
        } else {
            let f = (STATS_SAMPLE_SIDE as f64 / self.width.max(self.height) as f64).min(1.0);
            let side = |v: usize| ((v as f64 * f).round() as usize).max(1);
            ((side(self.width), side(self.height)), true)
        };
        let mut all = Vec::with_capacity(self.bands.len());
        for (i, band) in self.bands.iter().enumerate() {
            let values = self.read_band_window(i, self.full_window(), out_size)?;
            all.push(BandStats::compute(&values, band.nodata, approximate));
        }
        Ok(self.stats.get_or_init(|| all))
    }

    /// Refuses a read of `bands` planes of `out_size` that would not fit in the memory free:
    /// float32 planes and the validity mask, a complex band's float64 buffer besides.
    fn check_memory(&self, out_size: (usize, usize), bands: usize) -> Result<(), RasterError> {
        let pixels = (out_size.0 as u64).saturating_mul(out_size.1 as u64);
        let needed = pixels.saturating_mul(4 * bands as u64 + 1 + 8);
        crate::memory::check_fits(needed).map_err(|big| RasterError::OutOfMemory {
            path: self.first_path(),
            width: out_size.0,
            height: out_size.1,
            bands,
            big,
        })
    }

    fn first_path(&self) -> PathBuf {
        self.sources
            .first()
            .map(|s| s.path.clone())
            .unwrap_or_default()
    }

    fn check_window(&self, w: Window) -> Result<(), RasterError> {
        let inside = w.width > 0
            && w.height > 0
            && w.x.checked_add(w.width).is_some_and(|r| r <= self.width)
            && w.y.checked_add(w.height).is_some_and(|b| b <= self.height);
        if inside {
            Ok(())
        } else {
            Err(RasterError::WindowOutside {
                path: self.first_path(),
                x: w.x,
                y: w.y,
                w: w.width,
                h: w.height,
                width: self.width,
                height: self.height,
            })
        }
    }
}

/// A file's geotransform and CRS, either of which it may lack.
type Georef = (Option<GeoTransform>, Option<Crs>);

/// Opens one file of a scene; for the first, also its georeferencing (read here so that what
/// GDAL says about a damaged geotransform or CRS is caught with the rest).
fn open_file(path: &Path, first: bool) -> Result<(Dataset, Georef), RasterError> {
    let dataset = open_dataset(path)?;
    let geo_transform = dataset.geo_transform().ok().map(GeoTransform);
    let crs = if first {
        dataset
            .spatial_ref()
            .ok()
            .and_then(|srs| Crs::from_spatial_ref(&srs))
    } else {
        None
    };
    Ok((dataset, (geo_transform, crs)))
}

/// Two files share a grid when both lack a geotransform or theirs agree to a millionth of a
/// pixel.
fn same_grid(a: Option<GeoTransform>, b: Option<GeoTransform>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            let (sx, sy) = a.pixel_size();
            let tol = 1e-6 * sx.max(sy).max(f64::MIN_POSITIVE);
            a.0.iter()
                .zip(b.0.iter())
                .all(|(p, q)| (p - q).abs() <= tol)
        }
        _ => false,
    }
}

pub(super) fn to_isize(v: usize) -> isize {
    isize::try_from(v).unwrap_or(isize::MAX)
}

/// `size` samples of a complex band from `origin`, read by GDAL into pairs of `S` (converted
/// from the band's stored type), each times `scale` in float64, as float32.
fn read_calibrated<S: ComplexSample>(
    band: &gdal::raster::RasterBand<'_>,
    origin: (isize, isize),
    size: (usize, usize),
    out_size: (usize, usize),
    scale: f64,
) -> Result<Vec<num_complex::Complex32>, gdal::errors::GdalError> {
    let mut buf = vec![S::default(); out_size.0 * out_size.1];
    band.read_into_slice(origin, size, out_size, &mut buf, None)?;
    Ok(buf
        .iter()
        .map(|z| {
            let (re, im) = z.parts();
            num_complex::Complex32::new((re * scale) as f32, (im * scale) as f32)
        })
        .collect())
}

/// A complex sample type GDAL reads into.
trait ComplexSample: gdal::raster::GdalType + Copy + Default {
    fn parts(self) -> (f64, f64);
}

impl ComplexSample for GdalComplex32 {
    fn parts(self) -> (f64, f64) {
        (f64::from(self.re), f64::from(self.im))
    }
}

impl ComplexSample for GdalComplex64 {
    fn parts(self) -> (f64, f64) {
        (self.re, self.im)
    }
}

/// One complex sample as GDAL lays out a CFloat32 / CFloat64 buffer (real, then imaginary), so
/// that a complex band is read in one call, converted by GDAL from its stored type.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct GdalComplex32 {
    re: f32,
    im: f32,
}

const _: () = assert!(std::mem::size_of::<GdalComplex32>() == 8);

impl gdal::raster::GdalType for GdalComplex32 {
    fn gdal_ordinal() -> gdal_sys::GDALDataType::Type {
        gdal_sys::GDALDataType::GDT_CFloat32
    }
}

/// As [`GdalComplex32`], for CFloat64 samples.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct GdalComplex64 {
    re: f64,
    im: f64,
}

// GDAL writes 8 (16) bytes per CFloat32 (CFloat64) sample into the buffer: the types must be
// exactly that.
const _: () = assert!(std::mem::size_of::<GdalComplex64>() == 16);

impl gdal::raster::GdalType for GdalComplex64 {
    fn gdal_ordinal() -> gdal_sys::GDALDataType::Type {
        gdal_sys::GDALDataType::GDT_CFloat64
    }
}
