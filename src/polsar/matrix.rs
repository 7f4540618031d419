//! The scattering matrix of each pixel and the coherency matrix T3 made from it.

use num_complex::{Complex32, Complex64};
use rayon::prelude::*;
use std::sync::{Mutex, PoisonError};

use super::PolsarError;
use super::speckle::{FilterKind, FilterSpec, Grid, apply};
use super::support::QuadPol;
use crate::raster::{Scene, Window};

/// The calibrated scattering matrix of a window of a complex quad-pol scene, one plane per
/// element (row-major, `width * height`).
#[derive(Clone, Debug, PartialEq)]
pub struct Scattering {
    pub width: usize,
    pub height: usize,
    pub hh: Vec<Complex32>,
    pub hv: Vec<Complex32>,
    pub vh: Vec<Complex32>,
    pub vv: Vec<Complex32>,
}

impl Scattering {
    /// Reads `window` of the scene's four polarizations (found by [`QuadPol::find`]), each
    /// calibrated by its file's scale factor. With one cross-polarization only, it stands for
    /// both (reciprocity: HV = VH).
    pub fn read(scene: &Scene, quad: &QuadPol, window: Window) -> Result<Self, PolsarError> {
        Self::read_resampled(scene, quad, window, (window.width, window.height))
    }

    /// [`Scattering::read`] of `window` resampled to `out_size` by nearest neighbour: each
    /// value is one pixel's scattering matrix (every `step`-th pixel where `window` is `step`
    /// times `out_size`).
    pub fn read_resampled(
        scene: &Scene,
        quad: &QuadPol,
        window: Window,
        out_size: (usize, usize),
    ) -> Result<Self, PolsarError> {
        let bands: &[usize] = if quad.vh == quad.hv {
            &[quad.hh, quad.vv, quad.hv]
        } else {
            &[quad.hh, quad.vv, quad.hv, quad.vh]
        };
        let mut read = scene
            .read_complex_resampled(bands, window, out_size)?
            .into_iter();
        let mut next = || read.next().unwrap_or_default();
        let (hh, vv, hv) = (next(), next(), next());
        let vh = if quad.vh == quad.hv {
            hv.clone()
        } else {
            next()
        };
        Ok(Self {
            width: out_size.0,
            height: out_size.1,
            hh,
            hv,
            vh,
            vv,
        })
    }

    /// Each pixel's single-look T3.
    fn single_looks(&self) -> impl IndexedParallelIterator<Item = T3> + '_ {
        self.hh
            .par_iter()
            .zip(&self.hv)
            .zip(&self.vh)
            .zip(&self.vv)
            .map(|(((&hh, &hv), &vh), &vv)| T3::from_pixel(hh, hv, vh, vv))
    }

    /// The single-look coherency matrix of each pixel.
    pub fn coherency(&self) -> Coherency {
        let mut t3 = t3_buffer(self.hh.len());
        self.single_looks().collect_into_vec(&mut t3);
        Coherency::new(self.width, self.height, t3)
    }

    /// Which pixels hold data ([`T3::holds_data`]), without keeping their T3.
    pub fn valid(&self) -> Vec<bool> {
        self.single_looks().map(|t| t.holds_data()).collect()
    }
}

/// The 3x3 Hermitian coherency matrix T3 = <k k^H> of the Pauli vector
/// k = [HH + VV, HH - VV, 2 HV] / sqrt(2), with HV = (HV + VH) / 2 (reciprocity): its upper
/// triangle.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct T3 {
    pub t11: f64,
    pub t22: f64,
    pub t33: f64,
    pub t12: Complex64,
    pub t13: Complex64,
    pub t23: Complex64,
}

/// The names of [`T3::to_channels`]' values, in order.
pub const T3_NAMES: [&str; 9] = [
    "T11", "T22", "T33", "T12_re", "T12_im", "T13_re", "T13_im", "T23_re", "T23_im",
];

