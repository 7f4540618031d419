//! Inference over a whole scene with the SN6 baseline's tiling: 512x512 windows at step 512,
//! the last window of a row or column moved back inside, overlapping logits averaged.

use burn::prelude::*;
use burn::tensor::TensorData;

use super::{ModelCard, ModelError, Normalization, Rotation, UNet11};
use crate::raster::{Planes, Polarization, Scene, Window};

/// How to cut a scene into network inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InferParams {
    /// Square window side, a multiple of 32.
    pub window: usize,
    /// Distance between windows (<= window).
    pub step: usize,
    pub normalization: Normalization,
    /// Windows per forward pass.
    pub batch: usize,
}

impl InferParams {
    pub fn from_card(card: &ModelCard) -> Self {
        Self {
            window: card.window,
            step: card.step,
            normalization: card.normalization,
            batch: 1,
        }
    }
}

impl Default for InferParams {
    fn default() -> Self {
        Self::from_card(&ModelCard::default())
    }
}

/// Where inference stands; the callback returns `false` to cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub windows_done: usize,
    pub windows_total: usize,
}

/// Per-pixel building probability (sigmoid of the averaged logits) on the scene's grid.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbabilityMap {
    pub width: usize,
    pub height: usize,
    pub probs: Vec<f32>,
}

/// Window offsets along one axis of `size` px: `0, step, 2*step, ...`, a window that would cross
/// the edge moved back to `size - window` (the baseline's rule: 900 -> [0, 388]).
///
/// ```
/// use sarscope::model::window_offsets;
/// assert_eq!(window_offsets(900, 512, 512), vec![0, 388]);
/// assert_eq!(window_offsets(1024, 512, 512), vec![0, 512]);
/// assert_eq!(window_offsets(512, 512, 512), vec![0]);
/// assert_eq!(window_offsets(1000, 512, 256), vec![0, 256, 488]);
/// ```
pub fn window_offsets(size: usize, window: usize, step: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    if size <= window || step == 0 {
        return vec![0];
    }
    let mut offset = 0;
    while offset < size {
        let placed = if offset + window > size {
            size - window
        } else {
            offset
        };
        if out.last() != Some(&placed) {
            out.push(placed);
        }
        if placed + window >= size {
            break;
        }
        offset += step;
    }
    out
}

/// The network's input for a scene: its bands in the model's order, nodata and non-finite
/// values as 0 (the baseline's nodata), rotated when asked, normalized. `[C, H, W]` row-major.
pub fn model_input(
    planes: &Planes,
    band_order: &[usize],
    normalization: Normalization,
    rotation: Rotation,
) -> Result<Vec<f32>, ModelError> {
    let n = planes.width * planes.height;
    let mut out = Vec::with_capacity(n * band_order.len());
    for &b in band_order {
        let plane = planes
            .bands
            .get(b)
            .ok_or_else(|| ModelError::MissingBand { band: b + 1 })?;
        let start = out.len();
        out.extend(plane.iter().map(|&v| {
            let v = if v.is_finite() { v } else { 0.0 };
            normalization.apply(v)
        }));
        if rotation == Rotation::Half {
            out[start..].reverse();
        }
    }
    Ok(out)
}

fn round_up_32(v: usize) -> usize {
    v.div_ceil(32) * 32
}

