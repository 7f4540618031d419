//! The winner's inference on one SN6 tile, as main.py's test loop does it: the nodata border
//! cropped, the bands normalized with its means and deviations and reordered HH, VV, HV, VH,
//! tiles of strips imaged from the south rotated 180 degrees, test-time augmentation (each
//! scale resized bilinearly with aligned corners to multiples of 32, with and without a
//! left-right flip, the logits resized back and averaged), the footprint, edge and contact
//! logits of several fold checkpoints averaged, and the crop put back in the tile with 0.

use burn::prelude::*;
use burn::tensor::TensorData;

use super::{CONTACT, EDGE, EffUNet, FOOTPRINT};
use crate::model::ModelError;

/// main.py's per-band means and deviations of SN6 SAR-Intensity, bands in the file's order
/// (HH, HV, VH, VV).
pub const MEANS: [f32; 4] = [28.625_018, 36.099_224, 33.844_837, 26.211_967];
pub const STDS: [f32; 4] = [8.414_874, 8.266_455, 8.323_285, 8.636_69];
/// `reorder_bands = 3`: the network takes HH, VV, HV, VH.
pub const BAND_ORDER: [usize; 4] = [0, 3, 1, 2];

/// The extra input of a tile: its strip's place in the orientation table (none: all zeros),
/// whether the strip was imaged from the south, and the strip's y coordinate as main.py
/// scales it (`(mean northing - 5746153.1) / 11000 + 0.2`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extra {
    pub strip: Option<usize>,
    pub south: bool,
    pub coord_y: f32,
}

impl Extra {
    /// main.py's y coordinate of a strip whose tiles' mean northing (UTM 31N) is `northing`.
    pub fn coord_of_northing(northing: f64) -> f32 {
        ((northing - 5_746_153.106_161_971) / 11_000.0 + 0.2) as f32
    }

    /// The network's extra input: one-hot over `strips`, direction, y - 0.5.
    pub fn values(&self, strips: usize) -> Vec<f32> {
        let mut v = vec![0f32; strips + 2];
        if let Some(s) = self.strip.filter(|&s| s < strips) {
            v[s] = 1.0;
        }
        v[strips] = f32::from(u8::from(self.south));
        v[strips + 1] = self.coord_y - 0.5;
        v
    }
}

/// Test-time augmentation: the scales and whether each is also run flipped left-right.
#[derive(Clone, Debug, PartialEq)]
pub struct Tta {
    pub scales: Vec<f64>,
    pub flip: bool,
    /// Passes run at the same time (each on its own thread; the sum is taken in the passes'
    /// order, so the result does not depend on it). On a CPU the cores: a pass has stretches
    /// on one core (element-wise layers) that another pass fills. On a GPU, 1.
    pub at_once: usize,
}

impl Tta {
    /// main.py's: scales 0.8, 1.0 and 1.5, each with and without a left-right flip.
    pub fn winner() -> Self {
        Self {
            scales: vec![0.8, 1.0, 1.5],
            flip: true,
            at_once: 1,
        }
    }

    /// One pass at the tile's size (rounded up to a multiple of 32).
    pub fn none() -> Self {
        Self {
            scales: vec![1.0],
            flip: false,
            at_once: 1,
        }
    }

    /// The same with `n` passes at once (at least 1).
    pub fn at_once(mut self, n: usize) -> Self {
        self.at_once = n.max(1);
        self
    }

    /// Forward passes per checkpoint.
    pub fn passes(&self) -> usize {
        self.scales.len() * if self.flip { 2 } else { 1 }
    }
}

/// The footprint, edge and contact logits of a tile, row-major, averaged over augmentations
/// and checkpoints (0 in the cropped border).
#[derive(Clone, Debug, PartialEq)]
pub struct WinnerLogits {
    pub width: usize,
    pub height: usize,
    pub footprint: Vec<f32>,
    pub edge: Vec<f32>,
    pub contact: Vec<f32>,
    /// The part the network saw, rows y0..y1 and columns x0..x1 (`None`: nothing, the tile
    /// is all nodata).
    pub valid: Option<(usize, usize, usize, usize)>,
}

