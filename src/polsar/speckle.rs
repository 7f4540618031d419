//! Speckle filters: boxcar multilook, Lee (1980) and refined Lee (Lee, Grunes & de Grandi
//! 1999), for intensity bands and for the coherency matrix of complex data.
//!
//! The Lee filters weigh each pixel against its local mean by the minimum-mean-square-error
//! gain b = max(0, (var(y) - mean(y)^2 s^2) / (var(y) (1 + s^2))), s^2 = 1 / looks, computed
//! on one intensity (the band itself, or the span of a T3) and applied alike to every element
//! of the pixel, so that a filtered T3 stays a coherency matrix (the polarimetric Lee filter).
//!
//! Windows repeat the scene's edge pixels beyond it (numpy's `pad(mode="edge")`), and leave
//! invalid pixels (no data, no power) out; an invalid pixel stays invalid (NaN).

use std::str::FromStr;

use rayon::prelude::*;

use super::window::{Box3, clamped};
use super::{PolsarError, T3};
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

/// What the filters average: an intensity, or a whole T3 (its nine values alike).
pub trait Pixel: Copy + Send + Sync {
    const ZERO: Self;
    fn plus(self, other: Self) -> Self;
    fn times(self, k: f64) -> Self;
    fn nan() -> Self;
    /// An empty buffer for `n` filtered pixels.
    fn buffer(_n: usize) -> Vec<Self> {
        Vec::new()
    }
}

impl Pixel for f64 {
    const ZERO: Self = 0.0;
    fn plus(self, other: Self) -> Self {
        self + other
    }
    fn times(self, k: f64) -> Self {
        self * k
    }
    fn nan() -> Self {
        f64::NAN
    }
}

impl Pixel for T3 {
    const ZERO: Self = T3::ZERO;
    fn plus(self, o: Self) -> Self {
        T3 {
            t11: self.t11 + o.t11,
            t22: self.t22 + o.t22,
            t33: self.t33 + o.t33,
            t12: self.t12 + o.t12,
            t13: self.t13 + o.t13,
            t23: self.t23 + o.t23,
        }
    }
    fn times(self, k: f64) -> Self {
        T3 {
            t11: self.t11 * k,
            t22: self.t22 * k,
            t33: self.t33 * k,
            t12: self.t12 * k,
            t13: self.t13 * k,
            t23: self.t23 * k,
        }
    }
    fn nan() -> Self {
        T3::ZERO.times(f64::NAN)
    }
    fn buffer(n: usize) -> Vec<Self> {
        super::matrix::t3_buffer(n)
    }
}

/// A `width x height` grid of pixels to filter, which of them hold data, and the intensity
/// the Lee filters weigh them by (one per pixel: the band itself, or a T3's span).
#[derive(Clone, Copy, Debug)]
pub struct Grid<'a, P> {
    pub width: usize,
    pub height: usize,
    pub pixels: &'a [P],
    pub valid: &'a [bool],
    pub intensity: &'a [f64],
}

/// Filters `grid` by `spec`; refuses a window the grid cannot take.
pub fn filter<P: Pixel>(grid: Grid<'_, P>, spec: &FilterSpec) -> Result<Vec<P>, PolsarError> {
    spec.check(grid.width, grid.height)?;
    Ok(apply(grid, spec))
}

/// [`filter`] without the check of the window against the grid: for a strip of a scene
/// checked whole, whose rows beyond the strip are in `grid`.
pub(crate) fn apply<P: Pixel>(grid: Grid<'_, P>, spec: &FilterSpec) -> Vec<P> {
    match spec.kind {
        FilterKind::Boxcar => boxcar(
            grid.width,
            grid.height,
            grid.pixels,
            grid.valid,
            spec.window,
        ),
        FilterKind::Lee => lee(grid, spec),
        FilterKind::RefinedLee => refined_lee(grid, spec),
    }
}

/// Filters each band of `planes` on its own (an intensity scene).
pub fn filter_bands(planes: &Planes, spec: &FilterSpec) -> Result<Planes, PolsarError> {
    spec.check(planes.width, planes.height)?;
    Ok(apply_bands(planes, spec))
}

/// [`filter_bands`] without the check of the window against the grid.
pub(crate) fn apply_bands(planes: &Planes, spec: &FilterSpec) -> Planes {
    let bands = planes
        .bands
        .iter()
        .map(|band| {
            let values: Vec<f64> = band.iter().map(|&v| f64::from(v)).collect();
            let grid = Grid {
                width: planes.width,
                height: planes.height,
                pixels: &values,
                valid: &planes.valid,
                intensity: &values,
            };
            apply(grid, spec).into_iter().map(|v| v as f32).collect()
        })
        .collect();
    Planes {
        width: planes.width,
        height: planes.height,
        bands,
        valid: planes.valid.clone(),
    }
}

