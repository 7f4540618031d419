//! Speckle filters: boxcar multilook, Lee (1980) and refined Lee (Lee, Grunes & de Grandi
//! 1999), for intensity bands and for the coherency matrix of complex data.
//!
//! The Lee filters weigh each pixel against its local mean by the minimum-mean-square-error
//! gain b = max(0, (var(y) - mean(y)^2 s^2) / (var(y) (1 + s^2))), s^2 = 1 / looks, computed
//! on one intensity (the band itself, or the span of a T3) and applied alike to every channel,
//! so that a filtered T3 stays a coherency matrix (the polarimetric Lee filter).

use std::str::FromStr;

use super::PolsarError;
use super::window::{Channels, Integral, clamped};
use crate::raster::Planes;

/// A speckle filter by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterKind {
    /// The mean over an N x N window (multilooking without decimation).
    Boxcar,
    /// Lee's local-statistics filter over an N x N window.
    Lee,
    /// Lee's filter over the edge-aligned half of a 7 x 7 window.
    RefinedLee,
}

impl FilterKind {
    pub const ALL: [Self; 3] = [Self::Boxcar, Self::Lee, Self::RefinedLee];

    pub fn name(self) -> &'static str {
        match self {
            Self::Boxcar => "boxcar",
            Self::Lee => "lee",
            Self::RefinedLee => "refined-lee",
        }
    }
}

/// A filter with its window (odd, in pixels) and the number of looks of the data it is
/// applied to (1 for an SLC), which sets the speckle's variance for the Lee filters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FilterSpec {
    pub kind: FilterKind,
    pub window: usize,
    pub looks: f64,
}

impl FilterSpec {
    pub fn new(kind: FilterKind, window: usize) -> Self {
        Self {
            kind,
            window,
            looks: 1.0,
        }
    }

    /// Refuses a window the filter cannot take, or one larger than a `width x height` scene.
    pub fn check(&self, width: usize, height: usize) -> Result<(), PolsarError> {
        let text = self.to_string();
        let bad = |reason: String| PolsarError::BadFilter {
            text: text.clone(),
            reason,
        };
        if self.window == 0 || self.window.is_multiple_of(2) {
            return Err(bad(format!(
                "the window must be odd (3, 5, 7, ...), not {}",
                self.window
            )));
        }
        if self.kind == FilterKind::RefinedLee && self.window != 7 {
            return Err(bad(
                "refined Lee is made here for its 7x7 window (three 3x3 sub-windows a side)".into(),
            ));
        }
        if !(self.looks.is_finite() && self.looks > 0.0) {
            return Err(bad(format!("looks must be positive, not {}", self.looks)));
        }
        if self.window > width || self.window > height {
            return Err(PolsarError::WindowTooLarge {
                window: self.window,
                width,
                height,
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for FilterSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.name(), self.window)
    }
}

impl FromStr for FilterSpec {
    type Err = PolsarError;

    /// `boxcar:5`, `lee:7`, `refined-lee:7` or `refined-lee` (7).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| PolsarError::BadFilter {
            text: text.to_string(),
            reason,
        };
        let (name, window) = match text.split_once(':') {
            Some((name, window)) => (name, Some(window)),
            None => (text, None),
        };
        let kind = FilterKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = FilterKind::ALL.iter().map(|k| k.name()).collect();
                bad(format!("the filters are {}", names.join(", ")))
            })?;
        let window = match window {
            Some(w) => w
                .trim()
                .parse()
                .map_err(|_| bad(format!("{w:?} is not a window size in pixels")))?,
            None if kind == FilterKind::RefinedLee => 7,
            None => return Err(bad(format!("say the window: {}:7", kind.name()))),
        };
        let spec = Self::new(kind, window);
        if window == 0
            || window.is_multiple_of(2)
            || (kind == FilterKind::RefinedLee && window != 7)
        {
            // The same words as for a scene: check against an unbounded one.
            spec.check(usize::MAX, usize::MAX)?;
        }
        Ok(spec)
    }
}

