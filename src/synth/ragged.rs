//! Footprints as a model traces them: the ground truth rasterized and its outline made ragged,
//! for testing and measuring what straightening does to traced buildings.

use geo::{MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::SynthScene;
use crate::vector::{VectorizeParams, rasterize, vectorize};

impl SynthScene {
    /// The scene's buildings as a model traces them: [`ragged_outlines`] of its truth.
    pub fn ragged_outlines(&self, flip: f64, seed: u64) -> Vec<Polygon<f64>> {
        let truth: Vec<MultiPolygon<f64>> = self
            .truth
            .iter()
            .map(|p| MultiPolygon(vec![p.clone()]))
            .collect();
        ragged_outlines(&truth, (self.planes.width, self.planes.height), flip, seed)
    }
}

/// `truth` (scene pixels) rasterized on a `width` x `height` grid, each pixel on either side
/// of a building's boundary flipped with probability `flip` (seeded), traced and simplified
/// as the baseline's predictions are (`VectorizeParams::default()`: 80 px at least,
/// Douglas-Peucker 0.5).
pub fn ragged_outlines(
    truth: &[MultiPolygon<f64>],
    (width, height): (usize, usize),
    flip: f64,
    seed: u64,
) -> Vec<Polygon<f64>> {
    let inside = rasterize(truth, width, height);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let at = |x: usize, y: usize| inside.get(y * width + x).copied().unwrap_or(false);
    let mut mask = vec![0f32; width * height];
    for y in 0..height {
        for x in 0..width {
            let here = at(x, y);
            let boundary = (x > 0 && at(x - 1, y) != here)
                || (x + 1 < width && at(x + 1, y) != here)
                || (y > 0 && at(x, y - 1) != here)
                || (y + 1 < height && at(x, y + 1) != here);
            let flipped = boundary && rng.random_bool(flip.clamp(0.0, 1.0));
            if let Some(m) = mask.get_mut(y * width + x) {
                *m = if here != flipped { 1.0 } else { 0.0 };
            }
        }
    }
    vectorize(&mask, width, height, VectorizeParams::default())
        .into_iter()
        .map(|f| f.polygon)
        .collect()
}
