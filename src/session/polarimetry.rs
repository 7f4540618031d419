//! Polarimetric views of a scene for the viewer, without a UI: whether the scene supports
//! decompositions, and a decomposition (or the speckle-filtered bands) of the whole scene
//! computed off the caller's thread; of a scene drawn by tiles, its overview and the tiles
//! the view asks for.

use std::path::PathBuf;

use std::sync::{Arc, OnceLock};

use super::TileTexels;
use super::{Job, SessionError};
use crate::polsar::{Decomposition, FilterSpec, Plan, Product, QuadPol, Scattering};
use crate::raster::{Planes, Scene, Window};
use crate::render::pyramid::TileKey;
use crate::render::{Bands, InputScale, PolsarPipeline, gpu_mode, interleave};

/// A GPU for the decompositions' compute pass (the viewer's device), and the pass, built on
/// first use.
#[derive(Clone)]
pub struct PolsarGpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: String,
    pipeline: Arc<OnceLock<PolsarPipeline>>,
}

impl PolsarGpu {
    pub fn new(device: wgpu::Device, queue: wgpu::Queue, adapter: String) -> Self {
        Self {
            device,
            queue,
            adapter,
            pipeline: Arc::default(),
        }
    }

    /// `d` of the scattering matrix `s` by the compute pass, T3 through `filter`: the
    /// decomposition's bands (at most four), NaN where a pixel has no power. `None` for a
    /// decomposition the pass does not make.
    fn decompose(
        &self,
        s: &Scattering,
        d: Decomposition,
        filter: &FilterSpec,
    ) -> Result<Option<Planes>, SessionError> {
        if gpu_mode(d).is_none() {
            return Ok(None);
        }
        let valid = s.valid();
        let pipeline = self
            .pipeline
            .get_or_init(|| PolsarPipeline::new(&self.device));
        let Some(values) = pipeline.run(&self.device, &self.queue, s, d, filter)? else {
            return Ok(None);
        };
        let n = d.band_names().len().min(4);
        let bands = (0..n)
            .map(|b| {
                values
                    .iter()
                    .zip(&valid)
                    .map(|(v, &ok)| if ok { v[b] } else { f32::NAN })
                    .collect()
            })
            .collect();
        Ok(Some(Planes::new(s.width, s.height, bands, &[])))
    }

    /// `d` of `window` of the scene at every `step`-th pixel by the compute pass, read as
    /// `plan` reads it ([`Plan::window_read`]); `None` where the pass does not make `d` or
    /// failed (then the CPU makes it: the failure is logged).
    fn decompose_window(
        &self,
        scene: &Scene,
        plan: &Plan,
        window: Window,
        step: usize,
    ) -> Result<Option<Planes>, SessionError> {
        let (Product::Decomposition(d), Some(quad)) = (plan.product, &plan.quad) else {
            return Ok(None);
        };
        if gpu_mode(d).is_none() {
            return Ok(None);
        }
        let (read, out, corner, size) = plan.window_read(window, step);
        let s = Scattering::read_resampled(scene, quad, read, out)?;
        match self.decompose(&s, d, &plan.filter) {
            Ok(planes) => Ok(planes.map(|p| {
                if corner == (0, 0) && size == (p.width, p.height) {
                    p
                } else {
                    p.crop(corner, size)
                }
            })),
            Err(e) => {
                tracing::warn!("the GPU's decomposition failed, the CPU makes it: {e}");
                Ok(None)
            }
        }
    }
}

/// The largest scene the viewer processes whole (pixels); a scene drawn by tiles gets its
/// product tile by tile, and one between the two is written by `sarscope decompose`.
pub const MAX_VIEW_PIXELS: usize = 4096 * 4096;

/// The longer side of the overview of a product of a scene drawn by tiles, at most (as the
/// scene's own overview).
const OVERVIEW_SIDE: usize = 1024;