/// Window means of `pixels` over `n x n`, separably (a row pass, then a column pass, rows
/// shared out over every core); NaN where the pixel is invalid or its window holds no valid
/// pixel.
fn boxcar<P: Pixel>(w: usize, h: usize, pixels: &[P], valid: &[bool], n: usize) -> Vec<P> {
    let r = n / 2;
    let ri = r as isize;
    // Sums and valid counts along each row's windows; away from the edges a window is a run
    // of the row (the same sums in the same order as through `clamped`).
    let mut rows = vec![(P::ZERO, 0.0); w * h];
    rows.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(y, out)| {
            for (x, o) in out.iter_mut().enumerate() {
                let (mut sum, mut count) = (P::ZERO, 0.0);
                if x >= r && x + r < w {
                    let run = y * w + x - r..=y * w + x + r;
                    for (p, &ok) in pixels[run.clone()].iter().zip(&valid[run]) {
                        if ok {
                            sum = sum.plus(*p);
                            count += 1.0;
                        }
                    }
                } else {
                    for dx in -ri..=ri {
                        let j = clamped(x as isize + dx, y as isize, w, h);
                        if valid[j] {
                            sum = sum.plus(pixels[j]);
                            count += 1.0;
                        }
                    }
                }
                *o = (sum, count);
            }
        });
    per_valid_pixel(w, h, valid, |x, y, _| {
        let inside = y >= r && y + r < h;
        let (mut sum, mut count) = (P::ZERO, 0.0);
        for dy in -ri..=ri {
            let j = if inside {
                (y as isize + dy) as usize * w + x
            } else {
                clamped(x as isize, y as isize + dy, w, h)
            };
            let (s, c) = rows[j];
            sum = sum.plus(s);
            count += c;
        }
        sum.times(1.0 / count)
    })
}

/// `value(x, y, i)` of every valid pixel `i` at `(x, y)` of a `w x h` grid, NaN for the others,
/// on every core, collected straight into the output.
fn per_valid_pixel<P: Pixel>(
    w: usize,
    h: usize,
    valid: &[bool],
    value: impl Fn(usize, usize, usize) -> P + Sync,
) -> Vec<P> {
    let mut out = P::buffer(w * h);
    (0..w * h)
        .into_par_iter()
        .map(|i| {
            if valid[i] {
                value(i % w, i / w, i)
            } else {
                P::nan()
            }
        })
        .collect_into_vec(&mut out);
    out
}

/// Lee's gain from a window's mean and variance of the intensity.
fn lee_gain(mean: f64, var: f64, looks: f64) -> f64 {
    let s2 = 1.0 / looks;
    if var.is_nan() || var <= 0.0 {
        return 0.0;
    }
    ((var - mean * mean * s2) / (var * (1.0 + s2))).max(0.0)
}

/// `local + gain (pixel - local)`.
fn towards<P: Pixel>(local: P, pixel: P, gain: f64) -> P {
    local.times(1.0 - gain).plus(pixel.times(gain))
}

fn lee<P: Pixel>(grid: Grid<'_, P>, spec: &FilterSpec) -> Vec<P> {
    let (w, h, n) = (grid.width, grid.height, spec.window);
    let squares: Vec<f64> = grid.intensity.iter().map(|v| v * v).collect();
    let mean = boxcar(w, h, grid.intensity, grid.valid, n);
    let mean_sq = boxcar(w, h, &squares, grid.valid, n);
    let local = boxcar(w, h, grid.pixels, grid.valid, n);
    per_valid_pixel(w, h, grid.valid, |_, _, i| {
        let gain = lee_gain(mean[i], mean_sq[i] - mean[i] * mean[i], spec.looks);
        towards(local[i], grid.pixels[i], gain)
    })
}

/// Which half of the 7x7 window (rows and columns -3..=3 about the pixel) an edge leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
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
    /// In the order of the enum (`half as usize`).
    const ALL: [Self; 8] = [
        Self::Left,
        Self::Right,
        Self::Top,
        Self::Bottom,
        Self::UpperRight,
        Self::LowerLeft,
        Self::UpperLeft,
        Self::LowerRight,
    ];

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