/// Runs the network over `input` (`[channels, height, width]`, already normalized) window by
/// window and returns the averaged logits, `[height, width]`.
///
/// An image smaller than a window is padded (with `pad`, the normalized nodata value) to the
/// next multiple of 32 and cropped back.
#[allow(clippy::too_many_arguments)]
pub fn predict_planes(
    model: &UNet11,
    device: &Device,
    input: &[f32],
    channels: usize,
    width: usize,
    height: usize,
    params: &InferParams,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Vec<f32>, ModelError> {
    if width == 0 || height == 0 {
        return Err(ModelError::EmptyInput);
    }
    if input.len() != channels * width * height {
        return Err(ModelError::InputSize {
            got: input.len(),
            channels,
            width,
            height,
        });
    }
    if params.window == 0 || !params.window.is_multiple_of(32) || params.step == 0 {
        return Err(ModelError::Windows {
            window: params.window,
            step: params.step,
        });
    }
    let pad = params.normalization.apply(0.0);
    let win_w = params.window.min(round_up_32(width));
    let win_h = params.window.min(round_up_32(height));
    let (pw, ph) = (width.max(win_w), height.max(win_h));
    let xs = window_offsets(pw, win_w, params.step);
    let ys = window_offsets(ph, win_h, params.step);
    let windows: Vec<(usize, usize)> = ys
        .iter()
        .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
        .collect();
    let total = windows.len();
    let mut sum = vec![0f32; pw * ph];
    let mut count = vec![0u16; pw * ph];
    let batch = params.batch.max(1);
    let mut done = 0;
    if !progress(Progress {
        windows_done: 0,
        windows_total: total,
    }) {
        return Err(ModelError::Cancelled);
    }
    for chunk in windows.chunks(batch) {
        let mut data = Vec::with_capacity(chunk.len() * channels * win_h * win_w);
        for &(x0, y0) in chunk {
            for c in 0..channels {
                let plane = &input[c * width * height..(c + 1) * width * height];
                for y in y0..y0 + win_h {
                    if y >= height {
                        data.extend(std::iter::repeat_n(pad, win_w));
                        continue;
                    }
                    let row = &plane[y * width..(y + 1) * width];
                    let inside = x0.min(width)..(x0 + win_w).min(width);
                    data.extend_from_slice(&row[inside.clone()]);
                    data.extend(std::iter::repeat_n(pad, win_w - inside.len()));
                }
            }
        }
        let logits = forward_windows(model, device, data, [chunk.len(), channels, win_h, win_w])?;
        for (i, &(x0, y0)) in chunk.iter().enumerate() {
            let window = &logits[i * win_h * win_w..(i + 1) * win_h * win_w];
            for (dy, row) in window.chunks_exact(win_w).enumerate() {
                let start = (y0 + dy) * pw + x0;
                for (dx, &v) in row.iter().enumerate() {
                    sum[start + dx] += v;
                    count[start + dx] += 1;
                }
            }
        }
        done += chunk.len();
        if !progress(Progress {
            windows_done: done,
            windows_total: total,
        }) {
            return Err(ModelError::Cancelled);
        }
    }
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let i = y * pw + x;
            out.push(sum[i] / f32::from(count[i].max(1)));
        }
    }
    Ok(out)
}

/// The network's logits for a batch of windows, `data` of `shape` `[windows, channels, height,
/// width]` (normalized): `[windows, height, width]` row-major.
pub fn forward_windows(
    model: &UNet11,
    device: &Device,
    data: Vec<f32>,
    shape: [usize; 4],
) -> Result<Vec<f32>, ModelError> {
    let x = Tensor::<4>::from_data(TensorData::new(data, shape), device);
    let logits = model
        .forward(x)
        .try_into_data()
        .map_err(|e| ModelError::Device(format!("reading the logits back: {e:?}")))?;
    // On wgpu the bytes resolve lazily: this first access is where the GPU work is waited for.
    // Narrower weights give f32 logits, but a backend may keep flex32's tag on them (the
    // same bytes).
    let logits = logits
        .try_cast_as::<f32>()
        .map_err(|e| ModelError::Device(format!("logits are not float: {e:?}")))?;
    logits
        .try_into_vec::<f32>()
        .map_err(|e| ModelError::Device(format!("logits are not float32: {e:?}")))
}

