//! Probability map -> building polygons: threshold, runs of building pixels
//! ([`runs`]), 4-connected components ([`components`]), outlines traced on pixel edges with
//! their holes ([`trace`]; what `rasterio.features.shapes` gives), simplification.

mod components;
mod geos;
mod labelled;
mod runs;
#[cfg(test)]
mod tests;
mod trace;

use components::group_runs;
pub use labelled::{OutlineParams, outline_labels};
use runs::{Run, above_bits, runs_of};
use trace::trace_runs;

use geo::{Area, LineString, MakeValid, Polygon};
use serde::Serialize;

/// How a probability map becomes polygons. The defaults are the SpaceNet 6 baseline's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct VectorizeParams {
    /// A pixel is a building when its probability is above this (the baseline: logit > 0).
    pub threshold: f32,
    /// Components of fewer pixels are dropped (the baseline: 80).
    pub min_area: usize,
    /// Douglas-Peucker tolerance in pixels (the baseline: 0.5); 0 keeps every corner.
    pub simplify: f64,
}

impl Default for VectorizeParams {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            min_area: 80,
            simplify: 0.5,
        }
    }
}

/// One vectorized building.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TracedBuilding {
    /// Stable within a map: components are numbered in raster order of their first pixel.
    pub id: usize,
    /// Exterior and holes in pixel coordinates (vertices on pixel corners before simplifying).
    #[serde(skip)]
    pub polygon: Polygon<f64>,
    /// Mean probability over the component's pixels (the SpaceNet Confidence).
    pub confidence: f64,
    /// Pixels in the component.
    pub pixels: usize,
    /// Area of the (simplified) polygon in px^2.
    pub area_px: f64,
    /// The component's first pixel in raster order, `(x, y)`: a pixel of the building that
    /// any part of a map holding the whole building agrees on (whose block a building belongs
    /// to when a scene is mapped in blocks).
    #[serde(skip)]
    pub first_pixel: (usize, usize),
}
/// Runs in a map from which its buildings are outlined on every core.
const PARALLEL_RUNS: usize = 100_000;

/// Building polygons of a probability map (row-major, `width` x `height`, pixel coordinates).
pub fn vectorize(
    probs: &[f32],
    width: usize,
    height: usize,
    params: VectorizeParams,
) -> Vec<TracedBuilding> {
    vectorize_from(probs, width, height, params, PARALLEL_RUNS)
}

/// [`vectorize`], its buildings outlined on every core when the map has more than
/// `parallel_from` runs.
fn vectorize_from(
    probs: &[f32],
    width: usize,
    height: usize,
    params: VectorizeParams,
    parallel_from: usize,
) -> Vec<TracedBuilding> {
    // Runs of building pixels grouped into components: no mask, no label image; the outline
    // is traced from the runs.
    let rows = (0..height).map(|y| probs.get(y * width..(y + 1) * width).unwrap_or(&[]));
    let (runs, row_start) = runs_of(rows, |block| above_bits(block, params.threshold));
    let kept: Vec<(Vec<Run>, usize)> = group_runs(&runs, &row_start)
        .into_iter()
        .map(|c| {
            let pixels = c.iter().map(|&(_, x0, x1)| x1 - x0).sum();
            (c, pixels)
        })
        .filter(|&(_, pixels)| pixels >= params.min_area)
        .collect();
    // Buildings are independent: traced, simplified and checked on every core when there are
    // enough of them to pay for the threads (a tile's ~200 buildings take about a millisecond:
    // threads made it slower).
    let outline_of =
        |(component, _): &(Vec<Run>, usize)| outline(trace_runs(component), params.simplify);
    let polygons: Vec<Polygon<f64>> = if runs.len() > parallel_from {
        crate::parallel::map_on_all_cores(&kept, outline_of)
    } else {
        kept.iter().map(outline_of).collect()
    };
    kept.iter()
        .zip(polygons)
        .enumerate()
        .map(|(id, ((component, pixels), polygon))| {
            let sum: f64 = component
                .iter()
                .filter_map(|&(y, x0, x1)| probs.get(y * width + x0..y * width + x1))
                .map(sum_f64)
                .sum();
            TracedBuilding {
                id,
                area_px: polygon.unsigned_area(),
                polygon,
                confidence: sum / (*pixels).max(1) as f64,
                pixels: *pixels,
                first_pixel: first_pixel(component),
            }
        })
        .collect()
}

/// The first pixel in raster order of a component's runs, `(x, y)`.
pub(super) fn first_pixel(runs: &[Run]) -> (usize, usize) {
    runs.iter()
        .map(|&(y, x0, _)| (y, x0))
        .min()
        .map_or((0, 0), |(y, x)| (x, y))
}

/// The sum of `values` in f64, over 8 partial sums (no chain of dependent additions).
fn sum_f64(values: &[f32]) -> f64 {
    let mut lanes = [0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|&v| f64::from(v)).sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f64::from(v);
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// One component's polygon from its traced outline: simplified when that stays valid,
/// repaired (its largest part) when even the traced outline is not valid.
fn outline(traced: Polygon<f64>, tolerance: f64) -> Polygon<f64> {
    if tolerance > 0.0 {
        let simplified = super::simplify::simplify_outline(&traced, tolerance);
        if super::is_simple_convex(&simplified) || super::is_valid_polygon(&simplified) {
            return simplified;
        }
    }
    if super::is_valid_polygon(&traced) {
        return traced;
    }
    traced
        .make_valid()
        .ok()
        .and_then(|fixed| {
            fixed
                .0
                .into_iter()
                .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
        })
        .map(canonical_rings)
        .unwrap_or(traced)
}

/// `polygon` with each ring starting at its first vertex in raster order (least y, then x)
/// and the holes in that order too: the repair's rings start wherever its sweep met them,
/// which varies from run to run; a building's outline must not (a scene mapped in blocks
/// gives the same polygons as the scene at once).
fn canonical_rings(polygon: Polygon<f64>) -> Polygon<f64> {
    fn ring(r: LineString<f64>) -> LineString<f64> {
        let mut v = r.0;
        if v.len() > 1 && v.first() == v.last() {
            v.pop();
        }
        let first = v
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)))
            .map_or(0, |(i, _)| i);
        v.rotate_left(first);
        if let Some(&start) = v.first() {
            v.push(start);
        }
        LineString(v)
    }
    let (exterior, interiors) = polygon.into_inner();
    let mut holes: Vec<LineString<f64>> = interiors.into_iter().map(ring).collect();
    let key = |r: &LineString<f64>| r.0.first().map_or((0.0, 0.0), |c| (c.y, c.x));
    holes.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    Polygon::new(ring(exterior), holes)
}