/// Filters every channel of `channels` with the weights `spec` computes from `intensity` (one
/// value per pixel: the band itself, or a T3's span). Invalid pixels stay invalid, and are left
/// out of every window.
pub fn filter(
    channels: &Channels,
    intensity: &[f64],
    spec: &FilterSpec,
) -> Result<Channels, PolsarError> {
    spec.check(channels.width, channels.height)?;
    Ok(apply(channels, intensity, spec))
}

/// [`filter`] without the check of the window against the grid: for a strip of a scene
/// checked whole, whose rows beyond the strip are in `channels`.
pub(crate) fn apply(channels: &Channels, intensity: &[f64], spec: &FilterSpec) -> Channels {
    match spec.kind {
        FilterKind::Boxcar => boxcar(channels, spec.window),
        FilterKind::Lee => lee(channels, intensity, spec),
        FilterKind::RefinedLee => refined_lee(channels, intensity, spec),
    }
}

/// Filters each band of `planes` on its own (an intensity scene).
pub fn filter_bands(planes: &Planes, spec: &FilterSpec) -> Result<Planes, PolsarError> {
    spec.check(planes.width, planes.height)?;
    Ok(apply_bands(planes, spec))
}

/// [`filter_bands`] without the check of the window against the grid.
pub(crate) fn apply_bands(planes: &Planes, spec: &FilterSpec) -> Planes {
    let mut bands = Vec::with_capacity(planes.bands.len());
    for band in &planes.bands {
        let values: Vec<f64> = band.iter().map(|&v| f64::from(v)).collect();
        let one = Channels {
            width: planes.width,
            height: planes.height,
            data: vec![values],
            valid: planes.valid.clone(),
        };
        let intensity = one.data.first().map(Vec::as_slice).unwrap_or(&[]);
        let out = apply(&one, intensity, spec);
        let plane = out.data.into_iter().next().unwrap_or_default();
        bands.push(plane.into_iter().map(|v| v as f32).collect());
    }
    Planes {
        width: planes.width,
        height: planes.height,
        bands,
        valid: planes.valid.clone(),
    }
}

/// Window means of every channel; a pixel whose window holds no valid pixel keeps NaN.
fn boxcar(channels: &Channels, n: usize) -> Channels {
    let (w, h) = (channels.width, channels.height);
    let pad = n / 2;
    let count = Integral::new(w, h, pad, &channels.valid, |_| 1.0);
    let data = channels
        .data
        .iter()
        .map(|plane| {
            let sums = Integral::new(w, h, pad, &channels.valid, |i| plane[i]);
            (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    if !channels.valid[i] {
                        return f64::NAN;
                    }
                    sums.centred(x, y, n) / count.centred(x, y, n)
                })
                .collect()
        })
        .collect();
    Channels {
        width: w,
        height: h,
        data,
        valid: channels.valid.clone(),
    }
}

/// Lee's gain from a window's mean and variance of the intensity.
fn lee_gain(mean: f64, var: f64, looks: f64) -> f64 {
    let s2 = 1.0 / looks;
    if var.is_nan() || var <= 0.0 {
        return 0.0;
    }
    ((var - mean * mean * s2) / (var * (1.0 + s2))).max(0.0)
}

fn lee(channels: &Channels, intensity: &[f64], spec: &FilterSpec) -> Channels {
    let (w, h) = (channels.width, channels.height);
    let n = spec.window;
    let pad = n / 2;
    let valid = &channels.valid;
    let count = Integral::new(w, h, pad, valid, |_| 1.0);
    let sum = Integral::new(w, h, pad, valid, |i| intensity[i]);
    let sum2 = Integral::new(w, h, pad, valid, |i| intensity[i] * intensity[i]);
    let gain: Vec<f64> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let k = count.centred(x, y, n);
            let mean = sum.centred(x, y, n) / k;
            let var = sum2.centred(x, y, n) / k - mean * mean;
            lee_gain(mean, var, spec.looks)
        })
        .collect();
    let means = boxcar(channels, n);
    let data = channels
        .data
        .iter()
        .zip(&means.data)
        .map(|(plane, mean)| {
            (0..w * h)
                .map(|i| mean[i] + gain[i] * (plane[i] - mean[i]))
                .collect()
        })
        .collect();
    Channels {
        width: w,
        height: h,
        data,
        valid: valid.clone(),
    }
}