/// The logistic function: a logit to a probability.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The bands of `scene` in the order of the model card (`HH, HV, VH, VV`), found by role; a
/// scene with exactly as many bands as the model and no roles is taken in file order.
pub fn band_order(scene: &Scene, card: &ModelCard) -> Result<Vec<usize>, ModelError> {
    let mut order = Vec::with_capacity(card.bands.len());
    let mut missing = Vec::new();
    for name in &card.bands {
        match Polarization::find_in(name).and_then(|p| scene.band_of(p)) {
            Some(b) => order.push(b),
            None => missing.push(name.as_str()),
        }
    }
    if missing.is_empty() {
        return Ok(order);
    }
    Err(ModelError::BandsNotFound {
        needed: card.bands.clone(),
        count: scene.band_count(),
        missing: missing.into_iter().map(str::to_owned).collect(),
    })
}

/// Predicts a whole scene: the probability map on its grid.
pub fn predict_scene(
    model: &UNet11,
    card: &ModelCard,
    device: &Device,
    scene: &Scene,
    rotation: Rotation,
    params: &InferParams,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<ProbabilityMap, ModelError> {
    let order = model_bands(scene, card)?;
    let planes = scene.read_full()?;
    predict_read(model, device, &planes, &order, rotation, params, progress)
}

/// Predicts `window` of a scene at full resolution (the part of a large scene in view): the
/// probability map of the window, its pixel (0, 0) at the window's corner.
#[allow(clippy::too_many_arguments)]
pub fn predict_window(
    model: &UNet11,
    card: &ModelCard,
    device: &Device,
    scene: &Scene,
    window: Window,
    rotation: Rotation,
    params: &InferParams,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<ProbabilityMap, ModelError> {
    let order = model_bands(scene, card)?;
    let planes = scene.read_window(window, (window.width, window.height))?;
    predict_read(model, device, &planes, &order, rotation, params, progress)
}

/// The scene's bands in the card's order, as many as the network takes.
fn model_bands(scene: &Scene, card: &ModelCard) -> Result<Vec<usize>, ModelError> {
    let order = band_order(scene, card)?;
    if order.len() != card.in_channels {
        return Err(ModelError::CardChannels {
            listed: order.len(),
            takes: card.in_channels,
        });
    }
    Ok(order)
}

fn predict_read(
    model: &UNet11,
    device: &Device,
    planes: &Planes,
    order: &[usize],
    rotation: Rotation,
    params: &InferParams,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<ProbabilityMap, ModelError> {
    let input = model_input(planes, order, params.normalization, rotation)?;
    let mut logits = predict_planes(
        model,
        device,
        &input,
        order.len(),
        planes.width,
        planes.height,
        params,
        progress,
    )?;
    if rotation == Rotation::Half {
        logits.reverse();
    }
    Ok(ProbabilityMap {
        width: planes.width,
        height: planes.height,
        probs: logits.into_iter().map(sigmoid).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_pixel_and_stay_inside() {
        for size in [1, 31, 32, 511, 512, 513, 900, 1023, 1025, 2000] {
            for (window, step) in [(512, 512), (256, 128), (64, 64)] {
                let offsets = window_offsets(size, window, step);
                let mut covered = vec![false; size];
                for &o in &offsets {
                    assert!(o + window.min(size) <= size.max(window), "{size} {o}");
                    for c in covered.iter_mut().skip(o).take(window) {
                        *c = true;
                    }
                }
                assert!(covered.iter().all(|c| *c), "size {size} window {window}");
                assert!(offsets.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn input_is_normalized_rotated_and_nan_free() {
        let planes = Planes::new(2, 1, vec![vec![127.5, f32::NAN], vec![0.0, 159.375]], &[]);
        let n = Normalization::SN6_BASELINE;
        let x = model_input(&planes, &[1, 0], n, Rotation::None).unwrap();
        assert_eq!(x, vec![-4.0, 1.0, 0.0, -4.0]);
        let r = model_input(&planes, &[1, 0], n, Rotation::Half).unwrap();
        assert_eq!(r, vec![1.0, -4.0, -4.0, 0.0]);
    }
}
