//! Polarimetric views of a scene for the viewer, without a UI: whether the scene supports
//! decompositions, and a decomposition (or the speckle-filtered bands) of the whole scene
//! computed off the caller's thread.

use std::path::PathBuf;

use super::{Job, SessionError};
use crate::polsar::{Decomposition, FilterSpec, Plan, Product, QuadPol};
use crate::raster::{Planes, Scene};
use crate::render::{Bands, InputScale};

/// The largest scene the viewer processes whole (pixels); larger ones are written by
/// `sarscope decompose`.
pub const MAX_VIEW_PIXELS: usize = 4096 * 4096;

/// Why the scene made of `files` has no polarimetric decomposition, or `None` when it has
/// one (complex HH, VV and a cross-pol). Reads metadata only.
pub fn unsupported(files: &[PathBuf]) -> Option<String> {
    let scene = match Scene::open_many(files) {
        Ok(scene) => scene,
        Err(e) => return Some(e.to_string()),
    };
    QuadPol::find(&scene).err().map(|e| e.to_string())
}

/// A product of a whole scene, for the viewer.
pub struct Processed {
    pub product: Product,
    pub filter: FilterSpec,
    /// Its values, one band each, named by `names`.
    pub planes: Planes,
    pub names: Vec<String>,
    pub seconds: f64,
}

/// Which of a decomposition's bands go to red, green and blue (and the fourth channel), by
/// the colours the field uses: Pauli |HH-VV|, 2|HV|, |HH+VV|; Freeman-Durden and Yamaguchi
/// double bounce red, volume green, surface blue; H/A/alpha entropy, anisotropy, alpha.
pub fn display_order(d: Decomposition) -> [usize; 4] {
    match d {
        Decomposition::FreemanDurden | Decomposition::Yamaguchi => [1, 2, 0, 3],
        _ => [0, 1, 2, 3],
    }
}

/// The scale a decomposition's values are in: powers (and Pauli's amplitudes) as such, for dB;
/// entropy, anisotropy and angles are none of those, shown linear.
pub fn display_input(d: Decomposition) -> InputScale {
    match d {
        Decomposition::Pauli => InputScale::Amplitude,
        _ => InputScale::Power,
    }
}

/// Computes `product` of the scene of `files` with `filter` on a worker thread; with it come
/// the view's channels: three of a decomposition's bands (see [`display_order`]), or the
/// filtered bands with their polarizations.
pub fn start(
    files: Vec<PathBuf>,
    product: Product,
    filter: FilterSpec,
    wake: impl Fn() + Send + 'static,
) -> Job<(Processed, Bands)> {
    Job::spawn(
        move |_, _| {
            let started = std::time::Instant::now();
            let scene = Scene::open_many(&files)?;
            let pixels = scene.width() * scene.height();
            if pixels > MAX_VIEW_PIXELS {
                return Err(SessionError::TooLargeToDecompose {
                    size: (scene.width(), scene.height()),
                });
            }
            let plan = Plan::new(&scene, product, filter)?;
            let planes = plan.compute(&scene, 0..scene.height())?;
            let bands = match product {
                Product::Decomposition(d) => {
                    let shown = match d {
                        Decomposition::FreemanDurden | Decomposition::Yamaguchi => floored(&planes),
                        _ => planes.clone(),
                    };
                    Bands::of_product(&shown, d.band_names(), display_order(d), display_input(d))
                }
                Product::Bands => Bands::new(&scene, &planes),
            };
            let processed = Processed {
                product,
                filter,
                planes,
                names: plan.band_names,
                seconds: started.elapsed().as_secs_f64(),
            };
            Ok((processed, bands))
        },
        wake,
    )
}

/// A model-based decomposition's powers for display: each at least 1e-3 of the pixel's span
/// (-30 dB), as PolSARpro floors them, so that a mechanism the model gives none of does not
/// drag a dB stretch down to the floor of the scale. The values inspected and written stay
/// as computed.
fn floored(planes: &Planes) -> Planes {
    let mut out = planes.clone();
    let n = planes.width * planes.height;
    for i in 0..n {
        let span: f32 = planes
            .bands
            .iter()
            .map(|b| b.get(i).copied().unwrap_or(0.0))
            .sum();
        for band in &mut out.bands {
            if let Some(v) = band.get_mut(i) {
                *v = v.max(1e-3 * span);
            }
        }
    }
    out
}
