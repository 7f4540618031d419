//! A large scene mapped block by block with the buildings of one prediction of the whole scene.
//!
//! The probabilities of a block come from the same network windows, summed in the same order,
//! as those of the whole scene (the baseline's grid: windows at the step from the scene's
//! corner, the last one moved back inside, in the rotated frame when the scene is rotated), so
//! a pixel's probability does not depend on the block it is read in. A block is vectorized
//! with a halo around it, and keeps the buildings whose first pixel (raster order) lies in the
//! block: each building has one owner. A kept building that reaches the halo's edge may go on
//! beyond it: the block is then mapped again with twice the halo, up to [`MAX_HALO`].
//!
//! Network windows are kept (least recently used out) so that neighbouring blocks, which share
//! the windows over their seam, predict them once.

use std::sync::Arc;

use geo::Translate;

use super::MapError;
use crate::lru::LruCache;
use crate::model::{Rotation, forward_windows, model_input, sigmoid, window_offsets};
use crate::raster::{Scene, Window};
use crate::session::predict::Predictor;
use crate::vector::{TracedBuilding, VectorizeParams, vectorize};

/// The widest halo a block is mapped with (px): a building reaching past it is cut at it.
pub const MAX_HALO: usize = 2048;

/// A block's buildings, in scene pixels.
pub struct BlockBuildings {
    pub buildings: Vec<TracedBuilding>,
    /// The block's probabilities (`core`'s pixels, row-major).
    pub probabilities: Vec<f32>,
    /// The halo they were mapped with.
    pub halo: usize,
    /// Buildings cut at [`MAX_HALO`] (larger than the widest halo: kept as far as seen).
    pub cut: usize,
}

/// One scene with the model and the network windows it predicted.
pub struct SceneMapper<'a> {
    predictor: &'a Predictor,
    scene: &'a Scene,
    bands: Vec<usize>,
    rotation: Rotation,
    /// Network windows (top-left corners, scene pixels) in the order the whole scene's
    /// prediction sums them.
    windows: Vec<(usize, usize)>,
    window: usize,
    logits: LruCache<(usize, usize), Arc<Vec<f32>>>,
    /// Windows the network ran on (for the progress and the tests).
    pub predicted: usize,
    timings: Timings,
}

/// Seconds spent so far per stage.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timings {
    pub read_s: f64,
    pub predict_s: f64,
    pub trace_s: f64,
}

impl Timings {
    /// What was spent after `before`.
    pub fn since(&self, before: &Self) -> Self {
        Self {
            read_s: self.read_s - before.read_s,
            predict_s: self.predict_s - before.predict_s,
            trace_s: self.trace_s - before.trace_s,
        }
    }
}

impl<'a> SceneMapper<'a> {
    /// `scene` (at least a window on each side) predicted with `predictor`, rotated by
    /// `rotation`; blocks of `block` px with `halo` are what it keeps windows for.
    pub fn new(
        predictor: &'a Predictor,
        scene: &'a Scene,
        rotation: Rotation,
        block: usize,
        halo: usize,
    ) -> Result<Self, MapError> {
        let card = &predictor.loaded.card;
        let bands = crate::model::band_order(scene, card)?;
        if bands.len() != card.in_channels {
            return Err(MapError::Input(format!(
                "the model takes {} bands; {} of its bands were found",
                card.in_channels,
                bands.len()
            )));
        }
        let (w, h) = (scene.width(), scene.height());
        let (window, step) = (predictor.params.window, predictor.params.step);
        if w < window || h < window {
            return Err(MapError::Input(format!(
                "{w}x{h} px is smaller than a network window ({window} px)"
            )));
        }
        // The grid is laid from the corner the network sees first: the bottom right one of a
        // scene turned by 180 degrees.
        let place = |offset: usize, size: usize| match rotation {
            Rotation::None => offset,
            Rotation::Half => size - window - offset,
        };
        let xs = window_offsets(w, window, step);
        let ys = window_offsets(h, window, step);
        let windows = ys
            .iter()
            .flat_map(|&y| xs.iter().map(move |&x| (place(x, w), place(y, h))))
            .collect();
        // A row of windows across the scene for each window-row a halo spans, and a block's.
        let rows_kept = 2 * halo.div_ceil(step) + 1;
        let side = (block + 2 * halo).div_ceil(step) + 1;
        let capacity = xs.len() * rows_kept + side * side;
        Ok(Self {
            predictor,
            scene,
            bands,
            rotation,
            windows,
            window,
            logits: LruCache::new(capacity.max(4)),
            predicted: 0,
            timings: Timings::default(),
        })
    }