/// A product made tile by tile, for a scene drawn by tiles: each tile is the product of its
/// window at its level's step ([`Plan::compute_window`]), made on the tile reader's thread.
pub struct ProductTiles {
    pub plan: Plan,
    /// Which of the product's bands go to the texels' four channels (as on the overview).
    pub order: [usize; 4],
    /// A model-based decomposition's powers are floored for display ([`floored`]).
    floor: bool,
    /// The compute pass that makes the decompositions' tiles, if one does.
    gpu: Option<PolsarGpu>,
}

impl ProductTiles {
    /// The texels of tile `key` of a scene of `size` pixels.
    pub fn tile(
        &self,
        scene: &Scene,
        key: TileKey,
        size: (usize, usize),
    ) -> Result<TileTexels, SessionError> {
        let (x, y, width, height) = key.window(size);
        let window = Window {
            x,
            y,
            width,
            height,
        };
        let step = 1 << key.level;
        let on_gpu = match &self.gpu {
            Some(gpu) => gpu.decompose_window(scene, &self.plan, window, step)?,
            None => None,
        };
        let planes = match on_gpu {
            Some(planes) => planes,
            None => self.plan.compute_window(scene, window, step)?,
        };
        let planes = if self.floor { floored(&planes) } else { planes };
        Ok((interleave(&planes, self.order), planes.width, planes.height))
    }

    /// The product's values at full-resolution pixel (`x`, `y`), one per band (`None` where
    /// the pixel has no data).
    pub fn pixel(
        &self,
        scene: &Scene,
        x: usize,
        y: usize,
    ) -> Result<Option<Vec<f32>>, SessionError> {
        let window = Window {
            x,
            y,
            width: 1,
            height: 1,
        };
        let planes = self.plan.compute_window(scene, window, 1)?;
        if planes.valid.first() != Some(&true) {
            return Ok(None);
        }
        Ok(Some(
            planes
                .bands
                .iter()
                .map(|b| b.first().copied().unwrap_or(f32::NAN))
                .collect(),
        ))
    }
}

/// Why the scene made of `files` has no polarimetric decomposition, or `None` when it has
/// one (complex HH, VV and a cross-pol). Reads metadata only.
pub fn unsupported(files: &[PathBuf]) -> Option<String> {
    let scene = match Scene::open_many(files) {
        Ok(scene) => scene,
        Err(e) => return Some(e.to_string()),
    };
    QuadPol::find(&scene).err().map(|e| e.to_string())
}