fn refined_lee<P: Pixel>(grid: Grid<'_, P>, spec: &FilterSpec) -> Vec<P> {
    let (w, h) = (grid.width, grid.height);
    let (valid, intensity) = (grid.valid, grid.intensity);
    let sub = Box3::new(w, h, valid, |i| intensity[i]);
    // Each half window, row by row (dy = -3..=3): the columns it takes, a run dx0..=dx1
    // (empty when dx1 < dx0), in the raster order the sums run in.
    let runs: [[(isize, isize); 7]; 8] = Half::ALL.map(|half| {
        std::array::from_fn(|r| {
            let dy = r as isize - 3;
            let taken: Vec<isize> = (-3..=3isize).filter(|&dx| half.contains(dx, dy)).collect();
            match (taken.first(), taken.last()) {
                (Some(&a), Some(&b)) => (a, b),
                _ => (1, 0),
            }
        })
    });
    per_valid_pixel(w, h, valid, |x, y, i| {
        let (xi, yi) = (x as isize, y as isize);
        // The 3x3 sub-windows start at -3, -1, +1 (three pixels each, two apart); they
        // cover the 7x7 window, so nine full ones mean every pixel of it holds data.
        let mut full = true;
        let m: [f64; 9] = std::array::from_fn(|k| {
            let (cx, cy) = (xi - 2 + 2 * (k % 3) as isize, yi - 2 + 2 * (k / 3) as isize);
            let (s, n) = sub.at(cx, cy);
            full &= n == 9.0;
            s / n
        });
        let half = edge_half(&m);
        let interior = x >= 3 && y >= 3 && x + 3 < w && y + 3 < h;
        let (mut k, mut s, mut s2, mut acc) = (0.0, 0.0, 0.0, P::ZERO);
        if interior && full {
            // Whole runs of a row, no pixel to leave out: the same sums in the same
            // order as pixel by pixel below.
            for (r, &(a, b)) in runs[half as usize].iter().enumerate() {
                if b < a {
                    continue;
                }
                let start = (y + r - 3) * w;
                let (lo, hi) = (start + (xi + a) as usize, start + (xi + b) as usize);
                for (v, p) in intensity[lo..=hi].iter().zip(&grid.pixels[lo..=hi]) {
                    s += v;
                    s2 += v * v;
                    acc = acc.plus(*p);
                }
                k += (b - a + 1) as f64;
            }
        } else {
            for (r, &(a, b)) in runs[half as usize].iter().enumerate() {
                for dx in a..=b {
                    let j = clamped(xi + dx, yi + r as isize - 3, w, h);
                    if !valid[j] {
                        continue;
                    }
                    let v = intensity[j];
                    k += 1.0;
                    s += v;
                    s2 += v * v;
                    acc = acc.plus(grid.pixels[j]);
                }
            }
        }
        let mean = s / k;
        let gain = lee_gain(mean, s2 / k - mean * mean, spec.looks);
        towards(acc.times(1.0 / k), grid.pixels[i], gain)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f` over a `w x h` grid, filtered by `spec`.
    fn filtered(w: usize, h: usize, f: impl Fn(usize, usize) -> f64, spec: &str) -> Vec<f64> {
        let values: Vec<f64> = (0..w * h).map(|i| f(i % w, i / w)).collect();
        let valid = vec![true; w * h];
        let grid = Grid {
            width: w,
            height: h,
            pixels: &values,
            valid: &valid,
            intensity: &values,
        };
        filter(grid, &spec.parse().unwrap()).unwrap()
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
        for spec in ["boxcar:3", "lee:5", "refined-lee:7"] {
            let out = filtered(9, 8, |_, _| 2.5, spec);
            assert!(out.iter().all(|v| (v - 2.5).abs() < 1e-12), "{spec}");
        }
    }

    #[test]
    fn refined_lee_keeps_a_step_edge_that_boxcar_blurs() {
        // A vertical step: 1 left of column 5, 9 from it on, with a little speckle.
        let speckle = |x: usize, y: usize| 1.0 + 0.1 * (((x * 7 + y * 13) % 5) as f64 - 2.0);
        let step = |x: usize, y: usize| if x < 5 { 1.0 } else { 9.0 } * speckle(x, y);
        let boxcar = filtered(12, 12, step, "boxcar:7");
        let refined = filtered(12, 12, step, "refined-lee:7");
        // Just left of the edge, at (4, 6).
        let i = 6 * 12 + 4;
        assert!(boxcar[i] > 3.0, "boxcar {}", boxcar[i]);
        assert!(refined[i] < 1.5, "refined {}", refined[i]);
        assert_eq!(
            edge_half(&[1.0, 1.0, 9.0, 1.0, 1.0, 9.0, 1.0, 1.0, 9.0]),
            Half::Left
        );
    }
}