    /// Seconds spent so far reading, in the network and tracing.
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// The averaged logits over `region` (row-major), each window's taken from the cache or
    /// predicted (in batches of the predictor's size).
    fn region_logits(&mut self, region: Window) -> Result<Vec<f32>, MapError> {
        let win = self.window;
        let touching: Vec<(usize, usize)> = self
            .windows
            .iter()
            .copied()
            .filter(|&(x, y)| {
                x < region.x + region.width
                    && region.x < x + win
                    && y < region.y + region.height
                    && region.y < y + win
            })
            .collect();
        let missing: Vec<(usize, usize)> = touching
            .iter()
            .copied()
            .filter(|w| !self.logits.contains(w))
            .collect();
        let batch = self.predictor.params.batch.max(1);
        for chunk in missing.chunks(batch) {
            self.predict(chunk)?;
        }
        let mut sum = vec![0f32; region.width * region.height];
        let mut count = vec![0u16; region.width * region.height];
        for w in &touching {
            let logits = match self.logits.get(w) {
                Some(l) => Arc::clone(l),
                None => {
                    // Evicted by this region's own windows (a cache smaller than a region):
                    // predicted again.
                    self.predict(std::slice::from_ref(w))?;
                    self.logits
                        .get(w)
                        .map(Arc::clone)
                        .ok_or_else(|| MapError::Input("a window's logits were lost".into()))?
                }
            };
            let (x0, x1) = (w.0.max(region.x), (w.0 + win).min(region.x + region.width));
            let (y0, y1) = (w.1.max(region.y), (w.1 + win).min(region.y + region.height));
            for y in y0..y1 {
                let from = (y - w.1) * win;
                let src = logits.get(from + x0 - w.0..from + x1 - w.0).unwrap_or(&[]);
                let at = (y - region.y) * region.width + x0 - region.x;
                let (Some(dst), Some(n)) = (
                    sum.get_mut(at..at + src.len()),
                    count.get_mut(at..at + src.len()),
                ) else {
                    continue;
                };
                for ((s, c), v) in dst.iter_mut().zip(n.iter_mut()).zip(src) {
                    *s += v;
                    *c += 1;
                }
            }
        }
        Ok(sum
            .iter()
            .zip(&count)
            .map(|(s, c)| s / f32::from((*c).max(1)))
            .collect())
    }

    /// Runs the network on `windows` (one batch) and keeps their logits, in scene orientation.
    fn predict(&mut self, windows: &[(usize, usize)]) -> Result<(), MapError> {
        let win = self.window;
        let params = &self.predictor.params;
        let read = std::time::Instant::now();
        let mut data = Vec::with_capacity(windows.len() * self.bands.len() * win * win);
        for &(x, y) in windows {
            let at = Window {
                x,
                y,
                width: win,
                height: win,
            };
            let planes = self.scene.read_window(at, (win, win))?;
            data.extend(model_input(
                &planes,
                &self.bands,
                params.normalization,
                self.rotation,
            )?);
        }
        self.timings.read_s += read.elapsed().as_secs_f64();
        let network = std::time::Instant::now();
        let shape = [windows.len(), self.bands.len(), win, win];
        let loaded = &self.predictor.loaded;
        let logits = forward_windows(&loaded.model, &self.predictor.device.device, data, shape)?;
        self.timings.predict_s += network.elapsed().as_secs_f64();
        for (i, &w) in windows.iter().enumerate() {
            let mut one = logits
                .get(i * win * win..(i + 1) * win * win)
                .ok_or_else(|| MapError::Input("the network gave fewer logits".into()))?
                .to_vec();
            if self.rotation == Rotation::Half {
                one.reverse();
            }
            self.logits.insert(w, Arc::new(one));
            self.predicted += 1;
        }
        Ok(())
    }