/// Which half of the 7x7 window (rows and columns -3..=3 about the pixel) an edge leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Half {
    Left,
    Right,
    Top,
    Bottom,
    /// Above the main diagonal (column >= row).
    UpperRight,
    LowerLeft,
    /// Above the anti-diagonal (row + column <= 0).
    UpperLeft,
    LowerRight,
}

impl Half {
    fn contains(self, dx: isize, dy: isize) -> bool {
        match self {
            Self::Left => dx <= 0,
            Self::Right => dx >= 0,
            Self::Top => dy <= 0,
            Self::Bottom => dy >= 0,
            Self::UpperRight => dx >= dy,
            Self::LowerLeft => dx <= dy,
            Self::UpperLeft => dx + dy <= 0,
            Self::LowerRight => dx + dy >= 0,
        }
    }
}

/// The edge-aligned half of the window for a 3x3 matrix `m` of sub-window means (row-major).
///
/// Four gradients of `m` (horizontal, vertical and the two diagonals, Lee 1999's masks); the
/// largest in magnitude (the first of equals) is the edge's normal. Of the two sub-windows at
/// its ends, the one whose mean is closer to the centre's (the first of equals) is on the
/// pixel's side of the edge, and its half of the window is used. NaN means (sub-windows with
/// no valid pixel) never win.
fn edge_half(m: &[f64; 9]) -> Half {
    let g = |a: &[(usize, f64)]| a.iter().map(|&(i, s)| s * m[i]).sum::<f64>().abs();
    let gradients = [
        g(&[
            (2, 1.0),
            (5, 1.0),
            (8, 1.0),
            (0, -1.0),
            (3, -1.0),
            (6, -1.0),
        ]),
        g(&[
            (6, 1.0),
            (7, 1.0),
            (8, 1.0),
            (0, -1.0),
            (1, -1.0),
            (2, -1.0),
        ]),
        g(&[
            (1, 1.0),
            (2, 1.0),
            (5, 1.0),
            (3, -1.0),
            (6, -1.0),
            (7, -1.0),
        ]),
        g(&[
            (0, 1.0),
            (1, 1.0),
            (3, 1.0),
            (5, -1.0),
            (7, -1.0),
            (8, -1.0),
        ]),
    ];
    let mut best = 0;
    for (k, &v) in gradients.iter().enumerate() {
        if v > gradients[best] || gradients[best].is_nan() && !v.is_nan() {
            best = k;
        }
    }
    let (ends, halves) = match best {
        0 => ((3, 5), (Half::Left, Half::Right)),
        1 => ((1, 7), (Half::Top, Half::Bottom)),
        2 => ((2, 6), (Half::UpperRight, Half::LowerLeft)),
        _ => ((0, 8), (Half::UpperLeft, Half::LowerRight)),
    };
    let distance = |i: usize| {
        let d = (m[i] - m[4]).abs();
        if d.is_nan() { f64::INFINITY } else { d }
    };
    if distance(ends.1) < distance(ends.0) {
        halves.1
    } else {
        halves.0
    }
}

