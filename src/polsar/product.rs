//! What is computed of a scene (a decomposition, or its filtered bands) and how, strip by
//! strip: a strip is read with the rows its windows reach beyond it, so that any scene is
//! processed in bounded memory and gives what processing it whole would.

use super::speckle::apply_bands;
use super::{Coherency, Decomposition, FilterKind, FilterSpec, PolsarError, QuadPol, Scattering};
use crate::raster::{Planes, Scene, Window};

/// A product of a scene.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Product {
    /// A decomposition of T3, averaged by the filter (boxcar 1: single look).
    Decomposition(Decomposition),
    /// The scene's bands as intensity, filtered (any scene, phase or not).
    Bands,
}

/// A product and the filter it is made with, checked against a scene.
#[derive(Clone, Debug)]
pub struct Plan {
    pub product: Product,
    pub filter: FilterSpec,
    /// The scattering matrix's bands, for decompositions.
    pub quad: Option<QuadPol>,
    pub band_names: Vec<String>,
    pub width: usize,
    pub height: usize,
}

impl Plan {
    /// Checks that `scene` supports `product` (decompositions need complex HH, VV and a
    /// cross-pol) and that `filter` fits it.
    pub fn new(scene: &Scene, product: Product, filter: FilterSpec) -> Result<Self, PolsarError> {
        let (quad, band_names) = match product {
            Product::Decomposition(d) => {
                let quad = QuadPol::find(scene).map_err(|e| match e {
                    PolsarError::NoPhase { why, .. } => PolsarError::NoPhase {
                        mode: d.name().to_string(),
                        why,
                    },
                    other => other,
                })?;
                let names = d.band_names().iter().map(|s| s.to_string()).collect();
                (Some(quad), names)
            }
            Product::Bands => {
                if filter.kind != FilterKind::Boxcar {
                    let stats = scene.stats()?;
                    for (band, s) in scene.bands().iter().zip(stats) {
                        if let Some(min) = s.min.filter(|m| *m < 0.0) {
                            return Err(PolsarError::NotPower {
                                band: band.name.clone(),
                                min,
                            });
                        }
                    }
                }
                let names = scene.bands().iter().map(|b| b.name.clone()).collect();
                (None, names)
            }
        };
        filter.check(scene.width(), scene.height())?;
        Ok(Self {
            product,
            filter,
            quad,
            band_names,
            width: scene.width(),
            height: scene.height(),
        })
    }

    /// Pixels a window reaches beyond the pixel it is centred on.
    fn halo(&self) -> usize {
        self.filter.window / 2
    }

    /// Rows per strip so that a strip's working set (the scattering matrix, T3 and its nine
    /// channels twice, about 250 bytes a pixel) stays near 256 MB.
    pub fn strip_rows(&self) -> usize {
        const BYTES_PER_PIXEL: usize = 256;
        const BUDGET: usize = 256 * 1024 * 1024;
        (BUDGET / BYTES_PER_PIXEL / self.width.max(1)).clamp(16, 4096)
    }

    /// The filtered T3 of `window` at every `step`-th pixel, read as
    /// [`Plan::window_read`] says (with the pixels its filter's windows reach). For a plan of
    /// the filtered bands, the scene's scattering matrix is looked for here.
    pub fn coherency(
        &self,
        scene: &Scene,
        window: Window,
        step: usize,
    ) -> Result<Coherency, PolsarError> {
        let quad = match self.quad {
            Some(quad) => quad,
            None => QuadPol::find(scene)?,
        };
        let (read, out, corner, size) = self.window_read(window, step);
        let coherency = Scattering::read_resampled(scene, &quad, read, out)?.coherency();
        Ok(coherency.filtered(&self.filter).crop(corner, size))
    }

    /// The product over rows `rows` (all columns), made in strips of [`Plan::strip_rows`]:
    /// bounded memory, whose buffers the next strip reuses.
    pub fn compute(
        &self,
        scene: &Scene,
        rows: std::ops::Range<usize>,
    ) -> Result<Planes, PolsarError> {
        let step = self.strip_rows();
        let mut strips = rows.clone().step_by(step).map(|start| {
            let strip = start..(start + step).min(rows.end);
            self.compute_strip(scene, strip)
        });
        let mut all = match strips.next() {
            Some(first) => first?,
            None => return self.compute_strip(scene, rows),
        };
        let total = rows.len() * self.width;
        for band in &mut all.bands {
            band.reserve(total.saturating_sub(band.len()));
        }
        for strip in strips {
            let strip = strip?;
            for (band, part) in all.bands.iter_mut().zip(strip.bands) {
                band.extend(part);
            }
            all.valid.extend(strip.valid);
            all.height += strip.height;
        }
        Ok(all)
    }

    /// [`Plan::compute`] of rows `rows` in one piece.
    fn compute_strip(
        &self,
        scene: &Scene,
        rows: std::ops::Range<usize>,
    ) -> Result<Planes, PolsarError> {
        let window = Window {
            x: 0,
            y: rows.start,
            width: self.width,
            height: rows.len(),
        };
        self.compute_window(scene, window, 1)
    }

    /// The scene's bands through the plan's filter (none for single look).
    fn filtered_bands(&self, planes: Planes) -> Planes {
        if self.filter.kind == FilterKind::Boxcar && self.filter.window == 1 {
            planes
        } else {
            apply_bands(&planes, &self.filter)
        }
    }

    /// The product of `window` at every `step`-th pixel, as a tile of a pyramid's level shows
    /// it: ceil(width / step) x ceil(height / step) values. At step 1 it is what
    /// [`Plan::compute`] gives there (the window is read with the pixels its filter's windows
    /// reach); at a coarser step it is the product of the scene sampled every `step` pixels by
    /// nearest neighbour, filtered at that scale (a 7x7 window spans 7 samples), so tiles of
    /// one level join without seams. `window` starts at multiples of `step`, as tiles do.
    pub fn compute_window(
        &self,
        scene: &Scene,
        window: Window,
        step: usize,
    ) -> Result<Planes, PolsarError> {
        if let Product::Decomposition(d) = self.product {
            let coherency = self.coherency(scene, window, step)?;
            let planes = d.planes(&coherency);
            coherency.recycle();
            return Ok(planes);
        }
        let (read, out, corner, size) = self.window_read(window, step);
        Ok(self
            .filtered_bands(scene.read_window(read, out)?)
            .crop(corner, size))
    }

    /// How [`Plan::compute_window`] makes `window` at `step`: the window it reads (with the
    /// pixels its filter's windows reach, within the scene), the size it reads it at, and
    /// where in that the values of `window` are (corner and size).
    pub fn window_read(&self, window: Window, step: usize) -> (Window, Size, Size, Size) {
        let step = step.max(1);
        let reach = self.halo() * step;
        let (x0, y0) = (
            window.x.saturating_sub(reach),
            window.y.saturating_sub(reach),
        );
        let x1 = (window.x + window.width + reach).min(self.width);
        let y1 = (window.y + window.height + reach).min(self.height);
        let read = Window {
            x: x0,
            y: y0,
            width: x1.saturating_sub(x0),
            height: y1.saturating_sub(y0),
        };
        (
            read,
            (read.width.div_ceil(step), read.height.div_ceil(step)),
            ((window.x - x0) / step, (window.y - y0) / step),
            (window.width.div_ceil(step), window.height.div_ceil(step)),
        )
    }
}

/// Width and height, or column and row.
type Size = (usize, usize);