    /// The buildings whose first pixel lies in `core`, mapped with a halo of `halo` px (more
    /// where a building reaches its edge), vectorized by `params`.
    pub fn map_block(
        &mut self,
        core: Window,
        halo: usize,
        params: VectorizeParams,
    ) -> Result<BlockBuildings, MapError> {
        let (w, h) = (self.scene.width(), self.scene.height());
        let mut halo = halo.max(1);
        loop {
            let region = Window {
                x: core.x.saturating_sub(halo),
                y: core.y.saturating_sub(halo),
                width: (core.x + core.width + halo).min(w) - core.x.saturating_sub(halo),
                height: (core.y + core.height + halo).min(h) - core.y.saturating_sub(halo),
            };
            let probs: Vec<f32> = self
                .region_logits(region)?
                .into_iter()
                .map(sigmoid)
                .collect();
            let traced = std::time::Instant::now();
            let found = vectorize(&probs, region.width, region.height, params);
            self.timings.trace_s += traced.elapsed().as_secs_f64();
            let open = OpenEdges::of(region, (w, h));
            let mut kept = Vec::new();
            let mut cut = 0;
            for mut b in found {
                let first = (region.x + b.first_pixel.0, region.y + b.first_pixel.1);
                let inside = (core.x..core.x + core.width).contains(&first.0)
                    && (core.y..core.y + core.height).contains(&first.1);
                if !inside {
                    continue;
                }
                if open.reached_by(&b.polygon, region) {
                    cut += 1;
                }
                b.polygon.translate_mut(region.x as f64, region.y as f64);
                b.first_pixel = first;
                kept.push(b);
            }
            let whole_scene = region.width == w && region.height == h;
            if cut == 0 || halo >= MAX_HALO || whole_scene {
                let probabilities = crate::model::crop(&probs, region, core);
                return Ok(BlockBuildings {
                    buildings: kept,
                    probabilities,
                    halo,
                    cut,
                });
            }
            halo = (halo * 2).min(MAX_HALO);
        }
    }
}

/// Which sides of a region are inside the scene (a building touching one may go on).
struct OpenEdges {
    left: bool,
    top: bool,
    right: bool,
    bottom: bool,
}

impl OpenEdges {
    fn of(region: Window, (w, h): (usize, usize)) -> Self {
        Self {
            left: region.x > 0,
            top: region.y > 0,
            right: region.x + region.width < w,
            bottom: region.y + region.height < h,
        }
    }

    /// Whether `polygon` (region pixels) touches an open side. A pixel in the region's edge
    /// row or column puts a traced corner on that side; simplifying moves the outline by at
    /// most its tolerance (< 1 px), and a building a pixel away from the side stays a whole
    /// pixel inside: the test is whether the outline comes within one pixel of the side.
    fn reached_by(&self, polygon: &geo::Polygon<f64>, region: Window) -> bool {
        use geo::BoundingRect;
        let Some(r) = polygon.bounding_rect() else {
            return false;
        };
        let (w, h) = (region.width as f64, region.height as f64);
        (self.left && r.min().x < 1.0)
            || (self.top && r.min().y < 1.0)
            || (self.right && r.max().x > w - 1.0)
            || (self.bottom && r.max().y > h - 1.0)
    }
}