impl T3 {
    pub const ZERO: Self = Self {
        t11: 0.0,
        t22: 0.0,
        t33: 0.0,
        t12: Complex64::new(0.0, 0.0),
        t13: Complex64::new(0.0, 0.0),
        t23: Complex64::new(0.0, 0.0),
    };

    /// The single-look T3 of one pixel's scattering matrix.
    pub fn from_pixel(hh: Complex32, hv: Complex32, vh: Complex32, vv: Complex32) -> Self {
        let (hh, hv, vh, vv) = (c64(hh), c64(hv), c64(vh), c64(vv));
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let k1 = (hh + vv) * r;
        let k2 = (hh - vv) * r;
        // 2 * (HV + VH) / 2 / sqrt(2)
        let k3 = (hv + vh) * r;
        Self {
            t11: k1.norm_sqr(),
            t22: k2.norm_sqr(),
            t33: k3.norm_sqr(),
            t12: k1 * k2.conj(),
            t13: k1 * k3.conj(),
            t23: k2 * k3.conj(),
        }
    }

    /// Whether the pixel holds data: every value finite, and some power.
    pub fn holds_data(&self) -> bool {
        self.to_channels().iter().all(|v| v.is_finite()) && self.span() > 0.0
    }

    /// The total power: T11 + T22 + T33 = |HH|^2 + 2 |HV|^2 + |VV|^2.
    pub fn span(&self) -> f64 {
        self.t11 + self.t22 + self.t33
    }

    /// The nine real values T11, T22, T33, then the real and imaginary parts of T12, T13, T23.
    pub fn to_channels(&self) -> [f64; 9] {
        [
            self.t11,
            self.t22,
            self.t33,
            self.t12.re,
            self.t12.im,
            self.t13.re,
            self.t13.im,
            self.t23.re,
            self.t23.im,
        ]
    }

    /// The inverse of [`T3::to_channels`].
    pub fn from_channels(v: [f64; 9]) -> Self {
        let [t11, t22, t33, a, b, c, d, e, f] = v;
        Self {
            t11,
            t22,
            t33,
            t12: Complex64::new(a, b),
            t13: Complex64::new(c, d),
            t23: Complex64::new(e, f),
        }
    }

    /// The covariance matrix's elements the model-based decompositions use:
    /// (<|HH|^2>, <|HV|^2>, <|VV|^2>, <HH VV*>).
    pub fn covariance(&self) -> (f64, f64, f64, Complex64) {
        let hhhh = (self.t11 + self.t22 + 2.0 * self.t12.re) / 2.0;
        let vvvv = (self.t11 + self.t22 - 2.0 * self.t12.re) / 2.0;
        let hvhv = self.t33 / 2.0;
        let hhvv = Complex64::new((self.t11 - self.t22) / 2.0, -self.t12.im);
        (hhhh, hvhv, vvvv, hhvv)
    }
}

fn c64(z: Complex32) -> Complex64 {
    Complex64::new(f64::from(z.re), f64::from(z.im))
}

/// A T3 per pixel of a window, with the pixels that hold one (finite, and some power).
#[derive(Clone, Debug, PartialEq)]
pub struct Coherency {
    pub width: usize,
    pub height: usize,
    pub t3: Vec<T3>,
    pub valid: Vec<bool>,
}

impl Coherency {
    /// The `size` (width, height) pixels from `corner` (column, row), cut to the grid; in
    /// place, row after row moved to the front (nothing moves for the whole grid).
    pub fn crop(mut self, corner: (usize, usize), size: (usize, usize)) -> Self {
        let (w, h) = (
            self.width,
            self.height.min(self.t3.len() / self.width.max(1)),
        );
        let (left, top) = (corner.0.min(w), corner.1.min(h));
        let (width, height) = (size.0.min(w - left), size.1.min(h - top));
        for row in 0..height {
            let from = (top + row) * w + left;
            self.t3.copy_within(from..from + width, row * width);
            self.valid.copy_within(from..from + width, row * width);
        }
        self.t3.truncate(width * height);
        self.valid.truncate(width * height);
        self.width = width;
        self.height = height;
        self
    }