impl WinnerLogits {
    /// The three maps as probabilities (`1 / (1 + exp(-logit))`, as test_postprocess_single),
    /// 0 in the cropped nodata border. main.py leaves logits of 0 there, probability 0.5, which
    /// its threshold (> 0.5) never takes; a lower threshold, or the map drawn, would.
    pub fn probabilities(&self) -> [Vec<f32>; 3] {
        let inside = |i: usize| {
            let (x, y) = (i % self.width.max(1), i / self.width.max(1));
            self.valid
                .is_some_and(|(y0, y1, x0, x1)| (y0..y1).contains(&y) && (x0..x1).contains(&x))
        };
        let sig = |v: &Vec<f32>| {
            v.iter()
                .enumerate()
                .map(|(i, &l)| {
                    if inside(i) {
                        1.0 / (1.0 + (-l).exp())
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        [sig(&self.footprint), sig(&self.edge), sig(&self.contact)]
    }
}

/// The band descriptions of the maps `predict` writes for a three-map network, in order (and
/// by which `vectorize` and the viewer know such a file).
pub const MAP_BANDS: [&str; 3] = [
    "footprint_probability",
    "edge_probability",
    "contact_probability",
];

/// Whether `scene` is a file of a three-map network's maps ([`MAP_BANDS`], in order).
pub fn holds_three_maps(scene: &crate::raster::Scene) -> bool {
    scene.band_count() >= 3
        && scene
            .bands()
            .iter()
            .zip(MAP_BANDS)
            .all(|(b, name)| b.description == name)
}

/// A whole tile as the network takes it, `[4, height, width]`: each band normalized by
/// main.py's mean and deviation (non-finite values as 0), in [`BAND_ORDER`], turned 180
/// degrees for a south strip.
pub fn winner_input(bands: [&[f32]; 4], south: bool) -> Vec<f32> {
    let mut input = Vec::with_capacity(4 * bands[0].len());
    for &b in &BAND_ORDER {
        let start = input.len();
        input.extend(bands[b].iter().map(|&v| {
            let v = if v.is_finite() { v } else { 0.0 };
            (v - MEANS[b]) / STDS[b]
        }));
        if south {
            input[start..].reverse();
        }
    }
    input
}

/// Bilinear resize with aligned corners (PyTorch's `F.interpolate(..., mode='bilinear',
/// align_corners=True)`) of `channels` planes `h` x `w` to `oh` x `ow`.
pub fn resize_bilinear(
    data: &[f32],
    channels: usize,
    (h, w): (usize, usize),
    (oh, ow): (usize, usize),
) -> Vec<f32> {
    let scale = |n: usize, on: usize| {
        if on > 1 {
            (n as f32 - 1.0) / (on as f32 - 1.0)
        } else {
            0.0
        }
    };
    let (sy, sx) = (scale(h, oh), scale(w, ow));
    // Per output column: the two source columns and the weight of the second.
    let cols: Vec<(usize, usize, f32)> = (0..ow)
        .map(|x| {
            let src = sx * x as f32;
            let x0 = (src as usize).min(w.saturating_sub(1));
            let x1 = (x0 + 1).min(w.saturating_sub(1));
            (x0, x1, src - x0 as f32)
        })
        .collect();
    let mut out = vec![0f32; channels * oh * ow];
    for c in 0..channels {
        let plane = &data[c * h * w..(c + 1) * h * w];
        for y in 0..oh {
            let src = sy * y as f32;
            let y0 = (src as usize).min(h.saturating_sub(1));
            let y1 = (y0 + 1).min(h.saturating_sub(1));
            let ly = src - y0 as f32;
            let (r0, r1) = (&plane[y0 * w..(y0 + 1) * w], &plane[y1 * w..(y1 + 1) * w]);
            let row = &mut out[(c * oh + y) * ow..(c * oh + y + 1) * ow];
            for (o, &(x0, x1, lx)) in row.iter_mut().zip(&cols) {
                let top = r0[x0] + (r0[x1] - r0[x0]) * lx;
                let bottom = r1[x0] + (r1[x1] - r1[x0]) * lx;
                *o = top + (bottom - top) * ly;
            }
        }
    }
    out
}

/// Each plane of `data` (`channels` planes `h` x `w`) mirrored left-right.
fn flip_lr(data: &mut [f32], w: usize) {
    for row in data.chunks_exact_mut(w) {
        row.reverse();
    }
}

/// The rows and columns of the tile holding any pixel whose bands sum above 0 (main.py's
/// crop): `(y0, y1, x0, x1)`, or `None` for a tile of nodata only.
pub fn valid_extent(
    bands: &[&[f32]; 4],
    width: usize,
    height: usize,
) -> Option<(usize, usize, usize, usize)> {
    let (mut y0, mut y1, mut x0, mut x1) = (usize::MAX, 0, usize::MAX, 0);
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            let sum: f32 = bands
                .iter()
                .map(|b| b.get(i).copied().unwrap_or(0.0))
                .filter(|v| v.is_finite())
                .sum();
            if sum > 0.0 {
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
                x0 = x0.min(x);
                x1 = x1.max(x + 1);
            }
        }
    }
    (y0 < y1).then_some((y0, y1, x0, x1))
}

/// The winner's inference over one tile (`bands` HH, HV, VH, VV of `width` x `height`) with
/// `models` (fold checkpoints of one shape), their logits averaged.
pub fn predict_winner(
    models: &[&EffUNet],
    bands: [&[f32]; 4],
    (width, height): (usize, usize),
    extra: &Extra,
    strips: usize,
    tta: &Tta,
    device: &Device,
) -> Result<WinnerLogits, ModelError> {
    let n = width * height;
    if bands.iter().any(|b| b.len() != n) {
        return Err(ModelError::InputSize {
            got: bands.iter().map(|b| b.len()).sum(),
            channels: 4,
            width,
            height,
        });
    }
    let mut out = WinnerLogits {
        width,
        height,
        footprint: vec![0.0; n],
        edge: vec![0.0; n],
        contact: vec![0.0; n],
        valid: None,
    };
    let Some((y0, y1, x0, x1)) = valid_extent(&bands, width, height) else {
        return Ok(out);
    };
    out.valid = Some((y0, y1, x0, x1));
    if models.is_empty() || tta.scales.is_empty() {
        return Err(ModelError::EmptyInput);
    }
    let (h, w) = (y1 - y0, x1 - x0);
    // The crop, normalized, reordered, turned for a south strip: [4, h, w].
    let mut input = Vec::with_capacity(4 * h * w);
    for &b in &BAND_ORDER {
        let start = input.len();
        for y in y0..y1 {
            input.extend(bands[b][y * width + x0..y * width + x1].iter().map(|&v| {
                let v = if v.is_finite() { v } else { 0.0 };
                (v - MEANS[b]) / STDS[b]
            }));
        }
        if extra.south {
            input[start..].reverse();
        }
    }
    let ex = Tensor::<2>::from_data(
        TensorData::new(extra.values(strips), [1, strips + 2]),
        device,
    );
    // Every (scale, flip) pass, in main.py's order.
    let passes: Vec<(f64, bool)> = tta
        .scales
        .iter()
        .flat_map(|&scale| {
            [false, true]
                .into_iter()
                .filter(|&flipped| !flipped || tta.flip)
                .map(move |flipped| (scale, flipped))
        })
        .collect();
    let run = |&(scale, flipped): &(f64, bool)| -> Result<Vec<Vec<f32>>, ModelError> {
        let sh = ((h as f64 * scale / 32.0).ceil() as usize).max(1) * 32;
        let sw = ((w as f64 * scale / 32.0).ceil() as usize).max(1) * 32;
        let mut image = resize_bilinear(&input, 4, (h, w), (sh, sw));
        if flipped {
            flip_lr(&mut image, sw);
        }
        let x = Tensor::<4>::from_data(TensorData::new(image, [1, 4, sh, sw]), device);
        let mut per_model = Vec::with_capacity(models.len());
        for model in models {
            let logits = model.forward(x.clone(), ex.clone());
            let maps = logits.narrow(1, 0, 3);
            let mut maps: Vec<f32> = maps
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| ModelError::Device(format!("{e:?}")))?;
            if flipped {
                flip_lr(&mut maps, sw);
            }
            per_model.push(resize_bilinear(&maps, 3, (sh, sw), (h, w)));
        }
        Ok(per_model)
    };
    // `at_once` threads, each taking every `at_once`-th pass, so that their loads are alike
    // (with main.py's TTA on two threads: one runs the three scales, the other them flipped).
    let at_once = tta.at_once.clamp(1, passes.len().max(1));
    let mut done: Vec<Option<Vec<Vec<f32>>>> = vec![None; passes.len()];
    let order: Vec<usize> = (0..at_once)
        .flat_map(|t| (t..passes.len()).step_by(at_once))
        .collect();
    let results = crate::parallel::map_on_threads(&order, at_once, |&i| run(&passes[i]));
    for (&i, result) in order.iter().zip(results) {
        done[i] = Some(result?);
    }
    let mut sum = vec![0f32; 3 * h * w];
    for back in done.into_iter().flatten().flatten() {
        for (s, v) in sum.iter_mut().zip(back) {
            *s += v;
        }
    }
    let count = (tta.passes() * models.len()) as f32;
    for (k, target) in [
        (FOOTPRINT, &mut out.footprint),
        (EDGE, &mut out.edge),
        (CONTACT, &mut out.contact),
    ] {
        let mut plane: Vec<f32> = sum[k * h * w..(k + 1) * h * w]
            .iter()
            .map(|v| v / count)
            .collect();
        if extra.south {
            plane.reverse();
        }
        for (row, y) in plane.chunks_exact(w).zip(y0..y1) {
            target[y * width + x0..y * width + x1].copy_from_slice(row);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_corners_keep_the_corners_and_interpolate_between() {
        // 2x2 -> 3x3: corners kept, the middle the mean.
        let got = resize_bilinear(&[0.0, 2.0, 4.0, 6.0], 1, (2, 2), (3, 3));
        assert_eq!(got, vec![0.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0]);
        // Same size: unchanged.
        let v: Vec<f32> = (0..12).map(|i| i as f32).collect();
        assert_eq!(resize_bilinear(&v, 2, (2, 3), (2, 3)), v);
    }

    #[test]
    fn the_extra_input_is_a_one_hot_direction_and_y() {
        let e = Extra {
            strip: Some(1),
            south: true,
            coord_y: 0.75,
        };
        assert_eq!(e.values(3), vec![0.0, 1.0, 0.0, 1.0, 0.25]);
        let unknown = Extra {
            strip: Some(9),
            ..e
        };
        assert_eq!(unknown.values(3), vec![0.0, 0.0, 0.0, 1.0, 0.25]);
    }

    #[test]
    fn probabilities_are_0_in_the_cropped_border() {
        let logits = WinnerLogits {
            width: 3,
            height: 2,
            footprint: vec![0.0, 2.0, 0.0, 0.0, -2.0, 0.0],
            edge: vec![0.0; 6],
            contact: vec![0.0; 6],
            // Only the middle column was seen.
            valid: Some((0, 2, 1, 2)),
        };
        let [footprint, edge, _] = logits.probabilities();
        let sig = |l: f32| 1.0 / (1.0 + (-l).exp());
        assert_eq!(footprint, vec![0.0, sig(2.0), 0.0, 0.0, sig(-2.0), 0.0]);
        assert_eq!(edge, vec![0.0, 0.5, 0.0, 0.0, 0.5, 0.0]);
        let nothing = WinnerLogits {
            valid: None,
            ..logits
        };
        assert!(nothing.probabilities()[0].iter().all(|&p| p == 0.0));
    }

    #[test]
    fn the_valid_extent_is_the_crop_of_positive_sums() {
        let (w, h) = (5, 4);
        let mut b = vec![0f32; w * h];
        b[w + 2] = 1.0;
        b[2 * w + 3] = 2.0;
        let z = vec![0f32; w * h];
        assert_eq!(valid_extent(&[&b, &z, &z, &z], w, h), Some((1, 3, 2, 4)));
        assert_eq!(valid_extent(&[&z, &z, &z, &z], w, h), None);
    }
}