/// A product of a whole scene (or of the overview of a scene drawn by tiles), for the viewer.
pub struct Processed {
    pub product: Product,
    pub filter: FilterSpec,
    /// Its values, one band each, named by `names`: of every `step`-th pixel of the scene.
    pub planes: Planes,
    /// 1 for a whole scene; the overview's sampling step for a scene drawn by tiles.
    pub step: usize,
    /// How its tiles are made, for a scene drawn by tiles.
    pub tiles: Option<Arc<ProductTiles>>,
    pub names: Vec<String>,
    pub seconds: f64,
    /// Where it was computed: "CPU", or the GPU's adapter.
    pub engine: String,
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
///
/// With `gpu`, decompositions run on its compute pass, through any of the speckle filters (the
/// CPU's f64 is its oracle); T3's nine values and the filtered bands, and everything when the
/// pass fails, on the CPU.
///
/// For a scene drawn by `tiled`, the product of its overview (every n-th pixel, at most
/// 1024 a side) and how its tiles are made ([`Processed::tiles`]), decompositions on `gpu`'s
/// compute pass too.
pub fn start(
    files: Vec<PathBuf>,
    product: Product,
    filter: FilterSpec,
    gpu: Option<PolsarGpu>,
    tiled: bool,
    wake: impl Fn() + Send + 'static,
) -> Job<(Processed, Bands)> {
    Job::spawn(
        move |_, _| {
            let started = std::time::Instant::now();
            let scene = Scene::open_many(&files)?;
            let pixels = scene.width() * scene.height();
            if pixels > MAX_VIEW_PIXELS && !tiled {
                return Err(SessionError::TooLargeToDecompose {
                    size: (scene.width(), scene.height()),
                });
            }
            let plan = Plan::new(&scene, product, filter)?;
            let step = if tiled {
                scene.width().max(scene.height()).div_ceil(OVERVIEW_SIDE)
            } else {
                1
            };
            let on_gpu = match &gpu {
                Some(gpu) => gpu
                    .decompose_window(&scene, &plan, scene.full_window(), step)?
                    .map(|planes| (planes, gpu.adapter.clone())),
                None => None,
            };
            let (planes, engine) = match on_gpu {
                Some(done) => done,
                None if tiled => (
                    plan.compute_window(&scene, scene.full_window(), step)?,
                    "CPU".to_string(),
                ),
                None => (plan.compute(&scene, 0..scene.height())?, "CPU".to_string()),
            };
            let names: Vec<String> = plan
                .band_names
                .iter()
                .take(planes.bands.len())
                .cloned()
                .collect();
            let floor = matches!(
                product,
                Product::Decomposition(Decomposition::FreemanDurden | Decomposition::Yamaguchi)
            );
            let bands = match product {
                Product::Decomposition(d) => {
                    let shown = if floor {
                        std::borrow::Cow::Owned(floored(&planes))
                    } else {
                        std::borrow::Cow::Borrowed(&planes)
                    };
                    Bands::of_product(&shown, d.band_names(), display_order(d), display_input(d))
                }
                Product::Bands => Bands::new(&scene, &planes),
            };
            let tiles = tiled.then(|| {
                Arc::new(ProductTiles {
                    plan,
                    order: bands.order,
                    floor,
                    gpu,
                })
            });
            let processed = Processed {
                product,
                filter,
                planes,
                step,
                tiles,
                names,
                seconds: started.elapsed().as_secs_f64(),
                engine,
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

/// The polarimetry of one pixel: its T3 averaged as `filter` averages it (as the products
/// are), its eigenvalues and Cloude-Pottier parameters, and the model-based powers, as text
/// for the pixel inspector. Reads the pixels the filter's window reaches.
pub fn pixel_text(
    scene: &Scene,
    (x, y): (usize, usize),
    filter: FilterSpec,
) -> Result<String, SessionError> {
    // One read and one filtering for the three decompositions, as the products make them
    // (in f64, then to f32).
    let plan = Plan::new(scene, Product::Decomposition(Decomposition::T3), filter)?;
    let pixel = Window {
        x,
        y,
        width: 1,
        height: 1,
    };
    let coherency = plan.coherency(scene, pixel, 1)?;
    let t = coherency
        .t3
        .first()
        .filter(|_| coherency.valid.first() == Some(&true));
    let value = |d: Decomposition| -> Vec<f32> {
        match t {
            Some(t) => d.pixel(t).into_iter().map(|v| v as f32).collect(),
            None => vec![f32::NAN; d.band_names().len()],
        }
    };
    let haa = value(Decomposition::HAAlpha);
    let fd = value(Decomposition::FreemanDurden);
    let y4 = value(Decomposition::Yamaguchi);
    let at = |v: &[f32], i: usize| v.get(i).copied().unwrap_or(f32::NAN);
    Ok(format!(
        "T3, {}:\n  eigenvalues {:.4} {:.4} {:.4}\n  H {:.3}  A {:.3}  alpha {:.1} deg\n  \
         Freeman-Durden s {:.4} d {:.4} v {:.4}\n  Yamaguchi s {:.4} d {:.4} v {:.4} h {:.4}",
        filter,
        at(&haa, 3),
        at(&haa, 4),
        at(&haa, 5),
        at(&haa, 0),
        at(&haa, 1),
        at(&haa, 2),
        at(&fd, 0),
        at(&fd, 1),
        at(&fd, 2),
        at(&y4, 0),
        at(&y4, 1),
        at(&y4, 2),
        at(&y4, 3),
    ))
}