    /// Every pixel's T3 through `spec` (weighed by its span), unchecked against the grid's
    /// size: a strip's window was checked against its scene. Boxcar 1 leaves it as it is.
    pub fn filtered(mut self, spec: &FilterSpec) -> Self {
        if spec.kind == FilterKind::Boxcar && spec.window == 1 {
            return self;
        }
        let span: Vec<f64> = self.t3.iter().map(T3::span).collect();
        let grid = Grid {
            width: self.width,
            height: self.height,
            pixels: &self.t3,
            valid: &self.valid,
            intensity: &span,
        };
        let t3 = apply(grid, spec);
        recycle(std::mem::replace(&mut self.t3, t3));
        self
    }

    /// Done with: its T3s' memory is kept for the next coherency made ([`t3_buffer`]).
    pub fn recycle(self) {
        recycle(self.t3);
    }

    pub fn new(width: usize, height: usize, t3: Vec<T3>) -> Self {
        let valid = t3.iter().map(T3::holds_data).collect();
        Self {
            width,
            height,
            t3,
            valid,
        }
    }
}

/// T3 buffers of finished computations, kept for the next. A fresh one is memory the kernel
/// must fault in and zero page by page (58 MB for a 900x900 scene): that took two thirds of
/// making its single-look T3s, and a sixth of filtering them, whenever a product, a strip or a
/// tile was made after another.
static SPARE: Mutex<Vec<Vec<T3>>> = Mutex::new(Vec::new());

/// Buffers kept at most (a coherency and its filtered copy), and their largest size: larger
/// ones (whole scenes of over 1.8 Mpx) go back to the system.
const SPARES: usize = 2;
const SPARE_MAX_BYTES: usize = 128 << 20;

/// An empty buffer for `n` T3s: a kept one that holds them, or a new one.
pub(crate) fn t3_buffer(n: usize) -> Vec<T3> {
    let mut spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
    match spare.iter().position(|v| v.capacity() >= n) {
        Some(i) => spare.swap_remove(i),
        None => Vec::new(),
    }
}

/// Keeps `v`'s memory for [`t3_buffer`]: in place of a smaller kept buffer when two are kept.
fn recycle(mut v: Vec<T3>) {
    if v.capacity() * std::mem::size_of::<T3>() > SPARE_MAX_BYTES {
        return;
    }
    v.clear();
    let mut spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
    if spare.len() < SPARES {
        spare.push(v);
    } else if let Some(smallest) = spare.iter_mut().min_by_key(|s| s.capacity())
        && smallest.capacity() < v.capacity()
    {
        *smallest = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f32, im: f32) -> Complex32 {
        Complex32::new(re, im)
    }

    #[test]
    fn t3_is_hermitian_with_the_span_of_the_scattering_matrix() {
        let (hh, hv, vh, vv) = (c(1.0, 2.0), c(0.5, -0.25), c(0.5, -0.25), c(-3.0, 0.5));
        let t = T3::from_pixel(hh, hv, vh, vv);
        let span = hh.norm_sqr() + 2.0 * hv.norm_sqr() + vv.norm_sqr();
        assert!((t.span() - f64::from(span)).abs() < 1e-9);
        let (hhhh, hvhv, vvvv, hhvv) = t.covariance();
        assert!((hhhh - f64::from(hh.norm_sqr())).abs() < 1e-9);
        assert!((hvhv - f64::from(hv.norm_sqr())).abs() < 1e-9);
        assert!((vvvv - f64::from(vv.norm_sqr())).abs() < 1e-9);
        let want = c64(hh) * c64(vv).conj();
        assert!((hhvv - want).norm() < 1e-9, "{hhvv} vs {want}");
    }

    #[test]
    fn channels_round_trip() {
        let t = T3::from_pixel(c(1.0, 2.0), c(0.5, 0.1), c(0.4, -0.1), c(-3.0, 0.5));
        assert_eq!(T3::from_channels(t.to_channels()), t);
    }
}