fn refined_lee(channels: &Channels, intensity: &[f64], spec: &FilterSpec) -> Channels {
    let (w, h) = (channels.width, channels.height);
    let valid = &channels.valid;
    let count = Integral::new(w, h, 3, valid, |_| 1.0);
    let sum = Integral::new(w, h, 3, valid, |i| intensity[i]);
    let mut data: Vec<Vec<f64>> = channels
        .data
        .iter()
        .map(|_| Vec::with_capacity(w * h))
        .collect();
    for i in 0..w * h {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        if !valid[i] {
            for plane in &mut data {
                plane.push(f64::NAN);
            }
            continue;
        }
        // The 3x3 sub-windows start at -3, -1, +1 (three pixels each, two apart).
        let m: [f64; 9] = std::array::from_fn(|k| {
            let (sx, sy) = (x - 3 + 2 * (k % 3) as isize, y - 3 + 2 * (k / 3) as isize);
            sum.sum(sx, sy, 3, 3) / count.sum(sx, sy, 3, 3)
        });
        let half = edge_half(&m);
        let (mut k, mut s, mut s2) = (0.0, 0.0, 0.0);
        let mut sums = vec![0.0; channels.data.len()];
        for dy in -3..=3isize {
            for dx in -3..=3isize {
                if !half.contains(dx, dy) {
                    continue;
                }
                let j = clamped(x + dx, y + dy, w, h);
                if !valid[j] {
                    continue;
                }
                let v = intensity[j];
                k += 1.0;
                s += v;
                s2 += v * v;
                for (acc, plane) in sums.iter_mut().zip(&channels.data) {
                    *acc += plane[j];
                }
            }
        }
        let mean = s / k;
        let gain = lee_gain(mean, s2 / k - mean * mean, spec.looks);
        for ((out, plane), acc) in data.iter_mut().zip(&channels.data).zip(&sums) {
            let local = acc / k;
            out.push(local + gain * (plane[i] - local));
        }
    }
    Channels {
        width: w,
        height: h,
        data,
        valid: valid.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_band(w: usize, h: usize, f: impl Fn(usize, usize) -> f64) -> (Channels, Vec<f64>) {
        let values: Vec<f64> = (0..w * h).map(|i| f(i % w, i / w)).collect();
        let channels = Channels {
            width: w,
            height: h,
            data: vec![values.clone()],
            valid: vec![true; w * h],
        };
        (channels, values)
    }

    #[test]
    fn filters_parse_and_refuse_windows_in_words() {
        let spec: FilterSpec = "refined-lee:7".parse().unwrap();
        assert_eq!((spec.kind, spec.window), (FilterKind::RefinedLee, 7));
        assert_eq!("Boxcar:5".parse::<FilterSpec>().unwrap().window, 5);
        let even = "lee:4".parse::<FilterSpec>().unwrap_err().to_string();
        assert!(even.contains("odd"), "{even}");
        let unknown = "median:3".parse::<FilterSpec>().unwrap_err().to_string();
        assert!(unknown.contains("boxcar, lee, refined-lee"), "{unknown}");
        let big = FilterSpec::new(FilterKind::Lee, 9).check(5, 5).unwrap_err();
        assert_eq!(big.to_string(), "a 9x9 window is larger than the 5x5 scene");
    }

    #[test]
    fn a_uniform_scene_is_left_as_it_is() {
        let (channels, values) = one_band(9, 8, |_, _| 2.5);
        for spec in ["boxcar:3", "lee:5", "refined-lee:7"] {
            let spec: FilterSpec = spec.parse().unwrap();
            let out = filter(&channels, &values, &spec).unwrap();
            assert!(
                out.data[0].iter().all(|v| (v - 2.5).abs() < 1e-12),
                "{spec}"
            );
        }
    }

    #[test]
    fn refined_lee_keeps_a_step_edge_that_boxcar_blurs() {
        // A vertical step: 1 left of column 5, 9 from it on, with a little speckle.
        let speckle = |x: usize, y: usize| 1.0 + 0.1 * (((x * 7 + y * 13) % 5) as f64 - 2.0);
        let (channels, values) =
            one_band(12, 12, |x, y| if x < 5 { 1.0 } else { 9.0 } * speckle(x, y));
        let boxcar = filter(&channels, &values, &"boxcar:7".parse().unwrap()).unwrap();
        let refined = filter(&channels, &values, &"refined-lee:7".parse().unwrap()).unwrap();
        // Just left of the edge, at (4, 6).
        let i = 6 * 12 + 4;
        assert!(boxcar.data[0][i] > 3.0, "boxcar {}", boxcar.data[0][i]);
        assert!(refined.data[0][i] < 1.5, "refined {}", refined.data[0][i]);
        assert_eq!(
            edge_half(&[1.0, 1.0, 9.0, 1.0, 1.0, 9.0, 1.0, 1.0, 9.0]),
            Half::Left
        );
    }
}
